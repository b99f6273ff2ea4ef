/**
 * BackupFS: a Deno-style file system over BackupStorage. Paths map to objects
 * (`/a/b.txt` ↔ `a/b.txt`), byte ranges to chunks, empty directories to marker
 * objects (`a/dir/`). It works over any `BackupStorage`: the embedded store
 * in-process, or a service through `BackupStorageClient`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "./mod.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.writeTextFile("/todo.txt", "back up everything");
 *   await using file = await fs.open("/todo.txt");
 *   const buffer = new Uint8Array(4);
 *   assert.equal(await file.read(buffer), 4);
 *   assert.equal(new TextDecoder().decode(buffer), "back");
 *   assert.equal((await fs.stat("/todo.txt")).size, 18);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export {
  BackupFS,
  type BackupFSOptions,
  type BackupWriteFileOptions,
  type ReadDirInfoOptions,
} from "./backup_fs.ts";
export { BackupFile, type BackupOpenOptions } from "./file_handle.ts";
export type { HandleContext } from "./handle_context.ts";
export { type ByteSource, readPieces, type ReadPiecesOptions } from "./byte_source.ts";
export type { BackupDirEntry, BackupFileInfo } from "./file_info.ts";
export type { ExtendedAttributes, FileAttributes } from "./attributes.ts";
export { DirectoryNotEmptyError, OverlappingPathsError } from "./fs_errors.ts";
export { MetadataTooLargeError } from "./attributes.ts";
export { ChunkCache, type ChunkCacheOptions } from "./chunk_cache.ts";
export { baseName, joinPath, normalizePath, parentOf } from "./paths.ts";
export { isRetryableFailure } from "./retryable.ts";
export { DEFAULT_CHUNK_SIZE } from "./object_writer.ts";
