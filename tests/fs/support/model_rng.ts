// A small seeded PRNG (mulberry32) for the randomized BackupFS tests: the same
// seed gives the same sequence on every machine, so a failure replays exactly.

/**
 * Seeded pseudo-random numbers (mulberry32, 32-bit state).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./model_rng.ts";
 * const rng = new Rng(42);
 * const a = rng.int(10);
 * assert.equal(a, new Rng(42).int(10));
 * assert.ok(a >= 0 && a < 10);
 * ```
 */
export class Rng {
  #state: number;

  /** Starts the sequence of `seed` (any integer). */
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max] (both included). */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p` (default ½). */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A key of `weights` drawn in proportion to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let total = 0;
    for (const [, w] of entries) total += w;
    let x = this.next() * total;
    for (const [key, w] of entries) {
      x -= w;
      if (x < 0) return key;
    }
    return entries[entries.length - 1][0];
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = (this.next() * 4294967296) >>> 0;
      for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (word >>> (8 * k)) & 0xff;
    }
    return out;
  }
}
