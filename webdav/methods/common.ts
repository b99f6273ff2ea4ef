/**
 * Small steps the method handlers share: optional stat, the read-only guard, the
 * parent-collection check, and the validators of a resource.
 *
 * @module
 */

import type { DavRequestContext } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { type BackupFileInfo, type BackupFS, parentOf } from "../../src/fs/mod.ts";
import { type ConditionalState, quoteEtag } from "../http/conditional.ts";
import { isMissing } from "../http/errors.ts";

/**
 * `stat`, or `undefined` when nothing is there (also when a parent is a file).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { statOrUndefined } from "./common.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.writeTextFile("/a", "xyz");
 * assert.equal((await statOrUndefined(fs, "/a"))?.size, 3);
 * assert.equal(await statOrUndefined(fs, "/missing"), undefined);
 * assert.equal(await statOrUndefined(fs, "/a/below-a-file"), undefined);
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function statOrUndefined(
  fs: BackupFS,
  path: string,
): Promise<BackupFileInfo | undefined> {
  try {
    return await fs.tryStat(path);
  } catch (error) {
    // Below a file (NotADirectory) is nothing too.
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Throws `DavError` 403 when the server is read-only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { assertWritable } from "./common.ts";
 * const context = (readOnly: boolean, fsReadOnly: boolean) =>
 *   ({ readOnly, fs: { readOnly: fsReadOnly } }) as DavRequestContext;
 * assertWritable(context(false, false)); // a writable server: no error
 * assert.throws(() => assertWritable(context(true, false)), { status: 403 });
 * assert.throws(() => assertWritable(context(false, true)), { status: 403 });
 * ```
 */
export function assertWritable(ctx: DavRequestContext): void {
  if (ctx.readOnly || ctx.fs.readOnly) throw new DavError(403, "The server is read-only");
}

/**
 * Throws `DavError` 409 unless the parent of `path` is an existing collection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { assertParentCollection } from "./common.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.mkdir("/docs");
 * await fs.writeTextFile("/a.txt", "x");
 * await assertParentCollection(fs, "/docs/new.txt"); // /docs is a collection: no error
 * await assert.rejects(assertParentCollection(fs, "/missing/new.txt"), { status: 409 });
 * await assert.rejects(assertParentCollection(fs, "/a.txt/new.txt"), { status: 409 });
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function assertParentCollection(fs: BackupFS, path: string): Promise<void> {
  if (path === "/") return;
  const parent = await statOrUndefined(fs, parentOf(path));
  if (!parent?.isDirectory) throw new DavError(409, "The parent collection does not exist");
}

/**
 * The validators of a resource for conditional requests (`info` undefined: it
 * does not exist). Collections have no ETag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { validators } from "./common.ts";
 * assert.deepEqual(validators(undefined), { exists: false });
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.writeTextFile("/a.txt", "x");
 * const info = await fs.stat("/a.txt");
 * assert.deepEqual(validators(info), { exists: true, etag: `"${info.etag}"`, lastModified: info.mtime });
 * await fs.mkdir("/docs");
 * assert.equal(validators(await fs.stat("/docs")).etag, undefined); // collections have no ETag
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function validators(info: BackupFileInfo | undefined): ConditionalState {
  if (!info) return { exists: false };
  return {
    exists: true,
    etag: info.isFile ? quoteEtag(info.etag) : undefined,
    lastModified: info.mtime ?? info.birthtime,
  };
}

/** Every method this server implements, as sent in `Allow`. */
export const ALLOWED_METHODS = [
  "OPTIONS",
  "GET",
  "HEAD",
  "PUT",
  "DELETE",
  "MKCOL",
  "COPY",
  "MOVE",
  "PROPFIND",
  "PROPPATCH",
  "LOCK",
  "UNLOCK",
] as const;

/**
 * The `Allow` header value for a resource: everything but PUT on a collection and
 * MKCOL on an existing resource; on a missing resource only what can create it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BackupFileInfo } from "../../src/fs/mod.ts";
 * import { allowFor } from "./common.ts";
 * assert.equal(allowFor(undefined), "OPTIONS, PUT, MKCOL, LOCK");
 * const collection = { isFile: false, isDirectory: true } as BackupFileInfo;
 * assert.equal(
 *   allowFor(collection),
 *   "OPTIONS, GET, HEAD, DELETE, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK",
 * );
 * ```
 */
export function allowFor(info: BackupFileInfo | undefined): string {
  if (!info) return "OPTIONS, PUT, MKCOL, LOCK";
  return ALLOWED_METHODS.filter((method) =>
    method !== "MKCOL" && !(method === "PUT" && info.isDirectory)
  ).join(", ");
}
