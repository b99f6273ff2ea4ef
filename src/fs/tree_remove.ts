/**
 * Removing a file, or a directory with everything under it (its marker first),
 * object by object, several at once; the parent directory stays (see
 * `DirectoryMarkers.keepParent`).
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { ResourceNotFoundException } from "../storage/errors.ts";
import { fromStorageError } from "./fs_errors.ts";
import type { DirectoryMarkers } from "./markers.ts";
import { MISSING } from "./metadata_cache.ts";
import type { PathResolver, ResolvedPath } from "./path_resolver.ts";
import { objectNameOf } from "./paths.ts";
import { forEachBounded } from "./_bounded_each.ts";

/**
 * Objects of a tree deleted at once. Each `DeleteObject` is durable before it
 * resolves; run together, they share the store's syncs. Measured on a 2-core VM,
 * WebDAV `DELETE` of a folder of 2,000 files of 4 KiB: 0.12 s against 0.69–0.76 s
 * one at a time (alternating pairs); 16 at once took about 1.4 times as long as
 * 32, 64 about 0.8 times.
 */
const REMOVALS_AT_ONCE = 32;

/**
 * Options of {@link TreeRemover}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { DirectoryMarkers } from "./markers.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * import { TreeRemover, type TreeRemoverOptions } from "./tree_remove.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const markers = new DirectoryMarkers(store, { jobId: "home", paths });
 *   const options: TreeRemoverOptions = { jobId: "home", paths, markers };
 *   await markers.create("/a", { mode: 0o755 });
 *   await markers.create("/a/b", { mode: 0o755 });
 *   const resolved = await paths.lookupPath("/a/b", "remove");
 *   await new TreeRemover(store, options).remove("/a/b", { resolved: resolved!, op: "remove" });
 *   assert.equal(await paths.lookupPath("/a/b", "stat"), undefined);
 *   assert.equal((await paths.lookupPath("/a", "stat"))?.kind, "directory");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface TreeRemoverOptions {
  /** The job whose namespace holds the file system. */
  jobId: string;
  /** Walks the tree; its cache forgets what is removed. */
  paths: PathResolver;
  /** Keeps the parent directory. */
  markers: DirectoryMarkers;
}

/**
 * Removes files and directory trees of one job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import { DirectoryMarkers } from "./markers.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * import { TreeRemover } from "./tree_remove.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   // Objects another tool wrote: no directory markers, so /docs is implicit.
 *   for (const name of ["docs/old/a.txt", "docs/old/b/c.txt"]) {
 *     await store.putObject({ BackupJobId: "home", ObjectName: name });
 *   }
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const markers = new DirectoryMarkers(store, { jobId: "home", paths });
 *   const remover = new TreeRemover(store, { jobId: "home", paths, markers });
 *   const resolved = await paths.lookupPath("/docs/old", "remove");
 *   await remover.remove("/docs/old", { resolved: resolved!, op: "remove" });
 *   assert.equal(await fs.exists("/docs/old/b/c.txt"), false);
 *   assert.ok((await fs.stat("/docs")).isDirectory); // the implicit parent got a marker
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class TreeRemover {
  readonly #storage: BackupStorage;
  readonly #jobId: string;
  readonly #paths: PathResolver;
  readonly #markers: DirectoryMarkers;

  /** A remover of the files and trees of `options.jobId` in `storage`. */
  constructor(storage: BackupStorage, options: TreeRemoverOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#paths = options.paths;
    this.#markers = options.markers;
  }

  /**
   * Deletes the file, or the directory with everything under it, that `path`
   * resolved to (`options.resolved`), and keeps its parent; a failure is reported
   * as `options.op`. An object someone else removed first counts as removed.
   */
  async remove(path: string, options: { resolved: ResolvedPath; op: string }): Promise<void> {
    const { resolved, op } = options;
    if (resolved.kind === "file") {
      await this.#deleteObject(objectNameOf(path), path, op);
    } else {
      // walk() yields the directory's own marker first, then everything under it.
      await forEachBounded(
        this.#paths.lister.walk(path),
        (object) => this.#deleteObject(object.Name, path, op),
        REMOVALS_AT_ONCE,
      );
      this.#paths.cache.invalidateTree(path);
    }
    this.#paths.cache.set(path, MISSING);
    await this.#markers.keepParent(path);
  }

  async #deleteObject(name: string, path: string, op: string): Promise<void> {
    try {
      await this.#storage.deleteObject({ BackupJobId: this.#jobId, ObjectName: name });
    } catch (error) {
      // Someone else removed it first: the outcome is the one asked for.
      if (!(error instanceof ResourceNotFoundException)) throw fromStorageError(error, op, path);
    }
    this.#paths.cache.invalidate(path);
  }
}
