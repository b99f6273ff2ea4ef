/**
 * Limits and name rules of this BackupStorage service, shared by the embedded
 * store, the HTTP service and the client's early checks. Where AWS never
 * published a rule, the value here is this project's definition (see README).
 *
 * @module
 */

import { IllegalArgumentException } from "./errors.ts";

/**
 * Most bytes of UTF-8 in an object name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_OBJECT_NAME_BYTES, validateObjectName } from "./limits.ts";
 * const longest = "é".repeat(MAX_OBJECT_NAME_BYTES / 2); // 1,024 bytes of UTF-8
 * validateObjectName(longest); // fits
 * assert.throws(() => validateObjectName(longest + "x"), /at most 1024 bytes/);
 * ```
 */
export const MAX_OBJECT_NAME_BYTES = 1024;
/**
 * Most characters in a job id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_JOB_ID_LENGTH, validateJobId } from "./limits.ts";
 * assert.equal(MAX_JOB_ID_LENGTH, 128);
 * validateJobId("j".repeat(MAX_JOB_ID_LENGTH)); // fits
 * assert.throws(() => validateJobId("j".repeat(MAX_JOB_ID_LENGTH + 1)));
 * ```
 */
export const MAX_JOB_ID_LENGTH = 128;
/**
 * Most bytes of UTF-8 in a `MetadataString`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_METADATA_STRING_BYTES, validateMetadataString } from "./limits.ts";
 * assert.equal(MAX_METADATA_STRING_BYTES, 256);
 * validateMetadataString("v1;size=42"); // fits
 * const tooLong = "x".repeat(MAX_METADATA_STRING_BYTES + 1);
 * assert.throws(() => validateMetadataString(tooLong), /at most 256 bytes/);
 * ```
 */
export const MAX_METADATA_STRING_BYTES = 256;
/**
 * Most bytes in a `MetadataBlob` (4 MiB).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_METADATA_BLOB_BYTES } from "./limits.ts";
 * assert.equal(MAX_METADATA_BLOB_BYTES, 4 * 1024 * 1024); // 4 MiB
 * ```
 */
export const MAX_METADATA_BLOB_BYTES = 4 * 1024 * 1024;
/**
 * Default most bytes in one chunk (64 MiB); a store may be configured lower or higher.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAX_CHUNK_LENGTH } from "./limits.ts";
 * assert.equal(DEFAULT_MAX_CHUNK_LENGTH, 64 * 1024 * 1024);
 * const fileSize = 200 * 1024 * 1024;
 * assert.equal(Math.ceil(fileSize / DEFAULT_MAX_CHUNK_LENGTH), 4); // chunks
 * ```
 */
export const DEFAULT_MAX_CHUNK_LENGTH = 64 * 1024 * 1024;
/**
 * Chunk indexes run from 0 to this bound, exclusive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_CHUNK_COUNT } from "./limits.ts";
 * const isValidIndex = (index: number) =>
 *   Number.isInteger(index) && index >= 0 && index < MAX_CHUNK_COUNT;
 * assert.equal(isValidIndex(42), true);
 * assert.equal(isValidIndex(MAX_CHUNK_COUNT), false); // indexes run 0 … 9,999,999
 * ```
 */
export const MAX_CHUNK_COUNT = 10_000_000;
/**
 * Bounds and default of `MaxResults` in `ListObjects` and `ListChunks`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAGE_SIZE } from "./limits.ts";
 * assert.deepEqual(PAGE_SIZE, { min: 1, max: 100, default: 100 });
 * ```
 */
export const PAGE_SIZE = { min: 1, max: 100, default: 100 } as const;

/**
 * UTF-8 length of a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { utf8Length } from "./limits.ts";
 * assert.equal("é".length, 1);
 * assert.equal(utf8Length("é"), 2);
 * assert.equal(utf8Length("😀"), 4);
 * // As TextEncoder writes it: a lone surrogate becomes U+FFFD (3 bytes).
 * assert.equal(utf8Length("a\uD800b"), new TextEncoder().encode("a\uD800b").length);
 * ```
 */
export function utf8Length(value: string): number {
  // Counted, not encoded: no byte array per call (names and paths are measured often).
  let bytes = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4; // a surrogate pair: one code point above U+FFFF
        i++;
      } else {
        bytes += 3; // a lone surrogate, written as U+FFFD
      }
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Checks a job id: 1–128 characters of `A–Z a–z 0–9 . _ -`, and not `.` or `..`
 * (which no URI label can carry). Throws `IllegalArgumentException`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateJobId } from "./limits.ts";
 * import { IllegalArgumentException } from "./errors.ts";
 * validateJobId("job-2024.01"); // fine
 * assert.throws(() => validateJobId("a/b"), IllegalArgumentException);
 * assert.throws(() => validateJobId(".."), IllegalArgumentException);
 * ```
 */
export function validateJobId(jobId: string): void {
  if (
    typeof jobId !== "string" || jobId.length < 1 || jobId.length > MAX_JOB_ID_LENGTH ||
    !/^[A-Za-z0-9._-]+$/.test(jobId) || jobId === "." || jobId === ".."
  ) {
    throw new IllegalArgumentException(
      `Job id must be 1-${MAX_JOB_ID_LENGTH} characters of A-Z a-z 0-9 . _ - and not "." or ".."`,
    );
  }
}

/**
 * Checks an object name: well-formed UTF-8 of 1–1024 bytes, no NUL, and not `.`
 * or `..` (which no URI label can carry). Throws `IllegalArgumentException`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateObjectName } from "./limits.ts";
 * import { IllegalArgumentException } from "./errors.ts";
 * validateObjectName("photos/2024/cat.jpg"); // fine
 * assert.throws(() => validateObjectName(""), IllegalArgumentException);
 * assert.throws(() => validateObjectName("a\0b"), /must not contain NUL/);
 * ```
 */
export function validateObjectName(name: string): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new IllegalArgumentException("Object name must not be empty");
  }
  if (!name.isWellFormed()) {
    throw new IllegalArgumentException("Object name must be well-formed Unicode");
  }
  if (name.includes("\0")) throw new IllegalArgumentException("Object name must not contain NUL");
  if (name === "." || name === "..") {
    throw new IllegalArgumentException('Object name must not be "." or ".."');
  }
  if (utf8Length(name) > MAX_OBJECT_NAME_BYTES) {
    throw new IllegalArgumentException(
      `Object name must be at most ${MAX_OBJECT_NAME_BYTES} bytes of UTF-8`,
    );
  }
}

/**
 * The characters a `MetadataString` must not contain: C0 controls U+0000–U+001F,
 * DEL U+007F and C1 controls U+0080–U+009F.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { METADATA_STRING_CONTROLS } from "./limits.ts";
 * assert.equal(METADATA_STRING_CONTROLS.test("a\u0085b"), true); // C1 control
 * assert.equal(METADATA_STRING_CONTROLS.test("naïve"), false);
 * ```
 */
// deno-lint-ignore no-control-regex
export const METADATA_STRING_CONTROLS: RegExp = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a `MetadataString`: 1–256 bytes of well-formed UTF-8 without control
 * characters — C0 controls U+0000–U+001F, DEL U+007F and C1 controls
 * U+0080–U+009F ({@link METADATA_STRING_CONTROLS}; the model's pattern is
 * `^.{1,256}$`). Throws `IllegalArgumentException`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateMetadataString } from "./limits.ts";
 * import { IllegalArgumentException } from "./errors.ts";
 * validateMetadataString("v1;size=42"); // fine
 * assert.throws(() => validateMetadataString("v1\u0085"), (error) => {
 *   assert.ok(error instanceof IllegalArgumentException);
 *   assert.equal(
 *     error.message,
 *     "MetadataString must not contain C0 controls U+0000–U+001F, DEL U+007F and C1 controls U+0080–U+009F",
 *   );
 *   return true;
 * });
 * ```
 */
export function validateMetadataString(value: string): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new IllegalArgumentException("MetadataString must not be empty");
  }
  if (!value.isWellFormed()) {
    throw new IllegalArgumentException(
      "MetadataString must be well-formed text (no lone surrogates)",
    );
  }
  if (METADATA_STRING_CONTROLS.test(value)) {
    throw new IllegalArgumentException(
      "MetadataString must not contain C0 controls U+0000–U+001F, DEL U+007F and C1 controls U+0080–U+009F",
    );
  }
  if (utf8Length(value) > MAX_METADATA_STRING_BYTES) {
    throw new IllegalArgumentException(
      `MetadataString must be at most ${MAX_METADATA_STRING_BYTES} bytes of UTF-8`,
    );
  }
}

/**
 * Checks a `MaxResults` value and returns the page size to use. Throws
 * `IllegalArgumentException` outside 1–100.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageSize } from "./limits.ts";
 * import { IllegalArgumentException } from "./errors.ts";
 * assert.equal(pageSize(undefined), 100);
 * assert.equal(pageSize(10), 10);
 * assert.throws(() => pageSize(101), IllegalArgumentException);
 * ```
 */
export function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined) return PAGE_SIZE.default;
  if (!Number.isInteger(maxResults) || maxResults < PAGE_SIZE.min || maxResults > PAGE_SIZE.max) {
    throw new IllegalArgumentException(
      `MaxResults must be an integer from ${PAGE_SIZE.min} to ${PAGE_SIZE.max}`,
    );
  }
  return maxResults;
}
