/**
 * The one retry policy of the storage calls of an `ObjectWriter`.
 *
 * A `BackupStorageClient` already retries what fails on the way (throttling, a
 * busy or failing service, a dropped connection) under its own policy
 * (`maxAttempts`, backoff: see `src/storage/client/retry.ts`), and marks the
 * error it finally throws with `$metadata.attempts`. Such an error is final here:
 * the writer never sends the call again on top of the client's attempts. A
 * retryable error that no client has retried (a storage in this process, or a
 * wrapper of one) is sent again here, with the same capped exponential backoff
 * and full jitter as the client's.
 *
 * @module
 */

import { backoffDelay, sleep } from "../storage/client/retry.ts";
import { BackupStorageServiceError, DataAlreadyExistsException } from "../storage/errors.ts";
import type { OperationOptions, ResponseMetadata } from "../storage/types.ts";

/** Cap of one backoff delay of the writer's retries, in ms. */
const MAX_RETRY_DELAY_MS = 5_000;

/** Options of {@link StorageRetry}. */
export interface StorageRetryOptions {
  /** Cancels every call and every backoff wait; a call is never sent after it aborts. */
  signal: AbortSignal;
  /** Extra attempts of a call whose error is retryable. */
  retries: number;
  /** Base of the exponential backoff between attempts, in ms. */
  retryDelayMs: number;
  /** The filesystem path, named in the errors the calls are translated to. */
  path: string;
}

/**
 * Whether a BackupStorageClient already retried the call that failed with
 * `error` under its own policy (it says how many attempts it made).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ThrottlingException } from "../storage/errors.ts";
 * import { retriedByClient } from "./_storage_retry.ts";
 * const local = new ThrottlingException("slow down");
 * assert.equal(retriedByClient(local), false);
 * const remote = new ThrottlingException("slow down");
 * Object.defineProperty(remote, "$metadata", { value: { httpStatusCode: 400, attempts: 3 } });
 * assert.equal(retriedByClient(remote), true);
 * ```
 */
export function retriedByClient(error: unknown): boolean {
  const metadata = (error as { $metadata?: ResponseMetadata } | undefined)?.$metadata;
  return metadata?.attempts !== undefined;
}

/**
 * Runs the storage calls of one writer: each with the writer's abort signal,
 * sent again (with backoff) while it fails with a retryable error no client has
 * retried yet, and `DataAlreadyExistsException` turned into
 * `Deno.errors.AlreadyExists` naming the path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ThrottlingException } from "../storage/errors.ts";
 * import { StorageRetry } from "./_storage_retry.ts";
 * const retry = new StorageRetry({
 *   signal: new AbortController().signal,
 *   retries: 4,
 *   retryDelayMs: 1,
 *   path: "/a",
 * });
 * let calls = 0;
 * const answer = await retry.run(() => {
 *   calls++;
 *   return calls < 3 ? Promise.reject(new ThrottlingException()) : Promise.resolve(42);
 * });
 * assert.equal(answer, 42);
 * assert.equal(retry.retries, 2);
 * ```
 */
export class StorageRetry {
  readonly #signal: AbortSignal;
  readonly #maxRetries: number;
  readonly #retryDelayMs: number;
  readonly #path: string;
  #retries = 0;

  /** Makes the policy of one writer; nothing is sent until {@link run}. */
  constructor(options: StorageRetryOptions) {
    this.#signal = options.signal;
    this.#maxRetries = options.retries;
    this.#retryDelayMs = options.retryDelayMs;
    this.#path = options.path;
  }

  /** Calls sent again so far (each retry counts once). */
  get retries(): number {
    return this.#retries;
  }

  /** Runs `call` under the policy; rejects with its last error, translated. */
  async run<T>(call: (options: OperationOptions) => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        return await call({ signal: this.#signal });
      } catch (error) {
        if (
          !(error instanceof BackupStorageServiceError) || !error.retryable ||
          retriedByClient(error) || attempt >= this.#maxRetries || this.#signal.aborted
        ) {
          throw this.#translate(error);
        }
        this.#retries++;
        const delay = backoffDelay(attempt + 1, {
          baseDelayMs: this.#retryDelayMs,
          maxDelayMs: MAX_RETRY_DELAY_MS,
        });
        await sleep(delay, this.#signal);
      }
    }
  }

  #translate(error: unknown): unknown {
    if (error instanceof DataAlreadyExistsException) {
      return new Deno.errors.AlreadyExists(`${this.#path} already exists`, { cause: error });
    }
    return error;
  }
}
