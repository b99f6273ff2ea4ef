/**
 * Figures of repeated benchmark runs: the median of the runs and their spread
 * (lowest–highest), and percentiles of latency samples.
 *
 * @module
 */

import { fmt } from "./bench_report.ts";

/**
 * The median of `values` (the mean of the two middle ones for an even count); NaN
 * for none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median } from "./run_stats.ts";
 * assert.equal(median([3, 1, 2]), 2);
 * assert.equal(median([4, 1, 3, 2]), 2.5);
 * assert.ok(Number.isNaN(median([])));
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The nearest-rank percentile `p` (0 < p ≤ 1) of values sorted ascending; NaN for none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { percentile } from "./run_stats.ts";
 * const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
 * assert.equal(percentile(sorted, 0.5), 50);
 * assert.equal(percentile(sorted, 0.99), 99);
 * assert.equal(percentile([7], 0.99), 7);
 * assert.ok(Number.isNaN(percentile([], 0.5)));
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * One figure over the runs: its median, lowest and highest value, and how many runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Summary } from "./run_stats.ts";
 * const summary: Summary = { median: 2, min: 1, max: 3, runs: 3 };
 * assert.equal(summary.max - summary.min, 2);
 * ```
 */
export interface Summary {
  /** Median of the runs. */
  median: number;
  /** Lowest value of the runs. */
  min: number;
  /** Highest value of the runs. */
  max: number;
  /** Runs summarised (non-finite values left out). */
  runs: number;
}

/**
 * Summarises one figure's values over the runs, leaving out values that are not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarize } from "./run_stats.ts";
 * assert.deepEqual(summarize([5, 1, 3, NaN]), { median: 3, min: 1, max: 5, runs: 3 });
 * assert.equal(summarize([]).runs, 0);
 * ```
 */
export function summarize(values: readonly number[]): Summary {
  const finite = values.filter(Number.isFinite);
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    runs: finite.length,
  };
}

/**
 * A summary as `median (min–max)` with `digits` decimals; only the median for one run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSummary } from "./run_stats.ts";
 * assert.equal(formatSummary({ median: 2, min: 1.5, max: 3, runs: 3 }, 1), "2.0 (1.5–3.0)");
 * assert.equal(formatSummary({ median: 2, min: 2, max: 2, runs: 1 }), "2");
 * assert.equal(formatSummary({ median: NaN, min: NaN, max: NaN, runs: 0 }), "—");
 * ```
 */
export function formatSummary(summary: Summary, digits = 0): string {
  if (summary.runs === 0) return "—";
  const middle = fmt(summary.median, digits);
  if (summary.runs === 1) return middle;
  return `${middle} (${fmt(summary.min, digits)}–${fmt(summary.max, digits)})`;
}
