/**
 * This process's (or worker's) block of metric values: a `Float64Array` laid out
 * as `metric_layout.ts` says. Counting is `values[slot] += n`; each block has one
 * writer (its thread), and whoever serves `/metrics` reads every block.
 *
 * The block starts as private memory; `useMetricBlock` moves it into a
 * `SharedArrayBuffer` (the main thread's, one block per worker) before anything
 * is counted there, so the main thread can sum them.
 *
 * @module
 */

import { BLOCK_SLOTS, SLOT } from "./metric_layout.ts";

/** Slots that say how things are now (not counts): taken over, not added, by a new writer. */
const GAUGES: readonly number[] = [SLOT.inFlight, SLOT.healthOk, SLOT.healthAt, SLOT.alive];

/** Bytes of one block. */
const BLOCK_BYTES = BLOCK_SLOTS * Float64Array.BYTES_PER_ELEMENT;

/**
 * The live block of this thread. Read it afresh each time (it is replaced by
 * {@link useMetricBlock}); never keep the array itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricValues } from "./metric_values.ts";
 * import { SLOT } from "./metric_layout.ts";
 * const before = metricValues.block[SLOT.gcRuns];
 * metricValues.block[SLOT.gcRuns]++;
 * assert.equal(metricValues.block[SLOT.gcRuns], before + 1);
 * ```
 */
export const metricValues: { block: Float64Array } = {
  block: new Float64Array(BLOCK_SLOTS),
};

/**
 * Adds `amount` (default 1) to the counter at `slot` of this thread's block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countMetric, metricValues } from "./metric_values.ts";
 * import { SLOT } from "./metric_layout.ts";
 * const before = metricValues.block[SLOT.cacheHits];
 * countMetric(SLOT.cacheHits);
 * countMetric(SLOT.cacheHits, 2);
 * assert.equal(metricValues.block[SLOT.cacheHits], before + 3);
 * ```
 */
export function countMetric(slot: number, amount = 1): void {
  metricValues.block[slot] += amount;
}

/**
 * A shared buffer of `blocks` zeroed blocks (one per worker).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMetricBuffer, metricBlocks } from "./metric_values.ts";
 * const buffer = createMetricBuffer(2);
 * assert.equal(metricBlocks(buffer).length, 2);
 * ```
 */
export function createMetricBuffer(blocks: number): SharedArrayBuffer {
  return new SharedArrayBuffer(BLOCK_BYTES * Math.max(1, blocks));
}

/**
 * The blocks of a buffer made by {@link createMetricBuffer}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMetricBuffer, metricBlocks } from "./metric_values.ts";
 * import { BLOCK_SLOTS } from "./metric_layout.ts";
 * const [first] = metricBlocks(createMetricBuffer(1));
 * assert.equal(first.length, BLOCK_SLOTS);
 * ```
 */
export function metricBlocks(buffer: SharedArrayBuffer): Float64Array[] {
  const count = Math.floor(buffer.byteLength / BLOCK_BYTES);
  return Array.from(
    { length: count },
    (_, i) => new Float64Array(buffer, i * BLOCK_BYTES, BLOCK_SLOTS),
  );
}

/**
 * Makes block `index` of `buffer` this thread's: what was counted before is
 * added to it (a restarted worker keeps counting where the one before stopped);
 * gauges (requests in flight, the health probe) are this thread's own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countMetric, createMetricBuffer, metricBlocks, metricValues, useMetricBlock } from "./metric_values.ts";
 * import { SLOT } from "./metric_layout.ts";
 * const saved = metricValues.block;
 * try {
 *   const buffer = createMetricBuffer(2);
 *   useMetricBlock(buffer, 1);
 *   const counted = metricValues.block[SLOT.gcRuns];
 *   countMetric(SLOT.gcRuns);
 *   assert.equal(metricBlocks(buffer)[1][SLOT.gcRuns], counted + 1);
 *   assert.equal(metricBlocks(buffer)[0][SLOT.gcRuns], 0);
 * } finally {
 *   metricValues.block = saved;
 * }
 * ```
 */
export function useMetricBlock(buffer: SharedArrayBuffer, index: number): void {
  const block = metricBlocks(buffer)[index];
  if (block === undefined) throw new RangeError(`no metric block ${index}`);
  if (block === metricValues.block) return;
  const before = metricValues.block;
  for (let i = 0; i < BLOCK_SLOTS; i++) block[i] += before[i];
  for (const gauge of GAUGES) block[gauge] = before[gauge];
  metricValues.block = block;
}
