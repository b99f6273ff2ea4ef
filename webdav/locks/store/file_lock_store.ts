/**
 * `FileLockStore`: lock records in memory, written through to a small JSON file
 * so they outlive a restart. Every change rewrites the file atomically (a
 * temporary file, then a rename); opening the store reads it back.
 *
 * The file is `{"version":1,"locks":[…]}`, one entry per lock record, written
 * with mode 0600. A missing file is no locks; an unreadable one (not JSON, another
 * version) is treated as no locks, and entries that are not lock records are
 * skipped. Expired records are loaded too: the lock table drops them.
 *
 * @module
 */

import type { LockRecord } from "../lock_record.ts";
import { MemoryLockStore } from "./memory_lock_store.ts";
import { readLockFile } from "./_lock_records.ts";

interface LockFile {
  version: 1;
  locks: LockRecord[];
}

/**
 * A {@link MemoryLockStore} persisted to `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileLockStore } from "./file_lock_store.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const path = `${dir}/locks.json`;
 *   const store = new FileLockStore(path);
 *   store.put({ token: "urn:uuid:1", root: "/a", scope: "exclusive", depth: 0, timeoutSeconds: 60, expiresAt: 60_000 });
 *   assert.equal(JSON.parse(await Deno.readTextFile(path)).locks.length, 1);
 *   assert.equal(new FileLockStore(path).get("urn:uuid:1")?.root, "/a"); // read back
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class FileLockStore extends MemoryLockStore {
  #path: string;

  /** The store of the file at `path`, with the records it holds (none when it does not exist). */
  constructor(path: string) {
    super();
    this.#path = path;
    for (const record of readLockFile(path)) super.put(record);
  }

  /** The file the locks are kept in. */
  get path(): string {
    return this.#path;
  }

  /** Adds or replaces a record, then rewrites the file. */
  override put(record: LockRecord): void {
    super.put(record);
    this.#save();
  }

  /** Removes records, then rewrites the file (only when one was there). */
  override delete(tokens: readonly string[]): void {
    if (!tokens.some((token) => this.get(token) !== undefined)) return;
    super.delete(tokens);
    this.#save();
  }

  #save(): void {
    const file: LockFile = { version: 1, locks: this.list() };
    const temp = `${this.#path}.${crypto.randomUUID()}.tmp`;
    try {
      Deno.writeTextFileSync(temp, JSON.stringify(file), { mode: 0o600 });
      Deno.renameSync(temp, this.#path);
    } catch (error) {
      try {
        Deno.removeSync(temp);
      } catch {
        // nothing to clean up
      }
      throw error;
    }
  }
}
