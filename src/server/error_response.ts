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
 * import { jsonErrorResponse } from "./error_response.ts";
 * const response = jsonErrorResponse(404, "UnknownOperationException", "No such route");
 * console.log(response.headers.get("x-amzn-ErrorType")); // UnknownOperationException
 * ```
 */
export function jsonErrorResponse(
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
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
 * import { isReportable } from "./error_response.ts";
 * console.log(isReportable(new Error("boom"))); // false
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
 * import { errorResponse } from "./error_response.ts";
 * import { ResourceNotFoundException } from "../storage/errors.ts";
 * const response = errorResponse(new ResourceNotFoundException("No such upload"));
 * console.log(response.status, await response.json()); // 404 { message: "No such upload" }
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
