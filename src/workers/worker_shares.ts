/**
 * How a server's totals (memory for chunks and uploads, connections) are split
 * among its workers, so the total an operator sets stays the bound.
 *
 * @module
 */

import type { ConnectionLimits } from "../http/connection_limits.ts";
import { DEFAULT_CONNECTION_LIMITS } from "../http/connection_limits.ts";

/**
 * One worker's share of `total` among `workers`: the total divided evenly,
 * rounded down, at least `minimum` (default 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shareOf } from "./worker_shares.ts";
 * assert.equal(shareOf(256 * 1024 * 1024, 3), 89478485);
 * assert.equal(shareOf(100, 1), 100); // one worker takes it all
 * assert.equal(shareOf(1, 4), 1); // never nothing
 * ```
 */
export function shareOf(total: number, workers: number, options?: { minimum?: number }): number {
  return Math.max(options?.minimum ?? 1, Math.floor(total / Math.max(1, workers)));
}

/**
 * The connection limits of one worker among `workers`: `maxConnections` (given or
 * the default) split evenly; the times are per connection and stay as they are.
 * Throws a `TypeError` when the total leaves a worker no connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerLimits } from "./worker_shares.ts";
 * assert.deepEqual(workerLimits({ headersTimeoutMs: 5000 }, 4), {
 *   headersTimeoutMs: 5000,
 *   maxConnections: 250, // the default 1,000 over 4 workers
 * });
 * assert.throws(() => workerLimits({ maxConnections: 2 }, 3), /--max-connections 2/);
 * ```
 */
export function workerLimits(
  limits: Partial<ConnectionLimits>,
  workers: number,
): Partial<ConnectionLimits> {
  const total = limits.maxConnections ?? DEFAULT_CONNECTION_LIMITS.maxConnections;
  if (total < workers) {
    throw new TypeError(
      `--max-connections ${total} leaves some of the ${workers} workers no connection: ` +
        `give at least one per worker, or fewer --workers`,
    );
  }
  return { ...limits, maxConnections: Math.floor(total / workers) };
}
