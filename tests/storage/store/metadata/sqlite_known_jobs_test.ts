/**
 * `MetadataDb.ensureJob` asks SQLite only until this connection has committed a
 * transaction that ensured the job (a job's row is never deleted): a write of a
 * known job costs one statement less. What a rolled-back transaction or member
 * ensured is not taken as known.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MetadataDb } from "../../../../src/storage/store/metadata/sqlite_db.ts";

async function withDb(fn: (db: MetadataDb, path: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const db = MetadataDb.open(`${dir}/metadata.db`, { durable: false, backgroundCheckpoint: false });
  try {
    await fn(db, `${dir}/metadata.db`);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function jobRows(path: string, job: string): number {
  const other = new DatabaseSync(path);
  try {
    const row = other.prepare("SELECT count(*) AS n FROM jobs WHERE job = ?").get(job) as {
      n: number;
    };
    return Number(row.n);
  } finally {
    other.close();
  }
}

Deno.test("ensureJob: once committed, a job is not inserted again", async () => {
  await withDb((db, path) => {
    db.transaction(() => db.ensureJob("home", 1));
    assert.equal(jobRows(path, "home"), 1);
    // Rows are never deleted; deleting one behind the connection's back shows that
    // the next ensureJob of a known job runs no statement.
    const other = new DatabaseSync(path);
    other.exec("DELETE FROM jobs WHERE job = 'home'");
    other.close();
    db.transaction(() => db.ensureJob("home", 2));
    assert.equal(jobRows(path, "home"), 0);
    // Another job is still asked for.
    db.transaction(() => db.ensureJob("work", 3));
    assert.equal(jobRows(path, "work"), 1);
  });
});

Deno.test("ensureJob: a job ensured in a rolled-back transaction is created again", async () => {
  await withDb((db, path) => {
    db.begin();
    db.ensureJob("home", 1);
    db.rollback();
    assert.equal(jobRows(path, "home"), 0);
    db.begin();
    db.ensureJob("home", 2);
    db.addUsage("home", 1, 5);
    db.commit();
    assert.deepEqual(db.usage("home"), { objects: 1, bytes: 5 });

    assert.throws(() =>
      db.transaction(() => {
        db.ensureJob("work", 3);
        throw new Error("stop");
      }), { message: "stop" });
    db.transaction(() => {
      db.ensureJob("work", 4);
      db.addUsage("work", 2, 7);
    });
    assert.deepEqual(db.usage("work"), { objects: 2, bytes: 7 });
  });
});

Deno.test("ensureJob: what a member rolled back to its savepoint ensured is created again", async () => {
  await withDb((db, path) => {
    db.begin();
    db.savepoint();
    db.ensureJob("home", 1);
    db.rollbackToSavepoint(); // the member failed: its job row is undone
    db.commit(); // the group commits without it
    assert.equal(jobRows(path, "home"), 0);
    db.begin();
    db.ensureJob("home", 2);
    db.addUsage("home", 1, 9);
    db.commit();
    assert.equal(jobRows(path, "home"), 1);
    assert.deepEqual(db.usage("home"), { objects: 1, bytes: 9 });
  });
});
