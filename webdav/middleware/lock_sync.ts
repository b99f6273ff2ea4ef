/**
 * The lock middleware: runs each request with the lock table as up to date as
 * the request needs, through the lock manager's optional `withLocks` (a table
 * shared by several servers has it; a table of one process does not, and then
 * this middleware does nothing). The handlers know nothing of it.
 *
 * Which requests need what:
 * - LOCK, UNLOCK, DELETE, MOVE and COPY may take, refresh or drop locks: each
 *   runs as one `change` of the shared table (DELETE, MOVE and COPY drop the
 *   locks of what they removed or replaced);
 * - PUT, MKCOL, PROPPATCH and PROPFIND read locks (the lock guard, the `If`
 *   header, `lockdiscovery`) but change none: the table is brought up to date
 *   first (`read`);
 * - GET and HEAD read locks only to evaluate an `If` header: `read` when there
 *   is one, nothing otherwise; OPTIONS reads no locks.
 *
 * @module
 */

import type { DavRequestContext } from "../dav_context.ts";
import type { LockAccess, LockManager } from "../locks/lock_manager.ts";
import { readBoundedBody } from "../xml/parse.ts";
import { hasBody } from "../../src/http/request_body.ts";
import type { DavMiddleware } from "./dav_env.ts";

/** Methods whose handlers may take, refresh or drop locks. */
const CHANGING: ReadonlySet<string> = new Set(["LOCK", "UNLOCK", "DELETE", "MOVE", "COPY"]);
/** Methods that read locks only for an `If` header. */
const IF_HEADER_ONLY: ReadonlySet<string> = new Set(["GET", "HEAD"]);
/** Methods that read no locks. */
const LOCK_FREE: ReadonlySet<string> = new Set(["OPTIONS"]);

/**
 * What a request with `method` and `headers` does with the lock table, or
 * undefined when it uses no locks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lockAccessOf } from "./lock_sync.ts";
 * assert.equal(lockAccessOf("LOCK", new Headers()), "change");
 * assert.equal(lockAccessOf("delete", new Headers()), "change");
 * assert.equal(lockAccessOf("PUT", new Headers()), "read");
 * assert.equal(lockAccessOf("PROPFIND", new Headers()), "read");
 * assert.equal(lockAccessOf("GET", new Headers()), undefined);
 * assert.equal(lockAccessOf("GET", new Headers({ If: "(<urn:uuid:1>)" })), "read");
 * assert.equal(lockAccessOf("OPTIONS", new Headers()), undefined);
 * ```
 */
export function lockAccessOf(method: string, headers: Headers): LockAccess | undefined {
  const name = method.toUpperCase();
  if (CHANGING.has(name)) return "change";
  if (LOCK_FREE.has(name)) return undefined;
  if (IF_HEADER_ONLY.has(name)) return headers.has("If") ? "read" : undefined;
  return "read";
}

/**
 * Runs the rest of each request through `locks.withLocks` with the access
 * {@link lockAccessOf} gives; passes requests straight on when the manager has
 * no `withLocks` or the request uses no locks. A LOCK's body (XML, at most
 * the context's `maxXmlBytes`) is read first, so a slow client holds no change
 * open while it sends it. When `withLocks` rejects (e.g.
 * 503: a change could not be committed), the handler's answer is dropped and
 * the error is answered instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import type { LockAccess } from "../locks/lock_manager.ts";
 * import { LockTable } from "../locks/lock_table.ts";
 * import type { DavEnv } from "./dav_env.ts";
 * import { lockSync } from "./lock_sync.ts";
 * const seen: LockAccess[] = [];
 * const locks = new LockTable();
 * locks.withLocks = (access, request) => {
 *   seen.push(access);
 *   return request();
 * };
 * const app = new Hono<DavEnv>();
 * app.use(async (c, next) => {
 *   c.set("dav", { request: c.req.raw, maxXmlBytes: 1 << 20 } as DavRequestContext);
 *   await next();
 * });
 * app.use(lockSync(locks));
 * app.all("*", (c) => c.text("ok"));
 * for (const method of ["LOCK", "PUT", "GET", "OPTIONS"]) {
 *   assert.equal((await app.fetch(new Request("http://h/a", { method }))).status, 200);
 * }
 * assert.deepEqual(seen, ["change", "read"]);
 * ```
 */
export function lockSync(locks: LockManager): DavMiddleware {
  return async (c, next) => {
    const access = lockAccessOf(c.req.method, c.req.raw.headers);
    if (access === undefined || locks.withLocks === undefined) return await next();
    try {
      // A LOCK body is read before the change begins: a slow client must not hold
      // every server's lock changes while it sends it.
      if (c.req.method.toUpperCase() === "LOCK") {
        await bufferBody(c.var.dav, (dav) => c.set("dav", dav));
      }
      await locks.withLocks(access, next);
    } catch (error) {
      await c.req.raw.body?.cancel().catch(() => {});
      if (c.finalized) await c.res.body?.cancel().catch(() => {});
      throw error;
    }
  };
}

/** Reads the request body (at most `maxXmlBytes`: else 413) and hands on a context whose request holds it. */
async function bufferBody(
  dav: DavRequestContext,
  replace: (dav: DavRequestContext) => void,
): Promise<void> {
  const request = dav.request;
  if (!hasBody(request)) return;
  const body = await readBoundedBody(request, { maxBytes: dav.maxXmlBytes });
  replace({
    ...dav,
    request: new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: body as Uint8Array<ArrayBuffer>, // a fresh buffer of its own
      signal: request.signal,
    }),
  });
}
