/**
 * Rewriting the metadata of a path (its attributes, its extended attributes) as a
 * new version: a file's chunks are copied as they are under the new metadata; a
 * directory's marker is written anew (an implicit directory gets one).
 *
 * @module
 */

import type { ExtendedAttributes, FileAttributes } from "./attributes.ts";
import { changedMeanwhile, notFound } from "./fs_errors.ts";
import type { DirectoryMarkers } from "./markers.ts";
import type { PathResolver } from "./path_resolver.ts";
import { objectNameOf } from "./paths.ts";
import type { TreeCopier } from "./tree_copy.ts";
import { encodeVersionMetadata, type VersionMetadata } from "./version_metadata.ts";

/**
 * Options of {@link MetadataRewriter}: the parts of the file system it works with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { DirectoryMarkers } from "./markers.ts";
 * import { MetadataRewriter, type MetadataRewriterOptions } from "./metadata_rewrite.ts";
 * import { ObjectIo } from "./object_io.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * import { TreeCopier } from "./tree_copy.ts";
 * import { VersionMetadata } from "./version_metadata.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "home", ObjectName: "docs/a.txt" }); // docs/ is implicit
 *   const jobId = "home";
 *   const paths = new PathResolver(store, { jobId });
 *   const versions = new VersionMetadata(store, { jobId });
 *   const markers = new DirectoryMarkers(store, { jobId, paths });
 *   const io = new ObjectIo(store, { jobId, chunkCache: new ChunkCache({ maxBytes: 1 << 20 }) });
 *   const copier = new TreeCopier(io, { paths, markers, versions });
 *   const options: MetadataRewriterOptions = { paths, versions, copier, markers, now: () => 7000 };
 *   // An implicit directory has no mtime: the rewrite gives its new marker `now`.
 *   await new MetadataRewriter(options).rewrite("/docs", { op: "setxattr", change: (a) => a });
 *   assert.equal((await paths.lookupPath("/docs", "stat"))?.info.mtime?.getTime(), 7000);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface MetadataRewriterOptions {
  /** Resolves the path; its cache forgets it once rewritten. */
  paths: PathResolver;
  /** Reads the current extended attributes. */
  versions: VersionMetadata;
  /** Copies a file's chunks under the new metadata. */
  copier: TreeCopier;
  /** Writes a directory's marker. */
  markers: DirectoryMarkers;
  /** Clock for the mtime of a version that has none (default `Date.now`). */
  now?: () => number;
}

/**
 * Options of {@link MetadataRewriter.rewrite}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MetadataRewriteOptions } from "./metadata_rewrite.ts";
 * const touch: MetadataRewriteOptions = { op: "utime", change: (attrs) => ({ ...attrs, mtime: 0 }) };
 * assert.equal(touch.change({ size: 1, mtime: 5 }).mtime, 0);
 * ```
 */
export interface MetadataRewriteOptions {
  /** The operation named in errors. */
  op: string;
  /** The new attributes, from the current ones. */
  change: (attrs: FileAttributes) => FileAttributes;
  /** The new extended attributes, from (a copy of) the current ones (default: unchanged). */
  updateExtended?: (current: ExtendedAttributes) => ExtendedAttributes;
}

/**
 * Rewrites the metadata of the paths of one file system.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import { DirectoryMarkers } from "./markers.ts";
 * import { MetadataRewriter } from "./metadata_rewrite.ts";
 * import { ObjectIo } from "./object_io.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * import { TreeCopier } from "./tree_copy.ts";
 * import { VersionMetadata } from "./version_metadata.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.writeTextFile("/a.txt", "hello");
 *   const jobId = "home";
 *   const paths = new PathResolver(store, { jobId });
 *   const versions = new VersionMetadata(store, { jobId });
 *   const markers = new DirectoryMarkers(store, { jobId, paths });
 *   const io = new ObjectIo(store, { jobId, chunkCache: fs.chunkCache });
 *   const copier = new TreeCopier(io, { paths, markers, versions });
 *   const rewriter = new MetadataRewriter({ paths, versions, copier, markers });
 *   await rewriter.rewrite("/a.txt", { op: "utime", change: (attrs) => ({ ...attrs, mtime: 1000 }) });
 *   const info = (await paths.lookupPath("/a.txt", "stat"))?.info;
 *   assert.equal(info?.mtime?.getTime(), 1000);
 *   assert.equal(await fs.readTextFile("/a.txt"), "hello"); // the content is unchanged
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class MetadataRewriter {
  readonly #paths: PathResolver;
  readonly #versions: VersionMetadata;
  readonly #copier: TreeCopier;
  readonly #markers: DirectoryMarkers;
  readonly #now: () => number;

  /** A rewriter working with the given parts. */
  constructor(options: MetadataRewriterOptions) {
    this.#paths = options.paths;
    this.#versions = options.versions;
    this.#copier = options.copier;
    this.#markers = options.markers;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Rewrites the version at the normalized `path` with the attributes
   * `options.change` returns and the extended attributes `options.updateExtended`
   * returns; `NotFound` when nothing is there.
   */
  async rewrite(path: string, options: MetadataRewriteOptions): Promise<void> {
    const { op, change, updateExtended } = options;
    const resolved = await this.#paths.lookupPath(path, op);
    if (!resolved) throw notFound(op, path);
    const object = resolved.kind === "file" ? resolved.object : resolved.marker;
    const current = object ? await this.#versions.readExtendedAttributes(object, path) : {};
    const extended = updateExtended ? updateExtended({ ...current }) : current;
    const info = resolved.info;
    const contentType = info.contentType ?? current.contentType;
    const attrs = change({
      size: info.size,
      mtime: info.mtime?.getTime() ?? this.#now(),
      ...(info.birthtime ? { birthtime: info.birthtime.getTime() } : {}),
      ...(info.mode === null ? {} : { mode: info.mode }),
      ...(contentType === undefined ? {} : { contentType }),
      ...(info.chunkSize === undefined ? {} : { chunkSize: info.chunkSize }),
    });
    const metadata = encodeVersionMetadata(attrs, extended);
    if (resolved.kind === "file") {
      const name = objectNameOf(path);
      // The copy of a large file takes a while: a version another writer commits
      // meanwhile must not be replaced by this one's older bytes. Checked right
      // before the commit (the BackupStorage API has no conditional replace, so a
      // commit in the last moment can still be missed).
      const beforeCommit = async () => {
        if (await this.#paths.isCurrent(path, resolved.object, op) !== true) {
          throw changedMeanwhile(op, path);
        }
      };
      await this.#copier.copyObject(resolved.object, { name, path, op, metadata, beforeCommit });
    } else {
      await this.#markers.write(path, { metadata, op });
    }
    this.#paths.cache.invalidate(path);
  }
}
