/**
 * The options of `BackupFS`: of the file system itself, and of its `writeFile`.
 *
 * @module
 */

import type { BackupFileInfo } from "./file_info.ts";

/**
 * Options of {@link BackupFS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import type { BackupFSOptions } from "./backup_fs_options.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const options: BackupFSOptions = { jobId: "home", chunkSize: 4096, readOnly: true };
 *   const fs = new BackupFS(store, options);
 *   assert.equal(fs.readOnly, true);
 *   await assert.rejects(fs.mkdir("/docs"), Deno.errors.PermissionDenied);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface BackupFSOptions {
  /** The job whose namespace holds the file system. */
  jobId: string;
  /** Bytes per chunk of new files (default 4 MiB). */
  chunkSize?: number;
  /** PutChunks in flight per file being written (default 4). */
  uploadConcurrency?: number;
  /** Bytes of verified chunks kept in memory, shared by all files (default 256 MiB). */
  cacheBytes?: number;
  /** Chunks fetched ahead of a sequential reader (default 4). */
  prefetch?: number;
  /** How long a stat or lookup is reused, in ms (default 1000); this BackupFS's own writes keep it exact. */
  metadataTtlMs?: number;
  /** Directory for the spool files of non-sequential writes (default: the system temp dir). */
  spoolDirectory?: string;
  /** Largest spool file (default 64 GiB). */
  maxSpoolBytes?: number;
  /** Refuse every change with `PermissionDenied`. */
  readOnly?: boolean;
  /** Clock for mtimes (ms since epoch). */
  now?: () => number;
}

/**
 * Options of {@link BackupFS.writeFile}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import type { BackupWriteFileOptions } from "./backup_fs_options.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   const options: BackupWriteFileOptions = { mode: 0o600, mtime: new Date(1000), contentType: "text/x-log" };
 *   const info = await fs.writeTextFile("/app.log", "started", options);
 *   assert.deepEqual([info.mode, info.mtime?.getTime(), info.contentType], [0o600, 1000, "text/x-log"]);
 *   await assert.rejects(fs.writeTextFile("/app.log", "again", { createNew: true }), Deno.errors.AlreadyExists);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface BackupWriteFileOptions {
  /** Create the file when missing (default true). */
  create?: boolean;
  /**
   * Fail with `AlreadyExists` when the file exists, also when another writer
   * creates it while this one writes (checked again, atomically, as it commits).
   */
  createNew?: boolean;
  /**
   * Called once every byte is stored, right before the new version commits, with
   * the path's current info (looked up again, uncached; `undefined` when nothing
   * is there): a throw cancels the write, the current version stays, and the
   * error propagates. For conditional writes (HTTP `If-Match`): the condition is
   * checked against what another writer may have committed during the upload. The
   * BackupStorage API has no conditional replace: only the last moment before the
   * commit stays open. Not with `append`.
   */
  precondition?: (current: BackupFileInfo | undefined) => void;
  /** Add to the end of the existing content instead of replacing it. */
  append?: boolean;
  /** Permission bits (default: the existing file's, else 0o644). */
  mode?: number;
  /** Modification time to record (default: now). */
  mtime?: Date | number;
  /** Content type to record (default: the existing file's, else by extension). */
  contentType?: string;
  /** Aborts the write; the old version stays. */
  signal?: AbortSignal;
}
