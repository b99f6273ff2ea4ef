import { assertCanModify, assertIfHeader } from "../../../webdav/locks/lock_guard.ts";
import { assertEquals } from "../../support/assert.ts";
import { davError, etagOf, href, openDav, ORIGIN } from "./support/lock_fixtures.ts";

Deno.test("lock guard: 412 for a false If header, 423 for an unsubmitted lock, 400 for a malformed one", async () => {
  const fx = await openDav();
  try {
    await fx.fs.writeTextFile("/f", "x");
    const etag = await etagOf(fx.fs, "/f");
    const modify = (headers: Record<string, string>, principal?: string) => {
      const ctx = fx.ctx("/f", { method: "PUT", headers, ...(principal ? { principal } : {}) });
      return assertCanModify(ctx, [{ path: "/f", depth: 0 }]);
    };
    // Unlocked: only the If header matters.
    await modify({});
    await modify({ If: `([${etag}])` });
    await modify({ If: "(Not <DAV:no-lock>)" });
    assertEquals((await davError(() => modify({ If: '(["other"])' }))).status, 412);
    assertEquals((await davError(() => modify({ If: "(<DAV:no-lock>)" }))).status, 412);
    assertEquals((await davError(() => modify({ If: "(<DAV:no-lock" }))).status, 400);

    const { lock } = fx.locks.tryLock({
      root: "/f",
      scope: "exclusive",
      depth: 0,
      principal: "alice",
    });
    const token = lock!.token;
    const locked = await davError(() => modify({}, "alice"));
    assertEquals([locked.status, locked.condition, locked.hrefs], [
      423,
      "lock-token-submitted",
      [href("/f")],
    ]);
    await modify({ If: `(<${token}>)` }, "alice");
    await modify({ If: `(<${token}> [${etag}])` }, "alice");
    await modify({ If: `<${ORIGIN}${href("/f")}> (<${token}>)` }, "alice");
    await modify({ If: `<${href("/f")}> (<${token}>)` }, "alice"); // a path-only tag
    // A token named in a header that is true as a whole counts (RFC 4918 §10.4.1).
    await modify({ If: `(<${token}> ["stale"]) (Not <DAV:no-lock>)` }, "alice");
    // A corrupted token: the header is true but no token for the lock → 423.
    assertEquals(
      (await davError(() => modify({ If: `(<${token}x>) (Not <DAV:no-lock>)` }, "alice"))).status,
      423,
    );
    // The right token in a false header → 412 first.
    assertEquals(
      (await davError(() => modify({ If: `(<${token}> ["stale"])` }, "alice"))).status,
      412,
    );
    // Another principal submitting alice's token gets 423, as without one.
    assertEquals((await davError(() => modify({ If: `(<${token}>)` }, "bob"))).status, 423);
    assertEquals((await davError(() => modify({ If: `(<${token}>)` }))).status, 423);
    // A tag on another server never resolves: its list is false.
    assertEquals(
      (await davError(() => modify({ If: `<http://elsewhere.test/dav/f> (<${token}>)` }, "alice")))
        .status,
      412,
    );
  } finally {
    await fx.close();
  }
});

Deno.test("lock guard: assertIfHeader (GET, PROPFIND) checks the header but never asks for tokens", async () => {
  const fx = await openDav();
  try {
    await fx.fs.writeTextFile("/f", "x");
    fx.locks.tryLock({ root: "/f", scope: "exclusive", depth: 0 });
    const read = (headers: Record<string, string>) => {
      const ctx = fx.ctx("/f", { headers });
      return assertIfHeader(ctx);
    };
    await read({});
    await read({ If: `([${await etagOf(fx.fs, "/f")}])` });
    assertEquals((await davError(() => read({ If: "(<urn:uuid:nope>)" }))).status, 412);
    assertEquals((await davError(() => read({ If: "nonsense" }))).status, 400);
  } finally {
    await fx.close();
  }
});

Deno.test("lock guard: which locks guard a target (self, ancestors, below for infinity, parent for membership)", async () => {
  const fx = await openDav();
  try {
    await fx.fs.mkdir("/c/sub", { recursive: true });
    await fx.fs.writeTextFile("/c/sub/deep.txt", "x");
    await fx.fs.writeTextFile("/c/f.txt", "x");
    const guard = async (
      path: string,
      depth: 0 | "infinity",
      headers: Record<string, string> = {},
    ) => {
      const ctx = fx.ctx(path, { method: "X", headers });
      try {
        await assertCanModify(ctx, [{ path, depth }]);
        return 200;
      } catch (error) {
        return (error as { status: number }).status;
      }
    };

    // A depth-0 lock on the collection /c: membership changes need its token, content changes of members do not.
    const c0 = fx.locks.tryLock({ root: "/c", scope: "exclusive", depth: 0, collection: true })
      .lock!;
    assertEquals(await guard("/c/f.txt", 0), 200); // PUT over an existing member
    assertEquals(await guard("/c/new.txt", 0), 423); // a new member
    assertEquals(await guard("/c/f.txt", "infinity"), 423); // DELETE/MOVE of a member
    assertEquals(await guard("/c/sub/deep.txt", "infinity"), 200); // a grandchild
    assertEquals(await guard("/c", 0), 423); // the collection itself
    const tagged = { If: `<${href("/c", true)}> (<${c0.token}>)` };
    assertEquals(await guard("/c/new.txt", 0, tagged), 200);
    assertEquals(await guard("/c/f.txt", "infinity", tagged), 200);
    fx.locks.unlock(c0.token);

    // A depth-infinity lock on /c/sub guards everything below it, and DELETE of /c (a lock below).
    const sub = fx.locks.tryLock({
      root: "/c/sub",
      scope: "shared",
      depth: "infinity",
      collection: true,
    }).lock!;
    assertEquals(await guard("/c/sub/deep.txt", 0), 423);
    assertEquals(await guard("/c/sub/new/x", 0), 423);
    assertEquals(await guard("/c", "infinity"), 423);
    assertEquals(await guard("/", "infinity"), 423);
    assertEquals(await guard("/c", 0), 200); // PROPPATCH of /c: not covered
    assertEquals(await guard("/c/f.txt", "infinity"), 200); // a sibling tree
    // Untagged tokens are evaluated against the request's resource: a new member inherits the
    // depth-infinity lock, so the token matches there too.
    assertEquals(await guard("/c/sub/new.txt", 0, { If: `(<${sub.token}>)` }), 200);
    // DELETE /c with the token of the lock below, tagged with its root.
    assertEquals(
      await guard("/c", "infinity", { If: `<${href("/c/sub", true)}> (<${sub.token}>)` }),
      200,
    );
    const error = await davError(async () => {
      const ctx = fx.ctx("/c", { method: "DELETE" });
      await assertCanModify(ctx, [{ path: "/c", depth: "infinity" }]);
    });
    assertEquals(error.hrefs, [href("/c/sub", true)]);
  } finally {
    await fx.close();
  }
});

Deno.test("lock guard: several targets (MOVE) need a token for every locked resource (one of its shared locks' is enough); hrefs list each root once", async () => {
  const fx = await openDav();
  try {
    await fx.fs.writeTextFile("/a", "x");
    await fx.fs.writeTextFile("/b", "x");
    const a = fx.locks.tryLock({ root: "/a", scope: "exclusive", depth: 0 }).lock!;
    const b = fx.locks.tryLock({ root: "/b", scope: "shared", depth: 0 }).lock!;
    fx.locks.tryLock({ root: "/b", scope: "shared", depth: 0 });
    const move = (headers: Record<string, string>) => {
      const ctx = fx.ctx("/a", { method: "MOVE", headers });
      return assertCanModify(ctx, [
        { path: "/a", depth: "infinity" },
        { path: "/b", depth: "infinity" },
      ]);
    };
    const none = await davError(() => move({}));
    assertEquals(none.hrefs, [href("/a"), href("/b")]);
    const onlyA = await davError(() => move({ If: `(<${a.token}>)` }));
    assertEquals(onlyA.hrefs, [href("/b")]);
    // Of the two shared locks on /b, one token is enough (RFC 4918 §6.2, §7.5)…
    await move({ If: `<${href("/a")}> (<${a.token}>) <${href("/b")}> (<${b.token}>)` });
    const all = fx.locks.locksCovering("/b").map((l) => `(<${l.token}>)`).join(" ");
    await move({ If: `<${href("/a")}> (<${a.token}>) <${href("/b")}> ${all}` });
    // …but the exclusive lock on /a still needs its own.
    const onlyB = await davError(() => move({ If: `<${href("/b")}> (<${b.token}>)` }));
    assertEquals(onlyB.hrefs, [href("/a")]);
  } finally {
    await fx.close();
  }
});

Deno.test("lock guard: expired locks guard nothing", async () => {
  const fx = await openDav();
  try {
    await fx.fs.writeTextFile("/f", "x");
    fx.locks.tryLock({ root: "/f", scope: "exclusive", depth: 0, timeoutSeconds: 10 });
    const modify = () => {
      const ctx = fx.ctx("/f", { method: "PUT" });
      return assertCanModify(ctx, [{ path: "/f", depth: 0 }]);
    };
    assertEquals((await davError(modify)).status, 423);
    fx.clock.now += 10_000;
    await modify();
  } finally {
    await fx.close();
  }
});
