/**
 * The Hono app of the WebDAV server: the authentication hook, request limits,
 * path decoding into a `DavRequestContext`, dispatch to the method handlers, and
 * errors (`DavError`, `Deno.errors.*`, storage failures) turned into HTTP answers
 * that never reveal internals.
 *
 * @module
 */

import { Hono } from "../deps/hono.ts";
import type { DavHandler, DavRequestContext, LockManager, UploadAdmission } from "./dav_context.ts";
import { MemoryBudget } from "../src/http/memory_budget.ts";
import { DavError } from "./dav_error.ts";
import type { BackupFS } from "../src/fs/backup_fs.ts";
import { errorResponse, isUnexpected } from "./http/errors.ts";
import { decodeRequestPath, encodeHref, normalizePrefix, pathOfHref } from "./http/href.ts";
import { MemoryLockManager } from "./locks/lock_manager.ts";
import { copy, move } from "./methods/copy_move.ts";
import { remove } from "./methods/delete.ts";
import { getOrHead } from "./methods/get_head.ts";
import { handleLock } from "./methods/lock.ts";
import { mkcol } from "./methods/mkcol.ts";
import { options as optionsHandler } from "./methods/options.ts";
import { createPropfindHandler } from "./methods/propfind.ts";
import { proppatch } from "./methods/proppatch.ts";
import { put } from "./methods/put.ts";
import { handleUnlock } from "./methods/unlock.ts";
import { ALLOWED_METHODS } from "./methods/common.ts";
import type { QuotaInfo } from "./properties/live_properties.ts";
import { DEFAULT_MAX_XML_BYTES } from "./xml/parse.ts";

/** Options of `createWebDavApp` (webdav/mod.ts), the WebDAV server as a fetch handler. */
export interface WebDavOptions {
  /** Refuse every change with 403. */
  readOnly?: boolean;
  /** The lock manager (default: a new in-memory `MemoryLockManager`). */
  locks?: LockManager;
  /**
   * Authentication hook: a `Response` is answered as is (e.g. 401 with a
   * challenge), a string is the authenticated principal, `undefined` is anonymous.
   */
  authenticate?: (request: Request) => Promise<string | undefined | Response>;
  /** Largest XML request body, in bytes (default 1 MiB). */
  maxXmlBytes?: number;
  /** The mount path (default `/`). */
  prefix?: string;
  /** Storage usage for `quota-used-bytes` and `quota-available-bytes`. */
  quota?: () => Promise<QuotaInfo>;
  /** Where unexpected errors are reported (default `console.error`, message only). */
  onError?: (error: unknown, request: Request) => void;
  /**
   * Memory for uploads in progress: PUT bodies are cut into chunks in memory, so each
   * PUT takes a share of this budget before reading its body (its declared length,
   * at most `perUploadBytes`) and waits when it is spent; after `waitMs` it is
   * answered 503 with `Retry-After`. Defaults: 256 MiB in all, 21 MiB per upload
   * (4 MiB chunks, 4 in flight, one filling, a 1 MiB read buffer), 30 s.
   */
  uploadMemory?: { totalBytes?: number; perUploadBytes?: number; waitMs?: number };
  /**
   * PROPFIND Depth 1 listings answered at once (`max`, default 32): each holds its
   * members' state while its reply streams, so beyond it they wait in turn; after
   * `waitMs` (default 30 s) one is answered 503 with `Retry-After`.
   */
  listings?: { max?: number; waitMs?: number };
}

/** Default memory budget of uploads in progress: 256 MiB. */
export const DEFAULT_UPLOAD_MEMORY_BYTES = 256 * 1024 * 1024;
/** Default share of one streamed upload: (4 in flight + 1 filling) × 4 MiB chunks + 1 MiB. */
export const DEFAULT_PER_UPLOAD_BYTES = 21 * 1024 * 1024;
/** Default longest wait of an upload for memory: 30 s. */
export const DEFAULT_UPLOAD_WAIT_MS = 30_000;

/** Methods that change something (refused when read-only). */
const MODIFYING = new Set([
  "PUT",
  "DELETE",
  "MKCOL",
  "COPY",
  "MOVE",
  "PROPPATCH",
  "LOCK",
  "UNLOCK",
]);
/** A normalized path (not `/`) whose segments are RFC 3986 unreserved characters only. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/;

/** Methods known to HTTP that this server does not allow on its resources (405). */
const NOT_ALLOWED = new Set(["POST", "PATCH", "TRACE", "CONNECT", "SEARCH", "REPORT", "ACL"]);

function defaultOnError(error: unknown, request: Request): void {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  console.error(`webdav: ${request.method} failed: ${name}: ${message}`);
}

/**
 * The Hono app serving `fs` over WebDAV.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../src/fs/backup_fs.ts";
 * import { EmbeddedStore } from "../src/storage/store/mod.ts";
 * import { createWebDavHono } from "./app.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const app = createWebDavHono(new BackupFS(store, { jobId: "dav" }));
 *   const options = await app.fetch(new Request("http://localhost/", { method: "OPTIONS" }));
 *   assert.equal(options.headers.get("DAV"), "1, 2");
 *   const put = await app.fetch(new Request("http://localhost/a.txt", { method: "PUT", body: "hi" }));
 *   assert.equal(put.status, 201);
 *   const get = await app.fetch(new Request("http://localhost/a.txt"));
 *   assert.equal(await get.text(), "hi");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function createWebDavHono(fs: BackupFS, options: WebDavOptions = {}): Hono {
  const prefix = normalizePrefix(options.prefix);
  const locks = options.locks ?? new MemoryLockManager();
  const readOnly = options.readOnly ?? false;
  const maxXmlBytes = options.maxXmlBytes ?? DEFAULT_MAX_XML_BYTES;
  const onError = options.onError ?? defaultOnError;
  const uploads: UploadAdmission = {
    budget: new MemoryBudget(options.uploadMemory?.totalBytes ?? DEFAULT_UPLOAD_MEMORY_BYTES),
    perUploadBytes: options.uploadMemory?.perUploadBytes ?? DEFAULT_PER_UPLOAD_BYTES,
    waitMs: options.uploadMemory?.waitMs ?? DEFAULT_UPLOAD_WAIT_MS,
  };
  const handlers: Record<string, DavHandler> = {
    OPTIONS: optionsHandler,
    GET: getOrHead,
    HEAD: getOrHead,
    PUT: put,
    DELETE: remove,
    MKCOL: mkcol,
    COPY: copy,
    MOVE: move,
    PROPFIND: createPropfindHandler({
      ...(options.quota ? { quota: options.quota } : {}),
      ...(options.listings?.max === undefined ? {} : { maxListings: options.listings.max }),
      ...(options.listings?.waitMs === undefined ? {} : { listingWaitMs: options.listings.waitMs }),
    }),
    PROPPATCH: proppatch,
    LOCK: handleLock,
    UNLOCK: handleUnlock,
  };

  const app = new Hono();
  app.all("*", async (c) => {
    const request = c.req.raw;
    const method = request.method.toUpperCase();
    try {
      let principal: string | undefined;
      if (options.authenticate) {
        const outcome = await options.authenticate(request);
        if (outcome instanceof Response) return outcome;
        principal = outcome;
      }
      const handler = handlers[method];
      if (!handler) {
        await request.body?.cancel().catch(() => {});
        if (NOT_ALLOWED.has(method)) {
          throw new DavError(405, "Method Not Allowed", {
            headers: { Allow: ALLOWED_METHODS.join(", ") },
          });
        }
        throw new DavError(501, "Not Implemented");
      }
      if (readOnly && MODIFYING.has(method)) {
        await request.body?.cancel().catch(() => {});
        throw new DavError(403, "The server is read-only");
      }
      const url = new URL(request.url);
      if (request.url.includes("#")) {
        // A fragment is never part of a Request-URI (RFC 7230 §5.3): refuse, never strip.
        throw new DavError(400, "A fragment is not allowed in the request URI");
      }
      const { path, trailingSlash } = decodeRequestPath(url.pathname, prefix);
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
        pathOf: (hrefOrUrl) => pathOfHref(hrefOrUrl, { base: request.url, prefix }),
        readOnly,
        locks,
        ...(principal === undefined ? {} : { principal }),
        maxXmlBytes,
        uploads,
      };
      return await handler(ctx);
    } catch (error) {
      if (isUnexpected(error)) onError(error, request);
      await request.body?.cancel().catch(() => {});
      return errorResponse(error, { head: method === "HEAD" });
    }
  });
  return app;
}
