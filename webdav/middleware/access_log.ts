/**
 * The access log's user: once the authentication middleware named the request's
 * principal, it is noted in the request's record (`src/http/request_record.ts`)
 * for the access log's user field. Only the name: never a password or header.
 * Requests the server does not observe (no `--access-log`, no `--metrics`) are
 * left alone.
 *
 * @module
 */

import { setRequestUser } from "../../src/http/request_record.ts";
import type { DavMiddleware } from "./dav_env.ts";

/**
 * Notes `c.var.principal`, when set, as the user of the request's record. Use it
 * right after the authentication middleware.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import type { DavEnv } from "./dav_env.ts";
 * import { accessLogUser } from "./access_log.ts";
 * import { attachRecord, RequestRecord } from "../../src/http/request_record.ts";
 * const app = new Hono<DavEnv>();
 * app.use(async (c, next) => {
 *   c.set("principal", "alice");
 *   await next();
 * });
 * app.use(accessLogUser());
 * app.get("*", (c) => c.text("ok"));
 * const request = new Request("http://h/");
 * const record = new RequestRecord("GET", "/", "127.0.0.1");
 * attachRecord(request, record);
 * await app.fetch(request);
 * assert.equal(record.user, "alice");
 * ```
 */
export function accessLogUser(): DavMiddleware {
  return async (c, next) => {
    const principal = c.var.principal;
    if (principal !== undefined) setRequestUser(c.req.raw, principal);
    await next();
  };
}
