/**
 * The object readers and writers of one BackupFS, made with its settings (chunk
 * cache, read-ahead, chunk size, uploads in flight, spool), and the whole-object
 * reads built on them: all of a file's bytes, or a stream of a range that closes
 * its reader however it ends.
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import type { ChunkCache } from "./chunk_cache.ts";
import { ObjectReader } from "./object_reader.ts";
import { ObjectWriter } from "./object_writer.ts";
import { objectNameOf } from "./paths.ts";

/**
 * Options of {@link ObjectIo}: the settings of a file system's reads and writes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { ObjectIo, type ObjectIoOptions } from "./object_io.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const options: ObjectIoOptions = {
 *     jobId: "home",
 *     chunkCache: new ChunkCache({ maxBytes: 1024 * 1024 }),
 *     chunkSize: 4096,
 *   };
 *   const io = new ObjectIo(store, options);
 *   assert.equal(io.chunkSize, 4096);
 *   assert.equal(io.prefetch, 4); // the default
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface ObjectIoOptions {
  /** The job whose namespace holds the file system. */
  jobId: string;
  /** Verified chunks kept in memory, shared by every reader. */
  chunkCache: ChunkCache;
  /** Chunks fetched ahead of a sequential reader (default 4). */
  prefetch?: number | undefined;
  /** Bytes per chunk of new objects (default 4 MiB). */
  chunkSize?: number | undefined;
  /** PutChunks in flight per object being written (default 4). */
  uploadConcurrency?: number | undefined;
  /** Directory for the spool files of non-sequential writes (default: the system temp dir). */
  spoolDirectory?: string | undefined;
  /** Largest spool file (default: the spool's own, 64 GiB). */
  maxSpoolBytes?: number | undefined;
}

/**
 * Makes the object readers and writers of one file system and reads whole objects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { ObjectIo } from "./object_io.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const io = new ObjectIo(store, { jobId: "home", chunkCache: new ChunkCache({ maxBytes: 1 << 20 }) });
 *   const writer = io.writer("/a.txt");
 *   await writer.write(new TextEncoder().encode("hello"));
 *   await writer.close();
 *   const [object] = (await store.listObjects({ StorageJobId: "home" })).ObjectList;
 *   assert.equal(object.Name, "a.txt");
 *   const bytes = await io.readAll("/a.txt", { objectToken: object.ObjectToken, size: 5 });
 *   assert.equal(new TextDecoder().decode(bytes), "hello");
 *   const stream = io.stream("/a.txt", { objectToken: object.ObjectToken, size: 5, start: 1 });
 *   assert.equal(await new Response(stream).text(), "ello");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ObjectIo {
  /** The storage the objects live in. */
  readonly storage: BackupStorage;
  /** The job whose namespace holds them. */
  readonly jobId: string;
  /** Verified chunks kept in memory, shared by every reader. */
  readonly chunkCache: ChunkCache;
  /** Chunks fetched ahead of a sequential reader. */
  readonly prefetch: number;
  /** Bytes per chunk of new objects. */
  readonly chunkSize: number;
  /** PutChunks in flight per object being written. */
  readonly uploadConcurrency: number;
  /** Directory for spool files, when not the system temp dir. */
  readonly spoolDirectory?: string;
  /** Largest spool file, when not the spool's default. */
  readonly maxSpoolBytes?: number;

  /** Readers and writers of `options.jobId` in `storage`. */
  constructor(storage: BackupStorage, options: ObjectIoOptions) {
    this.storage = storage;
    this.jobId = options.jobId;
    this.chunkCache = options.chunkCache;
    this.prefetch = options.prefetch ?? 4;
    this.chunkSize = options.chunkSize ?? 4 * 1024 * 1024;
    this.uploadConcurrency = options.uploadConcurrency ?? 4;
    if (options.spoolDirectory !== undefined) this.spoolDirectory = options.spoolDirectory;
    if (options.maxSpoolBytes !== undefined) this.maxSpoolBytes = options.maxSpoolBytes;
  }

  /**
   * A reader of the version `options.objectToken` of the file at `path` (named in
   * errors), through the chunk cache, with read-ahead. `options.size`, when known,
   * spares it a chunk listing.
   */
  reader(path: string, options: { objectToken: string; size?: number }): ObjectReader {
    return new ObjectReader(this.storage, {
      jobId: this.jobId,
      objectToken: options.objectToken,
      path,
      cache: this.chunkCache,
      prefetch: this.prefetch,
      ...(options.size === undefined ? {} : { size: options.size }),
    });
  }

  /**
   * A writer of a new version of the file at `path`, or of the object
   * `options.objectName` (a copy's); `options.signal` aborts it. With
   * `options.createNew`, the version commits only where no object of that name
   * exists then (checked atomically by the storage); else the writer fails with
   * `Deno.errors.AlreadyExists`.
   */
  writer(
    path: string,
    options?: { objectName?: string; signal?: AbortSignal; createNew?: boolean },
  ): ObjectWriter {
    const signal = options?.signal;
    return new ObjectWriter(this.storage, {
      jobId: this.jobId,
      objectName: options?.objectName ?? objectNameOf(path),
      path,
      chunkSize: this.chunkSize,
      inFlight: this.uploadConcurrency,
      ...(signal ? { signal } : {}),
      ...(options?.createNew ? { throwOnDuplicate: true } : {}),
    });
  }

  /**
   * All `options.size` bytes of the version `options.objectToken` of the file at
   * `path`; `options.signal` aborts between reads. Errors propagate as they are.
   */
  async readAll(
    path: string,
    options: { objectToken: string; size: number; signal?: AbortSignal | undefined },
  ): Promise<Uint8Array> {
    const size = options.size;
    const out = new Uint8Array(size);
    const reader = this.reader(path, { objectToken: options.objectToken, size });
    try {
      for (let position = 0; position < size;) {
        options.signal?.throwIfAborted();
        const n = await reader.readAt(position, out.subarray(position));
        if (n === null || n === 0) break;
        position += n;
      }
    } finally {
      reader.close();
    }
    return out;
  }

  /**
   * A stream of the bytes of the version `options.objectToken` (`options.size`
   * bytes) of the file at `path`, from `options.start` (default 0) to
   * `options.end` (exclusive, default the end), fetched and verified chunk by chunk
   * with read-ahead. Its reader is closed however the stream ends: read to its end,
   * failed, or cancelled (a client that went away). With `shared`, pieces may be
   * views of the cache's bytes (see `ObjectStreamOptions.shared`).
   */
  stream(
    path: string,
    options: {
      objectToken: string;
      size: number;
      start?: number;
      end?: number;
      shared?: boolean;
    },
  ): ReadableStream<Uint8Array> {
    const { objectToken, size, ...range } = options;
    const reader = this.reader(path, { objectToken, size });
    const pieces = reader.stream(range).getReader();
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
}
