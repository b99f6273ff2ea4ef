/**
 * One task per item of an async sequence, several at once: a tree's copy and
 * removal run this way, so that the durable commits of many small objects share
 * the store's syncs instead of each waiting for a sync of its own.
 *
 * @module
 */

/**
 * Runs `task` for every item of `items`, at most `maxTasks` at once (at least
 * 1). The first task that fails stops it: no task starts after that, the
 * sequence is closed, and it rejects with that failure once the tasks in flight
 * have ended. It never settles while a task it started still runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forEachBounded } from "./_bounded_each.ts";
 * async function* numbers() {
 *   for (let i = 1; i <= 10; i++) yield i;
 * }
 * let running = 0;
 * let most = 0;
 * const seen: number[] = [];
 * await forEachBounded(numbers(), async (n) => {
 *   most = Math.max(most, ++running);
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   seen.push(n);
 *   running--;
 * }, 3);
 * assert.equal(most, 3);
 * assert.deepEqual(seen.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
 * await assert.rejects(
 *   forEachBounded(numbers(), async (n) => {
 *     if (n === 2) throw new Error("two");
 *   }, 2),
 *   /two/,
 * );
 * ```
 */
export async function forEachBounded<T>(
  items: AsyncIterable<T>,
  task: (item: T) => Promise<void>,
  maxTasks: number,
): Promise<void> {
  const most = Math.max(1, Math.floor(maxTasks));
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for await (const item of items) {
      // Bounded: each wait is for a task in flight to end, and they all end.
      while (failure === undefined && running.size >= most) await Promise.race(running);
      if (failure !== undefined) break;
      let started: Promise<void>;
      try {
        started = task(item);
      } catch (error) {
        started = Promise.reject(error);
      }
      const settled: Promise<void> = started.then(
        () => {},
        (error) => void (failure ??= { error }),
      ).finally(() => running.delete(settled));
      running.add(settled);
    }
  } finally {
    await Promise.all(running);
  }
  if (failure !== undefined) throw failure.error;
}
