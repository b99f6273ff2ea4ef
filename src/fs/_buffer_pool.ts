/**
 * A small pool of big byte buffers, by exact size: a long scan reads chunk after
 * chunk into buffers that come back once written out (`src/http/reusable_piece.ts`),
 * instead of a fresh one per chunk (a fresh multi-MiB buffer costs page faults
 * and zeroing on every use, slower than the read into it).
 *
 * @module
 */

/**
 * Options of {@link BufferPool}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BufferPoolOptions } from "./_buffer_pool.ts";
 * const options: BufferPoolOptions = { maxFreeBytes: 16 * 1024 * 1024 };
 * assert.equal(options.maxFreeBytes, 16_777_216);
 * ```
 */
export interface BufferPoolOptions {
  /** Most bytes of free buffers kept (default 64 MiB); more given back are dropped. */
  maxFreeBytes?: number;
}

/** Default of `BufferPoolOptions.maxFreeBytes`. */
const DEFAULT_MAX_FREE_BYTES = 64 * 1024 * 1024;

/**
 * Free buffers by byte length, bounded in bytes. A buffer given back must not be
 * used by the giver any more.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferPool } from "./_buffer_pool.ts";
 * const pool = new BufferPool({ maxFreeBytes: 8 });
 * const a = pool.take(8);
 * pool.give(a);
 * assert.equal(pool.take(8), a); // reused
 * pool.give(a);
 * pool.give(new Uint8Array(8)); // over the bound: dropped
 * assert.equal(pool.freeBytes, 8);
 * ```
 */
export class BufferPool {
  readonly #maxFreeBytes: number;
  readonly #free = new Map<number, Uint8Array[]>();
  #freeBytes = 0;

  /** Makes an empty pool. */
  constructor(options?: BufferPoolOptions) {
    this.#maxFreeBytes = options?.maxFreeBytes ?? DEFAULT_MAX_FREE_BYTES;
  }

  /** Bytes of the free buffers kept now. */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  /** A buffer of exactly `length` bytes: a free one (old contents) or a new one. */
  take(length: number): Uint8Array {
    const list = this.#free.get(length);
    const buffer = list?.pop();
    if (buffer === undefined) return new Uint8Array(length);
    if (list!.length === 0) this.#free.delete(length);
    this.#freeBytes -= length;
    return buffer;
  }

  /** Takes back a whole buffer (from `take`) nobody uses any more; dropped over the bound. */
  give(buffer: Uint8Array): void {
    const length = buffer.byteLength;
    if (length === 0 || this.#freeBytes + length > this.#maxFreeBytes) return;
    const list = this.#free.get(length);
    if (list === undefined) this.#free.set(length, [buffer]);
    else list.push(buffer);
    this.#freeBytes += length;
  }
}

/**
 * The pool of the read buffers of every scan in this process (see
 * `ScanWindow`): at most 64 MiB of free buffers kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SCAN_BUFFERS } from "./_buffer_pool.ts";
 * assert.ok(SCAN_BUFFERS.freeBytes <= 64 * 1024 * 1024);
 * ```
 */
export const SCAN_BUFFERS: BufferPool = new BufferPool();
