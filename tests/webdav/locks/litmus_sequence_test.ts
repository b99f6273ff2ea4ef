// The litmus 0.13 `locks` suite's sequence, replayed against the LOCK/UNLOCK
// handlers and the lock guard (two "sessions": the owner, who sends its tokens,
// and another client, who sends none).

import { assert, assertEquals } from "../../support/assert.ts";
import { etagOf, href, lockinfo, openDav, ORIGIN, send } from "./support/lock_fixtures.ts";

Deno.test("litmus locks sequence: exclusive, shared, collection depth infinity, unmapped URL", async () => {
  const fx = await openDav();
  try {
    const put = async (path: string, headers: Record<string, string> = {}) =>
      (await send(fx, "PUT", path, { body: "foo", headers })).status;
    assertEquals(await put("/lockme"), 201);
    assertEquals(await put("/notlocked"), 201);

    // lock_excl
    let r = await send(fx, "LOCK", "/lockme", {
      body: lockinfo("exclusive"),
      headers: { Depth: "0", Timeout: "Second-3600" },
    });
    assertEquals(r.status, 200);
    const token = r.headers.get("Lock-Token")!.slice(1, -1);
    const body = await r.text();
    assert(body.includes(`<D:href>${token}</D:href>`));
    assert(body.includes('<D:owner xmlns:D="DAV:">litmus test suite</D:owner>'));
    assert(body.includes("<D:timeout>Second-3600</D:timeout>"));
    const mine = { If: `<${ORIGIN}${href("/lockme")}> (<${token}>)` };

    // refresh
    r = await send(fx, "LOCK", "/lockme", { headers: { If: `(<${token}>)` } });
    assertEquals(r.status, 200);
    assert((await r.text()).includes(token));

    const notownerModify = async (path: string) => {
      assertEquals((await send(fx, "DELETE", path)).status, 423);
      assertEquals(
        (await send(fx, "MOVE", path, { headers: { Destination: href("/whocares") } })).status,
        423,
      );
      assertEquals(
        (await send(fx, "COPY", "/notlocked", { headers: { Destination: href(path) } })).status,
        423,
      );
      assertEquals((await send(fx, "PROPPATCH", path)).status, 423);
      assertEquals(await put(path), 423);
    };
    const notownerLock = async (path: string) => {
      r = await send(fx, "UNLOCK", path, { headers: { "Lock-Token": "<opaquelocktoken:foobar>" } });
      assertEquals(r.status, 409);
      assertEquals(r.headers.get("X-Condition"), "lock-token-matches-request-uri");
      r = await send(fx, "LOCK", path, { body: lockinfo("exclusive", "notowner lock") });
      assertEquals(r.status, 423);
      assertEquals(r.headers.get("X-Condition"), "no-conflicting-lock");
      await r.body?.cancel();
    };
    await notownerModify("/lockme");
    await notownerLock("/lockme");
    // owner_modify
    assertEquals(await put("/lockme", mine), 204);
    assertEquals((await send(fx, "PROPPATCH", "/lockme", { headers: mine })).status, 207);
    await notownerModify("/lockme");
    await notownerLock("/lockme");

    // copy: locks do not follow a COPY
    r = await send(fx, "COPY", "/lockme", { headers: { Destination: href("/lockme-copydest") } });
    assertEquals(r.status, 201);
    assertEquals(fx.locks.locksCovering("/lockme-copydest").length, 0);
    assertEquals((await send(fx, "DELETE", "/lockme-copydest")).status, 204);

    // Julian's conditional PUTs
    const etag = await etagOf(fx.fs, "/lockme");
    assertEquals(await put("/lockme", { If: `(<${token}> [${etag}])` }), 204);
    const etag2 = await etagOf(fx.fs, "/lockme");
    assertEquals(await put("/lockme", { If: `(<DAV:no-lock> [${etag2}])` }), 412); // fail_cond_put
    assertEquals(await put("/lockme", { If: `(<${token}>) (Not <DAV:no-lock>)` }), 204);
    assertEquals(await put("/lockme", { If: `(<${token}x>) (Not <DAV:no-lock>)` }), 423);
    const etag3 = await etagOf(fx.fs, "/lockme");
    assertEquals(
      await put("/lockme", { If: `(<${token}> [${etag3}]) (Not <DAV:no-lock> [${etag3}])` }),
      204,
    );
    const etag4 = await etagOf(fx.fs, "/lockme");
    const bent = etag4.slice(0, -3) + String.fromCharCode(etag4.charCodeAt(etag4.length - 3) + 1) +
      etag4.slice(-2);
    assertEquals(
      await put("/lockme", { If: `(<${token}> [${bent}]) (Not <DAV:no-lock> [${bent}])` }),
      412,
    );

    // unlock, then fail_cond_put_unlocked
    r = await send(fx, "UNLOCK", "/lockme", { headers: { "Lock-Token": `<${token}>` } });
    assertEquals(r.status, 204);
    assertEquals(await put("/lockme", { If: "(<DAV:no-lock>)" }), 412);

    // lock_shared, then a second shared lock from another client
    r = await send(fx, "LOCK", "/lockme", { body: lockinfo("shared"), headers: { Depth: "0" } });
    assertEquals(r.status, 200);
    const shared = r.headers.get("Lock-Token")!.slice(1, -1);
    await r.body?.cancel();
    await notownerModify("/lockme");
    await notownerLock("/lockme");
    assertEquals(await put("/lockme", { If: `(<${shared}>)` }), 204);
    r = await send(fx, "LOCK", "/lockme", {
      body: lockinfo("shared", "litmus: notowner_sharedlock"),
      headers: { Depth: "0" },
    });
    assertEquals(r.status, 200);
    const second = r.headers.get("Lock-Token")!.slice(1, -1);
    await r.body?.cancel();
    r = await send(fx, "UNLOCK", "/lockme", { headers: { "Lock-Token": `<${second}>` } });
    assertEquals(r.status, 204);
    await notownerModify("/lockme");
    await notownerLock("/lockme");
    r = await send(fx, "UNLOCK", "/lockme", { headers: { "Lock-Token": `<${shared}>` } });
    assertEquals(r.status, 204);

    // prep_collection, lock_collection (depth infinity), members
    assertEquals((await send(fx, "MKCOL", "/lockcoll")).status, 201);
    r = await send(fx, "LOCK", "/lockcoll/", {
      body: lockinfo("exclusive"),
      headers: { Timeout: "Second-3600" },
    });
    assertEquals(r.status, 200);
    const coll = r.headers.get("Lock-Token")!.slice(1, -1);
    const collBody = await r.text();
    assert(collBody.includes("<D:depth>infinity</D:depth>"));
    assert(
      collBody.includes(`<D:lockroot><D:href>${href("/lockcoll", true)}</D:href></D:lockroot>`),
    );
    const collIf = { If: `<${ORIGIN}${href("/lockcoll", true)}> (<${coll}>)` };
    // A new member without the token is refused; with it, created.
    assertEquals(await put("/lockcoll/lockme.txt"), 423);
    assertEquals(await put("/lockcoll/lockme.txt", collIf), 201);
    assertEquals(await put("/lockcoll/lockme.txt", collIf), 204);
    assertEquals(
      (await send(fx, "PROPPATCH", "/lockcoll/lockme.txt", { headers: collIf })).status,
      207,
    );
    await notownerModify("/lockcoll/lockme.txt");
    await notownerLock("/lockcoll/lockme.txt");
    // refresh on the root, and indirectly through a member
    r = await send(fx, "LOCK", "/lockcoll/", { headers: { If: `(<${coll}>)` } });
    assertEquals(r.status, 200);
    await r.body?.cancel();
    r = await send(fx, "LOCK", "/lockcoll/lockme.txt", {
      headers: { If: `(<${coll}>)`, Timeout: "Second-100" },
    });
    assertEquals(r.status, 200);
    const indirect = await r.text();
    assert(indirect.includes(coll));
    assert(indirect.includes("<D:timeout>Second-100</D:timeout>"));
    r = await send(fx, "UNLOCK", "/lockcoll/", { headers: { "Lock-Token": `<${coll}>` } });
    assertEquals(r.status, 204);

    // unmapped_lock: 201 and an empty resource
    r = await send(fx, "LOCK", "/unmapped_url", {
      body: lockinfo("exclusive"),
      headers: { Depth: "0" },
    });
    assertEquals(r.status, 201);
    const unmapped = r.headers.get("Lock-Token")!.slice(1, -1);
    await r.body?.cancel();
    assertEquals((await fx.fs.stat("/unmapped_url")).size, 0);
    r = await send(fx, "UNLOCK", "/unmapped_url", { headers: { "Lock-Token": `<${unmapped}>` } });
    assertEquals(r.status, 204);
    assertEquals(fx.locks.size, 0);
  } finally {
    await fx.close();
  }
});
