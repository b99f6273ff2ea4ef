/**
 * Path resolution: what a BackupFS path is — a file (its object), a directory (its
 * marker object, when it has one) or nothing — through a short-lived cache of
 * lookups and of the child names of directories just listed.
 *
 * @module
 */

import { mime } from "../../deps/mime.ts";
import type { BackupStorage } from "../storage/backup_storage.ts";
import type { BackupObject } from "../storage/types.ts";
import { decodeMetadataString } from "./attributes.ts";
import { ChunkMap } from "./chunk_map.ts";
import { DirectoryLister } from "./directory_lister.ts";
import { type BackupFileInfo, directoryInfo, fileInfo } from "./file_info.ts";
import { fromStorageError, isADirectory, notADirectory, notFound } from "./fs_errors.ts";
import { MetadataCache, MISSING } from "./metadata_cache.ts";
import { baseName, parentOf } from "./paths.ts";

/**
 * What a path resolves to, as cached: a file with its object, or a directory with
 * its marker object when it has one (an implicit directory has none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ResolvedPath } from "./path_resolver.ts";
 * import { directoryInfo } from "./file_info.ts";
 * const implicit: ResolvedPath = { kind: "directory", info: directoryInfo() };
 * assert.equal(implicit.info.isDirectory, true);
 * assert.equal(implicit.kind === "directory" && implicit.marker, undefined); // no marker object
 * ```
 */
export type ResolvedPath =
  | { kind: "file"; object: BackupObject; info: BackupFileInfo }
  | { kind: "directory"; marker?: BackupObject; info: BackupFileInfo };

/**
 * A directory listed in full, as cached: its child names (so that lookups of
 * absent children cost nothing) and, when its listing read every child's info and
 * it has at most 4,096 children, the children in order (so that listing it again
 * within the cache's TTL costs nothing either).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CachedListing } from "./path_resolver.ts";
 * import { directoryInfo } from "./file_info.ts";
 * const listing: CachedListing = {
 *   names: new Set(["docs"]),
 *   children: [{ name: "docs", resolved: { kind: "directory", info: directoryInfo() } }],
 * };
 * assert.equal(listing.names.has("a.txt"), false); // known to be absent
 * ```
 */
export interface CachedListing {
  /** Every child's name. */
  names: ReadonlySet<string>;
  /** Every child with what it resolves to, in listing order (small directories only). */
  children?: readonly { name: string; resolved: ResolvedPath }[];
}

/**
 * Most children the cached listings of one resolver keep with their infos, in all
 * (a few MB): the least recently used listings go first.
 */
const MAX_CACHED_CHILDREN_IN_ALL = 16_384;

/**
 * Options of {@link PathResolver}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { PathResolver, type PathResolverOptions } from "./path_resolver.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const options: PathResolverOptions = { jobId: "home", metadataTtlMs: 0 }; // caches nothing
 *   const paths = new PathResolver(store, options);
 *   assert.equal(await paths.lookupPath("/a.txt", "stat"), undefined);
 *   assert.equal(await paths.lookupPath("/a.txt", "stat"), undefined);
 *   assert.equal(paths.lister.listCalls, 2); // no cache: each lookup lists
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface PathResolverOptions {
  /** The job whose namespace holds the file system. */
  jobId: string;
  /** How long a lookup or a listing's child names are reused, in ms (default 1000). */
  metadataTtlMs?: number;
}

/**
 * Resolves paths of one job to files, directories or nothing, and keeps what it
 * found for a short while. The cache is shared with the writers of the file
 * system, which invalidate what they change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "home", ObjectName: "docs/a.txt" }); // no marker for docs/
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.writeTextFile("/docs/a.txt", "hello");
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const file = await paths.lookupPath("/docs/a.txt", "stat");
 *   assert.equal(file?.kind, "file");
 *   assert.equal(file?.info.size, 5);
 *   assert.equal((await paths.lookupPath("/docs", "stat"))?.kind, "directory"); // implicit
 *   assert.equal(await paths.lookupPath("/nothing", "stat"), undefined);
 *   const calls = paths.lister.listCalls;
 *   await paths.lookupPath("/docs/a.txt", "stat"); // answered by the cache
 *   assert.equal(paths.lister.listCalls, calls);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class PathResolver {
  /** Lists directories and looks up paths in the storage, counting its calls. */
  readonly lister: DirectoryLister;
  /** Paths' lookups, and directories listed in full. */
  readonly cache: MetadataCache<ResolvedPath, CachedListing>;
  readonly #storage: BackupStorage;
  readonly #jobId: string;

  /** A resolver for the paths of `options.jobId` in `storage`. */
  constructor(storage: BackupStorage, options: PathResolverOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.lister = new DirectoryLister(storage, { jobId: options.jobId });
    this.cache = new MetadataCache<ResolvedPath, CachedListing>({
      ttlMs: options.metadataTtlMs ?? 1000,
      listingWeight: (listing) => 1 + (listing.children?.length ?? 0),
      maxListingWeight: MAX_CACHED_CHILDREN_IN_ALL,
    });
  }

  /**
   * What the normalized path `p` is, or `undefined` when nothing is there; `op`
   * names the operation in errors. Cached answers (negative ones included) are
   * reused, and a directory just listed in full answers for its absent children.
   */
  async lookupPath(p: string, op: string): Promise<ResolvedPath | undefined> {
    const cached = this.cache.get(p);
    if (cached === MISSING) return undefined;
    if (cached !== undefined) return cached;
    // A directory just listed in full answers for its absent children: Finder's
    // floods of `._name` and `.DS_Store` lookups after a listing cost nothing.
    const parent = parentOf(p);
    if (parent !== p && this.cache.getListing(parent)?.names.has(baseName(p)) === false) {
      this.cache.set(p, MISSING);
      return undefined;
    }
    return await this.#resolve(p, op);
  }

  /**
   * Like {@link lookupPath}, without reusing a cached answer: what the storage
   * says now (the answer is cached for the next).
   */
  lookupFresh(p: string, op: string): Promise<ResolvedPath | undefined> {
    return this.#resolve(p, op);
  }

  /**
   * Whether the file at `p` is still the version `object`, looked up again
   * (uncached): `true`; `false` when another version or a directory is there now
   * (the cached answer is then dropped); `undefined` when nothing is there. What an
   * operation that copied `object` checks before it acts on the name.
   */
  async isCurrent(p: string, object: BackupObject, op: string): Promise<boolean | undefined> {
    let found;
    try {
      found = await this.lister.lookup(p);
    } catch (error) {
      throw fromStorageError(error, op, p);
    }
    if (found === undefined) return undefined;
    if (found.kind === "file" && found.object.ObjectToken === object.ObjectToken) return true;
    this.cache.invalidate(p);
    return false;
  }

  /** Looks `p` up in the storage and caches the answer. */
  async #resolve(p: string, op: string): Promise<ResolvedPath | undefined> {
    // A write that invalidates this path while the lookup runs makes its answer stale.
    const epoch = this.cache.epoch;
    let found;
    try {
      found = await this.lister.lookup(p);
    } catch (error) {
      throw fromStorageError(error, op, p);
    }
    let resolved: ResolvedPath | undefined;
    if (!found) {
      resolved = undefined;
    } else if (found.kind === "directory") {
      resolved = {
        kind: "directory",
        ...(found.marker ? { marker: found.marker } : {}),
        info: directoryInfo(found.marker),
      };
    } else {
      resolved = {
        kind: "file",
        object: found.object,
        info: await this.fileInfoOf(found.object, { path: p, op }),
      };
    }
    this.cache.set(p, resolved ?? MISSING, { epoch });
    return resolved;
  }

  /**
   * The file at `p`: `NotFound` when nothing is there, `IsADirectory` for a
   * directory.
   */
  async lookupFile(
    p: string,
    op: string,
  ): Promise<{ object: BackupObject; info: BackupFileInfo }> {
    const resolved = await this.lookupPath(p, op);
    if (!resolved) throw notFound(op, p);
    if (resolved.kind === "directory") throw isADirectory(op, p);
    return resolved;
  }

  /**
   * Checks that the parent of `p` is a directory (the root's parent is the root):
   * `NotFound` when it is missing, `NotADirectory` when it is a file.
   */
  async requireParent(p: string, op: string): Promise<void> {
    const parent = parentOf(p);
    if (parent === p) return;
    const resolved = await this.lookupPath(parent, op);
    if (!resolved) throw notFound(op, parent);
    if (resolved.kind !== "directory") throw notADirectory(op, parent);
  }

  /**
   * The info of a listed file object from its attributes alone, or `undefined` for
   * an object another tool wrote (its size needs {@link fileInfoOf}). No await.
   */
  listedFileInfo(object: BackupObject): BackupFileInfo | undefined {
    const attrs = decodeMetadataString(object.MetadataString);
    return attrs ? fileInfo(object, attrs, attrs.size) : undefined;
  }

  /**
   * The info of a file object found at `options.path`: from its attributes, or,
   * for an object another tool wrote, with its size from its chunk list and a
   * content type guessed from the path's extension.
   */
  async fileInfoOf(
    object: BackupObject,
    options: { path: string; op: string },
  ): Promise<BackupFileInfo> {
    const { path, op } = options;
    const attrs = decodeMetadataString(object.MetadataString);
    if (attrs) return fileInfo(object, attrs, attrs.size);
    // Written by another tool: the size comes from the chunk list.
    try {
      const size = await new ChunkMap(this.#storage, {
        jobId: this.#jobId,
        objectToken: object.ObjectToken,
      }).size();
      return fileInfo(object, undefined, size, mime.getType(path) ?? undefined);
    } catch (error) {
      throw fromStorageError(error, op, path);
    }
  }
}
