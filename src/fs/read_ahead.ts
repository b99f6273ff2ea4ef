/**
 * The two ways an object reader fetches ahead of its consumer:
 *
 * - {@link prefetchAfter}: after a sequential read, the next chunks are loaded
 *   into the shared cache, never more than the cache can keep, and only while a
 *   `GetChunk` slot is free (a prefetch never queues behind reads);
 * - {@link ScanWindow}: a long `stream()` range keeps a window of chunks being
 *   fetched into buffers of its own, each handed out whole once verified, so one
 *   big read neither evicts what other readers use nor pays a copy per byte.
 *
 * @module
 */

import { markReusable } from "../http/reusable_piece.ts";
import { SCAN_BUFFERS } from "./_buffer_pool.ts";
import type { ChunkLoader, ScanBytes } from "./chunk_loader.ts";
import type { ChunkLocation, ChunkMap } from "./chunk_map.ts";

/**
 * Options of {@link prefetchAfter}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PrefetchOptions } from "./read_ahead.ts";
 * const options: PrefetchOptions = { lastIndex: 0, count: 4, reading: [] };
 * assert.equal(options.count, 4);
 * ```
 */
export interface PrefetchOptions {
  /** Index of the last chunk the read reached: prefetch starts after it. */
  lastIndex: number;
  /** How many chunks after the last one read to load (0: none). */
  count: number;
  /** The chunks the read itself holds: their bytes count against the cache's size. */
  reading: readonly ChunkLocation[];
}

/**
 * Loads the `count` chunks after chunk `lastIndex` into the cache in the
 * background, within the cache's size (less what the read holds), skipping the
 * ones it holds or is loading, and stopping at the first busy moment: the next
 * sequential read schedules again. Failures are left to the read that needs the
 * chunk. The task is tracked by the loader (`settled()` waits for it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { ChunkLoader } from "./chunk_loader.ts";
 * import { ChunkMap } from "./chunk_map.ts";
 * import { ObjectWriter } from "./object_writer.ts";
 * import { prefetchAfter } from "./read_ahead.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const writer = new ObjectWriter(store, {
 *     jobId: "job-1",
 *     objectName: "a",
 *     path: "/a",
 *     chunkSize: 3,
 *   });
 *   await writer.write(new TextEncoder().encode("onetwosix")); // three chunks
 *   await writer.close();
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   const map = new ChunkMap(store, { jobId: "job-1", objectToken: object.ObjectToken });
 *   const cache = new ChunkCache();
 *   const signal = new AbortController().signal;
 *   const loader = new ChunkLoader(store, {
 *     jobId: "job-1",
 *     path: "/a",
 *     cache,
 *     maxInFlight: 3,
 *     signal,
 *   });
 *   const reading = [(await map.chunk(0))!];
 *   prefetchAfter(loader, map, { lastIndex: 0, count: 4, reading });
 *   await loader.settled();
 *   assert.equal(cache.size, 2); // chunks 1 and 2: there is no chunk 3
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function prefetchAfter(
  loader: ChunkLoader,
  map: ChunkMap,
  options: PrefetchOptions,
): void {
  const { lastIndex, count } = options;
  if (count === 0 || loader.stopped) return;
  const cache = loader.cache;
  let budget = cache.maxBytes;
  for (const chunk of options.reading) budget -= chunk.length;
  const task = (async () => {
    for (let k = 1; k <= count; k++) {
      if (loader.stopped) return;
      const chunk = await map.chunk(lastIndex + k);
      if (chunk === undefined) return;
      budget -= chunk.length;
      if (budget < 0) return; // never hold more than the cache can keep
      if (chunk.length === 0) continue;
      if (cache.peek(chunk.checksum) !== undefined) continue;
      if (cache.loading(chunk.checksum)) continue;
      if (!loader.slotFree) return; // no queueing behind reads: the next read schedules again
      loader.prefetch(chunk);
    }
  })().catch(() => {});
  loader.track(task);
}

/**
 * Options of {@link ScanWindow}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ScanWindowOptions } from "./read_ahead.ts";
 * const options: ScanWindowOptions = {
 *   start: 0,
 *   end: 1 << 30,
 *   prefetch: 4,
 *   size: 1 << 30,
 *   truncatedError: () => new Deno.errors.InvalidData("the chunks end early"),
 * };
 * assert.equal(options.prefetch, 4);
 * ```
 */
export interface ScanWindowOptions {
  /** First byte of the range. */
  start: number;
  /** End of the range (exclusive); the object's end when it comes first. */
  end: number;
  /** Chunks fetched ahead of the one being handed out. */
  prefetch: number;
  /** The object's recorded size, when known: chunks that end before it are an error. */
  size?: number;
  /** The error for chunks that end before the recorded size. */
  truncatedError: () => Error;
}

/**
 * The read-ahead window of a scan: up to `prefetch + 1` chunks being fetched in
 * order into buffers of its own (bounded by the cache's size, at least one chunk),
 * each handed out whole as one piece once verified. Chunks the cache already holds
 * (or is loading) are served from it, copied.
 *
 * When the storage reads verified chunks into given buffers (the embedded store),
 * the window's buffers come from a pool of the process, and each piece read into
 * one is marked reusable (`src/http/reusable_piece.ts`): a consumer that releases
 * it once written out (the HTTP writer of `serveHttp`) hands the buffer back for
 * a later chunk; a piece nobody releases is the consumer's, as any other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { chunkChecksum } from "../storage/checksum.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { ChunkLoader } from "./chunk_loader.ts";
 * import { ChunkMap } from "./chunk_map.ts";
 * import { ScanWindow } from "./read_ahead.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const data = new TextEncoder().encode("hello, world");
 *   await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "a.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.length,
 *     InlineChunkChecksum: chunkChecksum(data),
 *   });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   const map = new ChunkMap(store, { jobId: "job-1", objectToken: object.ObjectToken });
 *   const signal = new AbortController().signal;
 *   const loader = new ChunkLoader(store, {
 *     jobId: "job-1",
 *     path: "/a.txt",
 *     cache: new ChunkCache(),
 *     maxInFlight: 2,
 *     signal,
 *   });
 *   const scan = new ScanWindow(loader, map, {
 *     start: 7,
 *     end: 100,
 *     prefetch: 2,
 *     truncatedError: () => new Deno.errors.InvalidData("short"),
 *   });
 *   assert.equal(new TextDecoder().decode(await scan.next()), "world");
 *   assert.equal(await scan.next(), undefined); // the object ends before 100
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ScanWindow {
  readonly #loader: ChunkLoader;
  readonly #map: ChunkMap;
  readonly #end: number;
  readonly #prefetch: number;
  readonly #size?: number;
  readonly #truncatedError: () => Error;
  /** Never more bytes scheduled than the cache could keep (but at least one chunk). */
  readonly #budget: number;
  #position: number;
  /** Chunks scheduled, in order, with their verified bytes to come (and the pool's buffer). */
  #window: { chunk: ChunkLocation; bytes: Promise<ScanBytes>; pooled?: Uint8Array }[] = [];
  #windowBytes = 0;
  /** The chunk to schedule next: its index, or `undefined` before the first `locate`. */
  #nextIndex?: number;
  /** No chunk after the scheduled ones holds bytes of the range. */
  #exhausted = false;
  /** Where the last chunk scheduled (or skipped, when empty) ends. */
  #scheduledTo: number;

  /** Makes the window of the range `[options.start, options.end)`; nothing is fetched yet. */
  constructor(loader: ChunkLoader, map: ChunkMap, options: ScanWindowOptions) {
    this.#loader = loader;
    this.#map = map;
    this.#end = options.end;
    this.#prefetch = options.prefetch;
    this.#size = options.size;
    this.#truncatedError = options.truncatedError;
    this.#budget = loader.cache.maxBytes;
    this.#position = options.start;
    this.#scheduledTo = options.start;
  }

  /** Whether the whole range was handed out. */
  get done(): boolean {
    return this.#position >= this.#end;
  }

  /**
   * The next piece of the range (a whole chunk's bytes of its own, or a copy of
   * the cache's), keeping the window full while it is awaited; `undefined` at the
   * end of the range or of the object.
   */
  async next(): Promise<Uint8Array | undefined> {
    if (this.#position >= this.#end) return undefined;
    if (this.#window.length === 0) await this.#fill(1);
    const next = this.#window.shift();
    if (next === undefined) return undefined;
    await this.#fill(this.#prefetch); // keeps the window full while this chunk is awaited and sent
    const { chunk, pooled } = next;
    // A failed fetch leaves its pooled buffer to the garbage collector.
    const { bytes, shared } = await next.bytes;
    this.#windowBytes -= chunk.length;
    const from = Math.max(this.#position, chunk.offset) - chunk.offset;
    const to = Math.min(this.#end, chunk.offset + chunk.length) - chunk.offset;
    this.#position = chunk.offset + to;
    const inPooled = pooled !== undefined && bytes.buffer === pooled.buffer;
    if (pooled !== undefined && !inPooled) SCAN_BUFFERS.give(pooled); // not read into: unused
    if (shared) return bytes.slice(from, to);
    const piece = from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
    if (inPooled) markReusable(piece, () => SCAN_BUFFERS.give(pooled));
    return piece;
  }

  /** Drops the chunks scheduled (after a failure, or when the stream is cancelled). */
  clear(): void {
    this.#window.length = 0;
    this.#windowBytes = 0;
  }

  /** Schedules chunks until `size` are waiting (the one being sent is no longer in the window). */
  async #fill(size: number): Promise<void> {
    // Bounded by `size` plus the zero-length chunks skipped.
    while (!this.#exhausted && this.#window.length < size) {
      const chunk = this.#nextIndex === undefined
        ? await this.#map.locate(this.#position)
        : await this.#map.chunk(this.#nextIndex);
      if (chunk === undefined || chunk.offset >= this.#end) {
        if (chunk === undefined && this.#size !== undefined && this.#end > this.#scheduledTo) {
          throw this.#truncatedError();
        }
        this.#exhausted = true;
        return;
      }
      if (this.#window.length > 0 && this.#windowBytes + chunk.length > this.#budget) return;
      this.#nextIndex = chunk.index + 1;
      this.#scheduledTo = chunk.offset + chunk.length;
      if (chunk.length === 0) continue;
      const pooled = this.#loader.readsInto ? SCAN_BUFFERS.take(chunk.length) : undefined;
      const bytes = this.#loader.scanBytes(
        chunk,
        this.#window.length > 0 ? "prefetch" : "read",
        pooled === undefined ? undefined : { into: pooled },
      );
      bytes.catch(() => {}); // awaited by next(); a cancelled stream leaves it unobserved
      this.#window.push({ chunk, bytes, ...(pooled === undefined ? {} : { pooled }) });
      this.#windowBytes += chunk.length;
    }
  }
}
