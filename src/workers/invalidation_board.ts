/**
 * The record of changed paths the workers of one server share: 64-bit counters
 * in a `SharedArrayBuffer`, so a write in one worker is seen by the caches of all
 * the others at once, without a message. Plugged into the metadata cache through
 * `pathChanges.share(board)` (src/fs/metadata_cache.ts).
 *
 * Layout: `[0]` a sequence that grows with every change, `[1]` the sequence of
 * the last change of every path, then one slot per hash bucket of paths holding
 * the sequence of the last change of a path in the bucket. A path changed after
 * `epoch` was read iff its slot (or `[1]`) is above `epoch`. Paths that share a
 * bucket invalidate each other: more lookups, never a stale answer. Sequences
 * are 64-bit (read as numbers, exact up to 2⁵³): they never wrap around.
 *
 * @module
 */

import type { PathChangeRecord } from "../fs/metadata_cache.ts";

/** Buckets of a board by default: 4,096 (32 KiB). */
export const DEFAULT_BOARD_SLOTS = 4096;

const SEQUENCE = 0;
const EVERYTHING = 1;
const FIRST_SLOT = 2;

/** FNV-1a over the UTF-16 code units of `text`. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A {@link PathChangeRecord} in shared memory. Create one with
 * {@link InvalidationBoard.create}, send its `buffer` to each worker (in
 * `postMessage`) and wrap it there with `new InvalidationBoard(buffer)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidationBoard } from "./invalidation_board.ts";
 * const board = InvalidationBoard.create();
 * const other = new InvalidationBoard(board.buffer); // another worker's view
 * const epoch = board.epoch; // a lookup of /docs/a.txt starts
 * other.note("/docs/a.txt"); // another worker writes it
 * assert.equal(board.changedSince("/docs/a.txt", epoch), true);
 * assert.equal(board.changedSince("/docs/b.txt", epoch), false); // (unless in the same bucket)
 * other.noteEverything(); // a directory renamed: everything is suspect
 * assert.equal(board.changedSince("/docs/b.txt", epoch), true);
 * ```
 */
export class InvalidationBoard implements PathChangeRecord {
  /** The shared memory: send it to the workers. */
  readonly buffer: SharedArrayBuffer;
  readonly #view: BigInt64Array;
  readonly #slots: number;

  /** A view of a board made by {@link InvalidationBoard.create} (in any worker). */
  constructor(buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < 8 * (FIRST_SLOT + 1)) {
      throw new TypeError("an invalidation board needs a SharedArrayBuffer of at least 24 bytes");
    }
    this.buffer = buffer;
    this.#view = new BigInt64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
    this.#slots = this.#view.length - FIRST_SLOT;
  }

  /**
   * A new board of `slots` buckets (default {@link DEFAULT_BOARD_SLOTS}).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { InvalidationBoard } from "./invalidation_board.ts";
   * const board = InvalidationBoard.create(16);
   * assert.equal(board.buffer.byteLength, 8 * (16 + 2));
   * assert.equal(board.epoch, 0);
   * ```
   */
  static create(slots: number = DEFAULT_BOARD_SLOTS): InvalidationBoard {
    if (!Number.isInteger(slots) || slots < 1 || slots > 1 << 20) {
      throw new RangeError("a board has 1 to 1,048,576 slots");
    }
    return new InvalidationBoard(new SharedArrayBuffer(8 * (FIRST_SLOT + slots)));
  }

  /** The sequence of the last change noted by any worker. */
  get epoch(): number {
    return Number(Atomics.load(this.#view, SEQUENCE));
  }

  /** `path` changed now. */
  note(path: string): void {
    this.#raise(FIRST_SLOT + (hash(path) % this.#slots), this.#next());
  }

  /** Every path changed now. */
  noteEverything(): void {
    this.#raise(EVERYTHING, this.#next());
  }

  /** Whether `path` changed after `epoch` was read (by any worker). */
  changedSince(path: string, epoch: number): boolean {
    const view = this.#view;
    const at = BigInt(epoch);
    return Atomics.load(view, EVERYTHING) > at ||
      Atomics.load(view, FIRST_SLOT + (hash(path) % this.#slots)) > at;
  }

  #next(): bigint {
    return Atomics.add(this.#view, SEQUENCE, 1n) + 1n;
  }

  /** Sets `slot` to `sequence` unless it already holds a later one (two workers may race). */
  #raise(slot: number, sequence: bigint): void {
    const view = this.#view;
    for (let attempt = 0; attempt < 1_000_000; attempt++) {
      const current = Atomics.load(view, slot);
      if (current >= sequence) return;
      if (Atomics.compareExchange(view, slot, current, sequence) === current) return;
    }
  }
}
