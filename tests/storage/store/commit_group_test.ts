// Group commit of SqliteMetadataStore: durable transactions that arrive while a
// sync of the WAL is under way run together in one transaction once it ends, each
// in its own savepoint; a failing member affects only its caller; every member is
// answered only once the group's commit is on disk.

import { assert, assertEquals, assertRejects } from "../../support/assert.ts";
import { SqliteMetadataStore } from "../../../src/storage/store/metadata/sqlite_metadata_store.ts";
import { TransactionConflict } from "../../../src/storage/store/metadata/metadata_store.ts";

async function withStore(fn: (store: SqliteMetadataStore) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "commit-group-" });
  const store = SqliteMetadataStore.open(`${dir}/metadata.db`);
  try {
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Commits one transaction and returns once its sync is under way, with its
 * promise (wrapped: an async function would wait for it).
 */
async function startSync(
  store: SqliteMetadataStore,
  job: string,
): Promise<{ first: Promise<void> }> {
  const first = store.transaction((tx) => tx.ensureJob(job, 1));
  for (let i = 0; i < 1000 && !store.database.syncInProgress; i++) await Promise.resolve();
  assert(store.database.syncInProgress, "the first transaction's sync is under way");
  return { first };
}

Deno.test("transactions arriving during a sync commit once, together; a failing one alone fails", async () => {
  await withStore(async (store) => {
    const { first } = await startSync(store, "first");
    const before = store.database.commitCount;
    const mark = (job: string) =>
      store.transaction(async (tx) => {
        await tx.ensureJob(job, 1);
        await tx.addUsage(job, 1, 10);
        return job;
      });
    const results = await Promise.allSettled([
      mark("a"),
      store.transaction(async (tx) => {
        await tx.ensureJob("broken", 1);
        await tx.addUsage("broken", 1, 10);
        throw new Error("this member fails");
      }),
      mark("b"),
    ]);
    await first;
    assertEquals(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    assertEquals((results[0] as PromiseFulfilledResult<string>).value, "a");
    assertEquals(
      ((results[1] as PromiseRejectedResult).reason as Error).message,
      "this member fails",
    );
    assertEquals(store.database.commitCount, before + 1, "one COMMIT for the three of them");
    assertEquals(await store.usage("a"), { objects: 1, bytes: 10 });
    assertEquals(await store.usage("b"), { objects: 1, bytes: 10 });
    // The failing member's writes were rolled back to its savepoint.
    assertEquals(await store.usage("broken"), { objects: 0, bytes: 0 });
  });
});

Deno.test("a grouped member is answered only once the group's commit is on disk", async () => {
  await withStore(async (store) => {
    const { first } = await startSync(store, "first");
    const durableWhenAnswered: boolean[] = [];
    const members = [0, 1, 2].map((i) =>
      store.transaction((tx) => tx.ensureJob(`job-${i}`, 1)).then(() => {
        durableWhenAnswered.push(store.database.isDurable);
      })
    );
    await Promise.all([first, ...members]);
    assertEquals(durableWhenAnswered, [true, true, true]);
  });
});

Deno.test("a member meeting a TransactionConflict runs again on its own; the others are kept", async () => {
  await withStore(async (store) => {
    const { first } = await startSync(store, "first");
    let attempts = 0;
    const conflicted = store.transaction(async (tx) => {
      attempts++;
      await tx.ensureJob("retried", 1);
      await tx.addUsage("retried", 1, 5);
      if (attempts === 1) throw new TransactionConflict("changed under it");
      return attempts;
    });
    const other = store.transaction((tx) => tx.addUsage("first", 1, 1));
    assertEquals(await conflicted, 2);
    await Promise.all([first, other]);
    assertEquals(await store.usage("retried"), { objects: 1, bytes: 5 }, "applied once");
    assertEquals(await store.usage("first"), { objects: 1, bytes: 1 });
  });
});

Deno.test("a transaction that needs no sync runs at once, even during a sync", async () => {
  await withStore(async (store) => {
    const { first } = await startSync(store, "first");
    const before = store.database.commitCount;
    const quick = store.transaction((tx) => tx.ensureJob("quick", 1), { durable: false });
    // It does not wait for the sync under way.
    for (let i = 0; i < 1000 && store.database.commitCount === before; i++) {
      await Promise.resolve();
    }
    assertEquals(store.database.commitCount, before + 1);
    assert(store.database.syncInProgress, "committed while the sync was still under way");
    await Promise.all([first, quick]);
  });
});

Deno.test("closing with a group gathered: its members fail as closed, close resolves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "commit-group-" });
  try {
    const store = SqliteMetadataStore.open(`${dir}/metadata.db`);
    const { first } = await startSync(store, "first");
    const member = store.transaction(async (tx) => {
      await tx.ensureJob("late", 1);
      await tx.addUsage("late", 1, 1);
    });
    await store.close();
    await first;
    await assertRejects(() => member, Error, "closed");
    // Nothing of the member was written.
    const reopened = SqliteMetadataStore.open(`${dir}/metadata.db`);
    try {
      assertEquals(await reopened.usage("late"), { objects: 0, bytes: 0 });
    } finally {
      await reopened.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a member that always conflicts gives up after the retries, the group's others are kept", async () => {
  await withStore(async (store) => {
    const { first } = await startSync(store, "first");
    let attempts = 0;
    const hopeless = store.transaction(async (tx) => {
      attempts++;
      await tx.ensureJob("hopeless", 1);
      throw new TransactionConflict("always changed");
    });
    const other = store.transaction(async (tx) => {
      await tx.ensureJob("kept", 1);
      await tx.addUsage("kept", 1, 3);
    });
    await assertRejects(() => hopeless, Error, "too many times");
    await Promise.all([first, other]);
    assert(attempts > 1 && attempts <= 10, `a bounded number of attempts (${attempts})`);
    assertEquals(await store.usage("kept"), { objects: 1, bytes: 3 });
  });
});

Deno.test("transactions that waited for their turn behind a group join the next group", async () => {
  await withStore(async (store) => {
    const { first } = await startSync(store, "first");
    const before = store.database.commitCount;
    let waiting: Promise<void>[] = [];
    const member = store.transaction(async (tx) => {
      await tx.ensureJob("group", 1);
      // Started while the group runs (its sync not started yet): they wait for the turn.
      waiting = ["x", "y"].map((job) => store.transaction((t) => t.ensureJob(job, 1)));
    });
    await Promise.all([first, member]);
    await Promise.all(waiting);
    assertEquals(waiting.length, 2);
    assertEquals(store.database.commitCount, before + 2, "the group, then one for both");
    assertEquals(store.database.isDurable, true);
  });
});
