/**
 * One cache of verified chunk bytes, keyed by the chunk's SHA-256 checksum and
 * bounded in bytes, shared by every open file of a BackupFS.
 *
 * @module
 */

import { countMetric } from "../metrics/metric_values.ts";
import { SLOT } from "../metrics/metric_layout.ts";

/**
 * Options of {@link ChunkCache}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkCache, type ChunkCacheOptions } from "./chunk_cache.ts";
 * const options: ChunkCacheOptions = { maxBytes: 64 * 1024 * 1024 };
 * assert.equal(new ChunkCache(options).maxBytes, 67_108_864);
 * assert.throws(() => new ChunkCache({ maxBytes: -1 }), RangeError);
 * ```
 */
export interface ChunkCacheOptions {
  /** Most bytes of chunk data kept (default 256 MiB; 0 keeps nothing). */
  maxBytes?: number;
}

/**
 * Default bound of a {@link ChunkCache}: 256 MiB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkCache, DEFAULT_CHUNK_CACHE_BYTES } from "./chunk_cache.ts";
 * assert.equal(DEFAULT_CHUNK_CACHE_BYTES, 256 * 1024 * 1024);
 * assert.equal(new ChunkCache().maxBytes, DEFAULT_CHUNK_CACHE_BYTES);
 * ```
 */
export const DEFAULT_CHUNK_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * A least-recently-used cache of verified chunk bytes, bounded in bytes.
 *
 * Chunks are content-addressed by their `SHA256` checksum, so one entry serves
 * every file and version holding those bytes. Concurrent requests for one checksum
 * share one load. Only what a loader resolves goes in, so loaders must verify the
 * bytes against the checksum before resolving; a failed load is not kept. A chunk
 * larger than `maxBytes` is returned but not kept. The arrays handed out are shared:
 * callers copy out of them and never modify them.
 *
 * `misses` counts loads started; `hits` counts requests served without a load of
 * their own (from kept bytes, or by joining a load in flight).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { chunkChecksum } from "../storage/checksum.ts";
 * const cache = new ChunkCache({ maxBytes: 1024 });
 * const bytes = new TextEncoder().encode("chunk bytes");
 * const checksum = chunkChecksum(bytes);
 * assert.equal(await cache.get(checksum, () => Promise.resolve(bytes)), bytes); // a miss: loads
 * // A hit: the kept bytes, without calling the loader.
 * assert.equal(await cache.get(checksum, () => Promise.reject(new Error("not called"))), bytes);
 * assert.deepEqual([cache.hits, cache.misses, cache.bytes], [1, 1, 11]);
 * ```
 */
export class ChunkCache {
  #maxBytes: number;
  /** Insertion order is recency order: the first entry is the least recently used. */
  #entries = new Map<string, Uint8Array>();
  #loads = new Map<string, Promise<Uint8Array>>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  /** Bumped by `clear()`: loads started before it do not fill the cleared cache. */
  #generation = 0;

  /** Makes an empty cache holding at most `options.maxBytes` bytes. */
  constructor(options?: ChunkCacheOptions) {
    const maxBytes = options?.maxBytes ?? DEFAULT_CHUNK_CACHE_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`ChunkCache: maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    this.#maxBytes = maxBytes;
  }

  /** Bytes of chunk data kept now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The bound on `bytes`. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Requests served without a load of their own. */
  get hits(): number {
    return this.#hits;
  }

  /** Loads started. */
  get misses(): number {
    return this.#misses;
  }

  /** Number of chunks kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The verified bytes of the chunk with `checksum`: kept bytes (now the most
   * recently used), the load in flight for it, or a new load by `load`, whose
   * result is kept when it fits. `load` must resolve only bytes it verified.
   */
  get(checksum: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const kept = this.#entries.get(checksum);
    if (kept !== undefined) {
      this.#entries.delete(checksum);
      this.#entries.set(checksum, kept);
      this.#hits++;
      countMetric(SLOT.cacheHits);
      return Promise.resolve(kept);
    }
    const inFlight = this.#loads.get(checksum);
    if (inFlight !== undefined) {
      this.#hits++;
      countMetric(SLOT.cacheHits);
      return inFlight;
    }
    this.#misses++;
    countMetric(SLOT.cacheMisses);
    const generation = this.#generation;
    let promise: Promise<Uint8Array>;
    try {
      promise = load();
    } catch (error) {
      return Promise.reject(error);
    }
    const shared = promise.then(
      (bytes) => {
        if (this.#loads.get(checksum) === shared) this.#loads.delete(checksum);
        if (generation === this.#generation) this.#keep(checksum, bytes);
        return bytes;
      },
      (error) => {
        if (this.#loads.get(checksum) === shared) this.#loads.delete(checksum);
        throw error;
      },
    );
    this.#loads.set(checksum, shared);
    return shared;
  }

  /** The kept bytes of a chunk, if any; changes neither recency nor the counters. */
  peek(checksum: string): Uint8Array | undefined {
    return this.#entries.get(checksum);
  }

  /** Whether a load of the chunk is in flight. */
  loading(checksum: string): boolean {
    return this.#loads.has(checksum);
  }

  /** Drops every kept chunk (loads in flight still resolve their callers, but keep nothing). */
  clear(): void {
    this.#entries.clear();
    this.#loads.clear();
    this.#bytes = 0;
    this.#generation++;
  }

  #keep(checksum: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.#maxBytes) return;
    const previous = this.#entries.get(checksum);
    if (previous !== undefined) {
      this.#entries.delete(checksum);
      this.#bytes -= previous.byteLength;
    }
    this.#entries.set(checksum, bytes);
    this.#bytes += bytes.byteLength;
    for (const [key, value] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(key);
      this.#bytes -= value.byteLength;
    }
  }
}
