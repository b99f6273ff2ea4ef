/**
 * Where an object reader gets verified chunk bytes: through the shared chunk
 * cache (joining a load already in flight, from a prefetch or another reader), or,
 * for a long scan, into buffers of its own the cache never sees. Every fetch
 * takes a slot of the reader's semaphore (reads ahead of prefetches) and is
 * tracked until it settles.
 *
 * @module
 */

import { type BackupStorage, isVerifiedChunkReader } from "../storage/backup_storage.ts";
import { Semaphore, type SlotKind } from "./_semaphore.ts";
import type { ChunkCache } from "./chunk_cache.ts";
import type { ChunkLocation } from "./chunk_map.ts";
import { fetchVerifiedChunk } from "./verified_chunk.ts";

/**
 * Options of {@link ChunkLoader}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import type { ChunkLoaderOptions } from "./chunk_loader.ts";
 * const options: ChunkLoaderOptions = {
 *   jobId: "job-1",
 *   path: "/a.bin",
 *   cache: new ChunkCache(),
 *   maxInFlight: 5,
 *   signal: new AbortController().signal,
 * };
 * assert.equal(options.maxInFlight, 5);
 * ```
 */
export interface ChunkLoaderOptions {
  /** Job the chunk tokens belong to. */
  jobId: string;
  /** The file's path, for error messages. */
  path: string;
  /** The shared cache of verified chunk bytes. */
  cache: ChunkCache;
  /** Most `GetChunk` calls in flight at once. */
  maxInFlight: number;
  /** The reader's signal: aborted when it closes, which cancels every fetch. */
  signal: AbortSignal;
}

/**
 * Verified bytes of a chunk for a scan, and whether they are the cache's (to
 * copy, never to hand out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ScanBytes } from "./chunk_loader.ts";
 * const own: ScanBytes = { bytes: new Uint8Array(4), shared: false }; // may be handed out
 * assert.equal(own.shared, false);
 * ```
 */
export interface ScanBytes {
  /** The chunk's verified bytes. */
  bytes: Uint8Array;
  /** Whether the cache holds these very bytes. */
  shared: boolean;
}

/**
 * Options of {@link ChunkLoader.scanBytes}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ScanBytesOptions } from "./chunk_loader.ts";
 * const options: ScanBytesOptions = { into: new Uint8Array(4 * 1024 * 1024) };
 * assert.equal(options.into?.byteLength, 4_194_304);
 * ```
 */
export interface ScanBytesOptions {
  /**
   * A buffer the scan's own fetch may read the chunk into (see `readsInto`): the
   * bytes are then a view of it. Never used for bytes the cache holds or loads.
   */
  into?: Uint8Array;
}

/**
 * Verified chunk bytes for one object reader.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { chunkChecksum } from "../storage/checksum.ts";
 * import { ChunkCache } from "./chunk_cache.ts";
 * import { ChunkLoader } from "./chunk_loader.ts";
 * import { ChunkMap } from "./chunk_map.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const data = new TextEncoder().encode("hello");
 *   await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "a.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.length,
 *     InlineChunkChecksum: chunkChecksum(data),
 *   });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   const chunk = (await new ChunkMap(store, {
 *     jobId: "job-1",
 *     objectToken: object.ObjectToken,
 *   }).chunk(0))!;
 *   const cache = new ChunkCache();
 *   const loader = new ChunkLoader(store, {
 *     jobId: "job-1",
 *     path: "/a.txt",
 *     cache,
 *     maxInFlight: 2,
 *     signal: new AbortController().signal,
 *   });
 *   const scanned = await loader.scanBytes(chunk, "read"); // not kept in the cache
 *   assert.deepEqual([scanned.shared, cache.size], [false, 0]);
 *   assert.equal(new TextDecoder().decode(await loader.cachedBytes(chunk)), "hello");
 *   assert.equal(cache.size, 1); // kept for the next reader
 *   assert.equal((await loader.scanBytes(chunk, "read")).shared, true);
 *   await loader.settled();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ChunkLoader {
  readonly #storage: BackupStorage;
  readonly #jobId: string;
  readonly #path: string;
  readonly #cache: ChunkCache;
  readonly #signal: AbortSignal;
  readonly #slots: Semaphore;
  /** Fetches and prefetch tasks in flight, for `settled()`. */
  readonly #pending = new Set<Promise<unknown>>();

  /** Makes the loader of one reader; nothing is fetched until asked. */
  constructor(storage: BackupStorage, options: ChunkLoaderOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#path = options.path;
    this.#cache = options.cache;
    this.#signal = options.signal;
    this.#slots = new Semaphore(options.maxInFlight);
  }

  /** The shared cache the loader reads through. */
  get cache(): ChunkCache {
    return this.#cache;
  }

  /** Whether the reader closed: nothing new is fetched. */
  get stopped(): boolean {
    return this.#signal.aborted;
  }

  /**
   * Whether a scan's own fetch reads into the buffer it is given (`scanBytes`'s
   * `into`): the storage reads verified chunks itself (the embedded store).
   */
  get readsInto(): boolean {
    return isVerifiedChunkReader(this.#storage);
  }

  /** Whether a `GetChunk` slot is free right now (a prefetch never queues). */
  get slotFree(): boolean {
    return this.#slots.free;
  }

  /**
   * Verified bytes of a chunk through the cache. When this call joined a load
   * started elsewhere (a prefetch, another reader) and that load failed, the chunk
   * is fetched again by this call: someone else's failure never fails this read.
   */
  async cachedBytes(chunk: ChunkLocation): Promise<Uint8Array> {
    let ownLoad = false;
    const load = () => {
      ownLoad = true;
      return this.track(this.#fetch(chunk, "read"));
    };
    try {
      return await this.#cache.get(chunk.checksum, load);
    } catch (error) {
      if (ownLoad || this.stopped) throw error;
      return await this.#cache.get(chunk.checksum, load);
    }
  }

  /**
   * Verified bytes of a chunk for a scan: the cache's when it holds or is loading
   * them (shared: the caller copies), else a fetch of the scan's own that the cache
   * never sees (into `options.into` when the storage reads into buffers). A joined
   * load that fails is fetched again by the scan itself.
   */
  async scanBytes(
    chunk: ChunkLocation,
    kind: SlotKind,
    options?: ScanBytesOptions,
  ): Promise<ScanBytes> {
    const kept = this.#cache.peek(chunk.checksum);
    if (kept !== undefined) return { bytes: kept, shared: true };
    if (this.#cache.loading(chunk.checksum)) {
      try {
        const bytes = await this.#cache.get(chunk.checksum, () => this.#fetch(chunk, kind));
        return { bytes, shared: true };
      } catch (error) {
        if (this.stopped) throw error;
      }
    }
    return { bytes: await this.track(this.#fetch(chunk, kind, options?.into)), shared: false };
  }

  /** Starts loading a chunk into the cache as a prefetch (it never fails a read). */
  prefetch(chunk: ChunkLocation): void {
    this.#cache.get(chunk.checksum, () => this.track(this.#fetch(chunk, "prefetch")))
      .catch(() => {}); // a failed prefetch is refetched by the read that needs it
  }

  /** Keeps `promise` in the set {@link settled} waits for, until it settles. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = () => this.#pending.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** Resolves once no tracked fetch or task is in flight. */
  async settled(): Promise<void> {
    // Bounded: each round waits for the tasks in flight; a stopped loader starts no new ones.
    for (let round = 0; round < 1000 && this.#pending.size > 0; round++) {
      await Promise.allSettled([...this.#pending]);
    }
  }

  /** A verified fetch holding a slot of the semaphore for its whole length. */
  async #fetch(chunk: ChunkLocation, kind: SlotKind, into?: Uint8Array): Promise<Uint8Array> {
    // Take the slot synchronously when one is free, so reads reach storage in call order.
    if (!this.#slots.tryAcquire()) await this.#slots.acquire(kind, this.#signal);
    try {
      return await fetchVerifiedChunk(this.#storage, chunk, {
        jobId: this.#jobId,
        path: this.#path,
        signal: this.#signal,
        ...(into === undefined ? {} : { into }),
      });
    } finally {
      this.#slots.release();
    }
  }
}
