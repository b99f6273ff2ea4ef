/**
 * Presigned URLs for the read operations, made with smithy's `presign`: the
 * signature travels in the query (`X-Amz-Algorithm`, `X-Amz-Credential`,
 * `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`, and
 * `X-Amz-Security-Token` for session credentials), the payload is
 * `UNSIGNED-PAYLOAD` (as botocore's query signer does), and only `host` is signed.
 *
 * @module
 */

import type { SignatureV4 } from "../../../deps/smithy.ts";
import { type EncodedRequest, formatQuery } from "./request_encoder.ts";
import { UNSIGNED_PAYLOAD } from "./signer.ts";

/** Default lifetime of a presigned URL, in seconds (15 minutes). */
export const DEFAULT_PRESIGN_EXPIRES = 900;
/** Longest lifetime SigV4 allows, in seconds (7 days). */
export const MAX_PRESIGN_EXPIRES = 604_800;

/**
 * Operations a presigned URL can be made for (the `GET` ones).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PresignableOperation } from "./presign.ts";
 * import { OPERATIONS } from "../operations.ts";
 * const operation: PresignableOperation = "GetChunk";
 * assert.equal(OPERATIONS[operation].method, "GET");
 * ```
 */
export type PresignableOperation = "GetChunk" | "GetObjectMetadata" | "ListChunks" | "ListObjects";

/** Options of {@link presignRequest}. */
export interface PresignOptions {
  /** Lifetime in seconds, 1–604800 (default 900). */
  expiresIn?: number;
  /** Signing time (default now). */
  signingDate?: Date;
}

/**
 * Checks a presign lifetime and returns it (default 900 s). Throws `RangeError`
 * unless it is an integer from 1 to 604800.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presignExpiry } from "./presign.ts";
 * assert.equal(presignExpiry(undefined), 900);
 * assert.equal(presignExpiry(60), 60);
 * assert.throws(() => presignExpiry(0), RangeError);
 * assert.throws(() => presignExpiry(604_801), RangeError);
 * assert.throws(() => presignExpiry(1.5), RangeError);
 * ```
 */
export function presignExpiry(expiresIn: number | undefined): number {
  if (expiresIn === undefined) return DEFAULT_PRESIGN_EXPIRES;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_EXPIRES) {
    throw new RangeError(
      `expiresIn must be an integer number of seconds from 1 to ${MAX_PRESIGN_EXPIRES}`,
    );
  }
  return expiresIn;
}

/**
 * Presigns an encoded `GET` request and returns its URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presignRequest } from "./presign.ts";
 * import { createSigner } from "./signer.ts";
 * import { encodeRequest } from "./request_encoder.ts";
 * import { OPERATIONS } from "../operations.ts";
 * const signer = createSigner(
 *   () => Promise.resolve({ accessKeyId: "AKID", secretAccessKey: "secret" }),
 *   { region: () => Promise.resolve("us-east-1") },
 * );
 * const request = encodeRequest(OPERATIONS.GetChunk, { StorageJobId: "job", ChunkToken: "t" }, {
 *   endpoint: new URL("http://127.0.0.1:9000"),
 * });
 * const signingDate = new Date("2024-01-02T03:04:05Z");
 * const url = new URL(await presignRequest(signer, request, { expiresIn: 60, signingDate }));
 * assert.equal(url.origin + url.pathname, "http://127.0.0.1:9000/restore-jobs/job/chunk/t");
 * assert.equal(url.searchParams.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
 * assert.equal(url.searchParams.get("X-Amz-Credential"), "AKID/20240102/us-east-1/backup-storage/aws4_request");
 * assert.equal(url.searchParams.get("X-Amz-Date"), "20240102T030405Z");
 * assert.equal(url.searchParams.get("X-Amz-Expires"), "60");
 * assert.equal(url.searchParams.get("X-Amz-SignedHeaders"), "host");
 * assert.match(url.searchParams.get("X-Amz-Signature")!, /^[0-9a-f]{64}$/);
 * ```
 */
export async function presignRequest(
  signer: SignatureV4,
  request: EncodedRequest,
  options?: PresignOptions,
): Promise<string> {
  if (request.method !== "GET" || request.body !== undefined) {
    throw new TypeError(`${request.binding.name} cannot be presigned`);
  }
  const expiresIn = presignExpiry(options?.expiresIn);
  const contentSha = new Set(["x-amz-content-sha256"]);
  const presigned = await signer.presign({
    method: request.method,
    protocol: request.protocol,
    hostname: request.hostname,
    ...(request.port === undefined ? {} : { port: request.port }),
    path: request.path,
    query: { ...request.query },
    headers: { host: request.host, "x-amz-content-sha256": UNSIGNED_PAYLOAD },
  }, {
    expiresIn,
    signingDate: options?.signingDate ?? new Date(),
    unsignableHeaders: contentSha,
    unhoistableHeaders: contentSha,
  });
  const query = formatQuery(presigned.query as Record<string, string>);
  return `${request.protocol}//${request.host}${request.path}?${query}`;
}
