/**
 * DELETE: a file, or a collection with everything in it (RFC 4918 §9.6); the
 * locks rooted at or below it go too.
 *
 * @module
 */

import type { DavHandler } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { assertCanModify } from "../locks/lock_guard.ts";
import { assertPreconditions } from "../http/conditional.ts";
import { assertWritable, validators } from "./common.ts";

/**
 * The DELETE handler: 204, 404 when missing, 403 on the root.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { remove } from "./delete.ts";
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
 * await fs.mkdir("/docs");
 * await fs.writeTextFile("/docs/a.txt", "x");
 * const response = await remove(context(new Request("http://h/docs", { method: "DELETE" })));
 * assert.equal(response.status, 204);
 * await assert.rejects(fs.stat("/docs"), Deno.errors.NotFound); // and everything in it
 * await assert.rejects(remove(context(new Request("http://h/", { method: "DELETE" }))), { status: 403 });
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const remove: DavHandler = async (ctx) => {
  assertWritable(ctx);
  const info = await ctx.fs.stat(ctx.path);
  if (ctx.path === "/") throw new DavError(403, "The root collection cannot be deleted");
  assertPreconditions(ctx.request, validators(info));
  // Locks granted while this request runs are not the ones it checked: they stay.
  const grantedBefore = ctx.locks.checkpoint();
  await assertCanModify(ctx, [{ path: ctx.path, depth: "infinity" }]);
  await ctx.fs.remove(ctx.path, { recursive: true });
  ctx.locks.removeTree(ctx.path, { grantedBefore });
  return new Response(null, { status: 204 });
};
