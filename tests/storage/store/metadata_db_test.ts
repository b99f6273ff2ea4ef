// The metadata database's group commit: commits are atomic when they return and
// durable once flush() resolves; concurrent flushes share fdatasyncs.

import { assert, assertEquals } from "../../support/assert.ts";
import { MetadataDb } from "../../../src/storage/store/metadata/sqlite_db.ts";

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
