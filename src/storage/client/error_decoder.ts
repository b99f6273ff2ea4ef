/**
 * Decodes an error response (status ≥ 300) into the typed error of `errors.ts`,
 * reading it the way botocore's rest-json parser does.
 *
 * @module
 */

import { type BackupStorageServiceError, errorFromCode } from "../errors.ts";

/** Most bytes of an error body that are read; the rest is discarded. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

const STATUS_CODES: Record<number, string> = {
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  429: "ThrottlingException",
  500: "ServiceInternalException",
  503: "ServiceUnavailableException",
};

/**
 * The error code of a response: `x-amzn-ErrorType` (anything after `:` dropped),
 * else the body's `__type` (any namespace before `#` dropped), else one derived
 * from the status (`UnknownError` when the status says nothing more).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorCode } from "./error_decoder.ts";
 * assert.equal(errorCode(404, "ThrottlingException:http://internal", {}), "ThrottlingException");
 * assert.equal(
 *   errorCode(400, null, { __type: "com.amazon#IllegalArgumentException" }),
 *   "IllegalArgumentException",
 * );
 * ```
 */
export function errorCode(
  status: number,
  errorType: string | null,
  body: Record<string, unknown>,
): string {
  const fromHeader = errorType?.split(":")[0].trim();
  if (fromHeader) return fromHeader;
  if (typeof body.__type === "string") {
    const type = body.__type.split(":")[0];
    const code = type.slice(type.lastIndexOf("#") + 1).trim();
    if (code) return code;
  }
  return STATUS_CODES[status] ?? "UnknownError";
}

/**
 * Reads an error response (at most {@link MAX_ERROR_BODY_BYTES} of its body) and
 * builds its typed error, with status, request id, message, and for
 * `DataAlreadyExistsException` the existing object's `Checksum`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeError } from "./error_decoder.ts";
 * import { ResourceNotFoundException } from "../errors.ts";
 * const response = new Response(JSON.stringify({ message: "no such token" }), {
 *   status: 404,
 *   headers: { "x-amzn-ErrorType": "ResourceNotFoundException", "x-amzn-RequestId": "r-1" },
 * });
 * const error = await decodeError(response);
 * assert.ok(error instanceof ResourceNotFoundException);
 * assert.equal(error.code, "ResourceNotFoundException");
 * assert.equal(error.message, "no such token");
 * assert.equal(error.statusCode, 404);
 * assert.equal(error.requestId, "r-1");
 * ```
 */
export async function decodeError(response: Response): Promise<BackupStorageServiceError> {
  const text = await readTruncatedText(response);
  let body: Record<string, unknown> = {};
  if (text.trim().length > 0) {
    try {
      const parsed = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed;
    } catch {
      // Not JSON: the code then comes from the headers or the status.
    }
  }
  const code = errorCode(response.status, response.headers.get("x-amzn-ErrorType"), body);
  const rawMessage = typeof body.message === "string"
    ? body.message
    : typeof body.Message === "string"
    ? body.Message
    : undefined;
  const message = rawMessage ?? `${code} (HTTP ${response.status})`;
  const requestId = response.headers.get("x-amzn-RequestId") ?? undefined;
  return errorFromCode(code, message, {
    statusCode: response.status,
    ...(requestId === undefined ? {} : { requestId }),
    ...(typeof body.Checksum === "string" ? { checksum: body.Checksum } : {}),
    ...(typeof body.ChecksumAlgorithm === "string"
      ? { checksumAlgorithm: body.ChecksumAlgorithm }
      : {}),
  });
}

/**
 * The first `MAX_ERROR_BODY_BYTES` of an error response as text (the rest is
 * cancelled; a body cut short gives what arrived): unlike a request body, a long
 * one is cut, not refused.
 */
async function readTruncatedText(response: Response): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short still leaves the status and headers to decode.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(size, MAX_ERROR_BODY_BYTES));
  let offset = 0;
  for (const part of parts) {
    const take = Math.min(part.byteLength, all.byteLength - offset);
    all.set(part.subarray(0, take), offset);
    offset += take;
    if (offset >= all.byteLength) break;
  }
  return new TextDecoder().decode(all);
}
