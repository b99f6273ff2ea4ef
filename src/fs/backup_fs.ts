/**
 * `BackupFS`: a Deno-style file system over any `BackupStorage` and one job id.
 * Paths map to objects (`/a/b.txt` ↔ `a/b.txt`), byte ranges to chunks; empty
 * directories persist as marker objects (`a/dir/`).
 *
 * @module
 */

import { mime } from "../../deps/mime.ts";
import type { BackupStorage } from "../storage/backup_storage.ts";
import { ResourceNotFoundException } from "../storage/errors.ts";
import { validateJobId } from "../storage/limits.ts";
import type { BackupObject } from "../storage/types.ts";
import {
  decodeMetadataBlob,
  decodeMetadataString,
  encodeMetadataBlob,
  encodeMetadataString,
  type ExtendedAttributes,
  type FileAttributes,
} from "./attributes.ts";
import { ChunkCache } from "./chunk_cache.ts";
import { ChunkMap } from "./chunk_map.ts";
import { type ByteSource, readPieces } from "./byte_source.ts";
import { DirectoryLister } from "./directory_lister.ts";
import { BackupFile, type BackupOpenOptions, readOnlyError } from "./file_handle.ts";
import {
  type BackupDirEntry,
  type BackupFileInfo,
  directoryInfo,
  fileInfo,
  writtenFileInfo,
} from "./file_info.ts";
import {
  alreadyExists,
  directoryNotEmpty,
  fromStorageError,
  isADirectory,
  notADirectory,
  notFound,
  overlappingPaths,
  permissionDenied,
} from "./fs_errors.ts";
import { MetadataCache, MISSING } from "./metadata_cache.ts";
import { ObjectReader } from "./object_reader.ts";
import { ObjectWriter } from "./object_writer.ts";
import { baseName, directoryPrefixOf, normalizePath, objectNameOf, parentOf } from "./paths.ts";

/** Options of {@link BackupFS}. */
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

/** Options of {@link BackupFS.writeFile}. */
export interface BackupWriteFileOptions {
  /** Create the file when missing (default true). */
  create?: boolean;
  /** Fail with `AlreadyExists` when the file exists. */
  createNew?: boolean;
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

/** What a path resolves to, as cached. */
type Resolved =
  | { kind: "file"; object: BackupObject; info: BackupFileInfo }
  | { kind: "directory"; marker?: BackupObject; info: BackupFileInfo };

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
  #chunkSize: number;
  #uploadConcurrency: number;
  #prefetch: number;
  #spoolDirectory?: string;
  #maxSpoolBytes?: number;
  #now: () => number;
  #cache: ChunkCache;
  #lister: DirectoryLister;
  /** Paths' lookups, and the child names of directories listed in full. */
  #meta: MetadataCache<Resolved, Set<string>>;

  /** A file system over `storage` in the namespace of `options.jobId`. */
  constructor(storage: BackupStorage, options: BackupFSOptions) {
    validateJobId(options.jobId);
    this.storage = storage;
    this.jobId = options.jobId;
    this.readOnly = options.readOnly ?? false;
    this.#chunkSize = options.chunkSize ?? 4 * 1024 * 1024;
    this.#uploadConcurrency = options.uploadConcurrency ?? 4;
    this.#prefetch = options.prefetch ?? 4;
    if (options.spoolDirectory !== undefined) this.#spoolDirectory = options.spoolDirectory;
    if (options.maxSpoolBytes !== undefined) this.#maxSpoolBytes = options.maxSpoolBytes;
    this.#now = options.now ?? Date.now;
    this.#cache = new ChunkCache({ maxBytes: options.cacheBytes ?? 256 * 1024 * 1024 });
    this.#lister = new DirectoryLister(storage, { jobId: options.jobId });
    this.#meta = new MetadataCache<Resolved, Set<string>>({
      ttlMs: options.metadataTtlMs ?? 1000,
    });
  }

  /** The chunk cache shared by every file of this file system. */
  get chunkCache(): ChunkCache {
    return this.#cache;
  }

  /** ListObjects calls made so far by directory listings and lookups. */
  get listCalls(): number {
    return this.#lister.listCalls;
  }

  // ------------------------------------------------------------------ reading

  /** Info about a file or directory; `NotFound` when nothing is there. */
  async stat(path: string): Promise<BackupFileInfo> {
    const p = normalizePath(path);
    const resolved = await this.#resolve(p, "stat");
    if (!resolved) throw notFound("stat", p);
    return resolved.info;
  }

  /** Same as {@link stat}: BackupFS has no symbolic links. */
  lstat(path: string): Promise<BackupFileInfo> {
    return this.stat(path);
  }

  /** Whether anything exists at a path. */
  async exists(path: string): Promise<boolean> {
    return (await this.#resolve(normalizePath(path), "exists")) !== undefined;
  }

  /**
   * The entries of a directory, names in byte order. The listing runs first: any
   * child proves the path is a directory, so only an empty listing needs the
   * lookup that tells an empty directory from a file or nothing.
   */
  async *readDir(path: string): AsyncIterable<BackupDirEntry> {
    const p = normalizePath(path);
    const epoch = this.#meta.epoch;
    const names = new ChildNames();
    let any = false;
    try {
      for await (const entry of this.#lister.list(p)) {
        any = true;
        names.add(entry.name);
        yield {
          name: entry.name,
          isFile: entry.isFile,
          isDirectory: entry.isDirectory,
          isSymlink: false,
        };
      }
    } catch (error) {
      throw fromStorageError(error, "readdir", p);
    }
    await this.#listed(p, { any, names, epoch });
  }

  /**
   * The entries of a directory with their info, names in byte order, built from the
   * listing itself: no lookup per entry (only an object another tool wrote, without
   * BackupFS attributes, costs a chunk listing for its size). Also primes the stat
   * cache, so a `stat` of an entry right after is free.
   */
  async *readDirInfo(path: string): AsyncIterable<{ name: string; info: BackupFileInfo }> {
    const p = normalizePath(path);
    const epoch = this.#meta.epoch;
    const names = new ChildNames();
    let any = false;
    try {
      for await (const entry of this.#lister.list(p)) {
        any = true;
        names.add(entry.name);
        const child = p === "/" ? `/${entry.name}` : `${p}/${entry.name}`;
        let resolved: Resolved;
        if (entry.isDirectory) {
          resolved = {
            kind: "directory",
            ...(entry.object ? { marker: entry.object } : {}),
            info: directoryInfo(entry.object),
          };
        } else if (entry.object) {
          const object = entry.object;
          resolved = { kind: "file", object, info: await this.#describe(object, child, "readdir") };
        } else {
          // Not expected from the lister; look it up rather than guess.
          const looked = await this.#resolve(child, "readdir");
          if (!looked) continue;
          yield { name: entry.name, info: looked.info };
          continue;
        }
        this.#meta.set(child, resolved, { epoch });
        yield { name: entry.name, info: resolved.info };
      }
    } catch (error) {
      throw fromStorageError(error, "readdir", p);
    }
    await this.#listed(p, { any, names, epoch });
  }

  /** The whole content of a file. */
  async readFile(path: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const p = normalizePath(path);
    const { object, info } = await this.#file(p, "readfile");
    const out = new Uint8Array(info.size);
    const reader = this.#reader(p, object, info.size);
    try {
      for (let position = 0; position < info.size;) {
        options.signal?.throwIfAborted();
        const n = await reader.readAt(position, out.subarray(position));
        if (n === null || n === 0) break;
        position += n;
      }
    } catch (error) {
      throw fromStorageError(error, "readfile", p);
    } finally {
      reader.close();
    }
    return out;
  }

  /** The content of a file as UTF-8 text. */
  async readTextFile(path: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    return new TextDecoder().decode(await this.readFile(path, options));
  }

  /**
   * A stream of a file's bytes from `start` (default 0) to `end` (exclusive,
   * default the end), fetched and verified chunk by chunk with read-ahead.
   */
  async readStream(
    path: string,
    options: { start?: number; end?: number } = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const p = normalizePath(path);
    const { object, info } = await this.#file(p, "read");
    const reader = this.#reader(p, object, info.size);
    const pieces = reader.stream(options).getReader();
    // The reader is closed however the stream ends: read to its end, failed, or
    // cancelled (a client that went away).
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { value, done } = await pieces.read();
          if (!done) return controller.enqueue(value);
          reader.close();
          controller.close();
        } catch (error) {
          reader.close();
          controller.error(error);
        }
      },
      async cancel(reason) {
        reader.close();
        await pieces.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }

  /** The extended attributes (dead properties, xattrs, overflowing content type) of a path. */
  async getExtendedAttributes(path: string): Promise<ExtendedAttributes> {
    const p = normalizePath(path);
    const resolved = await this.#resolve(p, "getxattr");
    if (!resolved) throw notFound("getxattr", p);
    const object = resolved.kind === "file" ? resolved.object : resolved.marker;
    if (!object) return {};
    return await this.#readBlob(object, p);
  }

  // ------------------------------------------------------------------ writing

  /**
   * Opens a file, like `Deno.open`. Reading sees the version current at open;
   * writes become visible, atomically, when the file is closed.
   */
  async open(path: string, options: BackupOpenOptions = { read: true }): Promise<BackupFile> {
    const p = normalizePath(path);
    const write = options.write === true || options.append === true;
    const read = options.read ?? !write;
    const create = options.create === true || options.createNew === true;
    if ((create || options.truncate) && !write) {
      throw new TypeError(`open '${p}': create and truncate need write or append`);
    }
    if (write && this.readOnly) throw readOnlyError("open", p);
    if (p === "/") throw isADirectory("open", p);
    const resolved = await this.#resolve(p, "open");
    if (resolved && options.createNew) throw alreadyExists("open", p);
    if (resolved?.kind === "directory") throw isADirectory("open", p);
    if (!resolved) {
      if (!create) throw notFound("open", p);
      await this.#requireParent(p, "open");
    }
    const base = resolved?.kind === "file"
      ? { object: resolved.object, info: resolved.info }
      : undefined;
    const truncated = write && options.truncate === true && !options.append;
    return new BackupFile(
      this.#handleContext(p, base, { mode: options.mode }),
      { read, write, append: options.append === true },
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
    options: BackupWriteFileOptions = {},
  ): Promise<BackupFileInfo> {
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("writefile", p);
    if (options.append) {
      const file = await this.open(p, {
        write: true,
        append: true,
        create: options.create ?? true,
        ...(options.createNew ? { createNew: true } : {}),
        ...(options.mode === undefined ? {} : { mode: options.mode }),
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
    const resolved = await this.#resolve(p, "writefile");
    if (resolved && options.createNew) throw alreadyExists("writefile", p);
    if (resolved?.kind === "directory") throw isADirectory("writefile", p);
    if (!resolved) {
      if (options.create === false) throw notFound("writefile", p);
      await this.#requireParent(p, "writefile");
    }
    const previous = resolved?.kind === "file" ? resolved : undefined;
    const writer = this.#writer(p, options.signal);
    try {
      if (data instanceof Uint8Array) {
        await writer.write(data);
      } else {
        // Each piece is copied into a chunk buffer before the next is read.
        const signal = options.signal;
        for await (const piece of readPieces(data, signal ? { signal } : {})) {
          await writer.write(piece);
        }
      }
      options.signal?.throwIfAborted();
      const metadata = await this.#metadataFor(p, writer.size, previous, options);
      const result = await writer.close(() => metadata);
      this.#committed(p);
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
    options: BackupWriteFileOptions = {},
  ): Promise<BackupFileInfo> {
    return this.writeFile(path, new TextEncoder().encode(text), options);
  }

  /** Creates a directory (and its missing parents with `recursive`). */
  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("mkdir", p);
    const resolved = await this.#resolve(p, "mkdir");
    if (resolved) {
      if (resolved.kind === "directory" && options.recursive) return;
      throw alreadyExists("mkdir", p);
    }
    if (options.recursive) {
      // Every ancestor must be a directory or nothing (a file in the way is an error).
      for (let a = parentOf(p); a !== "/"; a = parentOf(a)) {
        const ancestor = await this.#resolve(a, "mkdir");
        if (ancestor?.kind === "file") throw notADirectory("mkdir", a);
        if (ancestor) break;
      }
    } else {
      await this.#requireParent(p, "mkdir");
    }
    await this.#putMarker(p, { mode: options.mode ?? 0o755 });
  }

  /** Removes a file or an empty directory; `recursive` removes a directory with everything in it. */
  async remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("remove", p);
    if (p === "/") throw permissionDenied("remove", p, "the root cannot be removed");
    const resolved = await this.#resolve(p, "remove");
    if (!resolved) throw notFound("remove", p);
    if (resolved.kind === "directory" && !options.recursive && await this.#lister.hasChildren(p)) {
      throw directoryNotEmpty("remove", p);
    }
    await this.#deleteResolved(p, resolved, "remove");
  }

  /**
   * Moves a file or directory. Bytes are copied chunk by chunk to the new name; the
   * source is removed only once the copy is complete, so a crash in between leaves
   * both, never neither.
   */
  async rename(from: string, to: string): Promise<void> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    if (this.readOnly) throw readOnlyError("rename", src);
    if (src === dst) {
      if (!(await this.#resolve(src, "rename"))) throw notFound("rename", src);
      return;
    }
    await this.#copy(src, dst, "rename", { replaceDirectory: true });
    const resolved = await this.#resolve(src, "rename");
    if (resolved) await this.#deleteResolved(src, resolved, "rename");
  }

  /** Deletes a file, or a directory with everything under it, and keeps its parent. */
  async #deleteResolved(p: string, resolved: Resolved, op: string): Promise<void> {
    if (resolved.kind === "file") {
      await this.#deleteObject(objectNameOf(p), p, op);
    } else {
      // walk() yields the directory's own marker first, then everything under it.
      for await (const object of this.#lister.walk(p)) {
        await this.#deleteObject(object.Name, p, op);
      }
      this.#meta.invalidateTree(p);
    }
    this.#meta.set(p, MISSING);
    await this.#keepParent(p);
  }

  /** Copies a file (overwriting a file at the destination), chunk by chunk. */
  async copyFile(from: string, to: string): Promise<void> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    if (this.readOnly) throw readOnlyError("copyfile", src);
    const resolved = await this.#resolve(src, "copyfile");
    if (!resolved) throw notFound("copyfile", src);
    if (resolved.kind === "directory") throw isADirectory("copyfile", src);
    if (src === dst) return;
    await this.#copy(src, dst, "copyfile", { replaceDirectory: false });
  }

  /** Copies a file or, with `recursive`, a whole directory tree. */
  async copy(from: string, to: string, options: { recursive?: boolean } = {}): Promise<void> {
    const src = normalizePath(from);
    const dst = normalizePath(to);
    if (this.readOnly) throw readOnlyError("copy", src);
    const resolved = await this.#resolve(src, "copy");
    if (!resolved) throw notFound("copy", src);
    if (resolved.kind === "directory" && !options.recursive) throw isADirectory("copy", src);
    if (src === dst) return;
    await this.#copy(src, dst, "copy", { replaceDirectory: false });
  }

  /** Cuts or extends (with zeros) a file to `size` bytes. */
  async truncate(path: string, size = 0): Promise<void> {
    const file = await this.open(path, { write: true });
    try {
      await file.truncate(size);
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
    options: { birthtime?: Date | number } = {},
  ): Promise<void> {
    const p = normalizePath(path);
    if (this.readOnly) throw readOnlyError("utime", p);
    await this.#rewriteMetadata(p, "utime", (attrs) => ({
      ...attrs,
      mtime: +mtime,
      ...(options.birthtime === undefined ? {} : { birthtime: +options.birthtime }),
    }));
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
    await this.#rewriteMetadata(p, "setxattr", (attrs) => attrs, update);
  }

  // ------------------------------------------------------------------ internals

  async #resolve(p: string, op: string): Promise<Resolved | undefined> {
    const cached = this.#meta.get(p);
    if (cached === MISSING) return undefined;
    if (cached !== undefined) return cached;
    // A directory just listed in full answers for its absent children: Finder's
    // floods of `._name` and `.DS_Store` lookups after a listing cost nothing.
    const parent = parentOf(p);
    if (parent !== p && this.#meta.getListing(parent)?.has(baseName(p)) === false) {
      this.#meta.set(p, MISSING);
      return undefined;
    }
    // A write that invalidates this path while the lookup runs makes its answer stale.
    const epoch = this.#meta.epoch;
    let found;
    try {
      found = await this.#lister.lookup(p);
    } catch (error) {
      throw fromStorageError(error, op, p);
    }
    let resolved: Resolved | undefined;
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
        info: await this.#describe(found.object, p, op),
      };
    }
    this.#meta.set(p, resolved ?? MISSING, { epoch });
    return resolved;
  }

  async #describe(object: BackupObject, p: string, op: string): Promise<BackupFileInfo> {
    const attrs = decodeMetadataString(object.MetadataString);
    if (attrs) return fileInfo(object, attrs, attrs.size);
    // Written by another tool: the size comes from the chunk list.
    try {
      const size = await new ChunkMap(this.storage, {
        jobId: this.jobId,
        objectToken: object.ObjectToken,
      }).size();
      return fileInfo(object, undefined, size, mime.getType(p) ?? undefined);
    } catch (error) {
      throw fromStorageError(error, op, p);
    }
  }

  async #file(p: string, op: string): Promise<{ object: BackupObject; info: BackupFileInfo }> {
    const resolved = await this.#resolve(p, op);
    if (!resolved) throw notFound(op, p);
    if (resolved.kind === "directory") throw isADirectory(op, p);
    return resolved;
  }

  async #requireParent(p: string, op: string): Promise<void> {
    const parent = parentOf(p);
    if (parent === p) return;
    const resolved = await this.#resolve(parent, op);
    if (!resolved) throw notFound(op, parent);
    if (resolved.kind !== "directory") throw notADirectory(op, parent);
  }

  /** After the last child of an implicit directory goes, its parent stays, as a marker. */
  async #keepParent(p: string): Promise<void> {
    const parent = parentOf(p);
    if (parent === "/" || parent === p) return;
    this.#meta.invalidate(parent);
    // An implicit directory (no marker) vanishes with its last child: give it one.
    if (!(await this.#resolve(parent, "remove"))) await this.#putMarker(parent, { mode: 0o755 });
  }

  #reader(p: string, object: BackupObject, size: number): ObjectReader {
    return new ObjectReader(this.storage, {
      jobId: this.jobId,
      objectToken: object.ObjectToken,
      path: p,
      cache: this.#cache,
      prefetch: this.#prefetch,
      size,
    });
  }

  #writer(p: string, signal?: AbortSignal): ObjectWriter {
    return new ObjectWriter(this.storage, {
      jobId: this.jobId,
      objectName: objectNameOf(p),
      path: p,
      chunkSize: this.#chunkSize,
      inFlight: this.#uploadConcurrency,
      ...(signal ? { signal } : {}),
    });
  }

  async #readBlob(object: BackupObject, p: string): Promise<ExtendedAttributes> {
    // Our own versions say when they have no blob: no storage call then.
    if (decodeMetadataString(object.MetadataString)?.noBlob) return {};
    try {
      const out = await this.storage.getObjectMetadata({
        StorageJobId: this.jobId,
        ObjectToken: object.ObjectToken,
      });
      const bytes = new Uint8Array(await new Response(out.MetadataBlob).arrayBuffer());
      return decodeMetadataBlob(bytes.byteLength > 0 ? bytes : undefined);
    } catch (error) {
      throw fromStorageError(error, "getxattr", p);
    }
  }

  /**
   * The metadata string and blob of a version: the content type goes in the blob
   * only when it does not fit the string, and the string says when there is no
   * blob at all (so reading extended attributes costs nothing then).
   */
  #encodeMetadata(
    attributes: FileAttributes,
    extended: ExtendedAttributes,
  ): { metadataString: string; metadataBlob?: Uint8Array } {
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

  /** Attributes and encoded metadata of a new version of a file. */
  async #metadataFor(
    p: string,
    size: number,
    previous: { object: BackupObject; info: BackupFileInfo } | undefined,
    options: { mode?: number; mtime?: Date | number; contentType?: string } = {},
  ): Promise<{ metadataString: string; metadataBlob?: Uint8Array; attributes: FileAttributes }> {
    const now = this.#now();
    // Dead properties and xattrs of the old version carry over.
    const extended = previous ? await this.#readBlob(previous.object, p) : {};
    const contentType = options.contentType ?? previous?.info.contentType ??
      extended.contentType ?? mime.getType(p) ?? undefined;
    const attributes: FileAttributes = {
      size,
      mtime: options.mtime === undefined ? now : +options.mtime,
      birthtime: previous?.info.birthtime?.getTime() ?? now,
      mode: options.mode ?? previous?.info.mode ?? 0o644,
      chunkSize: this.#chunkSize,
      ...(contentType === undefined ? {} : { contentType }),
    };
    return { ...this.#encodeMetadata(attributes, extended), attributes };
  }

  #handleContext(
    p: string,
    base: { object: BackupObject; info: BackupFileInfo } | undefined,
    options: { mode?: number | undefined },
  ) {
    return {
      storage: this.storage,
      jobId: this.jobId,
      path: p,
      objectName: objectNameOf(p),
      cache: this.#cache,
      prefetch: this.#prefetch,
      chunkSize: this.#chunkSize,
      uploadConcurrency: this.#uploadConcurrency,
      ...(this.#spoolDirectory === undefined ? {} : { spoolDirectory: this.#spoolDirectory }),
      ...(this.#maxSpoolBytes === undefined ? {} : { maxSpoolBytes: this.#maxSpoolBytes }),
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
          mode: options.mode ?? 0o644,
        }),
        size,
      }),
      metadataFor: (size: number) =>
        this.#metadataFor(p, size, base, options.mode === undefined ? {} : { mode: options.mode }),
      committed: () => this.#committed(p),
    };
  }

  /**
   * After a listing ran to its end: an empty one must be a directory (else
   * NotFound or NotADirectory); then its child names are remembered (unless it
   * changed meanwhile).
   */
  async #listed(
    p: string,
    listing: { any: boolean; names: ChildNames; epoch: number },
  ): Promise<void> {
    if (!listing.any) {
      const resolved = await this.#resolve(p, "readdir");
      if (!resolved) throw notFound("readdir", p);
      if (resolved.kind !== "directory") throw notADirectory("readdir", p);
    }
    if (!listing.names.overflowed) {
      this.#meta.setListing(p, listing.names.set, { epoch: listing.epoch });
    }
  }

  /** Records a new version of a file just completed by this BackupFS. */
  #committed(p: string): void {
    // The new token is only known from a listing: drop the entry so the next stat reads it.
    this.#meta.invalidateAdded(p);
  }

  async #putMarker(
    p: string,
    attrs: { mode: number },
    extended?: ExtendedAttributes,
  ): Promise<void> {
    const now = this.#now();
    const metadata = this.#encodeMetadata(
      { size: 0, mtime: now, birthtime: now, mode: attrs.mode },
      extended ?? {},
    );
    const writer = new ObjectWriter(this.storage, {
      jobId: this.jobId,
      objectName: directoryPrefixOf(p),
      path: p,
    });
    try {
      await writer.close(() => metadata);
    } catch (error) {
      await writer.abort().catch(() => {});
      throw fromStorageError(error, "mkdir", p);
    }
    this.#meta.invalidateAdded(p);
  }

  async #deleteObject(name: string, p: string, op: string): Promise<void> {
    try {
      await this.storage.deleteObject({ BackupJobId: this.jobId, ObjectName: name });
    } catch (error) {
      // Someone else removed it first: the outcome is the one asked for.
      if (!(error instanceof ResourceNotFoundException)) throw fromStorageError(error, op, p);
    }
    this.#meta.invalidate(p);
  }

  /** Copies `src` (file or tree) to `dst`; the caller removes the source for a move. */
  async #copy(
    src: string,
    dst: string,
    op: string,
    options: { replaceDirectory: boolean },
  ): Promise<void> {
    const source = await this.#resolve(src, op);
    if (!source) throw notFound(op, src);
    if (dst === "/") throw isADirectory(op, dst);
    if (source.kind === "directory" && dst.startsWith(src === "/" ? "/" : `${src}/`)) {
      throw overlappingPaths(op, src, dst, "inside");
    }
    // Replacing an ancestor would delete the source before it is read.
    if (src.startsWith(`${dst}/`)) throw overlappingPaths(op, src, dst, "ancestor");
    const target = await this.#resolve(dst, op);
    if (!target) await this.#requireParent(dst, op);
    if (source.kind === "file") {
      if (target?.kind === "directory") throw isADirectory(op, dst);
      await this.#copyObject(source.object, objectNameOf(dst), src, op);
      this.#meta.invalidateAdded(dst);
      return;
    }
    if (target?.kind === "file") throw notADirectory(op, dst);
    if (target?.kind === "directory") {
      if (!options.replaceDirectory || await this.#lister.hasChildren(dst)) {
        throw alreadyExists(op, dst);
      }
    }
    const from = directoryPrefixOf(src);
    const to = directoryPrefixOf(dst);
    if (source.marker || !target) {
      if (source.marker) await this.#copyObject(source.marker, to, src, op);
      else await this.#putMarker(dst, { mode: 0o755 });
    }
    for await (const object of this.#lister.walk(src)) {
      if (object.Name === from) continue;
      await this.#copyObject(object, to + object.Name.slice(from.length), src, op);
    }
    this.#meta.invalidateTree(dst);
  }

  /** Copies one object to a new name, chunk by chunk (verified), with its metadata. */
  async #copyObject(object: BackupObject, name: string, p: string, op: string, metadata?: {
    metadataString?: string;
    metadataBlob?: Uint8Array;
  }): Promise<void> {
    const map = new ChunkMap(this.storage, { jobId: this.jobId, objectToken: object.ObjectToken });
    const reader = new ObjectReader(this.storage, {
      jobId: this.jobId,
      objectToken: object.ObjectToken,
      path: p,
      cache: this.#cache,
      prefetch: this.#prefetch,
    });
    const writer = new ObjectWriter(this.storage, {
      jobId: this.jobId,
      objectName: name,
      path: p,
      chunkSize: this.#chunkSize,
      inFlight: this.#uploadConcurrency,
    });
    try {
      const meta = metadata ?? {
        ...(object.MetadataString === undefined ? {} : { metadataString: object.MetadataString }),
        ...(await this.#blobBytes(object, p)),
      };
      for (let index = 0;; index++) {
        const chunk = await map.chunk(index);
        if (!chunk) break;
        const bytes = new Uint8Array(chunk.length);
        for (let filled = 0; filled < chunk.length;) {
          const n = await reader.readAt(chunk.offset + filled, bytes.subarray(filled));
          if (n === null || n === 0) throw new Error(`chunk ${index} ended early`);
          filled += n;
        }
        await writer.write(bytes);
      }
      await writer.close(() => meta);
    } catch (error) {
      await writer.abort().catch(() => {});
      throw fromStorageError(error, op, p);
    } finally {
      reader.close();
    }
  }

  async #blobBytes(object: BackupObject, p: string): Promise<{ metadataBlob?: Uint8Array }> {
    if (decodeMetadataString(object.MetadataString)?.noBlob) return {};
    try {
      const out = await this.storage.getObjectMetadata({
        StorageJobId: this.jobId,
        ObjectToken: object.ObjectToken,
      });
      const bytes = new Uint8Array(await new Response(out.MetadataBlob).arrayBuffer());
      return bytes.byteLength > 0 ? { metadataBlob: bytes } : {};
    } catch (error) {
      throw fromStorageError(error, "copy", p);
    }
  }

  /** Rewrites a path's version with new attributes and/or extended attributes. */
  async #rewriteMetadata(
    p: string,
    op: string,
    change: (attrs: FileAttributes) => FileAttributes,
    updateExtended?: (current: ExtendedAttributes) => ExtendedAttributes,
  ): Promise<void> {
    const resolved = await this.#resolve(p, op);
    if (!resolved) throw notFound(op, p);
    const object = resolved.kind === "file" ? resolved.object : resolved.marker;
    const current = object ? await this.#readBlob(object, p) : {};
    const extended = updateExtended ? updateExtended({ ...current }) : current;
    const info = resolved.info;
    const attrs = change({
      size: info.size,
      mtime: info.mtime?.getTime() ?? this.#now(),
      ...(info.birthtime ? { birthtime: info.birthtime.getTime() } : {}),
      ...(info.mode === null ? {} : { mode: info.mode }),
      ...((info.contentType ?? current.contentType) === undefined
        ? {}
        : { contentType: info.contentType ?? current.contentType }),
      ...(info.chunkSize === undefined ? {} : { chunkSize: info.chunkSize }),
    });
    const metadata = this.#encodeMetadata(attrs, extended);
    if (resolved.kind === "file") {
      await this.#copyObject(resolved.object, objectNameOf(p), p, op, metadata);
    } else {
      const writer = new ObjectWriter(this.storage, {
        jobId: this.jobId,
        objectName: directoryPrefixOf(p),
        path: p,
      });
      try {
        await writer.close(() => metadata);
      } catch (error) {
        await writer.abort().catch(() => {});
        throw fromStorageError(error, op, p);
      }
    }
    this.#meta.invalidate(p);
  }
}

/**
 * Most child names remembered for one listed directory; a bigger one is not
 * remembered. With the cache's 100 listings at most, that bounds the memory
 * (~400,000 names).
 */
const MAX_LISTED_NAMES = 4096;

/** The child names seen by a listing, up to {@link MAX_LISTED_NAMES}. */
class ChildNames {
  readonly set = new Set<string>();
  overflowed = false;

  add(name: string): void {
    if (this.overflowed) return;
    if (this.set.size >= MAX_LISTED_NAMES) {
      this.overflowed = true;
      this.set.clear();
    } else {
      this.set.add(name);
    }
  }
}
