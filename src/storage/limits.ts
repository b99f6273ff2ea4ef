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
 * import { MAX_OBJECT_NAME_BYTES, utf8Length } from "./limits.ts";
 * console.log(utf8Length("photos/cat.jpg") <= MAX_OBJECT_NAME_BYTES); // true
 * ```
 */
export const MAX_OBJECT_NAME_BYTES = 1024;
/**
 * Most characters in a job id.
 *
 * @example
 * ```ts
 * import { MAX_JOB_ID_LENGTH } from "./limits.ts";
 * console.log(MAX_JOB_ID_LENGTH); // 128
 * ```
 */
export const MAX_JOB_ID_LENGTH = 128;
/**
 * Most bytes of UTF-8 in a `MetadataString`.
 *
 * @example
 * ```ts
 * import { MAX_METADATA_STRING_BYTES, utf8Length } from "./limits.ts";
 * console.log(utf8Length("v1;size=42") <= MAX_METADATA_STRING_BYTES); // true
 * ```
 */
export const MAX_METADATA_STRING_BYTES = 256;
/**
 * Most bytes in a `MetadataBlob` (4 MiB).
 *
 * @example
 * ```ts
 * import { MAX_METADATA_BLOB_BYTES } from "./limits.ts";
 * console.log(MAX_METADATA_BLOB_BYTES / 1024 / 1024); // 4
 * ```
 */
export const MAX_METADATA_BLOB_BYTES = 4 * 1024 * 1024;
/**
 * Default most bytes in one chunk (64 MiB); a store may be configured lower or higher.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_CHUNK_LENGTH } from "./limits.ts";
 * const fileSize = 200 * 1024 * 1024;
 * console.log(Math.ceil(fileSize / DEFAULT_MAX_CHUNK_LENGTH)); // 4 (chunks)
 * ```
 */
export const DEFAULT_MAX_CHUNK_LENGTH = 64 * 1024 * 1024;
/**
 * Chunk indexes run from 0 to this bound, exclusive.
 *
 * @example
 * ```ts
 * import { MAX_CHUNK_COUNT } from "./limits.ts";
 * const index = 42;
 * console.log(index >= 0 && index < MAX_CHUNK_COUNT); // true
 * ```
 */
export const MAX_CHUNK_COUNT = 10_000_000;
/**
 * Bounds and default of `MaxResults` in `ListObjects` and `ListChunks`.
 *
 * @example
 * ```ts
 * import { PAGE_SIZE } from "./limits.ts";
 * console.log(PAGE_SIZE.min, PAGE_SIZE.max, PAGE_SIZE.default); // 1 100 100
 * ```
 */
export const PAGE_SIZE = { min: 1, max: 100, default: 100 } as const;

const encoder = new TextEncoder();

/**
 * UTF-8 length of a string.
 *
 * @example
 * ```ts
 * import { utf8Length } from "./limits.ts";
 * console.log("é".length, utf8Length("é")); // 1 2
 * ```
 */
export function utf8Length(value: string): number {
  return encoder.encode(value).byteLength;
}

/**
 * Checks a job id: 1–128 characters of `A–Z a–z 0–9 . _ -`, and not `.` or `..`
 * (which no URI label can carry). Throws `IllegalArgumentException`.
 *
 * @example
 * ```ts
 * import { validateJobId } from "./limits.ts";
 * validateJobId("job-2024.01"); // fine
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
 * import { validateObjectName } from "./limits.ts";
 * validateObjectName("photos/2024/cat.jpg"); // fine
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
 * import { METADATA_STRING_CONTROLS } from "./limits.ts";
 * console.log(METADATA_STRING_CONTROLS.test("a\u0085b"), METADATA_STRING_CONTROLS.test("naïve")); // true false
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
 * import { validateMetadataString } from "./limits.ts";
 * validateMetadataString("v1;size=42"); // fine
 * try {
 *   validateMetadataString("v1\u0085");
 * } catch (error) {
 *   console.log((error as Error).message);
 *   // MetadataString must not contain C0 controls U+0000–U+001F, DEL U+007F and C1 controls U+0080–U+009F
 * }
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
 * import { pageSize } from "./limits.ts";
 * console.log(pageSize(undefined), pageSize(10)); // 100 10
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
