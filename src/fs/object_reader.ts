/**
 * Range reads of one object version: fetches only the chunks a range touches,
 * verifies every chunk's SHA-256 before a byte of it is returned or cached, and
 * prefetches ahead of sequential readers.
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { encodeBase64, sha256Async } from "../storage/checksum.ts";
import { ResourceNotFoundException } from "../storage/errors.ts";
import type { ChunkCache } from "./chunk_cache.ts";
import { type ChunkLocation, ChunkMap } from "./chunk_map.ts";

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
 * Reads one object version by byte ranges.
 *
 * Every chunk fetched with `GetChunk` is read whole and checked against the chunk
 * map's SHA-256 and length before any byte of it is returned or cached; a mismatch
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
  #storage: BackupStorage;
  #jobId: string;
  #path: string;
  #cache: ChunkCache;
  #prefetch: number;
  #size?: number;
  #map: ChunkMap;
  #abort = new AbortController();
  #closed = false;
  /** Where the previous read ended: a read starting here is sequential. */
  #lastEnd = 0;
  #slots: Slots;
  /** Prefetch tasks and fetches in flight, for `settled()`. */
  #pending = new Set<Promise<unknown>>();

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
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#path = options.path;
    this.#cache = options.cache;
    this.#prefetch = prefetch;
    this.#size = options.size;
    this.#slots = new Slots(maxInFlight);
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
        chunk.length === 0 ? Promise.resolve() : this.#chunkBytes(chunk).then((bytes) => {
          const from = Math.max(position, chunk.offset);
          const to = Math.min(end, chunk.offset + chunk.length);
          buffer.set(bytes.subarray(from - chunk.offset, to - chunk.offset), from - position);
        })
      );
      if (sequential) this.#schedulePrefetch(last.index, chunks);
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
   * and are emitted in copied pieces of at most 1 MiB.
   */
  stream(options: { start?: number; end?: number } = {}): ReadableStream<Uint8Array> {
    const start = options.start ?? 0;
    const requestedEnd = options.end ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new RangeError(`stream: start must be a non-negative integer, got ${start}`);
    }
    if (!Number.isSafeInteger(requestedEnd) || requestedEnd < 0) {
      throw new RangeError(`stream: end must be a non-negative integer, got ${requestedEnd}`);
    }
    const end = this.#size === undefined ? requestedEnd : Math.min(requestedEnd, this.#size);
    if (end - start > this.#cache.maxBytes / SCAN_FRACTION) return this.#scan(start, end);
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
              if (this.#size !== undefined && position < this.#size) throw this.#shorter();
              controller.close();
              return;
            }
            const bytes = this.#chunkBytes(chunk);
            this.#schedulePrefetch(chunk.index, [chunk]);
            current = { chunk, bytes: await bytes };
          }
          const { chunk, bytes } = current;
          const to = Math.min(end, chunk.offset + chunk.length, position + pieceSize);
          controller.enqueue(bytes.slice(position - chunk.offset, to - chunk.offset));
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
    this.#abort.abort(new Deno.errors.BadResource(`${this.#path}: the reader is closed`));
  }

  /** Resolves once no fetch, prefetch or page load of this reader is in flight. */
  async settled(): Promise<void> {
    // Bounded: each round waits for the tasks in flight; closed readers start no new ones.
    for (let round = 0; round < 1000 && this.#pending.size > 0; round++) {
      await Promise.allSettled([...this.#pending]);
    }
    await this.#map.idle();
  }

  // ------------------------------------------------------------- internals

  /**
   * `stream()` of a long range: a window of `prefetch + 1` chunks fetched ahead into
   * buffers of its own (bounded by the cache's size, at least one chunk), each emitted
   * whole as one piece once verified.
   */
  #scan(start: number, end: number): ReadableStream<Uint8Array> {
    let position = start;
    /** Chunks scheduled, in order, with their verified bytes to come. */
    const window: { chunk: ChunkLocation; bytes: Promise<ScanBytes> }[] = [];
    let windowBytes = 0;
    /** The chunk to schedule next: its index, or `undefined` before the first `locate`. */
    let nextIndex: number | undefined;
    /** No chunk after the scheduled ones holds bytes of the range. */
    let exhausted = false;
    /** Where the last chunk scheduled (or skipped, when empty) ends. */
    let scheduledTo = start;
    const budget = this.#cache.maxBytes;
    /** Schedules chunks until `size` are waiting (the one being sent is no longer in `window`). */
    const fill = async (size: number) => {
      // Bounded by `size` plus the zero-length chunks skipped.
      while (!exhausted && window.length < size) {
        const chunk = nextIndex === undefined
          ? await this.#map.locate(position)
          : await this.#map.chunk(nextIndex);
        if (chunk === undefined || chunk.offset >= end) {
          if (chunk === undefined && this.#size !== undefined && end > scheduledTo) {
            throw this.#shorter();
          }
          exhausted = true;
          return;
        }
        if (window.length > 0 && windowBytes + chunk.length > budget) return;
        nextIndex = chunk.index + 1;
        scheduledTo = chunk.offset + chunk.length;
        if (chunk.length === 0) continue;
        const bytes = this.#scanBytes(chunk, window.length > 0);
        bytes.catch(() => {}); // awaited by pull; a cancelled stream leaves it unobserved
        window.push({ chunk, bytes });
        windowBytes += chunk.length;
      }
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          this.#checkOpen();
          if (position >= end) {
            controller.close();
            return;
          }
          if (window.length === 0) await fill(1);
          const next = window.shift();
          if (next === undefined) {
            controller.close();
            return;
          }
          await fill(this.#prefetch); // keeps the window full while this chunk is awaited and sent
          const { chunk } = next;
          const { bytes, shared } = await next.bytes;
          windowBytes -= chunk.length;
          const from = Math.max(position, chunk.offset) - chunk.offset;
          const to = Math.min(end, chunk.offset + chunk.length) - chunk.offset;
          controller.enqueue(
            shared
              ? bytes.slice(from, to)
              : from === 0 && to === bytes.length
              ? bytes
              : bytes.subarray(from, to),
          );
          position = chunk.offset + to;
          if (position >= end) controller.close();
        } catch (error) {
          window.length = 0;
          windowBytes = 0;
          throw this.#translate(error);
        }
      },
      cancel: () => {
        window.length = 0;
      },
    }, { highWaterMark: 0 });
  }

  /**
   * Verified bytes of a chunk for a scan: the cache's when it holds or is loading
   * them (shared: the caller copies), else a fetch of the scan's own that the cache
   * never sees. A joined load that fails is fetched again by the scan itself.
   */
  async #scanBytes(chunk: ChunkLocation, prefetch: boolean): Promise<ScanBytes> {
    const kept = this.#cache.peek(chunk.checksum);
    if (kept !== undefined) return { bytes: kept, shared: true };
    if (this.#cache.loading(chunk.checksum)) {
      try {
        const bytes = await this.#cache.get(
          chunk.checksum,
          () => this.#fetchVerified(chunk, prefetch),
        );
        return { bytes, shared: true };
      } catch (error) {
        if (this.#closed) throw error;
      }
    }
    return { bytes: await this.#track(this.#fetchVerified(chunk, prefetch)), shared: false };
  }

  #checkOpen(): void {
    if (this.#closed) throw new Deno.errors.BadResource(`${this.#path}: the reader is closed`);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = () => this.#pending.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** The chunks holding bytes of [from, to), in order (zero-length ones between included). */
  async #chunksFor(from: number, to: number): Promise<ChunkLocation[]> {
    const first = await this.#map.locate(from);
    if (first === undefined) {
      if (this.#size !== undefined && from < this.#size) throw this.#shorter();
      return [];
    }
    const chunks = [first];
    let last = first;
    // Bounded by the number of chunks in the range.
    while (last.offset + last.length < to) {
      const next = await this.#map.chunk(last.index + 1);
      if (next === undefined) {
        if (this.#size !== undefined && to <= this.#size) throw this.#shorter();
        break;
      }
      chunks.push(next);
      last = next;
    }
    return chunks;
  }

  /**
   * Verified bytes of a chunk through the cache. When this call joined a load
   * started elsewhere (a prefetch, another reader) and that load failed, the chunk
   * is fetched again by this call: someone else's failure never fails this read.
   */
  async #chunkBytes(chunk: ChunkLocation): Promise<Uint8Array> {
    let ownLoad = false;
    const load = () => {
      ownLoad = true;
      return this.#track(this.#fetchVerified(chunk, false));
    };
    try {
      return await this.#cache.get(chunk.checksum, load);
    } catch (error) {
      if (ownLoad || this.#closed) throw error;
      return await this.#cache.get(chunk.checksum, load);
    }
  }

  /** Prefetches the chunks after `lastIndex`, within the cache's budget. */
  #schedulePrefetch(lastIndex: number, reading: ChunkLocation[]): void {
    if (this.#prefetch === 0 || this.#closed) return;
    let budget = this.#cache.maxBytes;
    for (const chunk of reading) budget -= chunk.length;
    const task = (async () => {
      for (let k = 1; k <= this.#prefetch; k++) {
        if (this.#closed) return;
        const chunk = await this.#map.chunk(lastIndex + k);
        if (chunk === undefined) return;
        budget -= chunk.length;
        if (budget < 0) return; // never hold more than the cache can keep
        if (chunk.length === 0) continue;
        if (this.#cache.peek(chunk.checksum) !== undefined) continue;
        if (this.#cache.loading(chunk.checksum)) continue;
        if (!this.#slots.free) return; // no queueing behind reads: the next read schedules again
        this.#cache.get(chunk.checksum, () => this.#track(this.#fetchVerified(chunk, true)))
          .catch(() => {}); // a failed prefetch is refetched by the read that needs it
      }
    })().catch(() => {});
    this.#track(task);
  }

  /** Fetches a chunk, verifying length and SHA-256; refetches once on a mismatch. */
  async #fetchVerified(chunk: ChunkLocation, prefetch: boolean): Promise<Uint8Array> {
    // Take the slot synchronously when one is free, so reads reach storage in call order.
    if (!this.#slots.tryAcquire()) await this.#slots.acquire(prefetch, this.#abort.signal);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const bytes = await this.#fetchOnce(chunk);
        if (bytes !== undefined) return bytes;
      }
    } finally {
      this.#slots.release();
    }
    throw new Deno.errors.InvalidData(
      `${this.#path}: chunk ${chunk.index} failed verification twice (its bytes do not match ` +
        `the length and SHA-256 of the chunk list); no byte of it was returned`,
    );
  }

  /** One GetChunk, read whole; the bytes when they match, `undefined` when they do not. */
  async #fetchOnce(chunk: ChunkLocation): Promise<Uint8Array | undefined> {
    const signal = this.#abort.signal;
    signal.throwIfAborted();
    const output = await this.#storage.getChunk(
      { StorageJobId: this.#jobId, ChunkToken: chunk.token },
      { signal },
    );
    const reader = output.Data.getReader();
    const onAbort = () => {
      reader.cancel(signal.reason).catch(() => {});
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      if (signal.aborted) onAbort();
      const pieces: Uint8Array[] = [];
      let filled = 0;
      let overflow = false;
      // Bounded by the stream's length; stops as soon as it runs past the expected length.
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (filled + value.byteLength > chunk.length) {
          overflow = true;
          await reader.cancel().catch(() => {});
          break;
        }
        pieces.push(value);
        filled += value.byteLength;
      }
      signal.throwIfAborted();
      if (overflow || filled !== chunk.length) return undefined;
      // A chunk that arrived whole (the embedded store reads it in one go) is kept
      // as it came; pieces (HTTP) are joined once.
      let bytes: Uint8Array;
      if (pieces.length === 1) {
        bytes = pieces[0];
      } else {
        bytes = new Uint8Array(chunk.length);
        let offset = 0;
        for (const piece of pieces) {
          bytes.set(piece, offset);
          offset += piece.byteLength;
        }
      }
      // A big chunk is verified off the main thread (Web Crypto on a worker thread),
      // so prefetched chunks hash in parallel with the reader's other work; a small
      // one in place, where the thread hop would cost more than the hash.
      const digest = await sha256Async(bytes);
      signal.throwIfAborted();
      return encodeBase64(digest) === chunk.checksum ? bytes : undefined;
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
      reader.releaseLock();
    }
  }

  #shorter(): Error {
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

/** A `stream()` range longer than the cache's size over this is a scan (see `stream`). */
const SCAN_FRACTION = 8;

/** Verified bytes for a scan, and whether they are the cache's (to copy, never to hand out). */
interface ScanBytes {
  bytes: Uint8Array;
  shared: boolean;
}

/** Waits for every promise, then rethrows the first rejection (no copy still runs after). */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const result of results) if (result.status === "rejected") throw result.reason;
}

/** A counting semaphore where reads wait ahead of prefetches. */
class Slots {
  #free: number;
  #reads: Array<() => void> = [];
  #prefetches: Array<() => void> = [];

  constructor(count: number) {
    this.#free = count;
  }

  get free(): boolean {
    return this.#free > 0;
  }

  tryAcquire(): boolean {
    if (this.#free === 0) return false;
    this.#free--;
    return true;
  }

  acquire(prefetch: boolean, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const queue = prefetch ? this.#prefetches : this.#reads;
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      queue.push(grant);
    });
  }

  release(): void {
    const next = this.#reads.shift() ?? this.#prefetches.shift();
    if (next) next();
    else this.#free++;
  }
}
