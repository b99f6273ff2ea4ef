/**
 * The read-only refusal: on a read-only server every method that changes
 * something is answered 403 before its request is looked at.
 *
 * @module
 */

import { DavError } from "../dav_error.ts";
import type { DavMiddleware } from "./dav_env.ts";

/** Methods that change something (refused when read-only). */
const MODIFYING: ReadonlySet<string> = new Set([
  "PUT",
  "DELETE",
  "MKCOL",
  "COPY",
  "MOVE",
  "PROPPATCH",
  "LOCK",
  "UNLOCK",
]);

/**
 * Refuses every modifying method (its body cancelled) with `DavError` 403; lets
 * the others through.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import type { DavEnv } from "./dav_env.ts";
 * import { readOnlyRefusal } from "./read_only.ts";
 * const app = new Hono<DavEnv>();
 * app.onError((error) => new Response(null, { status: (error as { status?: number }).status ?? 500 }));
 * app.use(readOnlyRefusal());
 * app.all("*", (c) => c.text("ok"));
 * assert.equal((await app.fetch(new Request("http://h/a"))).status, 200);
 * assert.equal((await app.fetch(new Request("http://h/a", { method: "PUT", body: "x" }))).status, 403);
 * assert.equal((await app.fetch(new Request("http://h/a", { method: "LOCK" }))).status, 403);
 * ```
 */
export function readOnlyRefusal(): DavMiddleware {
  return async (c, next) => {
    if (MODIFYING.has(c.req.method.toUpperCase())) {
      await c.req.raw.body?.cancel().catch(() => {});
      throw new DavError(403, "The server is read-only");
    }
    await next();
  };
}
