/**
 * Which failures of a BackupFS call are the storage being busy or briefly
 * unavailable — worth trying again later — rather than a fault of the request,
 * the data or the service. Callers above BackupFS (the WebDAV server: 503 with
 * `Retry-After` instead of 500) ask this instead of knowing the storage's errors.
 *
 * @module
 */

import { BackupStorageServiceError } from "../storage/errors.ts";

/** The storage's codes for "busy or briefly unavailable: try again". */
const RETRY_LATER_CODES: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "ServiceUnavailableException",
  "RetryableException",
]);

/**
 * Whether a failure is the storage throttling requests, being unavailable, or
 * asking for a retry (`ThrottlingException`, `ServiceUnavailableException`,
 * `RetryableException`). Narrower than `BackupStorageServiceError.retryable`: an
 * internal fault of the service (`ServiceInternalException`, an unknown 5xx) is a
 * fault to report, not a wait, and is not counted here; nor is anything that is
 * not a storage error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetryableFailure } from "./retryable.ts";
 * import { ServiceInternalException, ThrottlingException } from "../storage/errors.ts";
 * assert.equal(isRetryableFailure(new ThrottlingException()), true);
 * assert.equal(isRetryableFailure(new ServiceInternalException()), false);
 * assert.equal(isRetryableFailure(new Deno.errors.NotFound("gone")), false);
 * ```
 */
export function isRetryableFailure(error: unknown): boolean {
  return error instanceof BackupStorageServiceError && RETRY_LATER_CODES.has(error.code);
}
