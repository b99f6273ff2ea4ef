/**
 * Bounds the expensive password checks (bcrypt, SHA-crypt, APR1) running at
 * once: at most `concurrency` run, at most `maxQueued` more wait in arrival
 * order, and any beyond that are refused at once ({@link VerifierBusyError}),
 * so a flood of wrong passwords costs a bounded amount of CPU and memory. The
 * WebDAV server answers a refused check `503 Service Unavailable` with
 * `Retry-After: 1`.
 *
 * @module
 */

/** Default number of expensive checks running at once (per process or worker). */
export const DEFAULT_VERIFY_CONCURRENCY = 1;
/** Default number of checks waiting for their turn (per process or worker). */
export const DEFAULT_VERIFY_QUEUE = 32;

/**
 * Thrown by {@link VerificationLimiter.run} when the queue is full.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VerifierBusyError } from "./verification_limiter.ts";
 * assert.equal(new VerifierBusyError().name, "VerifierBusyError");
 * ```
 */
export class VerifierBusyError extends Error {
  /** A refusal: too many password checks are waiting. */
  constructor() {
    super("too many password checks are waiting");
    this.name = "VerifierBusyError";
  }
}

/** Options of {@link VerificationLimiter}. */
export interface VerificationLimiterOptions {
  /** Checks running at once (default {@link DEFAULT_VERIFY_CONCURRENCY}, at least 1). */
  concurrency?: number;
  /** Checks waiting at most (default {@link DEFAULT_VERIFY_QUEUE}, 0 or more). */
  maxQueued?: number;
}

/**
 * The limiter (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VerificationLimiter, VerifierBusyError } from "./verification_limiter.ts";
 * const limiter = new VerificationLimiter({ concurrency: 1, maxQueued: 1 });
 * let release = () => {};
 * const first = limiter.run(() => new Promise<string>((resolve) => release = () => resolve("a")));
 * const second = limiter.run(() => Promise.resolve("b")); // waits for the first
 * await assert.rejects(limiter.run(() => Promise.resolve("c")), VerifierBusyError);
 * assert.deepEqual([limiter.running, limiter.queued], [1, 1]);
 * release();
 * assert.deepEqual([await first, await second], ["a", "b"]);
 * ```
 */
export class VerificationLimiter {
  readonly #concurrency: number;
  readonly #maxQueued: number;
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  /** A limiter of `options.concurrency` checks at once. */
  constructor(options: VerificationLimiterOptions = {}) {
    const concurrency = options.concurrency ?? DEFAULT_VERIFY_CONCURRENCY;
    const maxQueued = options.maxQueued ?? DEFAULT_VERIFY_QUEUE;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new TypeError("concurrency must be a positive integer");
    }
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) {
      throw new TypeError("maxQueued must be a non-negative integer");
    }
    this.#concurrency = concurrency;
    this.#maxQueued = maxQueued;
  }

  /** Checks running now. */
  get running(): number {
    return this.#running;
  }

  /** Checks waiting now. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `check` when a place is free; rejects with {@link VerifierBusyError}
   * (without running it) when the queue is full.
   */
  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxQueued) throw new VerifierBusyError();
      // The finishing check hands its place over (running stays counted).
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await check();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
