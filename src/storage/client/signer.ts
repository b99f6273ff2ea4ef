/**
 * SigV4 signing of encoded requests with `@smithy/signature-v4`, service
 * `backup-storage`. The three `v4-unsigned-body` operations sign
 * `UNSIGNED-PAYLOAD`; every other request signs the SHA-256 of its (small or
 * empty) body.
 *
 * @module
 */

import { Hash, SignatureV4 } from "../../../deps/smithy.ts";
import type { CredentialProvider } from "./credentials.ts";
import type { EncodedRequest } from "./request_encoder.ts";

/** The SigV4 signing name of the service. */
export const SIGNING_SERVICE = "backup-storage";
/** The payload hash of requests whose body is not signed. */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** Options of {@link createSigner}. */
export interface SignerOptions {
  /** Resolves the signing region. */
  region: () => Promise<string>;
}

/** Options of {@link signRequest}. */
export interface SignRequestOptions {
  /** Signing time (default now). */
  signingDate?: Date;
}

/**
 * A `SignatureV4` for the service, over a credential provider and a region.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSigner } from "./signer.ts";
 * const signer = createSigner(
 *   () => Promise.resolve({ accessKeyId: "AKID", secretAccessKey: "secret" }),
 *   { region: () => Promise.resolve("us-east-1") },
 * );
 * const signed = await signer.sign({
 *   method: "GET",
 *   protocol: "http:",
 *   hostname: "127.0.0.1",
 *   path: "/",
 *   query: {},
 *   headers: { host: "127.0.0.1" },
 * }, { signingDate: new Date("2024-01-02T03:04:05Z") });
 * assert.match(
 *   signed.headers.authorization,
 *   /^AWS4-HMAC-SHA256 Credential=AKID\/20240102\/us-east-1\/backup-storage\/aws4_request, /,
 * );
 * ```
 */
export function createSigner(credentials: CredentialProvider, options: SignerOptions): SignatureV4 {
  return new SignatureV4({
    credentials,
    region: options.region,
    service: SIGNING_SERVICE,
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: true,
  });
}

/**
 * Signs an encoded request and returns the headers to send (`host` excluded,
 * since fetch sets it from the URL): `authorization`, `x-amz-date`,
 * `x-amz-content-sha256`, any `x-amz-security-token`, and the request's own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSigner, signRequest } from "./signer.ts";
 * import { encodeRequest } from "./request_encoder.ts";
 * import { OPERATIONS } from "../operations.ts";
 * const signer = createSigner(
 *   () => Promise.resolve({ accessKeyId: "AKID", secretAccessKey: "secret" }),
 *   { region: () => Promise.resolve("us-east-1") },
 * );
 * const request = encodeRequest(OPERATIONS.ListObjects, { StorageJobId: "job" }, {
 *   endpoint: new URL("http://127.0.0.1:9000"),
 * });
 * const headers = await signRequest(signer, request);
 * assert.ok(headers.authorization.startsWith("AWS4-HMAC-SHA256 Credential=AKID/"));
 * assert.match(headers["x-amz-date"], /^\d{8}T\d{6}Z$/);
 * assert.equal(headers.host, undefined); // fetch sets it from the URL
 * ```
 */
export async function signRequest(
  signer: SignatureV4,
  request: EncodedRequest,
  options?: SignRequestOptions,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { ...request.headers, host: request.host };
  let body: Uint8Array | undefined;
  if (request.binding.unsignedPayload) {
    headers["x-amz-content-sha256"] = UNSIGNED_PAYLOAD;
  } else if (request.body instanceof ReadableStream) {
    throw new TypeError(`${request.binding.name} cannot sign a streaming body`);
  } else {
    body = request.body;
  }
  const signed = await signer.sign({
    method: request.method,
    protocol: request.protocol,
    hostname: request.hostname,
    ...(request.port === undefined ? {} : { port: request.port }),
    path: request.path,
    query: { ...request.query },
    headers,
    ...(body === undefined ? {} : { body }),
  }, { signingDate: options?.signingDate ?? new Date() });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers as Record<string, string>)) {
    if (name.toLowerCase() !== "host") out[name.toLowerCase()] = value;
  }
  return out;
}
