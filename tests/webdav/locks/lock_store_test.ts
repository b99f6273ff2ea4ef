// The lock store seam: the lock table's rules hold over any LockStore, and what a
// store sees of them is plain records by token and root path.
import { LockTable } from "../../../webdav/locks/lock_table.ts";
import type { LockRecord } from "../../../webdav/locks/lock_record.ts";
import type { LockStore } from "../../../webdav/locks/store/lock_store.ts";
import { FileLockStore } from "../../../webdav/locks/store/file_lock_store.ts";
import { MemoryLockStore } from "../../../webdav/locks/store/memory_lock_store.ts";
import { assert, assertEquals } from "../../support/assert.ts";

Deno.test("lock store: two tables over one store share their locks (a store shared by servers)", () => {
  const store = new MemoryLockStore();
  const one = new LockTable({ store });
  const two = new LockTable({ store });
  const { lock } = one.tryLock({
    root: "/d",
    collection: true,
    scope: "exclusive",
    depth: "infinity",
  });
  assert(lock);
  assertEquals(two.locksCovering("/d/f").map((l) => l.token), [lock.token]);
  assertEquals(two.tryLock({ root: "/d/f", scope: "shared", depth: 0 }).conflicts?.length, 1);
  assert(two.unlock(lock.token));
  assertEquals(one.size, 0);
});

Deno.test("lock store: the table stores plain records, replaces on refresh, deletes expired ones it meets", () => {
  const calls: string[] = [];
  const inner = new MemoryLockStore();
  const store: LockStore = {
    get size() {
      return inner.size;
    },
    get: (token) => inner.get(token),
    list: () => inner.list(),
    listAt: (roots) => inner.listAt(roots),
    listBelow: (path) => inner.listBelow(path),
    put: (record: LockRecord) => {
      calls.push(`put ${record.root} ${record.timeoutSeconds}`);
      inner.put(record);
    },
    delete: (tokens) => {
      calls.push(`delete ${tokens.length}`);
      inner.delete(tokens);
    },
    generationOf: (token) => inner.generationOf(token),
    checkpoint: () => inner.checkpoint(),
  };
  let now = 0;
  const locks = new LockTable({ store, now: () => now });
  const { lock } = locks.tryLock({ root: "/a", scope: "shared", depth: 0, timeoutSeconds: 10 });
  assert(lock);
  assertEquals(inner.generationOf(lock.token), 0);
  locks.refresh(lock.token, 20);
  assertEquals(inner.generationOf(lock.token), 0); // a refresh keeps the generation
  assertEquals(inner.get(lock.token)?.timeoutSeconds, 20);
  now += 21_000;
  assertEquals(locks.locksCovering("/a"), []);
  assertEquals(calls, ["put /a 10", "put /a 20", "delete 1"]);
});

Deno.test("lock store: removeTree spares the locks granted after the checkpoint, whatever the store", () => {
  const locks = new LockTable({ store: new MemoryLockStore() });
  const early = locks.tryLock({ root: "/d/a", scope: "shared", depth: 0 }).lock!;
  const checkpoint = locks.checkpoint();
  const late = locks.tryLock({ root: "/d/b", scope: "shared", depth: 0 }).lock!;
  locks.removeTree("/d", { grantedBefore: checkpoint });
  assertEquals(locks.get(early.token), undefined);
  assertEquals(locks.get(late.token)?.root, "/d/b");
});

Deno.test("lock store: a file store's expired locks are dropped (and the file rewritten) when a table opens it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-lockstore-" });
  try {
    const path = `${dir}/locks.json`;
    let now = 1_000;
    const first = new LockTable({ store: new FileLockStore(path), now: () => now });
    first.tryLock({ root: "/short", scope: "exclusive", depth: 0, timeoutSeconds: 5 });
    const keep = first.tryLock({ root: "/keep", scope: "exclusive", depth: 0, timeoutSeconds: 500 })
      .lock!;
    assertEquals(JSON.parse(await Deno.readTextFile(path)).locks.length, 2);
    now += 10_000;
    const second = new LockTable({ store: new FileLockStore(path), now: () => now });
    assertEquals(second.list().map((l) => l.token), [keep.token]);
    const file = JSON.parse(await Deno.readTextFile(path));
    assertEquals(file.locks.map((l: LockRecord) => l.token), [keep.token]);
    assertEquals(new FileLockStore(path).path, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
