/**
 * `LockTable`: the rules of WebDAV write locks (RFC 4918 §6, §7) over a
 * {@link LockStore} — exclusive and shared locks of depth 0 or infinity, which
 * locks cover a path or lie below it, which conflict with a new lock, tokens,
 * timeouts, and a bounded number of active locks.
 *
 * Expired locks vanish: every lookup skips them and deletes them from the store,
 * and a sweep of the whole store runs at most once per `sweepIntervalMs` on
 * access (and once when the table is made, for locks loaded from a file). Beyond
 * `maxLocks` active locks, a new lock is refused with 503.
 *
 * @module
 */

import { DavError } from "../dav_error.ts";
import type { LockAccess, LockManager } from "./lock_manager.ts";
import type { LockOutcome, LockRecord, LockRequest } from "./lock_record.ts";
import type { LockStore } from "./store/lock_store.ts";
import { MemoryLockStore } from "./store/memory_lock_store.ts";

/** Options of {@link LockTable}. */
export interface LockTableOptions {
  /** Where the locks are kept (default: a new `MemoryLockStore`). */
  store?: LockStore;
  /** Clock in ms since epoch (default `Date.now`). */
  now?: () => number;
  /** Timeout granted when the request names none (default 600 s). */
  defaultTimeoutSeconds?: number;
  /** Longest timeout granted; `Infinite` gets this (default 3600 s). */
  maxTimeoutSeconds?: number;
  /** Most active locks kept at once (default 100,000). */
  maxLocks?: number;
  /** Least time between two sweeps of expired locks, in ms (default 60,000). */
  sweepIntervalMs?: number;
}

/** The ancestors of a normalized path, from `/` down, then the path itself. */
function ancestorsAndSelf(path: string): string[] {
  const out = ["/"];
  if (path === "/") return out;
  let at = 0;
  for (;;) {
    const next = path.indexOf("/", at + 1);
    if (next < 0) break;
    out.push(path.slice(0, next));
    at = next;
  }
  out.push(path);
  return out;
}

/**
 * The lock table; implements the handlers' {@link LockManager} contract over any
 * {@link LockStore}. Records it returns are copies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LockTable } from "./lock_table.ts";
 * import { MemoryLockStore } from "./store/memory_lock_store.ts";
 * let now = 0;
 * const locks = new LockTable({ store: new MemoryLockStore(), now: () => now });
 * const { lock } = locks.tryLock({ root: "/docs", collection: true, scope: "exclusive", depth: "infinity" });
 * assert.ok(lock);
 * assert.deepEqual(locks.locksCovering("/docs/a.txt").map((l) => l.token), [lock.token]);
 * assert.equal(locks.tryLock({ root: "/docs/a.txt", scope: "shared", depth: 0 }).conflicts?.length, 1);
 * now += 601_000; // past the default 600 s
 * assert.deepEqual(locks.locksCovering("/docs/a.txt"), []);
 * ```
 */
export class LockTable implements LockManager {
  #store: LockStore;
  #now: () => number;
  #defaultTimeout: number;
  #maxTimeout: number;
  #maxLocks: number;
  #sweepIntervalMs: number;
  #lastSweep: number;

  /** A table over `options.store` (default: an empty memory store); expired locks in it are dropped. */
  constructor(options?: LockTableOptions) {
    this.#store = options?.store ?? new MemoryLockStore();
    this.#now = options?.now ?? Date.now;
    this.#maxTimeout = Math.max(1, Math.floor(options?.maxTimeoutSeconds ?? 3600));
    this.#defaultTimeout = Math.min(
      this.#maxTimeout,
      Math.max(1, Math.floor(options?.defaultTimeoutSeconds ?? 600)),
    );
    this.#maxLocks = options?.maxLocks ?? 100_000;
    this.#sweepIntervalMs = options?.sweepIntervalMs ?? 60_000;
    this.#lastSweep = this.#now();
    if (this.#store.size > 0) {
      // Locks loaded from a file: the expired ones go, and those beyond the bound.
      this.#sweep();
      const extra = this.#store.list().slice(this.#maxLocks);
      if (extra.length > 0) this.#store.delete(extra.map((lock) => lock.token));
    }
  }

  /** Number of active (unexpired) locks. */
  get size(): number {
    this.#maybeSweep();
    return this.#store.size;
  }

  /** The table's clock: now, in ms since epoch. */
  currentTime(): number {
    return this.#now();
  }

  /** The longest timeout granted, in seconds. */
  get maxTimeoutSeconds(): number {
    return this.#maxTimeout;
  }

  /**
   * Seconds to grant for a `Timeout` header (RFC 4918 §10.7): the first usable
   * entry of the list — `Infinite` gives the maximum, `Second-n` gives n clamped to
   * 1…maximum (a number of more digits than a double holds asks for more than the
   * maximum: it gets the maximum); no header or no usable entry gives the default.
   */
  timeoutFor(header: string | null): number {
    if (header === null) return this.#defaultTimeout;
    for (const raw of header.split(",")) {
      const item = raw.trim();
      if (/^infinite$/i.test(item)) return this.#maxTimeout;
      const match = /^second-(\d+)$/i.exec(item);
      if (match) {
        const seconds = Number(match[1]); // Infinity for a very long run of digits
        return Math.max(1, Math.min(this.#maxTimeout, seconds));
      }
    }
    return this.#defaultTimeout;
  }

  /** The active lock with this token, if any. */
  get(token: string): LockRecord | undefined {
    const lock = this.#store.get(token);
    if (!lock || !this.#alive(lock)) return undefined;
    return { ...lock };
  }

  /** Every active lock. */
  list(): LockRecord[] {
    this.#sweep();
    return this.#store.list().map((lock) => ({ ...lock }));
  }

  /** Active locks on `path` itself or inherited from a depth-infinity lock on an ancestor. */
  locksCovering(path: string): LockRecord[] {
    this.#maybeSweep();
    if (this.#store.size === 0) return [];
    const out: LockRecord[] = [];
    for (const lock of this.#store.listAt(ancestorsAndSelf(path))) {
      if (!this.#alive(lock)) continue;
      if (lock.root === path || lock.depth === "infinity") out.push({ ...lock });
    }
    return out;
  }

  /** Active locks rooted strictly below `path`. */
  locksBelow(path: string): LockRecord[] {
    this.#maybeSweep();
    const out: LockRecord[] = [];
    for (const lock of this.#store.listBelow(path)) {
      if (this.#alive(lock)) out.push({ ...lock });
    }
    return out;
  }

  /**
   * The active locks a new lock would conflict with (RFC 4918 §6.1, §7): an
   * exclusive lock conflicts with every other lock, a shared one with exclusive
   * locks; the locks considered are those covering `root` and, for depth
   * infinity, those below it.
   */
  conflicts(root: string, scope: "exclusive" | "shared", depth: 0 | "infinity"): LockRecord[] {
    const candidates = this.locksCovering(root);
    if (depth === "infinity") candidates.push(...this.locksBelow(root));
    return candidates.filter((lock) => scope === "exclusive" || lock.scope === "exclusive");
  }

  /**
   * Takes a new lock unless it conflicts (checked and recorded in one step, so two
   * racing requests cannot both get an exclusive lock). Throws `DavError` 503 when
   * the table is full.
   */
  tryLock(request: LockRequest): LockOutcome {
    const conflicts = this.conflicts(request.root, request.scope, request.depth);
    if (conflicts.length > 0) return { conflicts };
    if (this.#store.size >= this.#maxLocks) {
      this.#sweep();
      if (this.#store.size >= this.#maxLocks) {
        throw new DavError(503, "Too many active locks", { headers: { "Retry-After": "60" } });
      }
    }
    const timeoutSeconds = this.#clamp(request.timeoutSeconds);
    const lock: LockRecord = {
      token: `urn:uuid:${crypto.randomUUID()}`,
      root: request.root,
      scope: request.scope,
      depth: request.depth,
      timeoutSeconds,
      expiresAt: this.#now() + timeoutSeconds * 1000,
      collection: request.collection ?? false,
    };
    if (request.ownerXml !== undefined) lock.ownerXml = request.ownerXml;
    if (request.principal !== undefined) lock.principal = request.principal;
    this.#store.put(lock);
    return { lock: { ...lock } };
  }

  /** Extends an active lock by `timeoutSeconds` from now (clamped); undefined when there is no such lock. */
  refresh(token: string, timeoutSeconds?: number): LockRecord | undefined {
    const lock = this.#store.get(token);
    if (!lock || !this.#alive(lock)) return undefined;
    const seconds = this.#clamp(timeoutSeconds);
    const refreshed = { ...lock, timeoutSeconds: seconds, expiresAt: this.#now() + seconds * 1000 };
    this.#store.put(refreshed);
    return { ...refreshed };
  }

  /** Removes a lock; false when there was no active lock with this token. */
  unlock(token: string): boolean {
    const lock = this.#store.get(token);
    if (!lock || !this.#alive(lock)) return false;
    this.#store.delete([token]);
    return true;
  }

  /**
   * Drops every lock rooted at or below `path` (after DELETE, or on the source of
   * MOVE); with `grantedBefore` (a {@link LockTable.checkpoint}), only the locks
   * granted before it.
   */
  removeTree(path: string, options?: { grantedBefore?: number }): void {
    const before = options?.grantedBefore ?? Infinity;
    const doomed: string[] = [];
    for (const lock of [...this.#store.listAt([path]), ...this.#store.listBelow(path)]) {
      const generation = this.#store.generationOf(lock.token) ?? -1;
      if (generation < before) doomed.push(lock.token); // else granted meanwhile: it stays
    }
    if (doomed.length > 0) this.#store.delete(doomed);
  }

  /** A mark of the locks granted so far: locks granted later compare greater or equal. */
  checkpoint(): number {
    return this.#store.checkpoint();
  }

  /**
   * Runs a request with the store as up to date as it needs: for `read`, after
   * the store's `refresh`; for `change`, inside the store's `change`. A store of
   * one process has neither: the request just runs.
   */
  withLocks<T>(access: LockAccess, request: () => Promise<T>): Promise<T> {
    const store = this.#store;
    if (access === "change" && store.change) return store.change(request);
    if (access === "read" && store.refresh) return store.refresh().then(request);
    return request();
  }

  #clamp(seconds: number | undefined): number {
    if (seconds === undefined || !Number.isFinite(seconds)) return this.#defaultTimeout;
    return Math.max(1, Math.min(this.#maxTimeout, Math.floor(seconds)));
  }

  /** Whether a lock is unexpired; an expired one is deleted from the store. */
  #alive(lock: LockRecord): boolean {
    if (lock.expiresAt > this.#now()) return true;
    this.#store.delete([lock.token]);
    return false;
  }

  #maybeSweep(): void {
    if (this.#now() - this.#lastSweep >= this.#sweepIntervalMs) this.#sweep();
  }

  #sweep(): void {
    const now = this.#now();
    this.#lastSweep = now;
    const expired = this.#store.list().filter((lock) => lock.expiresAt <= now);
    if (expired.length > 0) this.#store.delete(expired.map((lock) => lock.token));
  }
}
