/**
 * The metadata of a file or directory version: its attributes in the
 * `MetadataString`, its extended attributes (and a content type too long for the
 * string) in the `MetadataBlob`. Reading the blob of a version, building the
 * metadata of a new version from the old one, and encoding both.
 *
 * @module
 */

import { mime } from "../../deps/mime.ts";
import type { BackupStorage } from "../storage/backup_storage.ts";
import type { BackupObject } from "../storage/types.ts";
import {
  decodeMetadataBlob,
  decodeMetadataString,
  encodeMetadataBlob,
  encodeMetadataString,
  type ExtendedAttributes,
  type FileAttributes,
} from "./attributes.ts";
import type { BackupFileInfo } from "./file_info.ts";
import { fromStorageError } from "./fs_errors.ts";

/**
 * The encoded metadata of a version, as `ObjectWriter.close` takes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeVersionMetadata, type EncodedVersionMetadata } from "./version_metadata.ts";
 * const encoded: EncodedVersionMetadata = encodeVersionMetadata({ size: 0, mtime: 0 }, {});
 * assert.equal(encoded.metadataBlob, undefined); // nothing for the blob
 * ```
 */
export interface EncodedVersionMetadata {
  /** The attributes, encoded (see `encodeMetadataString`). */
  metadataString: string;
  /** The extended attributes and an overflowing content type, when there are any. */
  metadataBlob?: Uint8Array;
}

/**
 * The metadata string and blob of a version: the content type goes in the blob
 * only when it does not fit the string, and the string says when there is no
 * blob at all (so reading extended attributes costs nothing then). A stale
 * `contentType` in `extended` and the `noBlob` / `contentTypeInBlob` flags of
 * `attributes` are ignored: they are derived here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMetadataString } from "./attributes.ts";
 * import { encodeVersionMetadata } from "./version_metadata.ts";
 * const plain = encodeVersionMetadata({ size: 3, mtime: 0, contentType: "text/plain" }, {});
 * assert.equal(plain.metadataBlob, undefined);
 * assert.equal(decodeMetadataString(plain.metadataString)?.noBlob, true); // no blob to read
 * const long = "x/" + "y".repeat(300); // does not fit the 256-byte string
 * const overflow = encodeVersionMetadata({ size: 3, mtime: 0, contentType: long }, {});
 * assert.ok(overflow.metadataBlob !== undefined); // the content type went to the blob
 * ```
 */
export function encodeVersionMetadata(
  attributes: FileAttributes,
  extended: ExtendedAttributes,
): EncodedVersionMetadata {
  const { contentType: _stale, ...carried } = extended;
  const { noBlob: _old, contentTypeInBlob: _was, ...attrs } = attributes;
  const withoutBlob = encodeMetadataBlob(carried) === undefined;
  let encoded = encodeMetadataString(withoutBlob ? { ...attrs, noBlob: true } : attrs);
  // A content type that does not fit needs the blob after all.
  if (encoded.overflow.contentType !== undefined) encoded = encodeMetadataString(attrs);
  const metadataBlob = encodeMetadataBlob({
    ...carried,
    ...(encoded.overflow.contentType === undefined
      ? {}
      : { contentType: encoded.overflow.contentType }),
  });
  return { metadataString: encoded.metadataString, ...(metadataBlob ? { metadataBlob } : {}) };
}

/**
 * Options of {@link VersionMetadata}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { VersionMetadata, type VersionMetadataOptions } from "./version_metadata.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const options: VersionMetadataOptions = { jobId: "home", chunkSize: 1024, now: () => 5 };
 *   const { attributes } = await new VersionMetadata(store, options).forNewVersion("/a.txt", 10);
 *   assert.equal(attributes.chunkSize, 1024);
 *   assert.equal(attributes.mtime, 5);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface VersionMetadataOptions {
  /** The job whose namespace holds the file system. */
  jobId: string;
  /** Bytes per chunk of new versions, recorded in their attributes (default 4 MiB). */
  chunkSize?: number;
  /** Clock for mtimes and birthtimes (ms since epoch; default `Date.now`). */
  now?: () => number;
}

/**
 * Options of {@link VersionMetadata.forNewVersion}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { type NewVersionOptions, VersionMetadata } from "./version_metadata.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const options: NewVersionOptions = { mode: 0o600, mtime: new Date(7), contentType: "a/b" };
 *   const versions = new VersionMetadata(store, { jobId: "home" });
 *   const { attributes } = await versions.forNewVersion("/a.txt", 1, options);
 *   assert.deepEqual([attributes.mode, attributes.mtime, attributes.contentType], [0o600, 7, "a/b"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface NewVersionOptions {
  /** The version it replaces: its attributes and extended attributes carry over. */
  previous?: { object: BackupObject; info: BackupFileInfo } | undefined;
  /** Permission bits (default: the previous version's, else 0o644). */
  mode?: number | undefined;
  /** Modification time (default: now). */
  mtime?: Date | number | undefined;
  /** Content type (default: the previous version's, else by extension). */
  contentType?: string | undefined;
}

/**
 * Reads and builds version metadata for the files and directories of one job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * import { VersionMetadata } from "./version_metadata.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.writeTextFile("/a.txt", "hello");
 *   await fs.setExtendedAttributes("/a.txt", () => ({ xattrs: { "user.tag": new Uint8Array([1]) } }));
 *   const previous = await new PathResolver(store, { jobId: "home" }).lookupFile("/a.txt", "stat");
 *   const versions = new VersionMetadata(store, { jobId: "home" });
 *   const extended = await versions.readExtendedAttributes(previous.object, "/a.txt");
 *   assert.deepEqual(extended.xattrs?.["user.tag"], new Uint8Array([1]));
 *   // A new version keeps them, and the old one's content type:
 *   const next = await versions.forNewVersion("/a.txt", 9, { previous });
 *   assert.equal(next.attributes.contentType, "text/plain");
 *   assert.ok(next.metadataBlob !== undefined);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class VersionMetadata {
  readonly #storage: BackupStorage;
  readonly #jobId: string;
  readonly #chunkSize: number;
  readonly #now: () => number;

  /** Version metadata of `options.jobId` in `storage`. */
  constructor(storage: BackupStorage, options: VersionMetadataOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#chunkSize = options.chunkSize ?? 4 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The `MetadataBlob` of a version, or `undefined` when it has none. A version
   * BackupFS wrote says so in its string when it has no blob: no storage call then.
   * A failure is reported as `options.op` on `options.path`.
   */
  async readBlob(
    object: BackupObject,
    options: { path: string; op: string },
  ): Promise<Uint8Array | undefined> {
    if (decodeMetadataString(object.MetadataString)?.noBlob) return undefined;
    try {
      const out = await this.#storage.getObjectMetadata({
        StorageJobId: this.#jobId,
        ObjectToken: object.ObjectToken,
      });
      const bytes = new Uint8Array(await new Response(out.MetadataBlob).arrayBuffer());
      return bytes.byteLength > 0 ? bytes : undefined;
    } catch (error) {
      throw fromStorageError(error, options.op, options.path);
    }
  }

  /**
   * The extended attributes (dead properties, xattrs, overflowing content type) of
   * the version at `path`, decoded from its blob; a failure is reported as
   * `getxattr` on `path`.
   */
  async readExtendedAttributes(object: BackupObject, path: string): Promise<ExtendedAttributes> {
    return decodeMetadataBlob(await this.readBlob(object, { path, op: "getxattr" }));
  }

  /**
   * Attributes and encoded metadata of a new version of the file at `path`, `size`
   * bytes long. The previous version's mode, birthtime, content type and extended
   * attributes carry over unless `options` says otherwise.
   */
  async forNewVersion(
    path: string,
    size: number,
    options?: NewVersionOptions,
  ): Promise<EncodedVersionMetadata & { attributes: FileAttributes }> {
    const previous = options?.previous;
    const now = this.#now();
    // Dead properties and xattrs of the old version carry over.
    const extended = previous ? await this.readExtendedAttributes(previous.object, path) : {};
    const contentType = options?.contentType ?? previous?.info.contentType ??
      extended.contentType ?? mime.getType(path) ?? undefined;
    const attributes: FileAttributes = {
      size,
      mtime: options?.mtime === undefined ? now : +options.mtime,
      birthtime: previous?.info.birthtime?.getTime() ?? now,
      mode: options?.mode ?? previous?.info.mode ?? 0o644,
      chunkSize: this.#chunkSize,
      ...(contentType === undefined ? {} : { contentType }),
    };
    return { ...encodeVersionMetadata(attributes, extended), attributes };
  }
}
