// The metadata database's group commit: commits are atomic when they return and
// durable once flush() resolves; concurrent flushes share fdatasyncs.

import { assert, assertEquals } from "../../support/assert.ts";
import { MetadataDb } from "../../../src/storage/store/metadata/sqlite_db.ts";
import { DatabaseSync } from "node:sqlite";

async function withDb(fn: (db: MetadataDb, path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "metadata-db-" });
  const path = `${dir}/metadata.sqlite`;
  const db = MetadataDb.open(path);
  try {
    await fn(db, path);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a commit is not durable until flush() resolves; then it is", async () => {
  await withDb(async (db) => {
    assert(db.isDurable, "a fresh database has nothing to flush");
    db.transaction(() => db.ensureJob("job-a", 1));
    assertEquals(db.isDurable, false);
    await db.flush();
    assertEquals(db.isDurable, true);
    // Nothing new to flush: resolves at once and stays durable.
    await db.flush();
    assertEquals(db.isDurable, true);
  });
});

Deno.test("concurrent flushes all resolve and cover every commit made before them", async () => {
  await withDb(async (db) => {
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      db.transaction(() => db.ensureJob(`job-${i}`, i));
      flushes.push(db.flush());
    }
    await Promise.all(flushes);
    assertEquals(db.isDurable, true);
    // A commit made while a sync runs is covered by a later one, not the running one.
    db.transaction(() => db.ensureJob("late-1", 1));
    const first = db.flush();
    db.transaction(() => db.ensureJob("late-2", 2));
    const second = db.flush();
    await first;
    await second;
    assertEquals(db.isDurable, true);
  });
});

Deno.test("flushed commits survive reopening", async () => {
  const dir = await Deno.makeTempDir({ prefix: "metadata-db-" });
  try {
    const path = `${dir}/metadata.sqlite`;
    const db = MetadataDb.open(path);
    db.transaction(() => {
      db.ensureJob("kept", 1);
      db.addUsage("kept", 3, 300);
    });
    await db.flush();
    db.close();
    const again = MetadataDb.open(path);
    try {
      assertEquals(again.usage("kept"), { objects: 3, bytes: 300 });
    } finally {
      again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** `DatabaseSync` with its `setAuthorizer`. */
interface Authorized {
  setAuthorizer(callback: () => number): void;
}

/** What an authorizer answers to let SQLite go on. */
const SQLITE_OK = 0;

Deno.test("reads with a bound LIMIT and transactions are compiled once: running them again compiles nothing", async () => {
  // SQLite calls the authorizer while it compiles a statement (and only then), so
  // counting its calls counts compilations, the silent ones included: since 3.46 a
  // bare `LIMIT ?` makes SQLite compile its statement again at each run.
  let compiled = 0;
  const exec = DatabaseSync.prototype.exec;
  const watched = new WeakSet<DatabaseSync>();
  DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string) {
    if (!watched.has(this)) {
      watched.add(this);
      // Deno has it (as Node 24 does); its types do not say so yet.
      (this as unknown as Authorized).setAuthorizer(() => {
        compiled++;
        return SQLITE_OK;
      });
    }
    return exec.call(this, sql);
  };
  try {
    await withDb((db) => {
      const encoder = new TextEncoder();
      const range = (lower: string, upper: string) => ({
        lower: encoder.encode(lower),
        inclusive: true,
        upper: encoder.encode(upper),
      });
      const reads: Record<string, (i: number) => unknown> = {
        listCurrent: (i) => db.listCurrent("job", range(`a${i}`, `a${i}\u{ff}`), 3 + i),
        listCurrentText: (i) => db.listCurrentText("job", range(`b${i}`, `b${i}\u{ff}`), 1 + i),
        listChunks: (i) => db.listChunks(i, 0, 1000 + i),
        retiredBefore: (i) => db.retiredBefore(i, 10 + i),
        expiredUploads: (i) => db.expiredUploads(i, 10 + i),
        candidates: (i) => db.candidates(new Uint8Array([i]), 100 + i),
        // A transaction's BEGIN, savepoints and COMMIT, and one undone.
        transaction: (i) =>
          db.transaction(() => {
            db.ensureJob(`job-${i}`, i);
            db.savepoint();
            db.releaseSavepoint();
            db.savepoint();
            db.rollbackToSavepoint();
          }),
        rollback: (i) => {
          db.begin();
          db.ensureJob(`gone-${i}`, i);
          db.rollback();
        },
      };
      const recompiled: Record<string, number> = {};
      for (const [name, read] of Object.entries(reads)) {
        read(0); // compiled now, once
        const before = compiled;
        for (let i = 1; i <= 5; i++) read(i);
        recompiled[name] = compiled - before;
      }
      assert(compiled > 0, "the authorizer saw no compilation at all");
      assertEquals(recompiled, {
        listCurrent: 0,
        listCurrentText: 0,
        listChunks: 0,
        retiredBefore: 0,
        expiredUploads: 0,
        candidates: 0,
        transaction: 0,
        rollback: 0,
      });
      return Promise.resolve();
    });
  } finally {
    DatabaseSync.prototype.exec = exec;
  }
});
