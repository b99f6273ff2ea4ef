/**
 * Runs `count` pieces of work with at most `inFlight` at once: the shape every
 * throughput figure of the benchmarks is measured in.
 *
 * @module
 */

/**
 * Runs `work(0)` … `work(count - 1)`, at most `inFlight` at a time, each index
 * once; rejects with the first failure (the workers then stop taking new indices).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runBounded } from "./run_bounded.ts";
 * let running = 0;
 * let most = 0;
 * const done: number[] = [];
 * await runBounded(10, 3, async (index) => {
 *   most = Math.max(most, ++running);
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   running--;
 *   done.push(index);
 * });
 * assert.deepEqual(done.toSorted((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assert.equal(most, 3);
 * await assert.rejects(runBounded(5, 2, (index) => {
 *   if (index === 3) throw new Error("index 3 failed");
 *   return Promise.resolve();
 * }), /index 3 failed/);
 * ```
 */
export async function runBounded(
  count: number,
  inFlight: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isSafeInteger(inFlight) || inFlight < 1) {
    throw new RangeError("inFlight must be an integer ≥ 1");
  }
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (!failed && next < count) {
        try {
          await work(next++);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
}
