import { DavError } from "../../../webdav/dav_error.ts";
import { MemoryLockManager } from "../../../webdav/locks/lock_manager.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "../../support/assert.ts";

type Scope = "exclusive" | "shared";
type Depth = 0 | "infinity";

Deno.test("lock manager: conflict table (exclusive/shared × depth 0/infinity × self/ancestor/descendant/sibling)", () => {
  const scopes: Scope[] = ["exclusive", "shared"];
  const depths: Depth[] = [0, "infinity"];
  // Where the second lock is taken, relative to the first one on /c/x (a collection).
  const places: { name: string; root: string }[] = [
    { name: "self", root: "/c/x" },
    { name: "ancestor", root: "/c" },
    { name: "descendant", root: "/c/x/y/z" },
    { name: "sibling", root: "/c/y" },
  ];
  let checked = 0;
  for (const s1 of scopes) {
    for (const d1 of depths) {
      for (const s2 of scopes) {
        for (const d2 of depths) {
          for (const place of places) {
            const locks = new MemoryLockManager();
            const first = locks.tryLock({ root: "/c/x", scope: s1, depth: d1, collection: true });
            assert(first.lock);
            // Does the first lock's scope touch the second's root, or the second's scope the first's root?
            const overlaps = place.name === "self" ||
              (place.name === "ancestor" && d2 === "infinity") ||
              (place.name === "descendant" && d1 === "infinity");
            const shouldConflict = overlaps && (s1 === "exclusive" || s2 === "exclusive");
            const second = locks.tryLock({ root: place.root, scope: s2, depth: d2 });
            const label = `${s1}/${d1} on /c/x, then ${s2}/${d2} on ${place.name}`;
            assertEquals(second.conflicts !== undefined, shouldConflict, label);
            if (second.conflicts) {
              assertEquals(second.conflicts.map((l) => l.token), [first.lock.token]);
            }
            assertEquals(locks.size, shouldConflict ? 1 : 2, label);
            checked++;
          }
        }
      }
    }
  }
  assertEquals(checked, 64);
});

Deno.test("lock manager: tokens, covering and below, removeTree", () => {
  const locks = new MemoryLockManager();
  const a = locks.tryLock({ root: "/a", scope: "shared", depth: "infinity", collection: true })
    .lock!;
  const b = locks.tryLock({ root: "/a/b", scope: "shared", depth: 0 }).lock!;
  const c = locks.tryLock({ root: "/ab", scope: "exclusive", depth: 0 }).lock!;
  assertMatch(a.token, /^urn:uuid:[0-9a-f-]{36}$/);
  assert(a.token !== b.token);
  const tokens = (list: { token: string }[]) => list.map((l) => l.token).sort();
  assertEquals(tokens(locks.locksCovering("/a/b")), [a.token, b.token].sort());
  assertEquals(tokens(locks.locksCovering("/a/b/c")), [a.token]); // b is depth 0
  assertEquals(tokens(locks.locksCovering("/ab")), [c.token]); // /ab is not below /a
  assertEquals(tokens(locks.locksBelow("/a")), [b.token]);
  assertEquals(tokens(locks.locksBelow("/")), [a.token, b.token, c.token].sort());
  assertEquals(locks.get(b.token)?.root, "/a/b");
  // Returned records are copies.
  locks.get(b.token)!.root = "/elsewhere";
  assertEquals(locks.get(b.token)?.root, "/a/b");
  locks.removeTree("/a");
  assertEquals(tokens(locks.list()), [c.token]);
  assert(!locks.unlock(a.token));
  assert(locks.unlock(c.token));
  assertEquals(locks.size, 0);
});

Deno.test("lock manager: timeouts with an injected clock; expired locks vanish and stop conflicting", () => {
  let now = 5_000_000;
  const locks = new MemoryLockManager({
    now: () => now,
    defaultTimeoutSeconds: 600,
    maxTimeoutSeconds: 3600,
  });
  assertEquals(locks.timeoutFor(null), 600);
  assertEquals(locks.timeoutFor("Second-100"), 100);
  assertEquals(locks.timeoutFor("second-100"), 100);
  assertEquals(locks.timeoutFor("Infinite"), 3600);
  assertEquals(locks.timeoutFor("Infinite, Second-4100000000"), 3600);
  assertEquals(locks.timeoutFor("Second-4100000000"), 3600);
  assertEquals(locks.timeoutFor("Second-0"), 1);
  assertEquals(locks.timeoutFor("bogus, Second-42"), 42);
  assertEquals(locks.timeoutFor("bogus"), 600);

  const lock = locks.tryLock({ root: "/f", scope: "exclusive", depth: 0, timeoutSeconds: 100 })
    .lock!;
  assertEquals(lock.timeoutSeconds, 100);
  assertEquals(lock.expiresAt, now + 100_000);
  now += 99_999;
  assertEquals(locks.locksCovering("/f").length, 1);
  assert(locks.tryLock({ root: "/f", scope: "shared", depth: 0 }).conflicts);
  // Refresh extends from now.
  assertEquals(locks.refresh(lock.token, 50)?.expiresAt, now + 50_000);
  now += 50_000;
  assertEquals(locks.locksCovering("/f").length, 0);
  assertEquals(locks.get(lock.token), undefined);
  assertEquals(locks.refresh(lock.token, 50), undefined);
  assert(!locks.unlock(lock.token));
  assert(locks.tryLock({ root: "/f", scope: "exclusive", depth: 0 }).lock);
  // A requested timeout beyond the maximum is capped.
  const long = locks.tryLock({ root: "/g", scope: "shared", depth: 0, timeoutSeconds: 1e12 }).lock!;
  assertEquals(long.timeoutSeconds, 3600);
});

Deno.test("lock manager: the sweep drops expired locks nobody looks at; the table is bounded", () => {
  let now = 0;
  const locks = new MemoryLockManager({ now: () => now, sweepIntervalMs: 1000, maxLocks: 50 });
  for (let i = 0; i < 50; i++) {
    assert(
      locks.tryLock({ root: `/f${i}`, scope: "exclusive", depth: 0, timeoutSeconds: 10 }).lock,
    );
  }
  const error = assertThrows(
    () => locks.tryLock({ root: "/more", scope: "exclusive", depth: 0 }),
    DavError,
  );
  assertEquals(error.status, 503);
  now += 11_000;
  // Any access after the sweep interval empties the table of expired locks.
  assertEquals(locks.locksCovering("/unrelated").length, 0);
  assertEquals(locks.list().length, 0);
  assert(locks.tryLock({ root: "/more", scope: "exclusive", depth: 0 }).lock);
});

Deno.test("lock manager: persisted to a JSON file, atomically replaced, reloaded without expired locks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-locks-" });
  try {
    const file = `${dir}/locks.json`;
    let now = 1_000;
    const first = new MemoryLockManager({ now: () => now, persistPath: file });
    const keep = first.tryLock({
      root: "/d",
      collection: true,
      scope: "shared",
      depth: "infinity",
      ownerXml: '<D:owner xmlns:D="DAV:">me</D:owner>',
      principal: "alice",
      timeoutSeconds: 1000,
    }).lock!;
    const short = first.tryLock({ root: "/e", scope: "exclusive", depth: 0, timeoutSeconds: 5 })
      .lock!;
    assertEquals(JSON.parse(await Deno.readTextFile(file)).locks.length, 2);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["locks.json"]); // no temp file left
    now += 6_000;
    const second = new MemoryLockManager({ now: () => now, persistPath: file });
    assertEquals(second.list(), [keep]);
    assertEquals(second.get(short.token), undefined);
    second.unlock(keep.token);
    assertEquals(new MemoryLockManager({ now: () => now, persistPath: file }).size, 0);
    // A corrupt file is treated as no locks.
    await Deno.writeTextFile(file, "{not json");
    assertEquals(new MemoryLockManager({ persistPath: file }).size, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
