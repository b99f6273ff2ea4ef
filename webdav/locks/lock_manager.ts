/**
 * `MemoryLockManager`: the lock table of the WebDAV server (RFC 4918 §6, §7) —
 * exclusive and shared write locks of depth 0 or infinity, with timeouts, kept in
 * memory and, when a file is given, persisted to it.
 *
 * Without `persistPath`, locks live only in this process: a restart forgets them
 * (clients then see 412 on refresh and take a new lock). With `persistPath`, every
 * change rewrites a small JSON file atomically (temporary file, then rename) and a
 * new manager loads the unexpired locks from it.
 *
 * Expired locks vanish: every lookup skips and drops them, and a sweep of the whole
 * table runs at most once per `sweepIntervalMs` on access. The number of active
 * locks is capped (`maxLocks`); beyond it LOCK answers 503.
 *
 * @module
 */

import type { DavRequestContext, LockManager, ModifyTarget } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import {
  assertCanModify,
  assertIfHeader,
  checkIfHeader,
  type IfCheck,
  type LockLookup,
  type LockRecord,
} from "./lock_guard.ts";

/** Options of {@link MemoryLockManager}. */
export interface MemoryLockManagerOptions {
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
  /** A JSON file to persist the locks in (default: none, locks live in memory only). */
  persistPath?: string;
}

/** What a new lock asks for. */
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
  /** Seconds requested (clamped to 1…maxTimeoutSeconds); default: defaultTimeoutSeconds. */
  timeoutSeconds?: number;
  /** The authenticated user taking it. */
  principal?: string;
}

/** The outcome of {@link MemoryLockManager.tryLock}: the new lock, or the locks in the way. */
export type LockOutcome = { lock: LockRecord; conflicts?: undefined } | {
  lock?: undefined;
  conflicts: LockRecord[];
};

interface PersistedFile {
  version: 1;
  locks: LockRecord[];
}

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

function isBelow(path: string, root: string): boolean {
  if (root === "/") return path !== "/";
  return path.startsWith(root + "/");
}

/**
 * The in-memory lock table; implements the handlers' {@link LockManager} contract.
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
export class MemoryLockManager implements LockManager, LockLookup {
  #now: () => number;
  #defaultTimeout: number;
  #maxTimeout: number;
  #maxLocks: number;
  #sweepIntervalMs: number;
  #persistPath?: string;
  #locks = new Map<string, LockRecord>();
  /** Creation order of each lock (by token): see {@link checkpoint}. */
  #serials = new Map<string, number>();
  #nextSerial = 0;
  #byRoot = new Map<string, Set<string>>();
  #lastSweep: number;

  /** An empty table, or the unexpired locks of `options.persistPath`. */
  constructor(options: MemoryLockManagerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxTimeout = Math.max(1, Math.floor(options.maxTimeoutSeconds ?? 3600));
    this.#defaultTimeout = Math.min(
      this.#maxTimeout,
      Math.max(1, Math.floor(options.defaultTimeoutSeconds ?? 600)),
    );
    this.#maxLocks = options.maxLocks ?? 100_000;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.#lastSweep = this.#now();
    if (options.persistPath !== undefined) {
      this.#persistPath = options.persistPath;
      this.#load(options.persistPath);
    }
  }

  /** Number of active (unexpired) locks. */
  get size(): number {
    this.#maybeSweep();
    return this.#locks.size;
  }

  /** The manager's clock: now, in ms since epoch. */
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
   * 1…maximum; no header or no usable entry gives the default.
   */
  timeoutFor(header: string | null): number {
    if (header === null) return this.#defaultTimeout;
    for (const raw of header.split(",")) {
      const item = raw.trim();
      if (/^infinite$/i.test(item)) return this.#maxTimeout;
      const match = /^second-(\d+)$/i.exec(item);
      if (match) {
        const seconds = Number(match[1]);
        return Math.max(1, Math.min(this.#maxTimeout, Number.isFinite(seconds) ? seconds : 0));
      }
    }
    return this.#defaultTimeout;
  }

  /** The active lock with this token, if any. */
  get(token: string): LockRecord | undefined {
    const lock = this.#locks.get(token);
    if (!lock || !this.#alive(lock)) return undefined;
    return { ...lock };
  }

  /** Every active lock (copies). */
  list(): LockRecord[] {
    this.#sweep();
    return [...this.#locks.values()].map((lock) => ({ ...lock }));
  }

  /** Active locks on `path` itself or inherited from a depth-infinity lock on an ancestor. */
  locksCovering(path: string): LockRecord[] {
    this.#maybeSweep();
    if (this.#locks.size === 0) return [];
    const out: LockRecord[] = [];
    for (const at of ancestorsAndSelf(path)) {
      const tokens = this.#byRoot.get(at);
      if (!tokens) continue;
      for (const token of [...tokens]) {
        const lock = this.#locks.get(token)!;
        if (!this.#alive(lock)) continue;
        if (at === path || lock.depth === "infinity") out.push({ ...lock });
      }
    }
    return out;
  }

  /** Active locks rooted strictly below `path`. */
  locksBelow(path: string): LockRecord[] {
    this.#maybeSweep();
    const out: LockRecord[] = [];
    for (const lock of [...this.#locks.values()]) {
      if (isBelow(lock.root, path) && this.#alive(lock)) out.push({ ...lock });
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
    if (this.#locks.size >= this.#maxLocks) {
      this.#sweep();
      if (this.#locks.size >= this.#maxLocks) {
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
    this.#insert(lock);
    this.#save();
    return { lock: { ...lock } };
  }

  /** Extends an active lock by `timeoutSeconds` from now (clamped); undefined when there is no such lock. */
  refresh(token: string, timeoutSeconds?: number): LockRecord | undefined {
    const lock = this.#locks.get(token);
    if (!lock || !this.#alive(lock)) return undefined;
    lock.timeoutSeconds = this.#clamp(timeoutSeconds);
    lock.expiresAt = this.#now() + lock.timeoutSeconds * 1000;
    this.#save();
    return { ...lock };
  }

  /** Removes a lock; false when there was no active lock with this token. */
  unlock(token: string): boolean {
    const lock = this.#locks.get(token);
    if (!lock || !this.#alive(lock)) return false;
    this.#delete(lock);
    this.#save();
    return true;
  }

  /** Drops every lock rooted at or below `path` (after DELETE, or on the source of MOVE). */
  removeTree(path: string, options: { grantedBefore?: number } = {}): void {
    const before = options.grantedBefore ?? Infinity;
    let changed = false;
    for (const lock of [...this.#locks.values()]) {
      if ((this.#serials.get(lock.token) ?? -1) >= before) continue; // granted meanwhile
      if (lock.root === path || isBelow(lock.root, path)) {
        this.#delete(lock);
        changed = true;
      }
    }
    if (changed) this.#save();
  }

  /** See {@link LockManager.assertCanModify}. */
  assertCanModify(ctx: DavRequestContext, targets: readonly ModifyTarget[]): Promise<void> {
    return assertCanModify(ctx, this, targets);
  }

  /** See {@link LockManager.evaluateIf}. */
  async evaluateIf(ctx: DavRequestContext): Promise<void> {
    await assertIfHeader(ctx, this);
  }

  /** Parses and evaluates the request's `If` header and collects the tokens it submits (no 412). */
  checkIf(ctx: DavRequestContext): Promise<IfCheck> {
    return checkIfHeader(ctx, this);
  }

  #clamp(seconds: number | undefined): number {
    if (seconds === undefined || !Number.isFinite(seconds)) return this.#defaultTimeout;
    return Math.max(1, Math.min(this.#maxTimeout, Math.floor(seconds)));
  }

  #alive(lock: LockRecord): boolean {
    if (lock.expiresAt > this.#now()) return true;
    this.#delete(lock);
    return false;
  }

  /** See {@link LockManager.checkpoint}. */
  checkpoint(): number {
    return this.#nextSerial;
  }

  #insert(lock: LockRecord): void {
    this.#locks.set(lock.token, lock);
    if (!this.#serials.has(lock.token)) this.#serials.set(lock.token, this.#nextSerial++);
    let tokens = this.#byRoot.get(lock.root);
    if (!tokens) this.#byRoot.set(lock.root, tokens = new Set());
    tokens.add(lock.token);
  }

  #delete(lock: LockRecord): void {
    this.#locks.delete(lock.token);
    this.#serials.delete(lock.token);
    const tokens = this.#byRoot.get(lock.root);
    if (!tokens) return;
    tokens.delete(lock.token);
    if (tokens.size === 0) this.#byRoot.delete(lock.root);
  }

  #maybeSweep(): void {
    if (this.#now() - this.#lastSweep >= this.#sweepIntervalMs) this.#sweep();
  }

  #sweep(): void {
    this.#lastSweep = this.#now();
    for (const lock of [...this.#locks.values()]) this.#alive(lock);
  }

  #load(path: string): void {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    let data: PersistedFile;
    try {
      data = JSON.parse(text);
    } catch {
      return; // an unreadable lock file is treated as no locks
    }
    if (data?.version !== 1 || !Array.isArray(data.locks)) return;
    const now = this.#now();
    for (const raw of data.locks) {
      const lock = validRecord(raw);
      if (lock && lock.expiresAt > now && this.#locks.size < this.#maxLocks) this.#insert(lock);
    }
  }

  #save(): void {
    if (this.#persistPath === undefined) return;
    const now = this.#now();
    const locks = [...this.#locks.values()].filter((lock) => lock.expiresAt > now);
    const file: PersistedFile = { version: 1, locks };
    const temp = `${this.#persistPath}.${crypto.randomUUID()}.tmp`;
    try {
      Deno.writeTextFileSync(temp, JSON.stringify(file), { mode: 0o600 });
      Deno.renameSync(temp, this.#persistPath);
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

function validRecord(raw: unknown): LockRecord | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (
    typeof r.token !== "string" || typeof r.root !== "string" || !r.root.startsWith("/") ||
    (r.scope !== "exclusive" && r.scope !== "shared") ||
    (r.depth !== 0 && r.depth !== "infinity") ||
    typeof r.timeoutSeconds !== "number" || typeof r.expiresAt !== "number"
  ) {
    return undefined;
  }
  const lock: LockRecord = {
    token: r.token,
    root: r.root,
    scope: r.scope,
    depth: r.depth,
    timeoutSeconds: r.timeoutSeconds,
    expiresAt: r.expiresAt,
    collection: r.collection === true,
  };
  if (typeof r.ownerXml === "string") lock.ownerXml = r.ownerXml;
  if (typeof r.principal === "string") lock.principal = r.principal;
  return lock;
}

/**
 * The lock manager of a request as the LOCK and UNLOCK handlers need it (taking,
 * refreshing and removing locks), or `DavError` 501 when the server's manager
 * cannot do that.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { lockTableOf, MemoryLockManager } from "./lock_manager.ts";
 * const locks = new MemoryLockManager();
 * const ctx: Partial<DavRequestContext> = { locks };
 * assert.equal(lockTableOf(ctx as DavRequestContext), locks);
 * assert.equal(lockTableOf(ctx as DavRequestContext).timeoutFor("Second-60"), 60);
 * assert.throws(() => lockTableOf({ locks: {} } as DavRequestContext), { status: 501 });
 * ```
 */
export function lockTableOf(ctx: DavRequestContext): MemoryLockManager {
  const locks = ctx.locks as Partial<MemoryLockManager>;
  if (
    typeof locks.tryLock !== "function" || typeof locks.refresh !== "function" ||
    typeof locks.unlock !== "function" || typeof locks.get !== "function" ||
    typeof locks.checkIf !== "function" || typeof locks.timeoutFor !== "function"
  ) {
    throw new DavError(501, "This server's lock manager cannot take locks");
  }
  return ctx.locks as MemoryLockManager;
}
