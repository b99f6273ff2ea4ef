/**
 * The jobs of a data directory's SQLite metadata, for `scrub --all-jobs`: the
 * BackupStorage API has no way to list jobs, so they are read from the store's
 * `jobs` table, on a read-only connection of its own (safe beside running
 * servers: SQLite in WAL mode lets a reader in at any time).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/**
 * The job ids of the metadata database at `path`, in byte order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../../storage/mod.ts";
 * import { listJobs } from "./_job_list.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "photos", ObjectName: "a" });
 *   await store.putObject({ BackupJobId: "mail", ObjectName: "b" });
 *   assert.deepEqual(listJobs(`${dir}/metadata.db`), ["mail", "photos"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function listJobs(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    const rows = db.prepare("SELECT job FROM jobs ORDER BY job").all() as { job: string }[];
    return rows.map((row) => row.job);
  } finally {
    db.close();
  }
}
