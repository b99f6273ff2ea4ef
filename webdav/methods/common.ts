/**
 * Small steps the method handlers share: optional stat, the read-only guard, the
 * parent-collection check, and the validators of a resource.
 *
 * @module
 */

import type { DavRequestContext } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import type { BackupFS } from "../../src/fs/backup_fs.ts";
import type { BackupFileInfo } from "../../src/fs/file_info.ts";
import { parentOf } from "../../src/fs/paths.ts";
import { type ConditionalState, quoteEtag } from "../http/conditional.ts";

/**
 * `stat`, or `undefined` when nothing is there (also when a parent is a file).
 *
 * @example
 * ```ts
 * import { BackupFS } from "../../src/fs/backup_fs.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { statOrUndefined } from "./common.ts";
 * const dir = await Deno.makeTempDir();
 * await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * console.log(await statOrUndefined(new BackupFS(store, { jobId: "j" }), "/missing")); // undefined
 * ```
 */
export async function statOrUndefined(
  fs: BackupFS,
  path: string,
): Promise<BackupFileInfo | undefined> {
  try {
    return await fs.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw error;
  }
}

/**
 * Throws `DavError` 403 when the server is read-only.
 *
 * @example
 * ```ts
 * import { assertWritable } from "./common.ts";
 * assertWritable({ readOnly: false } as never); // fine
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
 * import { assertParentCollection } from "./common.ts";
 * // await assertParentCollection(ctx.fs, "/a/b"); // 409 when /a is missing or a file
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
 * import { validators } from "./common.ts";
 * console.log(validators(undefined)); // { exists: false }
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
 * import { allowFor } from "./common.ts";
 * console.log(allowFor(undefined)); // OPTIONS, PUT, MKCOL, LOCK
 * ```
 */
export function allowFor(info: BackupFileInfo | undefined): string {
  if (!info) return "OPTIONS, PUT, MKCOL, LOCK";
  return ALLOWED_METHODS.filter((method) =>
    method !== "MKCOL" && !(method === "PUT" && info.isDirectory)
  ).join(", ");
}
