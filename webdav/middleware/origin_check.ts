/**
 * The cross-site refusal: a browser on another site must not change anything
 * here with the user's credentials (cross-site request forgery). A request that
 * changes something (PUT, DELETE, MKCOL, MOVE, COPY, PROPPATCH, LOCK, UNLOCK,
 * POST) is answered 403 before anything else of it is looked at when its
 * `Origin` header names another origin than the server's own, or when its
 * `Sec-Fetch-Site` header says `cross-site`. WebDAV clients send neither header
 * and pass; so do reads from anywhere.
 *
 * @module
 */

import { DavError } from "../dav_error.ts";
import { publicOrigin } from "../http/public_origin.ts";
import type { DavMiddleware } from "./dav_env.ts";

/** Methods that change something, checked by {@link originCheck}. */
const STATE_CHANGING: ReadonlySet<string> = new Set([
  "PUT",
  "DELETE",
  "MKCOL",
  "MOVE",
  "COPY",
  "PROPPATCH",
  "LOCK",
  "UNLOCK",
  "POST",
]);

/** Options of {@link originCheck}. */
export interface OriginCheckOptions {
  /**
   * The server's own origin (`scheme://host[:port]`) as browsers see it, for a
   * request. Default: `publicOrigin` (`http/public_origin.ts`): the forwarded
   * origin the app recorded for a request through a trusted reverse proxy, else
   * the request URL's origin.
   */
  ownOrigin?: (request: Request) => string;
}

/**
 * Whether `request` is a cross-site change that {@link originCheck} refuses:
 * a state-changing method with a foreign `Origin` (or `Origin: null`, or one
 * that is not a URL) or with `Sec-Fetch-Site: cross-site`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCrossSiteChange } from "./origin_check.ts";
 * const put = (headers: Record<string, string>) =>
 *   new Request("http://h:8080/a", { method: "PUT", headers });
 * assert.equal(isCrossSiteChange(put({ Origin: "http://evil.example" })), true);
 * assert.equal(isCrossSiteChange(put({ Origin: "http://h:8080" })), false);
 * assert.equal(isCrossSiteChange(put({ Origin: "HTTP://H:8080" })), false);
 * assert.equal(isCrossSiteChange(put({ Origin: "null" })), true);
 * assert.equal(isCrossSiteChange(put({})), false); // a WebDAV client
 * assert.equal(isCrossSiteChange(put({ "Sec-Fetch-Site": "cross-site" })), true);
 * const get = new Request("http://h:8080/a", { headers: { Origin: "http://evil.example" } });
 * assert.equal(isCrossSiteChange(get), false);
 * ```
 */
export function isCrossSiteChange(
  request: Request,
  options?: OriginCheckOptions,
): boolean {
  if (!STATE_CHANGING.has(request.method.toUpperCase())) return false;
  if (request.headers.get("sec-fetch-site")?.trim().toLowerCase() === "cross-site") return true;
  const origin = request.headers.get("origin");
  if (origin === null) return false;
  const own = (options?.ownOrigin ?? publicOrigin)(request);
  return originOf(origin) !== originOf(own);
}

/** The serialized origin of `text` (lower case, default port dropped), or "" if none. */
function originOf(text: string): string {
  try {
    const url = new URL(text.trim());
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : "";
  } catch {
    return "";
  }
}

/**
 * Refuses cross-site changes (see {@link isCrossSiteChange}) with `DavError`
 * 403, the request body cancelled; lets everything else through.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import type { DavEnv } from "./dav_env.ts";
 * import { originCheck } from "./origin_check.ts";
 * const app = new Hono<DavEnv>();
 * app.onError((error) =>
 *   new Response(error.message, { status: (error as { status?: number }).status ?? 500 })
 * );
 * app.use(originCheck());
 * app.all("*", (c) => c.text("ok"));
 * const foreign = new Request("http://h/a", {
 *   method: "DELETE",
 *   headers: { Origin: "https://evil.example" },
 * });
 * const refused = await app.fetch(foreign);
 * assert.equal(refused.status, 403);
 * assert.match(await refused.text(), /cross-site/i);
 * const own = new Request("http://h/a", { method: "DELETE", headers: { Origin: "http://h" } });
 * assert.equal((await app.fetch(own)).status, 200);
 * assert.equal((await app.fetch(new Request("http://h/a", { method: "DELETE" }))).status, 200);
 * ```
 */
export function originCheck(options?: OriginCheckOptions): DavMiddleware {
  return async (c, next) => {
    if (isCrossSiteChange(c.req.raw, options)) {
      await c.req.raw.body?.cancel().catch(() => {});
      throw new DavError(
        403,
        "Cross-site request refused: a page of another origin may not change files here",
      );
    }
    await next();
  };
}
