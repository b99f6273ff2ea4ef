/**
 * The seam between the lock table and where its locks are kept: a `LockStore`
 * holds lock records by token and by root path, and numbers them in the order
 * they were first stored (their generation). It knows nothing of WebDAV
 * requests, conflicts or timeouts — the lock table (`../lock_table.ts`) does
 * all of that over any store.
 *
 * Implementations here: `MemoryLockStore` (this process only),
 * `FileLockStore` (the same, written through to a JSON file), and
 * `SharedLockStore` (a mirror of a document in the store's metadata, shared by
 * every server over that store). The methods are synchronous, so a store shared
 * by several servers mirrors its locks in memory and implements the optional
 * `refresh` (bring the mirror up to date before a request reads locks) and
 * `change` (run a request that may change locks as one change of the shared
 * locks). Another shared store — rows in a database — implements the same.
 *
 * @module
 */

import type { LockRecord } from "../lock_record.ts";

/**
 * Where a lock table keeps its locks.
 *
 * Records are plain data. The table never changes a record it got from the store:
 * to change one (a refresh) it puts a new record with the same token. Expired
 * records stay until the table deletes them; the store does not read clocks.
 *
 * The methods are synchronous: the table checks a new lock for conflicts and
 * records it in one step, with no other request in between (that is what keeps
 * two racing LOCK requests from both getting an exclusive lock).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LockStore } from "./lock_store.ts";
 * import { MemoryLockStore } from "./memory_lock_store.ts";
 * import { LockTable } from "../lock_table.ts";
 * const store: LockStore = new MemoryLockStore();
 * const locks = new LockTable({ store });
 * const { lock } = locks.tryLock({ root: "/docs", scope: "exclusive", depth: "infinity" });
 * assert.equal(store.get(lock!.token)?.root, "/docs");
 * assert.deepEqual(store.listAt(["/", "/docs"]).map((record) => record.token), [lock!.token]);
 * ```
 */
export interface LockStore {
  /** Number of records held. */
  readonly size: number;
  /** The record with this token, if any. */
  get(token: string): LockRecord | undefined;
  /** Every record, in the order they were first stored. */
  list(): LockRecord[];
  /**
   * The records rooted exactly at one of `roots`: those of `roots[0]` first, then
   * those of `roots[1]`, …; each root's in the order they were first stored.
   */
  listAt(roots: readonly string[]): LockRecord[];
  /** The records rooted strictly below `path` (`/a/b` is below `/a`; `/ab` is not). */
  listBelow(path: string): LockRecord[];
  /**
   * Adds a record, or replaces the record with its token. A new token gets the
   * next generation ({@link LockStore.checkpoint}); a replaced record keeps its own.
   */
  put(record: LockRecord): void;
  /** Removes the records with these tokens (unknown tokens are ignored). */
  delete(tokens: readonly string[]): void;
  /** The generation of the record with this token, if there is one. */
  generationOf(token: string): number | undefined;
  /** The generation the next new record will get: later records compare greater or equal. */
  checkpoint(): number;
  /**
   * For a store shared by several servers that mirrors its locks here: brings
   * the mirror up to date with every change committed before the call (a request
   * that reads locks calls it first). Absent on a store of one process.
   */
  refresh?(): Promise<void>;
  /**
   * For a store shared by several servers: runs `work` (a request that may take,
   * refresh or drop locks) as one change of the shared locks — no other server
   * changes them meanwhile, the mirror is up to date when `work` starts, and
   * what `work` changed is committed before this resolves. Rejects (a `DavError`
   * 503) when that cannot be had in time or the commit fails; then what `work`
   * did to the locks is undone. Absent on a store of one process.
   */
  change?<T>(work: () => Promise<T>): Promise<T>;
}
