/**
 * The WebDAV frontend of BackupFS (RFC 4918 class 1 and 2, RFC 4331 quota,
 * RFC 7232/7233 conditional and range requests): a Hono app over a `BackupFS`,
 * as a fetch handler. Serve it with `serveHttp` (`./http`), which bounds every
 * connection as `deno task serve` does; `Deno.serve` works too, but Deno 2.9
 * then prints a notice about `request.signal` (which the app watches while a
 * PUT or a listing waits for its turn) unless run with
 * `--unstable-no-legacy-abort`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../src/fs/mod.ts";
 * import { EmbeddedStore } from "../src/storage/store/mod.ts";
 * import { serveHttp } from "../src/http/mod.ts";
 * import { createWebDavApp } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const dav = createWebDavApp(new BackupFS(store, { jobId: "dav" }));
 * const server = await serveHttp(dav.fetch, { hostname: "127.0.0.1", port: 0 });
 * const url = `http://127.0.0.1:${server.addr.port}`;
 * const put = await fetch(`${url}/hello.txt`, { method: "PUT", body: "hello" });
 * assert.equal(put.status, 201);
 * const response = await fetch(`${url}/`, { method: "PROPFIND", headers: { Depth: "1" } });
 * assert.equal(response.status, 207);
 * assert.ok((await response.text()).includes("<D:href>/hello.txt</D:href>"));
 * await server.shutdown();
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import type { BackupFS } from "../src/fs/mod.ts";
import { createWebDavHono, type WebDavOptions } from "./app.ts";

export type { WebDavOptions } from "./app.ts";
export type { QuotaInfo } from "./properties/live_property.ts";
export { DavError } from "./dav_error.ts";
export type { AuthenticateHook } from "./middleware/authentication.ts";
export type { ErrorReporter } from "./middleware/error_answer.ts";
export { type BasicAuthOptions, createBasicAuth } from "./auth/basic_auth.ts";
export { storeQuota, type UsageSource } from "./serve/disk_quota.ts";
// Locks: the table the server uses, and the store seam to keep locks elsewhere
// (SharedLockStore: in the store's metadata, shared by every server over it).
export type { ActiveLock, LockOutcome, LockRecord, LockRequest } from "./locks/lock_record.ts";
export {
  type LockAccess,
  type LockManager,
  MemoryLockManager,
  type MemoryLockManagerOptions,
} from "./locks/lock_manager.ts";
export { LockTable, type LockTableOptions } from "./locks/lock_table.ts";
export type { LockStore } from "./locks/store/lock_store.ts";
export { type LockSnapshot, MemoryLockStore } from "./locks/store/memory_lock_store.ts";
export { FileLockStore } from "./locks/store/file_lock_store.ts";
export {
  DEFAULT_LOCK_CHANGE_WAIT_MS,
  DEFAULT_LOCK_LEASE_TTL_MS,
  type LockDocumentStore,
  type LockDocumentTransaction,
  SharedLockStore,
  type SharedLockStoreOptions,
} from "./locks/store/shared_lock_store.ts";

/** A WebDAV server as a fetch handler. */
export interface WebDavApp {
  /** Answers one HTTP request. */
  fetch(request: Request): Promise<Response>;
}

/**
 * The WebDAV server of `fs`: `{ fetch }` for `serveHttp` or `Deno.serve` (a Hono app inside).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../src/fs/mod.ts";
 * import { EmbeddedStore } from "../src/storage/store/mod.ts";
 * import { createWebDavApp } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const dav = createWebDavApp(new BackupFS(store, { jobId: "dav" }), { prefix: "/dav" });
 * const response = await dav.fetch(new Request("http://localhost/dav/", { method: "OPTIONS" }));
 * assert.equal(response.status, 200);
 * assert.equal(response.headers.get("DAV"), "1, 2");
 * const outside = await dav.fetch(new Request("http://localhost/other/", { method: "OPTIONS" }));
 * assert.equal(outside.status, 404);
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function createWebDavApp(fs: BackupFS, options?: WebDavOptions): WebDavApp {
  const app = createWebDavHono(fs, options);
  return { fetch: (request: Request) => Promise.resolve(app.fetch(request)) };
}
