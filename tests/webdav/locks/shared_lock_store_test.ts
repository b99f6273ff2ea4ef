// SharedLockStore: the WebDAV locks of a job as a document in the store's
// metadata, mirrored in memory. Two stores over one data directory stand for two
// processes: what one commits the other sees after a refresh, generations grow
// across both, changes take the lease (and wait for it, boundedly), a commit
// that lost its compare-and-set is refused and undone, and an old lock file is
// taken in once.

import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { DavError } from "../../../webdav/dav_error.ts";
import { LockTable } from "../../../webdav/locks/lock_table.ts";
import { FileLockStore } from "../../../webdav/locks/store/file_lock_store.ts";
import {
  type LockDocumentStore,
  SharedLockStore,
  type SharedLockStoreOptions,
} from "../../../webdav/locks/store/shared_lock_store.ts";
import { assert, assertEquals } from "../../support/assert.ts";

const JOB = "dav-shared";
const NAME = `webdav-locks/${JOB}`;

interface Pair {
  dir: string;
  one: EmbeddedStore;
  two: EmbeddedStore;
  close(): Promise<void>;
}

/** Two embedded stores over one data directory (two processes, as far as the locks go). */
async function openPair(): Promise<Pair> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-shared-locks-" });
  const one = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  const two = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  return {
    dir,
    one,
    two,
    async close() {
      await one.close();
      await two.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function pairTest(name: string, fn: (pair: Pair) => Promise<void>): void {
  Deno.test(`SharedLockStore: ${name}`, async () => {
    const pair = await openPair();
    try {
      await fn(pair);
    } finally {
      await pair.close();
    }
  });
}

async function tableOver(
  store: EmbeddedStore,
  options?: SharedLockStoreOptions,
): Promise<{ shared: SharedLockStore; table: LockTable }> {
  const shared = await SharedLockStore.open(store.metadataStore, JOB, options);
  return { shared, table: new LockTable({ store: shared }) };
}

function lockIn(table: LockTable, root: string, scope: "exclusive" | "shared" = "exclusive") {
  return table.tryLock({ root, scope, depth: 0, timeoutSeconds: 600 });
}

async function rejectsWith503(promise: Promise<unknown>): Promise<DavError> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof DavError, `a DavError, got ${error}`);
    assertEquals(error.status, 503);
    assertEquals(error.headers["Retry-After"], "1");
    return error;
  }
  throw new Error("expected a 503");
}

pairTest("a lock committed through one store is seen by the other after refresh", async (p) => {
  const a = await tableOver(p.one);
  const b = await tableOver(p.two);
  assertEquals(await p.one.metadataStore.documentVersion(NAME), 0); // nothing written yet
  const { lock } = await a.shared.change(() => Promise.resolve(lockIn(a.table, "/f")));
  assert(lock);
  assertEquals(await p.one.metadataStore.documentVersion(NAME), 1);
  const stored = JSON.parse((await p.two.metadataStore.document(NAME))!.body);
  assertEquals(stored.version, 1);
  assertEquals(stored.nextGeneration, 1);
  assertEquals(stored.locks.map((entry: { generation: number }) => entry.generation), [0]);
  assertEquals(b.table.get(lock.token), undefined); // not refreshed yet
  await b.shared.refresh();
  assertEquals(b.table.get(lock.token)?.root, "/f");
  assertEquals(b.shared.documentVersion, 1);
  // A conflicting lock through the other store is refused; its unlock is seen by the first.
  const refused = await b.shared.change(() => Promise.resolve(lockIn(b.table, "/f", "shared")));
  assertEquals(refused.conflicts?.map((l) => l.token), [lock.token]);
  assert(await b.shared.change(() => Promise.resolve(b.table.unlock(lock.token))));
  await a.shared.refresh();
  assertEquals(a.table.size, 0);
});

pairTest(
  "generations grow across stores; a checkpoint keeps another store's later lock",
  async (p) => {
    const a = await tableOver(p.one);
    const b = await tableOver(p.two);
    const first = (await a.shared.change(() => Promise.resolve(lockIn(a.table, "/d/x")))).lock!;
    const second = (await b.shared.change(() => Promise.resolve(lockIn(b.table, "/d/y")))).lock!;
    await a.shared.refresh();
    assertEquals(a.shared.generationOf(first.token), 0);
    assertEquals(a.shared.generationOf(second.token), 1);
    assertEquals(b.shared.generationOf(second.token), 1);
    // A DELETE through A that checked before B's lock was granted drops only the first.
    const checkpoint = 1;
    await a.shared.change(() =>
      Promise.resolve(a.table.removeTree("/d", { grantedBefore: checkpoint }))
    );
    await b.shared.refresh();
    assertEquals(b.table.list().map((l) => l.token), [second.token]);
    assertEquals(b.shared.checkpoint(), 2);
  },
);

pairTest("refresh reads the document only when its version changed", async (p) => {
  const reads = { version: 0, document: 0 };
  const metadata = p.two.metadataStore;
  const counting: LockDocumentStore = {
    documentVersion: (name) => (reads.version++, metadata.documentVersion(name)),
    document: (name) => (reads.document++, metadata.document(name)),
    transaction: (fn, options) => metadata.transaction(fn, options),
  };
  const a = await tableOver(p.one);
  const b = await SharedLockStore.open(counting, JOB);
  const start = { ...reads };
  for (let i = 0; i < 5; i++) await b.refresh();
  assertEquals(reads.version - start.version, 5);
  assertEquals(reads.document - start.document, 0);
  await a.shared.change(() => Promise.resolve(lockIn(a.table, "/g")));
  await b.refresh();
  await b.refresh();
  assertEquals(reads.document - start.document, 1);
  assertEquals(b.size, 1);
});

pairTest(
  "a change that changes no lock writes nothing; one whose work throws still commits",
  async (p) => {
    const a = await tableOver(p.one);
    assertEquals(
      await a.shared.change(() => Promise.resolve(a.table.conflicts("/h", "exclusive", 0))),
      [],
    );
    assertEquals(await p.one.metadataStore.documentVersion(NAME), 0);
    let token = "";
    await assertRejectsWith(
      a.shared.change(() => {
        token = lockIn(a.table, "/h").lock!.token;
        return Promise.reject(new Error("the handler failed after locking"));
      }),
      "the handler failed after locking",
    );
    const b = await tableOver(p.two);
    assertEquals(b.table.get(token)?.root, "/h"); // what the table holds is what the document holds
  },
);

pairTest("a change waits for another holder's lease, boundedly, then answers 503", async (p) => {
  const a = await tableOver(p.one, { waitMs: 300 });
  const metadata = p.two.metadataStore;
  assert(await metadata.transaction((tx) => tx.takeLease(NAME, "other", Date.now(), 60_000)));
  const started = performance.now();
  await rejectsWith503(a.shared.change(() => Promise.resolve(lockIn(a.table, "/l"))));
  const waited = performance.now() - started;
  assert(waited >= 250 && waited < 2000, `waited ${waited} ms`);
  assertEquals(a.table.size, 0);
  // The holder gives it up while a change waits: the change goes through.
  const waiting = a.shared.change(() => Promise.resolve(lockIn(a.table, "/l")));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await metadata.transaction((tx) => tx.dropLease(NAME, "other"));
  assert((await waiting).lock);
});

pairTest("a lease whose holder died is taken once it expires", async (p) => {
  const a = await tableOver(p.one, { waitMs: 5000 });
  await p.two.metadataStore.transaction((tx) => tx.takeLease(NAME, "crashed", Date.now(), 300));
  const started = performance.now();
  assert((await a.shared.change(() => Promise.resolve(lockIn(a.table, "/m")))).lock);
  const waited = performance.now() - started;
  assert(waited >= 200 && waited < 3000, `waited ${waited} ms`);
});

pairTest("the lease is renewed while a slow change runs, and dropped when it ends", async (p) => {
  const a = await tableOver(p.one, { leaseTtlMs: 150 });
  const b = await tableOver(p.two, { waitMs: 50 });
  const gate = Promise.withResolvers<void>();
  const slow = a.shared.change(async () => {
    await gate.promise;
    return lockIn(a.table, "/slow");
  });
  // For ~4 TTLs the other store cannot get the lease: it is renewed.
  for (let i = 0; i < 6; i++) {
    await rejectsWith503(b.shared.change(() => Promise.resolve(lockIn(b.table, "/other"))));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  gate.resolve();
  assert((await slow).lock);
  // Dropped at once: the other store's next change needs no wait.
  assert((await b.shared.change(() => Promise.resolve(lockIn(b.table, "/other")))).lock);
  assertEquals(b.table.list().map((l) => l.root).sort(), ["/other", "/slow"]);
});

pairTest("changes of one process take turns; a turn not had within waitMs is a 503", async (p) => {
  const a = await tableOver(p.one, { waitMs: 200 });
  const order: string[] = [];
  const gate = Promise.withResolvers<void>();
  const first = a.shared.change(async () => {
    order.push("first starts");
    await gate.promise;
    order.push("first ends");
  });
  const second = a.shared.change(() => Promise.resolve(void order.push("second")));
  await rejectsWith503(second);
  const third = a.shared.change(() => Promise.resolve(void order.push("third")));
  gate.resolve();
  await first;
  await third;
  assertEquals(order, ["first starts", "first ends", "third"]);
});

pairTest("a commit whose compare-and-set fails is a 503 and the mirror is reloaded", async (p) => {
  const a = await tableOver(p.one);
  const metadata = p.two.metadataStore;
  const refused = a.shared.change(async () => {
    const outcome = lockIn(a.table, "/cas");
    // Another writer (whose lease found ours expired) commits meanwhile.
    const body = JSON.stringify({ version: 1, nextGeneration: 5, locks: [] });
    assert(await metadata.transaction((tx) => tx.putDocument(NAME, body, 0)));
    return outcome;
  });
  await rejectsWith503(refused);
  assertEquals(a.table.size, 0); // the lock it granted is undone
  assertEquals(a.shared.documentVersion, 1);
  assertEquals(a.shared.checkpoint(), 5);
  // The next change goes through on the reloaded mirror.
  assert((await a.shared.change(() => Promise.resolve(lockIn(a.table, "/cas")))).lock);
  assertEquals(await metadata.documentVersion(NAME), 2);
});

pairTest("an old lock file is taken in when there is no document, and only then", async (p) => {
  const file = `${p.dir}/webdav-locks-${JOB}.json`;
  const old = new FileLockStore(file);
  const expiresAt = Date.now() + 600_000;
  old.put({
    token: "urn:uuid:old-1",
    root: "/a",
    scope: "exclusive",
    depth: 0,
    timeoutSeconds: 600,
    expiresAt,
  });
  old.put({
    token: "urn:uuid:old-2",
    root: "/b",
    scope: "shared",
    depth: "infinity",
    timeoutSeconds: 600,
    expiresAt,
    collection: true,
  });
  const a = await tableOver(p.one, { importFile: file });
  assertEquals(a.table.list().map((l) => l.token), ["urn:uuid:old-1", "urn:uuid:old-2"]);
  assertEquals(a.table.get("urn:uuid:old-2")?.collection, true);
  assertEquals(a.shared.checkpoint(), 2);
  assertEquals(await p.one.metadataStore.documentVersion(NAME), 1);
  // Unlocked through the shared store, then opened again with the file still there:
  // the document exists, so the file's locks do not come back.
  await a.shared.change(() => Promise.resolve(a.table.unlock("urn:uuid:old-1")));
  const b = await tableOver(p.two, { importFile: file });
  assertEquals(b.table.list().map((l) => l.token), ["urn:uuid:old-2"]);
  // A missing file is no locks.
  const c = await SharedLockStore.open(p.one.metadataStore, "other-job", {
    importFile: `${p.dir}/missing.json`,
  });
  assertEquals(c.size, 0);
});

pairTest("an unreadable document is no locks", async (p) => {
  await p.one.metadataStore.transaction((tx) => tx.putDocument(NAME, "not json", 0));
  const a = await tableOver(p.one);
  assertEquals(a.table.size, 0);
  assert((await a.shared.change(() => Promise.resolve(lockIn(a.table, "/n")))).lock);
  assertEquals(JSON.parse((await p.one.metadataStore.document(NAME))!.body).locks.length, 1);
});

async function assertRejectsWith(promise: Promise<unknown>, message: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assertEquals((error as Error).message, message);
    return;
  }
  throw new Error(`expected a rejection: ${message}`);
}
