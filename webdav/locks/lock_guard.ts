/**
 * Lock enforcement for requests (RFC 4918 §7, §10.4): evaluates the `If` header
 * against the request's lock table (`ctx.locks`) and the file system, and refuses
 * a modification of a locked resource whose lock token was not submitted. The
 * method handlers call these; the lock table itself knows nothing of requests.
 *
 * Rules kept here:
 * - A false `If` header → `DavError` 412 (Precondition Failed).
 * - A lock token counts as submitted when it appears in an `If` header that
 *   evaluates true (RFC 4918 §10.4.1: "what's relevant is that the lock token
 *   appears in the If header, and that the If header itself evaluates to true"),
 *   and the lock was taken by the same principal (or by none).
 * - A modified target is guarded by the locks covering it; a depth-infinity target
 *   also by every lock below it; and when a member is added or removed (a target
 *   that does not exist yet, or a depth-infinity target, which DELETE, MOVE and
 *   COPY use), by the locks covering its parent collection.
 * - For each guarded resource: every exclusive lock covering it needs its token;
 *   of the shared locks covering it (its own, and depth-infinity ones of its
 *   ancestors), one token is enough (RFC 4918 §6.2, §7.5), whoever holds the
 *   others. Otherwise → `DavError` 423 with `lock-token-submitted` and the roots
 *   of the locks lacking a token.
 *
 * @module
 */

import { parentOf } from "../../src/fs/mod.ts";
import type { DavRequestContext } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { isMissing } from "../http/errors.ts";
import { evaluateIfHeader, type IfEvaluation, parseIfHeader } from "./if_header.ts";
import type { ActiveLock, LockRecord } from "./lock_record.ts";

/** A path a modifying request affects, and how deep. */
export interface ModifyTarget {
  /** Normalized BackupFS path. */
  path: string;
  /** 0: the resource itself (and, for a new member, its parent collection's membership); infinity: it and everything below. */
  depth: 0 | "infinity";
}

/** What {@link checkIfHeader} found. */
export interface IfCheck {
  /** Whether the request carried an `If` header. */
  present: boolean;
  /** The evaluation, when present. */
  evaluation?: IfEvaluation;
  /** Lock tokens submitted by the request: named in a true `If` header, owned by the request's principal. */
  submitted: Set<string>;
}

/**
 * The href of a lock's root (with a trailing `/` for a collection).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { lockRootHref } from "./lock_guard.ts";
 * const ctx: Partial<DavRequestContext> = {
 *   href: (path, collection) => `/dav${path}${collection ? "/" : ""}`,
 * };
 * const lock = { token: "urn:uuid:1", root: "/docs", scope: "shared", depth: 0, timeoutSeconds: 60, expiresAt: 0 } as const;
 * assert.equal(lockRootHref(ctx as DavRequestContext, { ...lock, collection: true }), "/dav/docs/");
 * assert.equal(lockRootHref(ctx as DavRequestContext, lock), "/dav/docs");
 * ```
 */
export function lockRootHref(ctx: DavRequestContext, lock: LockRecord): string {
  return ctx.href(lock.root, lock.collection ?? false);
}

function isOwnedBy(lock: ActiveLock, principal: string | undefined): boolean {
  return lock.principal === undefined || lock.principal === principal;
}

/**
 * Parses and evaluates the request's `If` header against `ctx.locks` and the file
 * system (400 when malformed) and collects the lock tokens it submits. Does not
 * throw when the header is false.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { checkIfHeader } from "./lock_guard.ts";
 * import { LockTable } from "./lock_table.ts";
 * const locks = new LockTable();
 * const { lock } = locks.tryLock({ root: "/a", scope: "exclusive", depth: 0 });
 * const request = (ifHeader: string) => ({
 *   request: new Request("http://h/a", { headers: { If: ifHeader } }),
 *   path: "/a",
 *   locks,
 *   fs: { stat: () => Promise.resolve({ etag: "e1" }) },
 *   pathOf: (href: string) => new URL(href, "http://h/").pathname,
 * }) as unknown as DavRequestContext;
 * const check = await checkIfHeader(request(`(<${lock!.token}>)`));
 * assert.equal(check.evaluation?.result, true);
 * assert.deepEqual([...check.submitted], [lock!.token]);
 * const stale = await checkIfHeader(request(`(["e0"])`)); // another ETag: false, no throw
 * assert.equal(stale.evaluation?.result, false);
 * ```
 */
export async function checkIfHeader(ctx: DavRequestContext): Promise<IfCheck> {
  const table = ctx.locks;
  const value = ctx.request.headers.get("If");
  if (value === null) return { present: false, submitted: new Set() };
  const header = parseIfHeader(value);
  const evaluation = await evaluateIfHeader(header, {
    requestPath: ctx.path,
    resolve: (tag) => {
      try {
        return ctx.pathOf(tag);
      } catch {
        return undefined;
      }
    },
    stateOf: async (path) => {
      const tokens = new Set(table.locksCovering(path).map((lock) => lock.token));
      try {
        const info = await ctx.fs.stat(path);
        return info.etag === undefined ? { tokens } : { etag: `"${info.etag}"`, tokens };
      } catch (error) {
        if (isMissing(error)) return { tokens };
        throw error;
      }
    },
  });
  const submitted = new Set<string>();
  if (evaluation.result) {
    for (const token of evaluation.tokens) {
      const lock = table.get(token);
      if (lock && isOwnedBy(lock, ctx.principal)) submitted.add(token);
    }
  }
  return { present: true, evaluation, submitted };
}

/**
 * Evaluates only the `If` header (for GET, PROPFIND, …): 400 when malformed, 412
 * when false.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { assertIfHeader } from "./lock_guard.ts";
 * import { LockTable } from "./lock_table.ts";
 * const request = (headers: HeadersInit) => ({
 *   request: new Request("http://h/a", { headers }),
 *   path: "/a",
 *   locks: new LockTable(),
 *   fs: { stat: () => Promise.resolve({ etag: "e1" }) },
 * }) as unknown as DavRequestContext;
 * assert.equal((await assertIfHeader(request({}))).present, false);
 * assert.equal((await assertIfHeader(request({ If: '(["e1"])' }))).evaluation?.result, true);
 * await assert.rejects(assertIfHeader(request({ If: '(["e0"])' })), { status: 412 });
 * await assert.rejects(assertIfHeader(request({ If: "nonsense" })), { status: 400 });
 * ```
 */
export async function assertIfHeader(ctx: DavRequestContext): Promise<IfCheck> {
  const check = await checkIfHeader(ctx);
  if (check.present && !check.evaluation!.result) {
    throw new DavError(412, "The If header evaluated to false");
  }
  return check;
}

/**
 * For a request that will modify `targets` (RFC 4918 §7, §10.4): the `If` header
 * must be true (else 412) and every lock of `ctx.locks` guarding a target must
 * have its token submitted (else 423 with `lock-token-submitted` listing the lock
 * roots' hrefs). Expired locks are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { assertCanModify } from "./lock_guard.ts";
 * import { LockTable } from "./lock_table.ts";
 * const locks = new LockTable();
 * const { lock } = locks.tryLock({ root: "/a", scope: "exclusive", depth: 0 });
 * const put = (headers: HeadersInit) => ({
 *   request: new Request("http://h/a", { method: "PUT", headers }),
 *   path: "/a",
 *   locks,
 *   fs: { stat: () => Promise.resolve({ etag: "e1" }) },
 *   href: (path: string) => path,
 *   pathOf: (href: string) => new URL(href, "http://h/").pathname,
 * }) as unknown as DavRequestContext;
 * const target = [{ path: "/a", depth: 0 }] as const;
 * await assert.rejects(assertCanModify(put({}), target), {
 *   status: 423,
 *   condition: "lock-token-submitted",
 *   hrefs: ["/a"],
 * });
 * await assertCanModify(put({ If: `(<${lock!.token}>)` }), target); // the token was submitted
 * ```
 */
export async function assertCanModify(
  ctx: DavRequestContext,
  targets: readonly ModifyTarget[],
): Promise<void> {
  const table = ctx.locks;
  const check = await assertIfHeader(ctx);
  if (table.size === 0) return;
  // Every resource the request changes that a lock covers, with those locks.
  const guarded = new Map<string, LockRecord[]>();
  const guard = (path: string, locks = table.locksCovering(path)) => {
    if (locks.length > 0 && !guarded.has(path)) guarded.set(path, locks);
  };
  for (const target of targets) {
    guard(target.path);
    if (target.depth === "infinity") {
      for (const lock of table.locksBelow(target.path)) guard(lock.root);
    }
    if (target.path !== "/") {
      const parent = parentOf(target.path);
      const parentLocks = table.locksCovering(parent);
      if (parentLocks.length > 0) {
        const membership = target.depth === "infinity" || !(await exists(ctx, target.path));
        if (membership) guard(parent, parentLocks);
      }
    }
  }
  const missing = new Map<string, LockRecord>();
  for (const locks of guarded.values()) {
    for (const lock of missingLocks(locks, check.submitted)) missing.set(lock.token, lock);
  }
  if (missing.size === 0) return;
  const hrefs = [...new Set([...missing.values()].map((lock) => lockRootHref(ctx, lock)))];
  throw new DavError(423, "The resource is locked and no lock token for it was submitted", {
    condition: "lock-token-submitted",
    hrefs,
  });
}

/**
 * Of the locks covering one resource, those that stop a request submitting
 * `submitted`: every exclusive lock whose token is missing, and — when none of
 * the shared locks' tokens was submitted — all the shared locks (RFC 4918 §6.2,
 * §7.5: one token of the shared locks on a resource is enough).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { missingLocks } from "./lock_guard.ts";
 * const lock = (token: string, scope: "exclusive" | "shared") =>
 *   ({ token, root: "/a", scope, depth: 0 as const, timeoutSeconds: 60, expiresAt: 0 });
 * const shared = [lock("urn:s1", "shared"), lock("urn:s2", "shared")];
 * assert.deepEqual(missingLocks(shared, new Set(["urn:s1"])), []);
 * assert.deepEqual(missingLocks(shared, new Set()), shared);
 * const exclusive = lock("urn:x", "exclusive");
 * assert.deepEqual(missingLocks([exclusive], new Set(["urn:s1"])), [exclusive]);
 * ```
 */
export function missingLocks(
  locks: readonly LockRecord[],
  submitted: ReadonlySet<string>,
): LockRecord[] {
  const missing = locks.filter((lock) => lock.scope === "exclusive" && !submitted.has(lock.token));
  const shared = locks.filter((lock) => lock.scope === "shared");
  if (shared.length > 0 && !shared.some((lock) => submitted.has(lock.token))) {
    missing.push(...shared);
  }
  return missing;
}

async function exists(ctx: DavRequestContext, path: string): Promise<boolean> {
  try {
    await ctx.fs.stat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}
