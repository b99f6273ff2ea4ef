/**
 * Encoding of errors the way botocore's rest-json parser reads them: the model's
 * HTTP status, `x-amzn-ErrorType: <Code>`, and a JSON body with `message` (plus
 * `Checksum` and `ChecksumAlgorithm` for `DataAlreadyExistsException`). Anything
 * that is not a `BackupStorageServiceError` becomes a generic 500
 * `ServiceInternalException`; its details stay on the server.
 *
 * @module
 */

import {
  BackupStorageServiceError,
  DataAlreadyExistsException,
  ERROR_STATUS,
  type ErrorCode,
} from "../storage/errors.ts";

/** The message sent for every unexpected failure. */
export const INTERNAL_ERROR_MESSAGE = "The service failed to process the request";

/**
 * Builds a JSON error response for a code and message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonErrorResponse } from "./error_response.ts";
 * const response = jsonErrorResponse(404, "UnknownOperationException", "No such route");
 * assert.equal(response.status, 404);
 * assert.equal(response.headers.get("x-amzn-ErrorType"), "UnknownOperationException");
 * assert.deepEqual(await response.json(), { message: "No such route" });
 * ```
 */
export function jsonErrorResponse(
  status: number,
  code: string,
  message: string,
  extra?: Record<string, string>,
): Response {
  return new Response(JSON.stringify({ message, ...extra }), {
    status,
    headers: { "content-type": "application/json", "x-amzn-ErrorType": code },
  });
}

/**
 * Whether an error is one the service reports as it is (a service error), as
 * opposed to an unexpected failure that must be hidden behind a generic 500.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isReportable } from "./error_response.ts";
 * import { ThrottlingException } from "../storage/errors.ts";
 * assert.equal(isReportable(new Error("boom")), false);
 * assert.equal(isReportable(new ThrottlingException("slow down")), true);
 * ```
 */
export function isReportable(error: unknown): error is BackupStorageServiceError {
  return error instanceof BackupStorageServiceError;
}

/**
 * Builds the error response for anything a handler threw.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorResponse, INTERNAL_ERROR_MESSAGE } from "./error_response.ts";
 * import { ResourceNotFoundException } from "../storage/errors.ts";
 * const response = errorResponse(new ResourceNotFoundException("No such upload"));
 * assert.equal(response.status, 404);
 * assert.deepEqual(await response.json(), { message: "No such upload" });
 * // Anything else is hidden behind a generic 500.
 * const hidden = errorResponse(new Error("disk on fire"));
 * assert.equal(hidden.status, 500);
 * assert.equal(hidden.headers.get("x-amzn-ErrorType"), "ServiceInternalException");
 * assert.deepEqual(await hidden.json(), { message: INTERNAL_ERROR_MESSAGE });
 * ```
 */
export function errorResponse(error: unknown): Response {
  if (!isReportable(error)) {
    return jsonErrorResponse(500, "ServiceInternalException", INTERNAL_ERROR_MESSAGE);
  }
  const known = ERROR_STATUS[error.code as ErrorCode];
  let status = known ?? error.statusCode;
  if (!Number.isInteger(status) || status < 400 || status > 599) status = 500;
  const extra: Record<string, string> = {};
  if (error instanceof DataAlreadyExistsException) {
    if (error.Checksum !== undefined) extra.Checksum = error.Checksum;
    if (error.ChecksumAlgorithm !== undefined) extra.ChecksumAlgorithm = error.ChecksumAlgorithm;
  }
  return jsonErrorResponse(status, error.code, error.message, extra);
}
