/**
 * The method gate: a request whose method this server has no handler for is
 * answered before anything else of it is looked at — 405 with `Allow` for methods
 * HTTP and WebDAV define that this server does not allow on its resources, 501
 * for any other.
 *
 * @module
 */

import { DavError } from "../dav_error.ts";
import { ALLOWED_METHODS } from "../methods/common.ts";
import type { DavMiddleware } from "./dav_env.ts";

/** Methods known to HTTP that this server does not allow on its resources (405). */
const NOT_ALLOWED = new Set(["POST", "PATCH", "TRACE", "CONNECT", "SEARCH", "REPORT", "ACL"]);

/**
 * Lets through the requests whose method (in any case) is one of `methods`;
 * refuses the others (their body cancelled) with `DavError` 405 or 501.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import type { DavEnv } from "./dav_env.ts";
 * import { methodGate } from "./method_gate.ts";
 * const app = new Hono<DavEnv>();
 * app.onError((error) => new Response(null, { status: (error as { status?: number }).status ?? 500 }));
 * app.use(methodGate(["GET"]));
 * app.all("*", (c) => c.text("ok"));
 * assert.equal((await app.fetch(new Request("http://h/"))).status, 200);
 * assert.equal((await app.fetch(new Request("http://h/", { method: "POST" }))).status, 405);
 * assert.equal((await app.fetch(new Request("http://h/", { method: "BREW" }))).status, 501);
 * ```
 */
export function methodGate(methods: Iterable<string>): DavMiddleware {
  const known = new Set(methods);
  return async (c, next) => {
    const method = c.req.method.toUpperCase();
    if (!known.has(method)) {
      await c.req.raw.body?.cancel().catch(() => {});
      if (NOT_ALLOWED.has(method)) {
        throw new DavError(405, "Method Not Allowed", {
          headers: { Allow: ALLOWED_METHODS.join(", ") },
        });
      }
      throw new DavError(501, "Not Implemented");
    }
    await next();
  };
}
