import { handleLock } from "../../../webdav/methods/lock.ts";
import { handleUnlock, lockTokenOf } from "../../../webdav/methods/unlock.ts";
import type { LockManager } from "../../../webdav/locks/lock_manager.ts";
import { supportedLockXml } from "../../../webdav/locks/lock_xml.ts";
import { parseLockInfo } from "../../../webdav/locks/lock_info.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { davError, href, lockinfo, openDav } from "./support/lock_fixtures.ts";

Deno.test("LOCK: 200 with Lock-Token and a lockdiscovery body describing the lock", async () => {
  const fx = await openDav({ defaultTimeoutSeconds: 300 });
  try {
    await fx.fs.writeTextFile("/a b.txt", "x");
    const r = await handleLock(fx.ctx("/a b.txt", {
      method: "LOCK",
      body: lockinfo("shared", "<D:href>mailto:me@example.org</D:href>"),
      headers: { Depth: "0" },
    }));
    assertEquals(r.status, 200);
    assertEquals(r.headers.get("Content-Type"), "application/xml; charset=utf-8");
    const token = r.headers.get("Lock-Token")!;
    assert(/^<urn:uuid:[0-9a-f-]{36}>$/.test(token), token);
    const body = await r.text();
    const expected = `<D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock>` +
      `<D:locktype><D:write/></D:locktype><D:lockscope><D:shared/></D:lockscope>` +
      `<D:depth>0</D:depth>` +
      `<D:owner xmlns:D="DAV:"><href xmlns="DAV:">mailto:me@example.org</href></D:owner>` +
      `<D:timeout>Second-300</D:timeout>` +
      `<D:locktoken><D:href>${token.slice(1, -1)}</D:href></D:locktoken>` +
      `<D:lockroot><D:href>/dav/a%20b.txt</D:href></D:lockroot>` +
      `</D:activelock></D:lockdiscovery></D:prop>`;
    assert(body.startsWith('<?xml version="1.0" encoding="utf-8"?>'));
    assert(body.includes(expected), body);
    // The lock as the manager keeps it.
    const [lock] = fx.locks.locksCovering("/a b.txt");
    assertEquals(lock.scope, "shared");
    assertEquals(lock.depth, 0);
    assertEquals(lock.timeoutSeconds, 300);
  } finally {
    await fx.close();
  }
});

Deno.test("LOCK: owner XML with other namespaces, attributes and escapes is kept self-contained", () => {
  const info = parseLockInfo(
    `<lockinfo xmlns="DAV:" xmlns:x="urn:x"><lockscope><exclusive/></lockscope>` +
      `<locktype><write/></locktype>` +
      `<owner x:kind="a&amp;b">Me &lt;me@x&gt; <x:id xml:lang="en">7</x:id><plain xmlns="">p</plain>` +
      `<![CDATA[<raw>]]></owner></lockinfo>`,
  );
  assertEquals(info.scope, "exclusive");
  assertEquals(
    info.ownerXml,
    `<D:owner xmlns:D="DAV:" xmlns:a0="urn:x" a0:kind="a&amp;b">Me &lt;me@x&gt; ` +
      `<id xmlns="urn:x" xml:lang="en">7</id><plain xmlns="">p</plain>&lt;raw&gt;</D:owner>`,
  );
  assertEquals(parseLockInfo(lockinfo("shared", null)), { scope: "shared" });
});

Deno.test("LOCK: bad bodies and headers are 400 (DOCTYPE, entities, malformed, wrong root, Depth 1), 413 when too big", async () => {
  const fx = await openDav();
  try {
    await fx.fs.writeTextFile("/f", "x");
    const status = async (body: string, headers: Record<string, string> = {}, maxXmlBytes = 4096) =>
      (await davError(() =>
        handleLock(fx.ctx("/f", { method: "LOCK", body, headers, maxXmlBytes }))
      )).status;
    assertEquals(
      await status(
        `<?xml version="1.0"?><!DOCTYPE lockinfo [<!ENTITY x "y">]><D:lockinfo xmlns:D="DAV:">` +
          `<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`,
      ),
      400,
    );
    assertEquals(await status(lockinfo("exclusive", "&undefined;")), 400);
    assertEquals(await status("<D:lockinfo xmlns:D='DAV:'><D:lockscope>"), 400);
    assertEquals(await status("<lockinfo><lockscope><exclusive/></lockscope></lockinfo>"), 400);
    assertEquals(await status('<D:propfind xmlns:D="DAV:"/>'), 400);
    assertEquals(
      await status(
        `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope></D:lockinfo>`,
      ),
      400,
    );
    assertEquals(
      await status(
        `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
          `<D:locktype><D:read/></D:locktype></D:lockinfo>`,
      ),
      400,
    );
    assertEquals(await status(lockinfo("exclusive"), { Depth: "1" }), 400);
    assertEquals(await status(lockinfo("exclusive"), { Depth: "2" }), 400);
    assertEquals(await status(lockinfo("exclusive", "x".repeat(5000))), 413);
    assertEquals(await status(lockinfo("exclusive"), {}, 10), 413);
    assertEquals(fx.locks.size, 0);
    // Read-only servers take no locks.
    const ro = await davError(() =>
      handleLock(fx.ctx("/f", { method: "LOCK", body: lockinfo("exclusive"), readOnly: true }))
    );
    assertEquals(ro.status, 403);
  } finally {
    await fx.close();
  }
});

Deno.test("LOCK on an unmapped URL: 201 and an empty file; 409 without a parent; 423 in a locked collection", async () => {
  const fx = await openDav();
  try {
    const lock = (path: string, headers: Record<string, string> = {}, principal?: string) =>
      handleLock(fx.ctx(path, {
        method: "LOCK",
        body: lockinfo("exclusive"),
        headers,
        ...(principal ? { principal } : {}),
      }));
    const r = await lock("/new.txt", { Depth: "0" });
    assertEquals(r.status, 201);
    await r.body?.cancel();
    const info = await fx.fs.stat("/new.txt");
    assert(info.isFile);
    assertEquals(info.size, 0);

    const missingParent = await davError(() => lock("/nodir/new.txt"));
    assertEquals(missingParent.status, 409);
    await fx.fs.writeTextFile("/file", "x");
    assertEquals((await davError(() => lock("/file/below"))).status, 409);
    assertEquals(fx.locks.size, 1);

    // A shared depth-0 lock on a collection protects its membership.
    await fx.fs.mkdir("/coll");
    const c = await handleLock(fx.ctx("/coll/", {
      method: "LOCK",
      body: lockinfo("shared"),
      headers: { Depth: "0" },
      principal: "alice",
    }));
    assertEquals(c.status, 200);
    await c.body?.cancel();
    const ctoken = c.headers.get("Lock-Token")!.slice(1, -1);
    const refused = await davError(() => lock("/coll/member", { Depth: "0" }, "bob"));
    assertEquals(refused.status, 423);
    assertEquals(refused.condition, "lock-token-submitted");
    assertEquals(refused.hrefs, [href("/coll", true)]);
    assertEquals(await fx.fs.exists("/coll/member"), false);
    // Bob cannot use alice's token; alice can.
    const stolen = await davError(() =>
      lock("/coll/member", { Depth: "0", If: `<${href("/coll", true)}> (<${ctoken}>)` }, "bob")
    );
    assertEquals(stolen.status, 423);
    // An untagged list is about the new member, which the depth-0 lock does not cover: false.
    const untagged = await davError(() =>
      lock("/coll/member", { Depth: "0", If: `(<${ctoken}>)` }, "alice")
    );
    assertEquals(untagged.status, 412);
    const ok = await lock("/coll/member", {
      Depth: "0",
      If: `<${href("/coll", true)}> (<${ctoken}>)`,
    }, "alice");
    assertEquals(ok.status, 201);
    await ok.body?.cancel();
  } finally {
    await fx.close();
  }
});

Deno.test("LOCK refresh: extends the timeout; 400 without If, 412 with a wrong or foreign token", async () => {
  const fx = await openDav({ defaultTimeoutSeconds: 100, maxTimeoutSeconds: 1000 });
  try {
    await fx.fs.writeTextFile("/f", "x");
    await fx.fs.writeTextFile("/g", "x");
    const r = await handleLock(fx.ctx("/f", {
      method: "LOCK",
      body: lockinfo("exclusive"),
      principal: "alice",
    }));
    await r.body?.cancel();
    const token = r.headers.get("Lock-Token")!.slice(1, -1);
    fx.clock.now += 90_000;
    const refresh = (path: string, headers: Record<string, string>, principal = "alice") =>
      handleLock(fx.ctx(path, { method: "LOCK", headers, principal }));
    const ok = await refresh("/f", { If: `(<${token}>)`, Timeout: "Infinite" });
    assertEquals(ok.status, 200);
    assertEquals(ok.headers.get("Lock-Token"), null);
    assert((await ok.text()).includes("<D:timeout>Second-1000</D:timeout>"));
    fx.clock.now += 999_000;
    assertEquals(fx.locks.locksCovering("/f").length, 1); // would have expired without the refresh

    assertEquals((await davError(() => refresh("/f", {}))).status, 400);
    assertEquals((await davError(() => refresh("/f", { If: "(<urn:uuid:nope>)" }))).status, 412);
    // The token of /f does not cover /g.
    assertEquals(
      (await davError(() => refresh("/g", { If: `<${href("/f")}> (<${token}>)` }))).status,
      412,
    );
    // Another principal's token is not theirs to refresh.
    assertEquals((await davError(() => refresh("/f", { If: `(<${token}>)` }, "bob"))).status, 412);
    // Expired: the lock is gone, refresh fails.
    fx.clock.now += 2_000;
    assertEquals((await davError(() => refresh("/f", { If: `(<${token}>)` }))).status, 412);
  } finally {
    await fx.close();
  }
});

Deno.test("UNLOCK: 204; 400 without Lock-Token; 409 for unknown, expired or other resources' tokens; 403 for another principal", async () => {
  const fx = await openDav();
  try {
    assertEquals(lockTokenOf("<urn:uuid:1>"), "urn:uuid:1");
    assertEquals(lockTokenOf("urn:uuid:1"), "urn:uuid:1");
    assertEquals(lockTokenOf("<>"), undefined);
    await fx.fs.mkdir("/d");
    await fx.fs.writeTextFile("/d/f", "x");
    await fx.fs.writeTextFile("/other", "x");
    const r = await handleLock(fx.ctx("/d/", {
      method: "LOCK",
      body: lockinfo("exclusive"),
      principal: "alice",
    }));
    await r.body?.cancel();
    const token = r.headers.get("Lock-Token")!;
    const unlock = (path: string, headers: Record<string, string>, principal = "alice") =>
      handleUnlock(fx.ctx(path, { method: "UNLOCK", headers, principal }));
    assertEquals((await davError(() => unlock("/d", {}))).status, 400);
    const unknown = await davError(() => unlock("/d", { "Lock-Token": "<urn:uuid:none>" }));
    assertEquals([unknown.status, unknown.condition], [409, "lock-token-matches-request-uri"]);
    assertEquals((await davError(() => unlock("/other", { "Lock-Token": token }))).status, 409);
    assertEquals(
      (await davError(() => unlock("/d/f", { "Lock-Token": token }, "bob"))).status,
      403,
    );
    // Unlocking through a member of a depth-infinity lock removes the whole lock.
    const done = await unlock("/d/f", { "Lock-Token": token });
    assertEquals(done.status, 204);
    assertEquals(fx.locks.size, 0);
    assertEquals((await davError(() => unlock("/d", { "Lock-Token": token }))).status, 409);
  } finally {
    await fx.close();
  }
});

Deno.test("LOCK/UNLOCK: the lock manager is a whole lock table — one that cannot take locks does not type-check (it was answered 501)", () => {
  const partial = { locksCovering: () => [], removeTree: () => {} };
  // @ts-expect-error: no tryLock, refresh, unlock, get, timeoutFor…: not a LockManager
  const locks: LockManager = partial;
  assert(Object.is(locks, partial));
});

Deno.test("supportedlock lists exclusive and shared write locks", () => {
  assertEquals(
    supportedLockXml("d"),
    "<d:supportedlock>" +
      "<d:lockentry><d:lockscope><d:exclusive/></d:lockscope><d:locktype><d:write/></d:locktype></d:lockentry>" +
      "<d:lockentry><d:lockscope><d:shared/></d:lockscope><d:locktype><d:write/></d:locktype></d:lockentry>" +
      "</d:supportedlock>",
  );
});

Deno.test("LOCK: a Timeout of more seconds than a number holds grants the maximum, on LOCK and refresh", async () => {
  const fx = await openDav({ defaultTimeoutSeconds: 100, maxTimeoutSeconds: 1000 });
  try {
    await fx.fs.writeTextFile("/f", "x");
    const huge = `Second-${"9".repeat(400)}`; // Number() of these digits is Infinity
    const r = await handleLock(fx.ctx("/f", {
      method: "LOCK",
      body: lockinfo("exclusive"),
      headers: { Timeout: huge },
    }));
    assertEquals(r.status, 200);
    assert((await r.text()).includes("<D:timeout>Second-1000</D:timeout>"));
    const token = r.headers.get("Lock-Token")!.slice(1, -1);
    const refreshed = await handleLock(fx.ctx("/f", {
      method: "LOCK",
      headers: { If: `(<${token}>)`, Timeout: `Second-${"4".repeat(20)}, Infinite` },
    }));
    assertEquals(refreshed.status, 200);
    assert((await refreshed.text()).includes("<D:timeout>Second-1000</D:timeout>"));
    const [lock] = fx.locks.locksCovering("/f");
    assertEquals(lock.timeoutSeconds, 1000);
  } finally {
    await fx.close();
  }
});
