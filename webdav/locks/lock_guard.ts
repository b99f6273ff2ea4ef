/**
 * Lock enforcement for requests (RFC 4918 §7, §10.4): evaluates the `If` header
 * against the lock table and the file system, and refuses a modification of a
 * locked resource whose lock token was not submitted.
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
 *   COPY use), by the locks covering its parent collection. A lock whose token was
 *   not submitted → `DavError` 423 with `lock-token-submitted` and the lock roots.
 *
 * @module
 */

import type { ActiveLock, DavRequestContext, ModifyTarget } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { evaluateIfHeader, type IfEvaluation, parseIfHeader } from "./if_header.ts";

/** A lock as the lock table keeps it: an {@link ActiveLock} plus whether its root is a collection. */
export interface LockRecord extends ActiveLock {
  /** Whether the lock root is a collection (its href ends with `/`). */
  collection?: boolean;
}

/** What the guard needs from a lock table. */
export interface LockLookup {
  /** Active locks on `path` or inherited from a depth-infinity lock on an ancestor. */
  locksCovering(path: string): LockRecord[];
  /** Active locks rooted strictly below `path`. */
  locksBelow(path: string): LockRecord[];
  /** The active lock with this token, if any. */
  get(token: string): LockRecord | undefined;
  /** Number of active locks (lets requests skip all work when there are none). */
  readonly size: number;
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
 * ```ts ignore
 * import { lockRootHref } from "./lock_guard.ts";
 * console.log(lockRootHref(ctx, { ...lock, root: "/docs", collection: true })); // e.g. /dav/docs/
 * ```
 */
export function lockRootHref(ctx: DavRequestContext, lock: LockRecord): string {
  return ctx.href(lock.root, lock.collection ?? false);
}

function isOwnedBy(lock: ActiveLock, principal: string | undefined): boolean {
  return lock.principal === undefined || lock.principal === principal;
}

/**
 * Parses and evaluates the request's `If` header (400 when malformed) and collects
 * the lock tokens it submits. Does not throw when the header is false.
 *
 * @example
 * ```ts ignore
 * import { checkIfHeader } from "./lock_guard.ts";
 * const check = await checkIfHeader(ctx, locks);
 * if (check.present && !check.evaluation!.result) console.log("412");
 * ```
 */
export async function checkIfHeader(
  ctx: DavRequestContext,
  lookup: LockLookup,
): Promise<IfCheck> {
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
      const tokens = new Set(lookup.locksCovering(path).map((lock) => lock.token));
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
      const lock = lookup.get(token);
      if (lock && isOwnedBy(lock, ctx.principal)) submitted.add(token);
    }
  }
  return { present: true, evaluation, submitted };
}

/**
 * Evaluates only the `If` header: 400 when malformed, 412 when false.
 *
 * @example
 * ```ts ignore
 * import { assertIfHeader } from "./lock_guard.ts";
 * await assertIfHeader(ctx, locks); // before answering GET or PROPFIND
 * ```
 */
export async function assertIfHeader(ctx: DavRequestContext, lookup: LockLookup): Promise<IfCheck> {
  const check = await checkIfHeader(ctx, lookup);
  if (check.present && !check.evaluation!.result) {
    throw new DavError(412, "The If header evaluated to false");
  }
  return check;
}

/**
 * For a request that will modify `targets`: the `If` header must be true (else 412)
 * and every lock guarding a target must have its token submitted (else 423 with
 * `lock-token-submitted` listing the lock roots).
 *
 * @example
 * ```ts ignore
 * import { assertCanModify } from "./lock_guard.ts";
 * await assertCanModify(ctx, locks, [{ path: ctx.path, depth: 0 }]); // before a PUT
 * ```
 */
export async function assertCanModify(
  ctx: DavRequestContext,
  lookup: LockLookup,
  targets: readonly ModifyTarget[],
): Promise<void> {
  const check = await assertIfHeader(ctx, lookup);
  if (lookup.size === 0) return;
  const guarding = new Map<string, LockRecord>();
  const add = (locks: LockRecord[]) => {
    for (const lock of locks) guarding.set(lock.token, lock);
  };
  for (const target of targets) {
    add(lookup.locksCovering(target.path));
    if (target.depth === "infinity") add(lookup.locksBelow(target.path));
    if (target.path !== "/") {
      const parentLocks = lookup.locksCovering(parentOf(target.path));
      if (parentLocks.length > 0) {
        const membership = target.depth === "infinity" || !(await exists(ctx, target.path));
        if (membership) add(parentLocks);
      }
    }
  }
  const missing = [...guarding.values()].filter((lock) => !check.submitted.has(lock.token));
  if (missing.length === 0) return;
  const hrefs = [...new Set(missing.map((lock) => lockRootHref(ctx, lock)))];
  throw new DavError(423, "The resource is locked and no lock token for it was submitted", {
    condition: "lock-token-submitted",
    hrefs,
  });
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
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

/**
 * Whether a file system error means nothing is at the path: NotFound, or a path
 * below a file (NotADirectory).
 *
 * @example
 * ```ts
 * import { isMissing } from "./lock_guard.ts";
 * console.log(isMissing(new Deno.errors.NotFound("gone"))); // true
 * console.log(isMissing(new Deno.errors.PermissionDenied("no"))); // false
 * ```
 */
export function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
}
