/**
 * The SHA-256 of an upload's body given to the AWS SDK's SigV4 signer instead of
 * computed by it: a chunk's object key is the hex SHA-256 of its bytes, which the
 * store checked while staging them, so hashing the body again to sign the
 * upload would read every byte a second time.
 *
 * The signer (`@smithy/signature-v4`, `getPayloadHash`) takes the
 * `x-amz-content-sha256` header of the request when there is one, and hashes the
 * body only when there is none; the service (AWS S3, Ceph RGW…) checks the header
 * against the body it receives and refuses the upload when they differ. So a
 * wrong digest cannot store wrong bytes: it is refused (`XAmzContentSHA256Mismatch`).
 *
 * @module
 */

/** The header SigV4 signs as the payload's hash, and services check against the body. */
export const PAYLOAD_SHA256_HEADER = "x-amz-content-sha256";

/** Where {@link payloadSha256Middleware} goes in a command's middleware stack: before signing. */
export const PAYLOAD_SHA256_STEP = {
  step: "build",
  name: "backupfsPayloadSha256",
  override: true,
} as const;

/** A middleware of any command's stack: the type {@link payloadSha256Middleware} returns. */
export type PayloadSha256Middleware = <Args extends { request: unknown }, Result>(
  next: (args: Args) => Promise<Result>,
) => (args: Args) => Promise<Result>;

/**
 * A middleware (for a command's stack at {@link PAYLOAD_SHA256_STEP}) that sets the
 * request's `x-amz-content-sha256` header to `hex`, the lowercase hex SHA-256 of
 * its body, so that the signer signs with it instead of hashing the body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { payloadSha256Middleware } from "./_payload_sha256.ts";
 * const hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // SHA-256 of "abc"
 * const seen: Array<Record<string, string>> = [];
 * const handler = payloadSha256Middleware(hex)(async (args: { request: unknown }) => {
 *   seen.push({ ...(args.request as { headers: Record<string, string> }).headers });
 *   return "sent";
 * });
 * assert.equal(await handler({ request: { headers: { host: "s3" }, body: "abc" } }), "sent");
 * assert.deepEqual(seen, [{ host: "s3", "x-amz-content-sha256": hex }]);
 * ```
 */
export function payloadSha256Middleware(hex: string): PayloadSha256Middleware {
  return <Args extends { request: unknown }, Result>(next: (args: Args) => Promise<Result>) =>
  (args: Args): Promise<Result> => {
    const request = args.request as { headers?: Record<string, string> } | null;
    if (request && typeof request === "object" && request.headers) {
      for (const name of Object.keys(request.headers)) {
        if (name.toLowerCase() === PAYLOAD_SHA256_HEADER) delete request.headers[name];
      }
      request.headers[PAYLOAD_SHA256_HEADER] = hex;
    }
    return next(args);
  };
}
