/**
 * A token bucket over bytes: `scrub --rate` reads at most that many bytes a
 * second on average, so it can run beside live traffic.
 *
 * @module
 */

/**
 * Options of {@link TokenBucket}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TokenBucketOptions } from "./_token_bucket.ts";
 * const options: TokenBucketOptions = { capacity: 1024 * 1024 };
 * assert.equal(options.capacity, 1048576);
 * ```
 */
export interface TokenBucketOptions {
  /** Most bytes that may go at once after a pause (default: one second's worth, at least 64 KiB). */
  capacity?: number;
  /** The clock in ms (default `performance.now`). */
  now?: () => number;
  /** Waits `ms` (default a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Bytes per second, on average: {@link take} lets bytes go while the bucket
 * holds tokens and otherwise waits until it has refilled. A take larger than
 * the bucket goes into debt, which the following wait pays off, so pieces of
 * any size keep the average.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TokenBucket } from "./_token_bucket.ts";
 * let clock = 0;
 * const waits: number[] = [];
 * const bucket = new TokenBucket(1000, {
 *   capacity: 1000,
 *   now: () => clock,
 *   sleep: (ms) => {
 *     waits.push(ms);
 *     clock += ms;
 *     return Promise.resolve();
 *   },
 * });
 * await bucket.take(1000); // the first second's worth: at once
 * assert.deepEqual(waits, []);
 * await bucket.take(500); // half a second more
 * assert.deepEqual(waits, [500]);
 * await bucket.take(3000); // a big piece: three seconds of debt
 * assert.deepEqual(waits, [500, 3000]);
 * ```
 */
export class TokenBucket {
  /** Bytes per second. */
  readonly rate: number;
  /** Most tokens the bucket holds. */
  readonly capacity: number;
  #tokens: number;
  #last: number;
  #now: () => number;
  #sleep: (ms: number) => Promise<void>;

  /** A full bucket refilling at `bytesPerSecond`. */
  constructor(bytesPerSecond: number, options?: TokenBucketOptions) {
    if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) {
      throw new RangeError("TokenBucket: the rate must be a positive number");
    }
    this.rate = bytesPerSecond;
    this.capacity = options?.capacity ?? Math.max(bytesPerSecond, 64 * 1024);
    this.#now = options?.now ?? (() => performance.now());
    this.#sleep = options?.sleep ??
      ((ms) => new Promise((resolve) => setTimeout(resolve, Math.ceil(ms))));
    this.#tokens = this.capacity;
    this.#last = this.#now();
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#last) / 1000) * this.rate);
    this.#last = now;
  }

  /** Takes `bytes` tokens, waiting as long as the bucket is in debt. */
  async take(bytes: number): Promise<void> {
    this.#refill();
    this.#tokens -= bytes;
    if (this.#tokens >= 0) return;
    await this.#sleep((-this.#tokens / this.rate) * 1000);
    this.#refill();
  }
}
