/**
 * Retry policy of the client (AWS "standard" mode, simplified): which failures
 * are retried, capped exponential backoff with full jitter, and an abortable
 * sleep.
 *
 * @module
 */

import { BackupStorageServiceError } from "../errors.ts";

/** Defaults of the retry policy. */
export const RETRY_DEFAULTS = {
  /** Attempts per call, the first included. */
  maxAttempts: 3,
  /** Base of the exponential backoff. */
  baseDelayMs: 100,
  /** Cap of one backoff delay. */
  maxDelayMs: 20_000,
} as const;

/**
 * An attempt that took longer than the per-attempt timeout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestTimeoutError } from "./retry.ts";
 * import type { BackupStorage } from "../backup_storage.ts";
 * // A client made with `requestTimeoutMs` retries timed-out attempts, then throws this.
 * async function listOrNull(storage: BackupStorage, job: string) {
 *   try {
 *     return await storage.listObjects({ StorageJobId: job });
 *   } catch (error) {
 *     if (error instanceof RequestTimeoutError) return null;
 *     throw error;
 *   }
 * }
 * const timingOut = {
 *   listObjects: () => Promise.reject(new RequestTimeoutError(5000)),
 * } as unknown as BackupStorage;
 * assert.equal(await listOrNull(timingOut, "job-1"), null);
 * const error = new RequestTimeoutError(5000);
 * assert.equal(error.timeoutMs, 5000);
 * assert.equal(error.message, "BackupStorage request attempt timed out after 5000 ms");
 * ```
 */
export class RequestTimeoutError extends Error {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  /** Makes the error for a timeout of `timeoutMs` milliseconds. */
  constructor(timeoutMs: number) {
    super(`BackupStorage request attempt timed out after ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Whether a failed attempt may be retried: the retryable service errors
 * (throttling, `RetryableException`, unavailable, internal, other 5xx), network
 * errors (fetch's `TypeError`, a connection reset) and per-attempt timeouts.
 * Never other 4xx, never an abort by the caller.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetryable, RequestTimeoutError } from "./retry.ts";
 * import { IllegalArgumentException, ThrottlingException } from "../errors.ts";
 * assert.equal(isRetryable(new ThrottlingException()), true);
 * assert.equal(isRetryable(new RequestTimeoutError(1000)), true);
 * assert.equal(isRetryable(new IllegalArgumentException()), false);
 * assert.equal(isRetryable(new DOMException("stop", "AbortError")), false);
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BackupStorageServiceError) return error.retryable;
  if (error instanceof RequestTimeoutError) return true;
  if (error instanceof TypeError) return true; // fetch's network failure
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.name === "ConnectionReset" || error.name === "ConnectionAborted" ||
      error.name === "BrokenPipe" || error.name === "UnexpectedEof" ||
      code === "ECONNRESET" || code === "EPIPE";
  }
  return false;
}

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Base delay (default 100 ms). */
  baseDelayMs?: number;
  /** Cap (default 20 s). */
  maxDelayMs?: number;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
}

/**
 * The delay before retry number `retry` (1 for the first retry): a uniformly
 * random value in [0, min(max, base · 2^(retry-1))) ("full jitter").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay } from "./retry.ts";
 * // Retry 3 draws from [0, 100 · 2²) = [0, 400): half of it.
 * assert.equal(backoffDelay(3, { baseDelayMs: 100, random: () => 0.5 }), 200);
 * // The cap bounds the range.
 * assert.equal(backoffDelay(30, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 }), 500);
 * ```
 */
export function backoffDelay(retry: number, options?: BackoffOptions): number {
  const base = options?.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const cap = options?.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, retry - 1));
  return Math.floor((options?.random ?? Math.random)() * ceiling);
}

/**
 * Waits `ms` milliseconds; rejects at once with the signal's reason when it
 * aborts (before or during the wait).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./retry.ts";
 * const start = performance.now();
 * await sleep(20);
 * assert.ok(performance.now() - start >= 15);
 * // An abort rejects at once with the signal's reason.
 * const controller = new AbortController();
 * const waiting = sleep(60_000, controller.signal);
 * controller.abort(new Error("stop"));
 * await assert.rejects(waiting, /stop/);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
