/**
 * Benchmark data: distinct 1 MiB pieces (so a content-addressed store cannot skip
 * a chunk as a duplicate), streams of them, and reproducible random offsets.
 *
 * @module
 */

/** Bytes in a MiB. */
export const MiB = 1024 * 1024;

/**
 * Makes distinct pieces of `pieceSize` bytes: one random base block, each piece a
 * fresh copy with its index stamped into its first and last 8 bytes.
 *
 * @example
 * ```ts
 * import { PieceMaker } from "./bench_data.ts";
 * const pieces = new PieceMaker(1024);
 * console.log(pieces.piece(0).length, pieces.piece(0)[7] !== pieces.piece(1)[7]); // 1024 true
 * ```
 */
export class PieceMaker {
  /** Bytes per piece. */
  readonly pieceSize: number;
  #base: Uint8Array;

  /** Makes a random base block of `pieceSize` bytes (at least 16). */
  constructor(pieceSize: number) {
    if (!Number.isSafeInteger(pieceSize) || pieceSize < 16) {
      throw new RangeError("pieceSize must be an integer ≥ 16");
    }
    this.pieceSize = pieceSize;
    this.#base = new Uint8Array(pieceSize);
    for (let i = 0; i < pieceSize; i += 65536) {
      crypto.getRandomValues(this.#base.subarray(i, Math.min(i + 65536, pieceSize)));
    }
  }

  /** A fresh copy of piece `index` (the caller may keep it). */
  piece(index: number): Uint8Array {
    const data = this.#base.slice();
    const view = new DataView(data.buffer);
    view.setFloat64(0, index);
    view.setFloat64(data.length - 8, index);
    return data;
  }

  /**
   * A pull stream of `totalBytes` (a multiple of `pieceSize`): pieces are made only
   * when the consumer asks, so at most one waits in the stream.
   */
  stream(totalBytes: number): ReadableStream<Uint8Array> {
    const count = Math.ceil(totalBytes / this.pieceSize);
    let next = 0;
    return new ReadableStream<Uint8Array>({
      pull: (controller) => {
        if (next >= count) {
          controller.close();
          return;
        }
        controller.enqueue(this.piece(next++));
      },
    }, { highWaterMark: 0 });
  }
}

/**
 * `count` reproducible random offsets, multiples of `align`, such that
 * `offset + align <= size` (mulberry32 seeded with `seed`).
 *
 * @example
 * ```ts
 * import { randomOffsets } from "./bench_data.ts";
 * const offsets = randomOffsets(3, 1 << 20, { align: 4096, seed: 1 });
 * console.log(offsets.every((o) => o % 4096 === 0 && o + 4096 <= 1 << 20)); // true
 * ```
 */
export function randomOffsets(
  count: number,
  size: number,
  options: { align?: number; seed?: number } = {},
): number[] {
  const align = options.align ?? 4096;
  const next = seededRandom(options.seed ?? 0x5eed);
  const slots = Math.floor(size / align);
  return Array.from({ length: count }, () => Math.floor(next() * slots) * align);
}

/**
 * A small seeded generator (mulberry32) of numbers in [0, 1): the same seed gives
 * the same sequence, so a benchmark's workload can be replayed.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./bench_data.ts";
 * const a = seededRandom(7), b = seededRandom(7);
 * if (a() !== b() || a() !== b()) throw new Error("not replayable");
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
