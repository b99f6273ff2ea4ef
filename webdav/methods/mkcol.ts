/**
 * MKCOL: creates a collection (RFC 4918 §9.3).
 *
 * @module
 */

import type { DavHandler } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { assertCanModify } from "../locks/lock_guard.ts";
import { assertPreconditions } from "../http/conditional.ts";
import {
  allowFor,
  assertParentCollection,
  assertWritable,
  statOrUndefined,
  validators,
} from "./common.ts";

/**
 * Whether a request carries a non-empty body (reads at most the first piece).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasBody } from "./mkcol.ts";
 * assert.equal(await hasBody(new Request("http://localhost/", { method: "POST", body: "x" })), true);
 * assert.equal(await hasBody(new Request("http://localhost/", { method: "POST", body: "" })), false);
 * assert.equal(await hasBody(new Request("http://localhost/", { method: "MKCOL" })), false);
 * ```
 */
export async function hasBody(request: Request): Promise<boolean> {
  const length = request.headers.get("content-length");
  if (length !== null && Number(length) > 0) {
    await request.body?.cancel().catch(() => {});
    return true;
  }
  if (!request.body) return false;
  const reader = request.body.getReader();
  for (let i = 0; i < 1_000_000; i++) {
    const { value, done } = await reader.read();
    if (done) return false;
    if (value.byteLength > 0) {
      await reader.cancel().catch(() => {});
      return true;
    }
  }
  return true;
}

/**
 * The MKCOL handler: 201; 405 when something exists there; 415 with a body; 409
 * without a parent collection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { mkcol } from "./mkcol.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * const locks = new MemoryLockManager();
 * const context = (request: Request): DavRequestContext => ({
 *   request,
 *   fs,
 *   path: new URL(request.url).pathname,
 *   trailingSlash: false,
 *   href: (path) => path,
 *   pathOf: (href) => new URL(href, request.url).pathname,
 *   readOnly: false,
 *   locks,
 *   maxXmlBytes: 1 << 20,
 * });
 * const request = () => context(new Request("http://h/docs", { method: "MKCOL" }));
 * assert.equal((await mkcol(request())).status, 201);
 * assert.equal((await fs.stat("/docs")).isDirectory, true);
 * await assert.rejects(mkcol(request()), { status: 405 }); // it exists now
 * await assert.rejects(mkcol(context(new Request("http://h/no/docs", { method: "MKCOL" }))), { status: 409 });
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const mkcol: DavHandler = async (ctx) => {
  assertWritable(ctx);
  if (await hasBody(ctx.request)) {
    throw new DavError(415, "MKCOL with a body is not supported");
  }
  const info = await statOrUndefined(ctx.fs, ctx.path);
  if (info) {
    throw new DavError(405, "The resource already exists", { headers: { Allow: allowFor(info) } });
  }
  assertPreconditions(ctx.request, validators(info));
  await assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);
  await assertParentCollection(ctx.fs, ctx.path);
  await ctx.fs.mkdir(ctx.path);
  return new Response(null, { status: 201 });
};
