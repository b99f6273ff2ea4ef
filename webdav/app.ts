/**
 * The Hono app of the WebDAV server, composed of middleware around one small
 * handler per method:
 *
 * 1. errors — anything thrown below becomes its HTTP answer, never revealing
 *    internals (`middleware/error_answer.ts`, as `app.onError`);
 * 2. the cross-site refusal — 403 for a change sent by a page of another
 *    origin (`middleware/origin_check.ts`); then authentication — the
 *    `authenticate` hook (`middleware/authentication.ts`);
 * 3. the method gate — 405 or 501 for a method without a handler
 *    (`middleware/method_gate.ts`);
 * 4. the read-only refusal — 403 for changes (`middleware/read_only.ts`);
 * 5. the request context — the path decoded under the mount prefix
 *    (`middleware/request_context.ts`);
 * 6. the lock middleware — for a lock table shared by several servers, the
 *    table brought up to date before a request that reads locks, and a request
 *    that may change locks run as one change of it (`middleware/lock_sync.ts`);
 * 7. the method's handler (`methods/`); LOCK and UNLOCK (`methods/lock.ts`,
 *    `methods/unlock.ts`) work the lock plugin's table (`locks/`), and every
 *    handler that changes something asks its guard (`locks/lock_guard.ts`).
 *
 * @module
 */

import { Hono } from "../deps/hono.ts";
import type { BackupFS } from "../src/fs/mod.ts";
import { MemoryBudget } from "../src/http/mod.ts";
import type { DavHandler, UploadAdmission } from "./dav_context.ts";
import { normalizePrefix } from "./http/href.ts";
import { publicOrigin, TrustedProxies } from "./http/public_origin.ts";
import type { LockManager } from "./locks/lock_manager.ts";
import { LockTable } from "./locks/lock_table.ts";
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
import { type AuthenticateHook, authentication } from "./middleware/authentication.ts";
import { accessLogUser } from "./middleware/access_log.ts";
import type { DavEnv } from "./middleware/dav_env.ts";
import { answerError, type ErrorReporter } from "./middleware/error_answer.ts";
import { forwardedOrigin } from "./middleware/forwarded_origin.ts";
import { lockSync } from "./middleware/lock_sync.ts";
import { methodGate } from "./middleware/method_gate.ts";
import { originCheck } from "./middleware/origin_check.ts";
import { readOnlyRefusal } from "./middleware/read_only.ts";
import { requestContext } from "./middleware/request_context.ts";
import type { QuotaInfo } from "./properties/live_property.ts";
import { DEFAULT_MAX_XML_BYTES } from "./xml/parse.ts";

/** Options of `createWebDavApp` (webdav/mod.ts), the WebDAV server as a fetch handler. */
export interface WebDavOptions {
  /** Refuse every change with 403. */
  readOnly?: boolean;
  /**
   * The lock table (default: a new `LockTable` over a memory store). To keep locks
   * elsewhere, give a `LockTable` over your own `LockStore` — for locks shared by
   * several servers over one store, over a `SharedLockStore`. The app calls the
   * manager's `withLocks`, when it has one, around every request that uses locks.
   */
  locks?: LockManager;
  /**
   * Authentication hook: a `Response` is answered as is (e.g. 401 with a
   * challenge), a string is the authenticated principal, `undefined` is anonymous.
   */
  authenticate?: AuthenticateHook;
  /** Largest XML request body, in bytes (default 1 MiB). */
  maxXmlBytes?: number;
  /** The mount path (default `/`). */
  prefix?: string;
  /** Storage usage for `quota-used-bytes` and `quota-available-bytes`. */
  quota?: () => Promise<QuotaInfo>;
  /** Where unexpected errors are reported (default `console.error`, message only). */
  onError?: ErrorReporter;
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
  /**
   * The server's own origin as browsers see it (default: the request URL's), for
   * the cross-site refusal (`middleware/origin_check.ts`): a change whose
   * `Origin` names another is answered 403.
   */
  ownOrigin?: (request: Request) => string;
  /**
   * Reverse proxies (IP addresses or CIDR ranges) whose `Forwarded` /
   * `X-Forwarded-Proto` / `X-Forwarded-Host` are believed: from them, the origin
   * the client used (`publicOrigin(request)`, webdav/http/public_origin.ts: the
   * default `ownOrigin`, and what `Destination` is compared with); from anyone
   * else those headers are ignored. Default: none.
   */
  trustedProxies?: readonly string[];
  /**
   * PROPFIND `Depth: infinity`: answered (`"allow"`, the default; streamed from one
   * scan of the subtree) or refused with 403 `propfind-finite-depth` (`"refuse"`).
   */
  depthInfinity?: "allow" | "refuse";
}

/** Default memory budget of uploads in progress: 256 MiB. */
export const DEFAULT_UPLOAD_MEMORY_BYTES = 256 * 1024 * 1024;
/** Default share of one streamed upload: (4 in flight + 1 filling) × 4 MiB chunks + 1 MiB. */
export const DEFAULT_PER_UPLOAD_BYTES = 21 * 1024 * 1024;
/** Default longest wait of an upload for memory: 30 s. */
export const DEFAULT_UPLOAD_WAIT_MS = 30_000;

/** The handler of each method, by its name in upper case. */
function methodHandlers(options: WebDavOptions | undefined): Record<string, DavHandler> {
  return {
    OPTIONS: optionsHandler,
    GET: getOrHead,
    HEAD: getOrHead,
    PUT: put,
    DELETE: remove,
    MKCOL: mkcol,
    COPY: copy,
    MOVE: move,
    PROPFIND: createPropfindHandler({
      ...(options?.quota ? { quota: options.quota } : {}),
      ...(options?.listings?.max === undefined ? {} : { maxListings: options.listings.max }),
      ...(options?.listings?.waitMs === undefined
        ? {}
        : { listingWaitMs: options.listings.waitMs }),
      ...(options?.depthInfinity === undefined ? {} : { depthInfinity: options.depthInfinity }),
    }),
    PROPPATCH: proppatch,
    // The lock plugin's methods.
    LOCK: handleLock,
    UNLOCK: handleUnlock,
  };
}

/**
 * The Hono app serving `fs` over WebDAV.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../src/fs/mod.ts";
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
 *   const post = await app.fetch(new Request("http://localhost/a.txt", { method: "POST" }));
 *   assert.equal(post.status, 405);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function createWebDavHono(fs: BackupFS, options?: WebDavOptions): Hono<DavEnv> {
  const readOnly = options?.readOnly ?? false;
  const report = options?.onError;
  const uploads: UploadAdmission = {
    budget: new MemoryBudget(options?.uploadMemory?.totalBytes ?? DEFAULT_UPLOAD_MEMORY_BYTES),
    perUploadBytes: options?.uploadMemory?.perUploadBytes ?? DEFAULT_PER_UPLOAD_BYTES,
    waitMs: options?.uploadMemory?.waitMs ?? DEFAULT_UPLOAD_WAIT_MS,
  };
  const handlers = methodHandlers(options);
  const locks = options?.locks ?? new LockTable();

  const app = new Hono<DavEnv>();
  // Errors (every thrown Error reaches onError; Hono rethrows anything else).
  app.onError((error, c) => answerError(error, c.req.raw, { report }));
  app.use(async (c, next) => {
    try {
      await next();
    } catch (thrown) {
      return await answerError(thrown, c.req.raw, { report });
    }
  });
  // Behind trusted proxies: each request's public origin, worked out before any check uses it.
  const trusted = TrustedProxies.parse(options?.trustedProxies ?? []);
  if (!trusted.empty) app.use(forwardedOrigin(trusted));
  const ownOrigin = options?.ownOrigin ?? (trusted.empty ? undefined : publicOrigin);
  app.use(originCheck(ownOrigin ? { ownOrigin } : {}));
  if (options?.authenticate) app.use(authentication(options.authenticate), accessLogUser());
  app.use(methodGate(Object.keys(handlers)));
  if (readOnly) app.use(readOnlyRefusal());
  app.use(requestContext({
    fs,
    prefix: normalizePrefix(options?.prefix),
    readOnly,
    locks,
    maxXmlBytes: options?.maxXmlBytes ?? DEFAULT_MAX_XML_BYTES,
    uploads,
  }));
  app.use(lockSync(locks));
  for (const [method, handler] of Object.entries(handlers)) {
    // Hono answers HEAD with the GET route (and drops the body).
    if (method !== "HEAD") app.on(method, "*", (c) => handler(c.var.dav));
  }
  // A method named in another case (`propfind`: Deno.serve passes it as sent)
  // reaches the same handler; the method gate let only known methods through.
  app.all("*", (c) => handlers[c.req.method.toUpperCase()]!(c.var.dav));
  return app;
}
