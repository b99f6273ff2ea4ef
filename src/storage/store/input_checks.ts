/**
 * Checks of operation inputs that `limits.ts` does not cover: required strings,
 * algorithms, checksums, lengths, indexes and dates. Each throws
 * `IllegalArgumentException` naming the member at fault.
 *
 * @module
 */

import { checksumToDigest } from "../checksum.ts";
import { IllegalArgumentException } from "../errors.ts";
import { MAX_CHUNK_COUNT } from "../limits.ts";

/**
 * Requires a non-empty string member.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireString } from "./input_checks.ts";
 * import { IllegalArgumentException } from "../errors.ts";
 * assert.equal(requireString("abc", "UploadId"), "abc");
 * assert.throws(() => requireString("", "UploadId"), IllegalArgumentException);
 * ```
 */
export function requireString(value: unknown, member: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new IllegalArgumentException(`${member} is required and must be a non-empty string`);
  }
  return value;
}

/**
 * Requires an algorithm member to be `expected` (or absent when `optional`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireAlgorithm } from "./input_checks.ts";
 * import { IllegalArgumentException } from "../errors.ts";
 * requireAlgorithm("SHA256", "SHA256", "ChecksumAlgorithm"); // fine
 * requireAlgorithm(undefined, "SHA256", "ChecksumAlgorithm", { optional: true }); // fine
 * assert.throws(
 *   () => requireAlgorithm("SUMMARY", "SHA256", "ChecksumAlgorithm"),
 *   IllegalArgumentException,
 * );
 * ```
 */
export function requireAlgorithm(
  value: unknown,
  expected: "SHA256" | "SUMMARY",
  member: string,
  options?: { optional?: boolean },
): void {
  if (value === undefined && options?.optional) return;
  if (value !== expected) {
    throw new IllegalArgumentException(`${member} must be ${expected}`);
  }
}

/**
 * Decodes a base64 SHA-256 checksum member to its raw digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireChecksum } from "./input_checks.ts";
 * import { sha256 } from "../checksum.ts";
 * import { IllegalArgumentException } from "../errors.ts";
 * const d = requireChecksum("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "Checksum");
 * assert.deepEqual(d, sha256(new Uint8Array()));
 * assert.throws(() => requireChecksum("AQID", "Checksum"), IllegalArgumentException);
 * ```
 */
export function requireChecksum(value: unknown, member: string): Uint8Array {
  const digest = typeof value === "string" ? checksumToDigest(value) : undefined;
  if (!digest) {
    throw new IllegalArgumentException(
      `${member} must be the base64 of a 32-byte SHA-256 digest`,
    );
  }
  return digest;
}

/**
 * Requires an integer length from 0 to `max`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireLength } from "./input_checks.ts";
 * import { IllegalArgumentException } from "../errors.ts";
 * assert.equal(requireLength(4096, "Length", 1 << 20), 4096);
 * assert.throws(() => requireLength(-1, "Length", 1 << 20), IllegalArgumentException);
 * assert.throws(() => requireLength((1 << 20) + 1, "Length", 1 << 20), IllegalArgumentException);
 * ```
 */
export function requireLength(value: unknown, member: string, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new IllegalArgumentException(`${member} must be an integer from 0 to ${max}`);
  }
  return value;
}

/**
 * Requires a chunk index from 0 to `MAX_CHUNK_COUNT - 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireChunkIndex } from "./input_checks.ts";
 * import { IllegalArgumentException } from "../errors.ts";
 * assert.equal(requireChunkIndex(0), 0);
 * assert.throws(() => requireChunkIndex(1.5), IllegalArgumentException);
 * assert.throws(() => requireChunkIndex(10_000_000), IllegalArgumentException);
 * ```
 */
export function requireChunkIndex(value: unknown): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < 0 ||
    value >= MAX_CHUNK_COUNT
  ) {
    throw new IllegalArgumentException(
      `ChunkIndex must be an integer from 0 to ${MAX_CHUNK_COUNT - 1}`,
    );
  }
  return value;
}

/**
 * Milliseconds of an optional `Date` member (`undefined` when absent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionalTime } from "./input_checks.ts";
 * import { IllegalArgumentException } from "../errors.ts";
 * assert.equal(optionalTime(new Date(5), "CreatedAfter"), 5);
 * assert.equal(optionalTime(undefined, "CreatedAfter"), undefined);
 * assert.throws(() => optionalTime(new Date(NaN), "CreatedAfter"), IllegalArgumentException);
 * ```
 */
export function optionalTime(value: unknown, member: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new IllegalArgumentException(`${member} must be a valid date`);
  }
  return value.getTime();
}
