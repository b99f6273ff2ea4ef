/**
 * The benchmarks' numeric command-line flags: a whole number, at least some minimum,
 * or the benchmark stops at once with a message and exit code 2.
 *
 * @module
 */

/**
 * `values[name]` (from `parseArgs`) as a whole number of at least `min` (default 1);
 * otherwise it says so on stderr and exits with 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integerFlag } from "./integer_flag.ts";
 * assert.equal(integerFlag({ runs: "3" }, "runs"), 3);
 * assert.equal(integerFlag({ seed: "0" }, "seed", 0), 0);
 * ```
 */
export function integerFlag(
  values: Readonly<Record<string, unknown>>,
  name: string,
  min = 1,
): number {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`--${name} must be an integer ≥ ${min}`);
    Deno.exit(2);
  }
  return value;
}
