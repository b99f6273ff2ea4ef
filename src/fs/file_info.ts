/**
 * What BackupFS tells about a path: `BackupFileInfo` (shaped like `Deno.FileInfo`)
 * and `BackupDirEntry` (like `Deno.DirEntry`), built from listed objects.
 *
 * @module
 */

import { ListedObject } from "../storage/listed_object.ts";
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
  const info = marker ? infoOf(marker) : noObjectInfo();
  info.isDirectory = true;
  info.mtime = attrs ? new Date(attrs.mtime) : null;
  info.birthtime = attrs?.birthtime !== undefined ? new Date(attrs.birthtime) : null;
  info.mode = attrs?.mode ?? 0o755;
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
  const info = infoOf(object);
  info.isFile = true;
  info.size = size;
  info.mtime = attrs ? new Date(attrs.mtime) : null;
  info.birthtime = attrs?.birthtime !== undefined ? new Date(attrs.birthtime) : null;
  info.mode = attrs?.mode ?? 0o644;
  if (type !== undefined) info.contentType = type;
  if (attrs?.chunkSize !== undefined) info.chunkSize = attrs.chunkSize;
  if (attrs?.noBlob) info.hasExtendedAttributes = false;
  return info;
}

/** The fields every info has, neither a file nor a directory yet. */
function noObjectInfo(): BackupFileInfo {
  return {
    isFile: false,
    isDirectory: false,
    isSymlink: false,
    size: 0,
    mtime: null,
    atime: null,
    birthtime: null,
    mode: null,
  };
}

/**
 * An info of an object (its ETag and token set): a {@link ListedInfo} for an
 * object of the in-process listing, whose token is signed only when read.
 */
function infoOf(object: BackupObject): BackupFileInfo {
  if (object instanceof ListedObject) return new ListedInfo(object);
  const info = noObjectInfo();
  info.etag = object.ObjectChecksum;
  info.objectToken = object.ObjectToken;
  return info;
}

/**
 * The info of an object of the in-process listing (`local_listing.ts`): its
 * `objectToken` is a getter of the class reading the object's, so that neither
 * building the info nor listing signs it. A spread copy (`{ ...info }`) lacks
 * the token; read `info.objectToken` itself.
 */
class ListedInfo implements BackupFileInfo {
  isFile = false;
  isDirectory = false;
  isSymlink = false as const;
  size = 0;
  mtime: Date | null = null;
  atime = null;
  birthtime: Date | null = null;
  mode: number | null = null;
  declare contentType?: string;
  etag: string;
  declare chunkSize?: number;
  declare hasExtendedAttributes?: boolean;
  readonly #object: ListedObject;

  constructor(object: ListedObject) {
    this.etag = object.ObjectChecksum;
    this.#object = object;
  }

  /** The object's token, signed when first read. */
  get objectToken(): string {
    return this.#object.ObjectToken;
  }
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
