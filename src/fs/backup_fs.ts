/**
 * `BackupFS`: a Deno-style file system over any `BackupStorage` and one job id.
 * Paths map to objects (`/a/b.txt` ↔ `a/b.txt`), byte ranges to chunks; empty
 * directories persist as marker objects (`a/dir/`).
 *
 * This module is the public API; its parts do the work: `path_resolver.ts` (what a
 * path is, cached), `directory_reader.ts` (listings), `object_io.ts` (bytes),
 * `version_metadata.ts` and `metadata_rewrite.ts` (attributes), `markers.ts`
 * (directory markers), `tree_copy.ts` and `tree_remove.ts` (copy, rename, remove),
 * `handle_context.ts` and `file_handle.ts` (open files).
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { validateJobId } from "../storage/limits.ts";
import type { ExtendedAttributes } from "./attributes.ts";
import { type ByteSource, readPieces } from "./byte_source.ts";
import { ChunkCache } from "./chunk_cache.ts";
import {
  readDirectoryEntries,
  readDirectoryInfo,
  readDirectoryInfoBatches,
  type ReadDirInfoOptions,
} from "./directory_reader.ts";
import { BackupFile, type BackupOpenOptions, readOnlyError } from "./file_handle.ts";
import { type BackupDirEntry, type BackupFileInfo, writtenFileInfo } from "./file_info.ts";
import {
  alreadyExists,
  directoryNotEmpty,
  fromStorageError,
  isADirectory,
  notADirectory,
  notFound,
  permissionDenied,
} from "./fs_errors.ts";
import { handleContextFor } from "./handle_context.ts";
import { DirectoryMarkers } from "./markers.ts";
import { MetadataRewriter } from "./metadata_rewrite.ts";
import { ObjectIo } from "./object_io.ts";
import { PathResolver } from "./path_resolver.ts";
import { normalizePath, parentOf } from "./paths.ts";
import { TreeCopier } from "./tree_copy.ts";
import { TreeRemover } from "./tree_remove.ts";
import { VersionMetadata } from "./version_metadata.ts";
import type { BackupFSOptions, BackupWriteFileOptions } from "./backup_fs_options.ts";

export type { BackupFSOptions, BackupWriteFileOptions } from "./backup_fs_options.ts";
export type { ReadDirInfoOptions } from "./directory_reader.ts";

/**
 * A file system over BackupStorage, shaped like Deno's file API.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "./backup_fs.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.mkdir("/docs");
 *   await fs.writeTextFile("/docs/hello.txt", "hello");
 *   assert.equal(await fs.readTextFile("/docs/hello.txt"), "hello");
 *   const names = [];
 *   for await (const entry of fs.readDir("/docs")) names.push(entry.name);
 *   assert.deepEqual(names, ["hello.txt"]);
 *   assert.equal((await fs.stat("/docs/hello.txt")).size, 5);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class BackupFS {
  /** The storage this file system lives in. */
  readonly storage: BackupStorage;
  /** The job whose namespace holds it. */
  readonly jobId: string;
  /** Whether every change is refused. */
  readonly readOnly: boolean;
  /** Readers and writers of objects, with this file system's settings. */
  #io: ObjectIo;
  /** What paths are, with the cache of lookups and listings. */
  #paths: PathResolver;
  #versions: VersionMetadata;
  #markers: DirectoryMarkers;
  #copier: TreeCopier;
  #remover: TreeRemover;
  #rewriter: MetadataRewriter;

  /** A file system over `storage` in the namespace of `options.jobId`. */
  constructor(storage: BackupStorage, options: BackupFSOptions) {
    const jobId = options.jobId;
    validateJobId(jobId);
    this.storage = storage;
    this.jobId = jobId;
    this.readOnly = options.readOnly ?? false;
    const now = options.now ?? Date.now;
    const io = new ObjectIo(storage, {
      jobId,
      chunkCache: new ChunkCache({ maxBytes: options.cacheBytes ?? 256 * 1024 * 1024 }),
      prefetch: options.prefetch,
      chunkSize: options.chunkSize,
      uploadConcurrency: options.uploadConcurrency,
      spoolDirectory: options.spoolDirectory,
      maxSpoolBytes: options.maxSpoolBytes,
    });
    const paths = new PathResolver(storage, { jobId, metadataTtlMs: options.metadataTtlMs });
    const versions = new VersionMetadata(storage, { jobId, chunkSize: io.chunkSize, now });
    const markers = new DirectoryMarkers(storage, { jobId, paths, now });
    const copier = new TreeCopier(io, { paths, markers, versions });
    this.#io = io;
    this.#paths = paths;
    this.#versions = versions;
    this.#markers = markers;
    this.#copier = copier;
    this.#remover = new TreeRemover(storage, { jobId, paths, markers });
    this.#rewriter = new MetadataRewriter({ paths, versions, copier, markers, now });
  }

  /** The chunk cache shared by every file of this file system. */
  get chunkCache(): ChunkCache {
    return this.#io.chunkCache;
  }

  /** ListObjects calls made so far by directory listings and lookups. */
  get listCalls(): number {
    return this.#paths.lister.listCalls;
  }

  // ------------------------------------------------------------------ reading

  /** Info about a file or directory; `NotFound` when nothing is there. */
  async stat(path: string): Promise<BackupFileInfo> {
    const p = normalizePath(path);
    const resolved = await this.#paths.lookupPath(p, "stat");
    if (!resolved) throw notFound("stat", p);
    return resolved.info;
  }

  /**
   * Info about a file or directory, or `undefined` when nothing is there: {@link stat}
   * without the cost of a `NotFound` error, for callers that expect misses (a PUT
   * that creates a file).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { EmbeddedStore } from "../storage/store/mod.ts";
   * import { BackupFS } from "./backup_fs.ts";
   * const dir = await Deno.makeTempDir();
   * await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
   * const fs = new BackupFS(store, { jobId: "j" });
   * await fs.writeTextFile("/a.txt", "abc");
   * assert.equal((await fs.tryStat("/a.txt"))?.size, 3);
   * assert.equal(await fs.tryStat("/missing"), undefined);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async tryStat(path: string): Promise<BackupFileInfo | undefined> {
    return (await this.#paths.lookupPath(normalizePath(path), "stat"))?.info;
  }

  /** Same as {@link stat}: BackupFS has no symbolic links. */
  lstat(path: string): Promise<BackupFileInfo> {
    return this.stat(path);
  }

  /** Whether anything exists at a path. */
  async exists(path: string): Promise<boolean> {
    return (await this.#paths.lookupPath(normalizePath(path), "exists")) !== undefined;
  }

  /**
   * The entries of a directory, names in byte order. The listing runs first: any
   * child proves the path is a directory, so only an empty listing needs the
   * lookup that tells an empty directory from a file or nothing.
   */
  async *readDir(path: string): AsyncIterable<BackupDirEntry> {
    yield* readDirectoryEntries(this.#paths, normalizePath(path));
  }

  /**
   * The entries of a directory with their info, names in byte order, built from the
   * listing itself: no lookup per entry (only an object another tool wrote, without
   * BackupFS attributes, costs a chunk listing for its size). Also primes the stat
   * cache, so a `stat` of an entry right after is free.
   */
  async *readDirInfo(path: string): AsyncIterable<{ name: string; info: BackupFileInfo }> {
    yield* readDirectoryInfo(this.#paths, normalizePath(path));
  }

  /**
   * The entries {@link readDirInfo} yields, a batch (never empty) at a time: one
   * async step per batch, for big listings (PROPFIND Depth 1). With
   * `primeStatCache: false`, the stat cache is left as it is.
   */
  async *readDirInfoBatches(
    path: string,
    options?: ReadDirInfoOptions,
  ): AsyncIterable<{ name: string; info: BackupFileInfo }[]> {
    yield* readDirectoryInfoBatches(this.#paths, normalizePath(path), options);
  }

  /** The whole content of a file. */
  async readFile(path: string, options?: { signal?: AbortSignal }): Promise<Uint8Array> {
    const p = normalizePath(path);
    const { object, info } = await this.#paths.lookupFile(p, "readfile");
    const signal = options?.signal;
    try {
      return await this.#io.readAll(p, {
        objectToken: object.ObjectToken,
        size: info.size,
        signal,
      });
    } catch (error) {
      throw fromStorageError(error, "readfile", p);
    }
  }

  /** The content of a file as UTF-8 text. */
  async readTextFile(path: string, options?: { signal?: AbortSignal }): Promise<string> {
    return new TextDecoder().decode(await this.readFile(path, options));
  }

  /**
   * A stream of a file's bytes from `start` (default 0) to `end` (exclusive,
   * default the end), fetched and verified chunk by chunk with read-ahead.
   *
   * `version`, the info a {@link stat} of `path` returned, pins the stream to
   * that version: its bytes come, whole and alone, even when the path has been
   * overwritten or removed since (within the store's grace period). So a caller
   * that announces a size or an ETag from the stat sends bytes that match them.
   * Without it, the stream reads the version current now.
   *
   * Each piece is the caller's own copy, unless `shared` is set: then pieces of
   * chunks of at most 1 MiB may be views of the verified bytes the chunk cache
   * shares, which saves a copy per byte served from the cache, and the caller must
   * never modify them (a server that only writes them out).
   */
  async readStream(
    path: string,
    options?: { start?: number; end?: number; version?: BackupFileInfo; shared?: boolean },
  ): Promise<ReadableStream<Uint8Array>> {
    const p = normalizePath(path);
    const { version, ...range } = options ?? {};
    if (version !== undefined) {
      if (version.isDirectory) throw isADirectory("read", p);
      if (version.objectToken === undefined) {
        throw new TypeError(`read '${p}': the version given is not a file's info from stat`);
      }
      return this.#io.stream(p, { ...range, objectToken: version.objectToken, size: version.size });
    }
    const { object, info } = await this.#paths.lookupFile(p, "read");
    return this.#io.stream(p, { ...range, objectToken: object.ObjectToken, size: info.size });
  }

  /** The extended attributes (dead properties, xattrs, overflowing content type) of a path. */
  async getExtendedAttributes(path: string): Promise<ExtendedAttributes> {
    const p = normalizePath(path);
    const resolved = await this.#paths.lookupPath(p, "getxattr");
    if (!resolved) throw notFound("getxattr", p);
    const object = resolved.kind === "file" ? resolved.object : resolved.marker;
    if (!object) return {};
    return await this.#versions.readExtendedAttributes(object, p);
  }

  // ------------------------------------------------------------------ writing

  /**
   * Opens a file, like `Deno.open` (default: for reading). Reading sees the version
   * current at open; writes become visible, atomically, when the file is closed.
   */
  async open(path: string, options?: BackupOpenOptions): Promise<BackupFile> {
    const p = normalizePath(path);
    const write = options?.write === true || options?.append === true;
    const read = options?.read ?? !write;
    const create = options?.create === true || options?.createNew === true;
    if ((create || options?.truncate) && !write) {
      throw new TypeError(`open '${p}': create and truncate need write or append`);
    }
    if (write && this.readOnly) throw readOnlyError("open", p);
    if (p === "/") throw isADirectory("open", p);
    const resolved = await this.#paths.lookupPath(p, "open");
    if (resolved && options?.createNew) throw alreadyExists("open", p);
    if (resolved?.kind === "directory") throw isADirectory("open", p);
    if (!resolved) {
      if (!create) throw notFound("open", p);
      await this.#paths.requireParent(p, "open");
    }
    const base = resolved?.kind === "file" ? resolved : undefined;
    const truncated = write && options?.truncate === true && !options?.append;
    return new BackupFile(
      handleContextFor(this.#io, p, {
        base,
        mode: options?.mode,
        versions: this.#versions,
        paths: this.#paths,
      }),
      { read, write, append: options?.append === true },
      { truncated, created: !resolved },
    );
  }

  /** Creates (or truncates) a file and opens it for reading and writing, like `Deno.create`. */
  create(path: string): Promise<BackupFile> {
    return this.open(path, { read: true, write: true, create: true, truncate: true });
  }

  /**
   * Writes a whole file from bytes, a stream or an async iterable of byte pieces
   * (a byte stream is read in large BYOB pieces), streaming it chunk by chunk; the
   * new version replaces the old one atomically when complete, and a failed or
   * aborted write leaves the old one as it was. Resolves to the new version's info
   * (its size, times, content type and ETag; its token is known only from a later
   * `stat`).
   */
  async writeFile(
    path: string,
    data: Uint8Array | ByteSource,
    options?: BackupWriteFileOptions,
  ): Promise<BackupFileInfo> {
    const { create, createNew, append, mode, mtime, contentType, signal, precondition } = options ??
      {};
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("writefile", p);
    if (append && precondition) {
      throw new TypeError("writeFile: precondition does not go with append");
    }
    if (append) {
      const file = await this.open(p, {
        write: true,
        append: true,
        create: create ?? true,
        ...(createNew ? { createNew: true } : {}),
        ...(mode === undefined ? {} : { mode }),
      });
      try {
        if (data instanceof Uint8Array) await file.write(data);
        else for await (const piece of readPieces(data)) await file.write(piece);
      } catch (error) {
        await file.abort();
        throw error;
      }
      await file.close();
      return file.written ?? await this.stat(p);
    }
    if (p === "/") throw isADirectory("writefile", p);
    const resolved = await this.#paths.lookupPath(p, "writefile");
    if (resolved && createNew) throw alreadyExists("writefile", p);
    if (resolved?.kind === "directory") throw isADirectory("writefile", p);
    if (!resolved) {
      if (create === false) throw notFound("writefile", p);
      await this.#paths.requireParent(p, "writefile");
    }
    const previous = resolved?.kind === "file" ? resolved : undefined;
    // createNew is checked again as the version commits: a file another writer
    // created since the lookup above makes this write fail, never replaced.
    const writer = this.#io.writer(p, {
      ...(signal ? { signal } : {}),
      ...(createNew ? { createNew: true } : {}),
    });
    try {
      if (data instanceof Uint8Array) {
        await writer.write(data);
      } else {
        // Each piece is copied into a chunk buffer before the next is read.
        for await (const piece of readPieces(data, signal ? { signal } : {})) {
          await writer.write(piece);
        }
      }
      signal?.throwIfAborted();
      const metadata = await this.#versions.forNewVersion(p, writer.size, {
        previous,
        mode,
        mtime,
        contentType,
      });
      const beforeCommit = precondition
        ? async () => precondition((await this.#paths.lookupFresh(p, "writefile"))?.info)
        : undefined;
      const result = await writer.close(metadata, beforeCommit ? { beforeCommit } : {});
      // The new token is only known from a listing: drop the entry so the next stat reads it.
      this.#paths.cache.invalidateAdded(p);
      return writtenFileInfo(metadata.attributes, result.objectChecksum);
    } catch (error) {
      await writer.abort().catch(() => {});
      throw fromStorageError(error, "writefile", p);
    }
  }

  /** Writes a string as UTF-8. */
  writeTextFile(
    path: string,
    text: string,
    options?: BackupWriteFileOptions,
  ): Promise<BackupFileInfo> {
    return this.writeFile(path, new TextEncoder().encode(text), options);
  }

  /** Creates a directory (and its missing parents with `recursive`). */
  async mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void> {
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("mkdir", p);
    const resolved = await this.#paths.lookupPath(p, "mkdir");
    if (resolved) {
      if (resolved.kind === "directory" && options?.recursive) return;
      throw alreadyExists("mkdir", p);
    }
    if (options?.recursive) {
      // Every ancestor must be a directory or nothing (a file in the way is an error).
      for (let a = parentOf(p); a !== "/"; a = parentOf(a)) {
        const ancestor = await this.#paths.lookupPath(a, "mkdir");
        if (ancestor?.kind === "file") throw notADirectory("mkdir", a);
        if (ancestor) break;
      }
    } else {
      await this.#paths.requireParent(p, "mkdir");
    }
    await this.#markers.create(p, { mode: options?.mode ?? 0o755 });
  }

  /** Removes a file or an empty directory; `recursive` removes a directory with everything in it. */
  async remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("remove", p);
    if (p === "/") throw permissionDenied("remove", p, "the root cannot be removed");
    const resolved = await this.#paths.lookupPath(p, "remove");
    if (!resolved) throw notFound("remove", p);
    if (
      resolved.kind === "directory" && !options?.recursive &&
      await this.#paths.lister.hasChildren(p)
    ) {
      throw directoryNotEmpty("remove", p);
    }
    await this.#remover.remove(p, { resolved, op: "remove" });
  }

  /**
   * Moves a file or directory. Bytes are copied chunk by chunk to the new name; the
   * source is removed only once the copy is complete, so a crash in between leaves
   * both, never neither. With `createNew`, nothing at `to` is replaced: the move
   * fails with `AlreadyExists` (for a file, also when `to` appears while it runs).
   * A file another writer replaces (or removes) while it is moved is not lost: that
   * write counts as coming after the move, which succeeds; `to` holds the version
   * that was moved and `from` the newer one. (Failing instead would report a move
   * that had already changed `to`.)
   */
  async rename(from: string, to: string, options?: { createNew?: boolean }): Promise<void> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    if (this.readOnly) throw readOnlyError("rename", src);
    if (src === dst) {
      if (!(await this.#paths.lookupPath(src, "rename"))) throw notFound("rename", src);
      return;
    }
    const copied = await this.#copier.copy(src, dst, {
      op: "rename",
      replaceDirectory: true,
      ...(options?.createNew ? { createNew: true } : {}),
    });
    if (copied.kind === "file") {
      // Only the version that was copied goes. One another writer committed (or a
      // removal) while the copy ran came after this move: it stays, and the move,
      // whose copy is already at the destination, is done.
      const current = await this.#paths.isCurrent(src, copied.object, "rename");
      if (current !== true) return;
    }
    const resolved = await this.#paths.lookupPath(src, "rename");
    if (resolved) await this.#remover.remove(src, { resolved, op: "rename" });
  }

  /**
   * Copies a file (overwriting a file at the destination), chunk by chunk. With
   * `createNew`, nothing is overwritten: `AlreadyExists` when the destination
   * exists, also when it appears before the copy commits.
   */
  async copyFile(from: string, to: string, options?: { createNew?: boolean }): Promise<void> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    if (this.readOnly) throw readOnlyError("copyfile", src);
    const resolved = await this.#paths.lookupPath(src, "copyfile");
    if (!resolved) throw notFound("copyfile", src);
    if (resolved.kind === "directory") throw isADirectory("copyfile", src);
    if (src === dst) return;
    await this.#copier.copy(src, dst, {
      op: "copyfile",
      replaceDirectory: false,
      ...(options?.createNew ? { createNew: true } : {}),
    });
  }

  /**
   * Copies a file or, with `recursive`, a whole directory tree. With `createNew`,
   * nothing at `to` is replaced (`AlreadyExists`), as for {@link copyFile}.
   */
  async copy(
    from: string,
    to: string,
    options?: { recursive?: boolean; createNew?: boolean },
  ): Promise<void> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    if (this.readOnly) throw readOnlyError("copy", src);
    const resolved = await this.#paths.lookupPath(src, "copy");
    if (!resolved) throw notFound("copy", src);
    if (resolved.kind === "directory" && !options?.recursive) throw isADirectory("copy", src);
    if (src === dst) return;
    await this.#copier.copy(src, dst, {
      op: "copy",
      replaceDirectory: false,
      ...(options?.createNew ? { createNew: true } : {}),
    });
  }

  /** Cuts or extends (with zeros) a file to `size` bytes (default 0). */
  async truncate(path: string, size?: number): Promise<void> {
    const file = await this.open(path, { write: true });
    try {
      await file.truncate(size ?? 0);
    } catch (error) {
      await file.abort();
      throw error;
    }
    await file.close();
  }

  /**
   * Sets a path's modification (and, optionally, creation) time. The version is
   * rewritten with the new attributes (its chunks are copied as they are).
   */
  async utime(
    path: string,
    mtime: Date | number,
    options?: { birthtime?: Date | number },
  ): Promise<void> {
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("utime", p);
    const birthtime = options?.birthtime;
    await this.#rewriter.rewrite(p, {
      op: "utime",
      change: (attrs) => ({
        ...attrs,
        mtime: +mtime,
        ...(birthtime === undefined ? {} : { birthtime: +birthtime }),
      }),
    });
  }

  /**
   * Changes the extended attributes of a path: `update` receives the current ones
   * and returns the new ones. The version is rewritten (chunks copied as they are).
   */
  async setExtendedAttributes(
    path: string,
    update: (current: ExtendedAttributes) => ExtendedAttributes,
  ): Promise<void> {
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("setxattr", p);
    await this.#rewriter.rewrite(p, {
      op: "setxattr",
      change: (attrs) => attrs,
      updateExtended: update,
    });
  }
}
