/**
 * What an open file (`BackupFile`) needs from its file system: where its bytes
 * go, the version it was opened on, and how to build and announce the metadata of
 * the version it writes.
 *
 * @module
 */

import type { BackupObject } from "../storage/types.ts";
import type { BackupStorage } from "../storage/backup_storage.ts";
import type { FileAttributes } from "./attributes.ts";
import type { ChunkCache } from "./chunk_cache.ts";
import type { BackupFileInfo } from "./file_info.ts";
import type { ObjectIo } from "./object_io.ts";
import type { PathResolver } from "./path_resolver.ts";
import { objectNameOf } from "./paths.ts";
import type { VersionMetadata } from "./version_metadata.ts";

/**
 * What a handle needs from its file system; {@link BackupFS.open} supplies it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import { BackupFile } from "./file_handle.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.writeTextFile("/a.txt", "hello");
 *   // Made by BackupFS.open; user code never builds one.
 *   await using file = await fs.open("/a.txt");
 *   assert.ok(file instanceof BackupFile);
 *   assert.equal(file.path, "/a.txt");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface HandleContext {
  /** The storage holding the file. */
  storage: BackupStorage;
  /** The job of the file system. */
  jobId: string;
  /** The file's normalized path. */
  path: string;
  /** The file's object name. */
  objectName: string;
  /** The chunk cache shared by the file system. */
  cache: ChunkCache;
  /** Chunks read ahead by sequential reads. */
  prefetch: number;
  /** Chunk size of the new version. */
  chunkSize: number;
  /** PutChunks in flight. */
  uploadConcurrency: number;
  /** Where spool files go. */
  spoolDirectory?: string;
  /** Largest spool file. */
  maxSpoolBytes?: number;
  /** The version current at open, if the file existed. */
  base?: { objectToken: string; size: number; info: BackupFileInfo };
  /** Info of the file as it is now (the handle's own writes included). */
  describe(size: number): BackupFileInfo;
  /** Builds the metadata of the new version of `size` bytes, before it is closed. */
  metadataFor(
    size: number,
  ): Promise<{ metadataString?: string; metadataBlob?: Uint8Array; attributes?: FileAttributes }>;
  /** Called after the new version is current. */
  committed(): void;
}

/**
 * Options of {@link handleContextFor}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { HandleContextOptions } from "./handle_context.ts";
 * import type { PathResolver } from "./path_resolver.ts";
 * import type { VersionMetadata } from "./version_metadata.ts";
 * function forNewFile(paths: PathResolver, versions: VersionMetadata): HandleContextOptions {
 *   return { paths, versions, mode: 0o600 }; // no base: the file is created
 * }
 * assert.equal(forNewFile({} as PathResolver, {} as VersionMetadata).base, undefined);
 * ```
 */
export interface HandleContextOptions {
  /** The version current at open, if the file existed. */
  base?: { object: BackupObject; info: BackupFileInfo } | undefined;
  /** Permission bits of a created file (default 0o644; an existing file keeps its own). */
  mode?: number | undefined;
  /** Builds the metadata of the new version. */
  versions: VersionMetadata;
  /** Its cache forgets the path once the new version is current. */
  paths: PathResolver;
}

/**
 * The context of a handle on the file at the normalized `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { BackupFile } from "./file_handle.ts";
 * import { handleContextFor } from "./handle_context.ts";
 * import { ObjectIo } from "./object_io.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * import { VersionMetadata } from "./version_metadata.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const io = new ObjectIo(store, { jobId: "home", chunkCache: new ChunkCache({ maxBytes: 1 << 20 }) });
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const versions = new VersionMetadata(store, { jobId: "home" });
 *   const context = handleContextFor(io, "/new.txt", { paths, versions, mode: 0o600 });
 *   assert.equal(context.objectName, "new.txt");
 *   assert.equal(context.describe(3).mode, 0o600);
 *   const file = new BackupFile(context, { read: false, write: true, append: false }, {
 *     truncated: false,
 *     created: true,
 *   });
 *   await file.write(new TextEncoder().encode("abc"));
 *   await file.close();
 *   assert.equal((await paths.lookupPath("/new.txt", "stat"))?.info.size, 3);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function handleContextFor(
  io: ObjectIo,
  path: string,
  options: HandleContextOptions,
): HandleContext {
  const { base, mode, versions, paths } = options;
  return {
    storage: io.storage,
    jobId: io.jobId,
    path,
    objectName: objectNameOf(path),
    cache: io.chunkCache,
    prefetch: io.prefetch,
    chunkSize: io.chunkSize,
    uploadConcurrency: io.uploadConcurrency,
    ...(io.spoolDirectory === undefined ? {} : { spoolDirectory: io.spoolDirectory }),
    ...(io.maxSpoolBytes === undefined ? {} : { maxSpoolBytes: io.maxSpoolBytes }),
    ...(base
      ? { base: { objectToken: base.object.ObjectToken, size: base.info.size, info: base.info } }
      : {}),
    describe: (size: number): BackupFileInfo => ({
      ...(base?.info ?? {
        isFile: true,
        isDirectory: false,
        isSymlink: false as const,
        mtime: null,
        atime: null,
        birthtime: null,
        mode: mode ?? 0o644,
      }),
      size,
    }),
    metadataFor: (size: number) => versions.forNewVersion(path, size, { previous: base, mode }),
    // The new token is only known from a listing: drop the entry so the next stat reads it.
    committed: () => paths.cache.invalidateAdded(path),
  };
}
