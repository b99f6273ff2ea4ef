/**
 * What BackupFS tells about a path: `BackupFileInfo` (shaped like `Deno.FileInfo`)
 * and `BackupDirEntry` (like `Deno.DirEntry`), built from listed objects.
 *
 * @module
 */

import type { BackupObject } from "../storage/types.ts";
import { decodeMetadataString, type FileAttributes } from "./attributes.ts";

/**
 * Facts about a file or directory, shaped like `Deno.FileInfo` (fields BackupFS
 * cannot know are `null`), plus the object's content type, ETag and token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BackupFileInfo, directoryInfo, writtenFileInfo } from "./file_info.ts";
 * function describe(info: BackupFileInfo): string {
 *   return info.isDirectory ? "directory" : `${info.size} bytes, ${info.contentType ?? "?"}`;
 * }
 * const file = writtenFileInfo({ size: 5, mtime: 0, contentType: "text/plain" }, "etag");
 * assert.equal(describe(file), "5 bytes, text/plain");
 * assert.equal(file.mode, 0o644); // the default of files
 * assert.equal(describe(directoryInfo()), "directory"); // an implicit directory
 * ```
 */
export interface BackupFileInfo {
  /** A file (an object without a trailing `/`). */
  isFile: boolean;
  /** A directory (implicit, or a marker object `dir/`). */
  isDirectory: boolean;
  /** Always false: BackupFS has no symbolic links. */
  isSymlink: false;
  /** Size in bytes (0 for directories). */
  size: number;
  /** Last modification time, when known. */
  mtime: Date | null;
  /** Not tracked: always `null`. */
  atime: null;
  /** Creation time, when known. */
  birthtime: Date | null;
  /** Permission bits, when known (files default to 0o644, directories to 0o755). */
  mode: number | null;
  /** Content type stored with the file, when any. */
  contentType?: string;
  /** Strong ETag: the object's SUMMARY checksum (files and directory markers). */
  etag?: string;
  /** Token of the version described (files and directory markers). */
  objectToken?: string;
  /** Chunk size the writer used, when recorded (lets readers compute chunk indexes). */
  chunkSize?: number;
  /**
   * `false` when the version is known to have no extended attributes (no dead
   * properties, no xattrs): reading them would return `{}`. Absent when unknown.
   */
  hasExtendedAttributes?: boolean;
}

/**
 * One entry of a directory listing, like `Deno.DirEntry`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import type { BackupDirEntry } from "./file_info.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.writeTextFile("/a.txt", "hello");
 *   await fs.mkdir("/docs");
 *   const entries: BackupDirEntry[] = await Array.fromAsync(fs.readDir("/"));
 *   assert.deepEqual(entries, [
 *     { name: "a.txt", isFile: true, isDirectory: false, isSymlink: false },
 *     { name: "docs", isFile: false, isDirectory: true, isSymlink: false },
 *   ]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface BackupDirEntry {
  /** The child's name (no slashes). */
  name: string;
  /** Whether it is a file. */
  isFile: boolean;
  /** Whether it is a directory. */
  isDirectory: boolean;
  /** Always false. */
  isSymlink: false;
}

/** The info of a directory, from its marker object when there is one. */
export function directoryInfo(marker?: BackupObject): BackupFileInfo {
  const attrs = marker ? decodeMetadataString(marker.MetadataString) : undefined;
  const info: BackupFileInfo = {
    isFile: false,
    isDirectory: true,
    isSymlink: false,
    size: 0,
    mtime: attrs ? new Date(attrs.mtime) : null,
    atime: null,
    birthtime: attrs?.birthtime !== undefined ? new Date(attrs.birthtime) : null,
    mode: attrs?.mode ?? 0o755,
  };
  if (marker) {
    info.etag = marker.ObjectChecksum;
    // A getter: an in-process listing signs a token only when it is read.
    Object.defineProperty(info, "objectToken", {
      get: () => marker.ObjectToken,
      enumerable: true,
      configurable: true,
    });
  }
  // An implicit directory has nowhere to keep attributes.
  if (!marker || attrs?.noBlob) info.hasExtendedAttributes = false;
  return info;
}

/**
 * The info of a file object. `attrs` are its decoded attributes, or `undefined` for
 * an object another tool wrote, whose `size` the caller then supplies (from ListChunks).
 */
export function fileInfo(
  object: BackupObject,
  attrs: FileAttributes | undefined,
  size: number,
  contentType?: string,
): BackupFileInfo {
  const type = contentType ?? attrs?.contentType;
  const info: BackupFileInfo = {
    isFile: true,
    isDirectory: false,
    isSymlink: false,
    size,
    mtime: attrs ? new Date(attrs.mtime) : null,
    atime: null,
    birthtime: attrs?.birthtime !== undefined ? new Date(attrs.birthtime) : null,
    mode: attrs?.mode ?? 0o644,
    etag: object.ObjectChecksum,
    // A getter: an in-process listing signs a token only when it is read.
    get objectToken(): string {
      return object.ObjectToken;
    },
  };
  if (type !== undefined) info.contentType = type;
  if (attrs?.chunkSize !== undefined) info.chunkSize = attrs.chunkSize;
  if (attrs?.noBlob) info.hasExtendedAttributes = false;
  return info;
}

/**
 * The info of a file version this BackupFS just wrote, from the attributes it
 * stored and the object checksum the store confirmed. The version's token is only
 * known from a listing, so `objectToken` is absent.
 */
export function writtenFileInfo(attrs: FileAttributes, etag: string): BackupFileInfo {
  return {
    isFile: true,
    isDirectory: false,
    isSymlink: false,
    size: attrs.size,
    mtime: new Date(attrs.mtime),
    atime: null,
    birthtime: attrs.birthtime !== undefined ? new Date(attrs.birthtime) : null,
    mode: attrs.mode ?? 0o644,
    ...(attrs.contentType !== undefined ? { contentType: attrs.contentType } : {}),
    etag,
    ...(attrs.chunkSize !== undefined ? { chunkSize: attrs.chunkSize } : {}),
    ...(attrs.noBlob ? { hasExtendedAttributes: false } : {}),
  };
}
