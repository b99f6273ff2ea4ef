/**
 * Directory marker objects: an empty directory `/a/dir` persists as the object
 * `a/dir/` (no chunks), whose metadata holds the directory's attributes. A
 * directory with children and no marker is implicit; when its last child goes, it
 * gets a marker so that it stays.
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { fromStorageError } from "./fs_errors.ts";
import { ObjectWriter } from "./object_writer.ts";
import type { PathResolver } from "./path_resolver.ts";
import { directoryPrefixOf, parentOf } from "./paths.ts";
import { type EncodedVersionMetadata, encodeVersionMetadata } from "./version_metadata.ts";

/**
 * Options of {@link DirectoryMarkers}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { DirectoryMarkers, type DirectoryMarkersOptions } from "./markers.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const options: DirectoryMarkersOptions = { jobId: "home", paths, now: () => 1000 };
 *   await new DirectoryMarkers(store, options).create("/empty", { mode: 0o700 });
 *   const info = (await paths.lookupPath("/empty", "stat"))?.info;
 *   assert.deepEqual([info?.mtime?.getTime(), info?.mode], [1000, 0o700]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface DirectoryMarkersOptions {
  /** The job whose namespace holds the file system. */
  jobId: string;
  /** The file system's resolver, whose cache learns of new markers. */
  paths: PathResolver;
  /** Clock for the times of new markers (ms since epoch; default `Date.now`). */
  now?: () => number;
}

/**
 * Writes the marker objects of the directories of one job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { DirectoryMarkers } from "./markers.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const markers = new DirectoryMarkers(store, { jobId: "home", paths });
 *   await markers.create("/photos", { mode: 0o755 });
 *   const page = await store.listObjects({ StorageJobId: "home" });
 *   assert.deepEqual(page.ObjectList.map((o) => o.Name), ["photos/"]); // the marker object
 *   assert.equal((await paths.lookupPath("/photos", "stat"))?.kind, "directory");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class DirectoryMarkers {
  readonly #storage: BackupStorage;
  readonly #jobId: string;
  readonly #paths: PathResolver;
  readonly #now: () => number;

  /** Markers of `options.jobId` in `storage`. */
  constructor(storage: BackupStorage, options: DirectoryMarkersOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#paths = options.paths;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Writes a new version of the marker of the directory at `path` with
   * `options.metadata`; a failure is reported as `options.op` on `path`. The
   * resolver's cache is left to the caller.
   */
  async write(
    path: string,
    options: { metadata: EncodedVersionMetadata; op: string },
  ): Promise<void> {
    const { metadata, op } = options;
    const writer = new ObjectWriter(this.#storage, {
      jobId: this.#jobId,
      objectName: directoryPrefixOf(path),
      path,
    });
    try {
      await writer.close(metadata);
    } catch (error) {
      await writer.abort().catch(() => {});
      throw fromStorageError(error, op, path);
    }
  }

  /**
   * Creates the marker of a new directory at `path`, timed now, with permission
   * bits `options.mode`; a failure is reported as `mkdir`.
   */
  async create(path: string, options: { mode: number }): Promise<void> {
    const now = this.#now();
    const metadata = encodeVersionMetadata(
      { size: 0, mtime: now, birthtime: now, mode: options.mode },
      {},
    );
    await this.write(path, { metadata, op: "mkdir" });
    this.#paths.cache.invalidateAdded(path);
  }

  /**
   * After `path` was removed: its parent stays. An implicit parent (no marker)
   * vanishes with its last child, so it gets a marker then.
   */
  async keepParent(path: string): Promise<void> {
    const parent = parentOf(path);
    if (parent === "/" || parent === path) return;
    this.#paths.cache.invalidate(parent);
    // An implicit directory (no marker) vanishes with its last child: give it one.
    if (!(await this.#paths.lookupPath(parent, "remove"))) {
      await this.create(parent, { mode: 0o755 });
    }
  }
}
