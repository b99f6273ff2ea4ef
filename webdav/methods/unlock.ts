/**
 * UNLOCK (RFC 4918 §9.11): removes the lock named by the `Lock-Token` header.
 *
 * @module
 */

import type { DavRequestContext } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";

/**
 * The token of a `Lock-Token` header (`<urn:uuid:…>`; a bare URI is accepted too),
 * or undefined when the header is missing or empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lockTokenOf } from "./unlock.ts";
 * assert.equal(lockTokenOf(" <urn:uuid:1> "), "urn:uuid:1");
 * assert.equal(lockTokenOf("urn:uuid:1"), "urn:uuid:1");
 * assert.equal(lockTokenOf(null), undefined);
 * assert.equal(lockTokenOf("<>"), undefined);
 * ```
 */
export function lockTokenOf(header: string | null): string | undefined {
  if (header === null) return undefined;
  let value = header.trim();
  if (value.startsWith("<") && value.endsWith(">")) value = value.slice(1, -1).trim();
  return value === "" ? undefined : value;
}

/**
 * The UNLOCK handler: 204 when the lock named by `Lock-Token` covers the request's
 * resource and is removed; 400 without the header; 409
 * `lock-token-matches-request-uri` when no such lock covers the resource (unknown,
 * expired, or another resource's); 403 when another principal took the lock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { handleUnlock } from "./unlock.ts";
 * const locks = new MemoryLockManager();
 * const { lock } = locks.tryLock({ root: "/a.txt", scope: "exclusive", depth: 0 });
 * assert.ok(lock);
 * const unlock = (token: string) => {
 *   const headers = { "Lock-Token": `<${token}>` };
 *   const ctx: Partial<DavRequestContext> = {
 *     request: new Request("http://h/a.txt", { method: "UNLOCK", headers }),
 *     path: "/a.txt",
 *     locks,
 *   };
 *   return handleUnlock(ctx as DavRequestContext);
 * };
 * assert.equal((await unlock(lock.token)).status, 204);
 * assert.equal(locks.size, 0);
 * await assert.rejects(unlock(lock.token), { status: 409, condition: "lock-token-matches-request-uri" });
 * ```
 */
export function handleUnlock(ctx: DavRequestContext): Promise<Response> {
  const locks = ctx.locks;
  const token = lockTokenOf(ctx.request.headers.get("Lock-Token"));
  if (token === undefined) {
    return Promise.reject(new DavError(400, "UNLOCK needs a Lock-Token header"));
  }
  const lock = locks.locksCovering(ctx.path).find((candidate) => candidate.token === token);
  if (!lock) {
    return Promise.reject(
      new DavError(409, "The lock token does not name a lock covering the request URI", {
        condition: "lock-token-matches-request-uri",
      }),
    );
  }
  if (lock.principal !== undefined && lock.principal !== ctx.principal) {
    return Promise.reject(new DavError(403, "The lock belongs to another user"));
  }
  locks.unlock(token);
  return Promise.resolve(new Response(null, { status: 204 }));
}
