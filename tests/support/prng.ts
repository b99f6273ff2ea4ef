/**
 * mulberry32: a small seeded pseudo-random generator, so a test that kills,
 * delays or picks "at random" does the same every run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prng } from "./prng.ts";
 * const a = prng(7);
 * const b = prng(7);
 * assert.equal(a(), b());
 * ```
 */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
