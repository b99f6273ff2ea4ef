/**
 * Range reads of one object version: fetches only the chunks a range touches,
 * verifies every chunk before a byte of it is returned or cached (its SHA-256, or,
 * for a chunk file the embedded store reads from its own local disk in-process, the
 * CRC-32 recorded when its bytes were written and their SHA-256 checked), and
 * prefetches ahead of sequential readers.
 *
 * The reader maps byte ranges to chunks (`chunk_map.ts`) and copies their bytes
 * out; `verified_chunk.ts` fetches and checks one chunk, `chunk_loader.ts` gets
 * chunks through the shared cache under the reader's limit of `GetChunk`s in
 * flight, and `read_ahead.ts` fetches ahead of sequential reads and long scans.
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { ResourceNotFoundException } from "../storage/errors.ts";
import type { ChunkCache } from "./chunk_cache.ts";
import { ChunkLoader } from "./chunk_loader.ts";
import { type ChunkLocation, ChunkMap } from "./chunk_map.ts";
import { prefetchAfter, ScanWindow } from "./read_ahead.ts";

/**
 * Options of {@link ObjectReader}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { ObjectReader, type ObjectReaderOptions } from "./object_reader.ts";
 * const options: ObjectReaderOptions = {
 *   jobId: "job-1",
 *   objectToken: "token-from-ListObjects",
 *   path: "/docs/report.pdf",
 *   cache: new ChunkCache(),
 *   prefetch: 4,
 *   size: 1234, // known from the metadata
 * };
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const reader = new ObjectReader(store, options);
 *   assert.equal(await reader.size(), 1234); // from `size`,
 *   assert.equal(reader.chunkMap.loadedCount, 0); // without loading the chunk map
 *   reader.close();
 *   assert.throws(() => new ObjectReader(store, { ...options, prefetch: -1 }), RangeError);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface ObjectReaderOptions {
  /** Job the object token belongs to. */
  jobId: string;
  /** Token of the version to read. */
  objectToken: string;
  /** The file's path, for error messages. */
  path: string;
  /** The shared cache of verified chunk bytes. */
  cache: ChunkCache;
  /** Chunks fetched ahead of sequential reads (default 4; 0 turns prefetch off). */
  prefetch?: number;
  /** Size of the object when known from its metadata (saves loading the whole map for it). */
  size?: number;
  /** Most `GetChunk` calls of this reader in flight at once (default `prefetch + 1`, at least 1). */
  maxInFlight?: number;
  /** `MaxResults` of each `ListChunks` call (default: the service's default, 100). */
  pageSize?: number;
}

/**
 * Options of {@link ObjectReader.stream}: the byte range to stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ObjectStreamOptions } from "./object_reader.ts";
 * const range: ObjectStreamOptions = { start: 7, end: 12 }; // bytes 7 to 11
 * const tail: ObjectStreamOptions = { start: 7 }; // from byte 7 to the end
 * assert.equal(range.end! - range.start!, 5);
 * assert.equal(tail.end, undefined);
 * ```
 */
export interface ObjectStreamOptions {
  /** First byte (default 0). */
  start?: number;
  /** End of the range, exclusive (default the end of the object). */
  end?: number;
  /**
   * Pieces of chunks of at most 1 MiB may be views of the verified bytes the cache
   * shares instead of copies (default false): the consumer promises never to modify
   * them (an HTTP response that only writes them out). Such a view holds no more
   * memory than a copied piece would; pieces of larger chunks are copied anyway.
   */
  shared?: boolean;
}

/**
 * Reads one object version by byte ranges.
 *
 * Every chunk fetched with `GetChunk` is read whole and checked against the chunk
 * map's SHA-256 and length before any byte of it is returned or cached (in-process
 * over the embedded store, the store's own verified read: see `verified_chunk.ts`); a mismatch
 * is fetched once more, and a second mismatch is `Deno.errors.InvalidData` naming
 * the path and the chunk index. A version that no longer exists is
 * `Deno.errors.NotFound` naming the path; other storage errors propagate as they are.
 *
 * A read that starts where the previous one ended (or at 0 first) is sequential:
 * it prefetches the next `prefetch` chunks in parallel through the shared cache,
 * never more bytes than the cache can keep. Random reads fetch only what they touch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ObjectReader } from "./object_reader.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { chunkChecksum } from "../storage/checksum.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const data = new TextEncoder().encode("hello, world");
 * await store.putObject({
 *   BackupJobId: "job-1",
 *   ObjectName: "greeting.txt",
 *   InlineChunk: data,
 *   InlineChunkLength: data.length,
 *   InlineChunkChecksum: chunkChecksum(data),
 * });
 * const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 * const reader = new ObjectReader(store, {
 *   jobId: "job-1",
 *   objectToken: object.ObjectToken,
 *   path: "/greeting.txt",
 *   cache: new ChunkCache(),
 * });
 * const buffer = new Uint8Array(5);
 * const n = await reader.readAt(7, buffer);
 * assert.equal(n, 5);
 * assert.equal(new TextDecoder().decode(buffer), "world");
 * assert.equal(await reader.readAt(12, buffer), null); // at the end
 * reader.close();
 * await reader.settled();
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ObjectReader {
  #path: string;
  #cache: ChunkCache;
  #prefetch: number;
  #size?: number;
  #map: ChunkMap;
  #abort = new AbortController();
  #closed = false;
  /** Where the previous read ended: a read starting here is sequential. */
  #lastEnd = 0;
  /** Verified chunks through the cache, within `maxInFlight`; tracked for `settled()`. */
  #loader: ChunkLoader;

  /** Makes a reader of the version `options.objectToken`; nothing is fetched until a read. */
  constructor(storage: BackupStorage, options: ObjectReaderOptions) {
    const prefetch = options.prefetch ?? 4;
    if (!Number.isSafeInteger(prefetch) || prefetch < 0) {
      throw new RangeError(
        `ObjectReader: prefetch must be a non-negative integer, got ${prefetch}`,
      );
    }
    const maxInFlight = options.maxInFlight ?? prefetch + 1;
    if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) {
      throw new RangeError(
        `ObjectReader: maxInFlight must be a positive integer, got ${maxInFlight}`,
      );
    }
    if (options.size !== undefined && (!Number.isSafeInteger(options.size) || options.size < 0)) {
      throw new RangeError(
        `ObjectReader: size must be a non-negative integer, got ${options.size}`,
      );
    }
    this.#path = options.path;
    this.#cache = options.cache;
    this.#prefetch = prefetch;
    this.#size = options.size;
    this.#loader = new ChunkLoader(storage, {
      jobId: options.jobId,
      path: options.path,
      cache: options.cache,
      maxInFlight,
      signal: this.#abort.signal,
    });
    this.#map = new ChunkMap(storage, {
      jobId: options.jobId,
      objectToken: options.objectToken,
      signal: this.#abort.signal,
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    });
  }

  /** The chunk map (for tests and for callers that want chunk boundaries). */
  get chunkMap(): ChunkMap {
    return this.#map;
  }

  /** Size of the object: from the options when given, else from the whole chunk map. */
  async size(): Promise<number> {
    this.#checkOpen();
    if (this.#size !== undefined) return this.#size;
    try {
      return await this.#map.size();
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /**
   * Reads up to `buffer.length` bytes at `position` into `buffer` and resolves how
   * many it read, or `null` at or past the end. Fetches only the chunks the range
   * touches (plus prefetch when the read is sequential). Only verified bytes are
   * ever written to `buffer`.
   */
  async readAt(position: number, buffer: Uint8Array): Promise<number | null> {
    this.#checkOpen();
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new RangeError(`readAt: position must be a non-negative integer, got ${position}`);
    }
    if (this.#size !== undefined && position >= this.#size) return null;
    if (buffer.byteLength === 0) return 0;
    const wanted = this.#size === undefined
      ? buffer.byteLength
      : Math.min(buffer.byteLength, this.#size - position);
    try {
      const chunks = await this.#chunksFor(position, position + wanted);
      if (chunks.length === 0) return null;
      const last = chunks[chunks.length - 1];
      const end = Math.min(position + wanted, last.offset + last.length);
      const sequential = position === this.#lastEnd;
      this.#lastEnd = end;
      const copies = chunks.map((chunk) =>
        chunk.length === 0 ? Promise.resolve() : this.#loader.cachedBytes(chunk).then((bytes) => {
          const from = Math.max(position, chunk.offset);
          const to = Math.min(end, chunk.offset + chunk.length);
          buffer.set(bytes.subarray(from - chunk.offset, to - chunk.offset), from - position);
        })
      );
      if (sequential) this.#prefetchAfter(last.index, chunks);
      await settleAll(copies);
      return end - position;
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /**
   * The bytes from `start` (default 0) to `end` (exclusive, default the end of the
   * object), pulled lazily chunk by chunk with prefetch, so memory stays bounded by
   * the prefetch window. Each piece is the consumer's own: kept or modified, it
   * changes nothing the reader or the cache holds.
   *
   * A range longer than an eighth of the cache is a *scan*: its chunks are fetched
   * into buffers of the stream's own (the prefetch window, never more than the cache
   * could keep, at least one chunk), each handed out whole as one piece without a
   * copy, and not kept in the cache, so one big read neither evicts what other
   * readers use nor pays a copy per byte. Chunks the cache already holds (or is
   * loading) are still served from it, copied. Shorter ranges go through the cache
   * and are emitted in copied pieces of at most 1 MiB (with `shared`, pieces of
   * chunks of at most 1 MiB are views of the cache's bytes, not copies).
   */
  stream(options?: ObjectStreamOptions): ReadableStream<Uint8Array> {
    const start = options?.start ?? 0;
    const requestedEnd = options?.end ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new RangeError(`stream: start must be a non-negative integer, got ${start}`);
    }
    if (!Number.isSafeInteger(requestedEnd) || requestedEnd < 0) {
      throw new RangeError(`stream: end must be a non-negative integer, got ${requestedEnd}`);
    }
    const end = this.#size === undefined ? requestedEnd : Math.min(requestedEnd, this.#size);
    if (end - start > this.#cache.maxBytes / SCAN_FRACTION) return this.#scan(start, end);
    const shared = options?.shared ?? false;
    let position = start;
    /** The chunk being emitted, held so that a small cache cannot make us refetch it. */
    let current: { chunk: ChunkLocation; bytes: Uint8Array } | undefined;
    const pieceSize = STREAM_PIECE_BYTES;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          this.#checkOpen();
          if (position >= end) {
            controller.close();
            return;
          }
          if (
            current === undefined || position < current.chunk.offset ||
            position >= current.chunk.offset + current.chunk.length
          ) {
            current = undefined;
            const chunk = await this.#map.locate(position);
            if (chunk === undefined) {
              if (this.#size !== undefined && position < this.#size) {
                throw this.#truncatedChunkError();
              }
              controller.close();
              return;
            }
            const bytes = this.#loader.cachedBytes(chunk);
            this.#prefetchAfter(chunk.index, [chunk]);
            current = { chunk, bytes: await bytes };
          }
          const { chunk, bytes } = current;
          const to = Math.min(end, chunk.offset + chunk.length, position + pieceSize);
          // A view only of a chunk no bigger than a piece: it keeps no more alive.
          const view = shared && bytes.byteLength <= pieceSize;
          const from = position - chunk.offset;
          controller.enqueue(
            view ? bytes.subarray(from, to - chunk.offset) : bytes.slice(from, to - chunk.offset),
          );
          position = to;
          if (position >= end) controller.close();
        } catch (error) {
          current = undefined;
          throw this.#translate(error);
        }
      },
      cancel: () => {
        current = undefined;
      },
    }, { highWaterMark: 0 });
  }

  /** Stops prefetches and page loads; later reads throw `Deno.errors.BadResource`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort(closedError(this.#path));
  }

  /** Resolves once no fetch, prefetch or page load of this reader is in flight. */
  async settled(): Promise<void> {
    await this.#loader.settled();
    await this.#map.idle();
  }

  // ------------------------------------------------------------- internals

  /**
   * `stream()` of a long range: a window of `prefetch + 1` chunks fetched ahead into
   * buffers of its own (bounded by the cache's size, at least one chunk), each emitted
   * whole as one piece once verified.
   */
  #scan(start: number, end: number): ReadableStream<Uint8Array> {
    const scan = new ScanWindow(this.#loader, this.#map, {
      start,
      end,
      prefetch: this.#prefetch,
      ...(this.#size === undefined ? {} : { size: this.#size }),
      truncatedError: () => this.#truncatedChunkError(),
    });
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          this.#checkOpen();
          const piece = await scan.next();
          if (piece === undefined) {
            controller.close();
            return;
          }
          controller.enqueue(piece);
          if (scan.done) controller.close();
        } catch (error) {
          scan.clear();
          throw this.#translate(error);
        }
      },
      cancel: () => {
        scan.clear();
      },
    }, { highWaterMark: 0 });
  }

  #checkOpen(): void {
    if (this.#closed) throw new Deno.errors.BadResource(`${this.#path}: the reader is closed`);
  }

  /** The chunks holding bytes of [from, to), in order (zero-length ones between included). */
  async #chunksFor(from: number, to: number): Promise<ChunkLocation[]> {
    const first = await this.#map.locate(from);
    if (first === undefined) {
      if (this.#size !== undefined && from < this.#size) throw this.#truncatedChunkError();
      return [];
    }
    const chunks = [first];
    let last = first;
    // Bounded by the number of chunks in the range.
    while (last.offset + last.length < to) {
      const next = await this.#map.chunk(last.index + 1);
      if (next === undefined) {
        if (this.#size !== undefined && to <= this.#size) throw this.#truncatedChunkError();
        break;
      }
      chunks.push(next);
      last = next;
    }
    return chunks;
  }

  /** Prefetches the chunks after `lastIndex` (a sequential read reached it). */
  #prefetchAfter(lastIndex: number, reading: ChunkLocation[]): void {
    prefetchAfter(this.#loader, this.#map, { lastIndex, count: this.#prefetch, reading });
  }

  /** The error of an object whose chunks end before its recorded size. */
  #truncatedChunkError(): Error {
    return new Deno.errors.InvalidData(
      `${this.#path}: the object's chunks end before its recorded size of ${this.#size} bytes`,
    );
  }

  #translate(error: unknown): unknown {
    if (this.#closed && !(error instanceof Deno.errors.InvalidData)) {
      return new Deno.errors.BadResource(`${this.#path}: the reader is closed`, { cause: error });
    }
    if (error instanceof ResourceNotFoundException) {
      return new Deno.errors.NotFound(
        `${this.#path}: the object version no longer exists (deleted or replaced)`,
        { cause: error },
      );
    }
    if (error instanceof Deno.errors.InvalidData && !error.message.startsWith(this.#path)) {
      return new Deno.errors.InvalidData(`${this.#path}: ${error.message}`, { cause: error });
    }
    return error;
  }
}

/** Largest piece `stream()` enqueues at once from the cache. */
const STREAM_PIECE_BYTES = 1024 * 1024;

/**
 * What fetches of a closed reader fail with. Without a stack trace: every reader is
 * closed once read (each GET), and the stack of `close` tells nothing.
 */
function closedError(path: string): Deno.errors.BadResource {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Deno.errors.BadResource(`${path}: the reader is closed`);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A `stream()` range longer than the cache's size over this is a scan (see `stream`). */
const SCAN_FRACTION = 8;

/** Waits for every promise, then rethrows the first rejection (no copy still runs after). */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const result of results) if (result.status === "rejected") throw result.reason;
}
