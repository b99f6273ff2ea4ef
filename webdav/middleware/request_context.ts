/**
 * The request-context middleware: from the request URL to the
 * `DavRequestContext` every method handler receives — the path decoded under
 * the mount prefix, how to write and read hrefs, the server's settings — set as
 * `c.var.dav`.
 *
 * @module
 */

import type { BackupFS } from "../../src/fs/mod.ts";
import type { DavRequestContext, UploadAdmission } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { decodeRequestPath, encodeHref, pathOfHref } from "../http/href.ts";
import { publicOrigin } from "../http/public_origin.ts";
import type { LockManager } from "../locks/lock_manager.ts";
import type { DavMiddleware } from "./dav_env.ts";

/** What the server gives every request's context. */
export interface ServerSettings {
  /** The file system served. */
  fs: BackupFS;
  /** The mount path, normalized (`""` for the root, else `/dav` without a trailing slash). */
  prefix: string;
  /** Whether changes are refused. */
  readOnly: boolean;
  /** The lock table. */
  locks: LockManager;
  /** Largest XML request body accepted, in bytes. */
  maxXmlBytes: number;
  /** How uploads are admitted. */
  uploads: UploadAdmission;
}

/** A normalized path (not `/`) whose segments are RFC 3986 unreserved characters only. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/;

/**
 * Builds the request's {@link DavRequestContext} and sets it as `c.var.dav`: 400
 * for a URL with a fragment, 404 for a path outside the mount prefix (both as
 * `DavError`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import type { BackupFS } from "../../src/fs/mod.ts";
 * import { MemoryBudget } from "../../src/http/mod.ts";
 * import { LockTable } from "../locks/lock_table.ts";
 * import type { DavEnv } from "./dav_env.ts";
 * import { requestContext } from "./request_context.ts";
 * const app = new Hono<DavEnv>();
 * app.onError((error) => new Response(null, { status: (error as { status?: number }).status ?? 500 }));
 * app.use(requestContext({
 *   fs: {} as BackupFS,
 *   prefix: "/dav",
 *   readOnly: false,
 *   locks: new LockTable(),
 *   maxXmlBytes: 1024,
 *   uploads: { budget: new MemoryBudget(1024), perUploadBytes: 1024, waitMs: 0 },
 * }));
 * app.all("*", (c) => c.json({ path: c.var.dav.path, href: c.var.dav.href("/a b", true) }));
 * const answer = await app.fetch(new Request("http://h/dav/docs/"));
 * assert.deepEqual(await answer.json(), { path: "/docs", href: "/dav/a%20b/" });
 * assert.equal((await app.fetch(new Request("http://h/other"))).status, 404);
 * ```
 */
export function requestContext(settings: ServerSettings): DavMiddleware {
  const { fs, prefix, readOnly, locks, maxXmlBytes, uploads } = settings;
  return async (c, next) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    if (request.url.includes("#")) {
      // A fragment is never part of a Request-URI (RFC 7230 §5.3): refuse, never strip.
      throw new DavError(400, "A fragment is not allowed in the request URI");
    }
    const { path, trailingSlash } = decodeRequestPath(url.pathname, prefix);
    const principal = c.var.principal;
    const ctx: DavRequestContext = {
      request,
      fs,
      path,
      trailingSlash,
      href: (p, collection) => {
        // A path of unreserved characters only encodes to itself: no split and
        // re-encode per member of a listing.
        if (PLAIN_PATH.test(p)) return collection ? `${prefix}${p}/` : prefix + p;
        return encodeHref(p, { prefix, ...(collection ? { collection } : {}) });
      },
      // Compared with the origin the client used (behind a trusted proxy: the one it forwarded).
      pathOf: (hrefOrUrl) =>
        pathOfHref(hrefOrUrl, { base: publicOrigin(request) + url.pathname, prefix }),
      readOnly,
      locks,
      ...(principal === undefined ? {} : { principal }),
      maxXmlBytes,
      uploads,
    };
    c.set("dav", ctx);
    await next();
  };
}
