/**
 * The lock manager the WebDAV handlers use (`LockManager`), and
 * `MemoryLockManager`, the lock table over a memory store — or, with
 * `persistPath`, over a file store whose locks outlive a restart.
 *
 * Without `persistPath`, locks live only in this process: a restart forgets them
 * (clients then see 412 on refresh and take a new lock). With `persistPath`, every
 * change rewrites a small JSON file atomically and a new manager loads the
 * unexpired locks from it. Locks shared by several servers over one store are a
 * `LockTable` over a `SharedLockStore` (`store/shared_lock_store.ts`), which
 * `deno task serve` uses with the embedded store.
 *
 * @module
 */

import type { LockOutcome, LockRecord, LockRequest } from "./lock_record.ts";
import { LockTable, type LockTableOptions } from "./lock_table.ts";
import { FileLockStore } from "./store/file_lock_store.ts";
import { MemoryLockStore } from "./store/memory_lock_store.ts";

/**
 * The lock table as the WebDAV server uses it: LOCK and UNLOCK take, refresh and
 * remove locks; every request evaluates its `If` header and checks a change
 * against the locks covering what it changes (`lock_guard.ts`); DELETE, MOVE and
 * COPY drop the locks of what they replaced or removed. `LockTable` implements
 * it over any `LockStore`: to keep locks elsewhere, implement a store (one
 * shared by several servers also implements `refresh` and `change`, which
 * `LockTable.withLocks` calls), or implement this interface.
 *
 * Records returned are copies; expired locks are never returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LockManager } from "./lock_manager.ts";
 * import { LockTable } from "./lock_table.ts";
 * const locks: LockManager = new LockTable();
 * const before = locks.checkpoint();
 * const { lock } = locks.tryLock({ root: "/docs", collection: true, scope: "shared", depth: "infinity" });
 * assert.ok(lock);
 * assert.equal(locks.timeoutFor("Second-60"), 60);
 * assert.deepEqual(locks.locksCovering("/docs/a.txt").map((l) => l.token), [lock.token]);
 * locks.removeTree("/docs", { grantedBefore: before }); // granted after the checkpoint: stays
 * assert.equal(locks.size, 1);
 * assert.equal(locks.unlock(lock.token), true);
 * ```
 */
export interface LockManager {
  /** Number of active locks (lets requests skip all lock work when there are none). */
  readonly size: number;
  /** The manager's clock: now, in ms since epoch. */
  currentTime(): number;
  /** Seconds to grant for a `Timeout` header (RFC 4918 §10.7), or the default for `null`. */
  timeoutFor(header: string | null): number;
  /** The active lock with this token, if any. */
  get(token: string): LockRecord | undefined;
  /** Every active lock. */
  list(): LockRecord[];
  /** Active locks on `path` itself or inherited from a depth-infinity lock on an ancestor. */
  locksCovering(path: string): LockRecord[];
  /** Active locks rooted strictly below `path`. */
  locksBelow(path: string): LockRecord[];
  /**
   * The active locks a new lock of this scope and depth on `root` would conflict
   * with (RFC 4918 §6.1, §7).
   */
  conflicts(root: string, scope: "exclusive" | "shared", depth: 0 | "infinity"): LockRecord[];
  /**
   * Takes a new lock unless it conflicts, checked and recorded in one step; throws
   * `DavError` 503 when no more locks can be taken.
   */
  tryLock(request: LockRequest): LockOutcome;
  /** Extends an active lock by `timeoutSeconds` from now; undefined when there is no such lock. */
  refresh(token: string, timeoutSeconds?: number): LockRecord | undefined;
  /** Removes a lock; false when there was no active lock with this token. */
  unlock(token: string): boolean;
  /**
   * Drops every lock rooted at or below `path` (after DELETE, or on the source of
   * MOVE); with `grantedBefore` (a {@link LockManager.checkpoint} taken before the
   * request checked its locks), only the locks granted before it, so a LOCK that
   * raced the request and won stays.
   */
  removeTree(path: string, options?: { grantedBefore?: number }): void;
  /**
   * A mark of the locks granted so far: locks granted later compare greater or
   * equal. Taken by requests that drop locks when they finish (DELETE, MOVE, COPY
   * onto a locked path).
   */
  checkpoint(): number;
  /**
   * For a lock table shared by several servers (optional; a table of one process
   * needs none): runs a request with the table as up to date as it needs —
   * `read`, for a request that reads locks: every lock change committed before
   * the call is seen; `change`, for a request that may take, refresh or drop
   * locks: as one change of the shared table, committed before this resolves
   * (rejects with `DavError` 503 when that cannot be had). The lock middleware
   * (`middleware/lock_sync.ts`) calls it around every request that uses locks.
   */
  withLocks?<T>(access: LockAccess, request: () => Promise<T>): Promise<T>;
}

/**
 * What a request does with the lock table, for {@link LockManager.withLocks}:
 * reads locks, or may change them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LockAccess } from "./lock_manager.ts";
 * const accessOf = (method: string): LockAccess => method === "LOCK" ? "change" : "read";
 * assert.equal(accessOf("LOCK"), "change");
 * ```
 */
export type LockAccess = "read" | "change";

/** Options of {@link MemoryLockManager}: those of a `LockTable`, and a lock file. */
export interface MemoryLockManagerOptions extends Omit<LockTableOptions, "store"> {
  /** A JSON file to persist the locks in (default: none, locks live in memory only). */
  persistPath?: string;
}

/**
 * The lock table over a `MemoryLockStore`, or a `FileLockStore` of
 * `options.persistPath`; for a server that is the only one using its locks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryLockManager } from "./lock_manager.ts";
 * let now = 0;
 * const locks = new MemoryLockManager({ now: () => now });
 * const { lock } = locks.tryLock({ root: "/docs", collection: true, scope: "exclusive", depth: "infinity" });
 * assert.ok(lock);
 * assert.deepEqual(locks.locksCovering("/docs/a.txt").map((l) => l.token), [lock.token]);
 * assert.equal(locks.tryLock({ root: "/docs/a.txt", scope: "shared", depth: 0 }).conflicts?.length, 1);
 * now += 601_000; // past the default 600 s
 * assert.deepEqual(locks.locksCovering("/docs/a.txt"), []);
 * ```
 */
export class MemoryLockManager extends LockTable {
  /** An empty table, or the unexpired locks of `options.persistPath`. */
  constructor(options?: MemoryLockManagerOptions) {
    const { persistPath, ...table } = options ?? {};
    const store = persistPath === undefined
      ? new MemoryLockStore()
      : new FileLockStore(persistPath);
    super({ ...table, store });
  }
}
