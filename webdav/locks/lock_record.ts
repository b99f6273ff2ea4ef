/**
 * The locks themselves, as data (RFC 4918 §6): what an active lock is, what a
 * lock table keeps of it, what a new lock asks for, and what taking one gives.
 * No behaviour here: the lock table (`lock_table.ts`) decides, a lock store
 * (`store/`) keeps.
 *
 * @module
 */

/**
 * One active lock (RFC 4918 §6).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ActiveLock } from "./lock_record.ts";
 * const lock: ActiveLock = {
 *   token: "urn:uuid:1",
 *   root: "/docs",
 *   scope: "exclusive",
 *   depth: "infinity",
 *   timeoutSeconds: 600,
 *   expiresAt: Date.now() + 600_000,
 * };
 * assert.ok(lock.expiresAt > Date.now());
 * ```
 */
export interface ActiveLock {
  /** The lock token, `urn:uuid:…`. */
  token: string;
  /** Path of the lock root (a normalized BackupFS path). */
  root: string;
  /** Exclusive or shared. */
  scope: "exclusive" | "shared";
  /** 0, or `infinity` (covers everything below a collection root). */
  depth: 0 | "infinity";
  /** The `DAV:owner` element's XML as the client sent it, if any. */
  ownerXml?: string;
  /** Seconds granted at the last LOCK or refresh. */
  timeoutSeconds: number;
  /** When it expires (ms since epoch). */
  expiresAt: number;
  /** The authenticated user who took it, if any. */
  principal?: string;
}

/**
 * A lock as the lock table keeps it: an {@link ActiveLock} plus whether its root
 * is a collection. This is the record a lock store holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LockRecord } from "./lock_record.ts";
 * const record: LockRecord = {
 *   token: "urn:uuid:1",
 *   root: "/docs",
 *   scope: "shared",
 *   depth: 0,
 *   timeoutSeconds: 60,
 *   expiresAt: 60_000,
 *   collection: true,
 * };
 * assert.equal(record.collection, true);
 * ```
 */
export interface LockRecord extends ActiveLock {
  /** Whether the lock root is a collection (its href ends with `/`). */
  collection?: boolean;
}

/**
 * What a new lock asks for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LockRequest } from "./lock_record.ts";
 * import { LockTable } from "./lock_table.ts";
 * const request: LockRequest = { root: "/a.txt", scope: "exclusive", depth: 0, timeoutSeconds: 60 };
 * assert.equal(new LockTable().tryLock(request).lock?.timeoutSeconds, 60);
 * ```
 */
export interface LockRequest {
  /** Normalized path of the lock root. */
  root: string;
  /** Whether the root is a collection. */
  collection?: boolean;
  /** Exclusive or shared. */
  scope: "exclusive" | "shared";
  /** 0 or infinity. */
  depth: 0 | "infinity";
  /** The `DAV:owner` element's XML, if any. */
  ownerXml?: string;
  /** Seconds requested (clamped to 1…the table's maximum); default: the table's default. */
  timeoutSeconds?: number;
  /** The authenticated user taking it. */
  principal?: string;
}

/**
 * The outcome of taking a lock (`LockManager.tryLock`): the new lock, or the
 * locks in the way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LockOutcome } from "./lock_record.ts";
 * import { LockTable } from "./lock_table.ts";
 * const locks = new LockTable();
 * const first: LockOutcome = locks.tryLock({ root: "/a", scope: "exclusive", depth: 0 });
 * const second: LockOutcome = locks.tryLock({ root: "/a", scope: "shared", depth: 0 });
 * assert.ok(first.lock);
 * assert.deepEqual(second.conflicts?.map((lock) => lock.token), [first.lock.token]);
 * ```
 */
export type LockOutcome = { lock: LockRecord; conflicts?: undefined } | {
  lock?: undefined;
  conflicts: LockRecord[];
};
