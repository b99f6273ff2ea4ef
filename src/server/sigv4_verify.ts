/**
 * Verification of AWS Signature Version 4 on incoming requests, in both forms:
 * the `Authorization` header and the presigned query (`X-Amz-Signature`). The
 * expected signature is recomputed with `@smithy/signature-v4` over the raw
 * path, the raw query and only the headers the client signed, then compared in
 * constant time. Every failure is an `AccessDeniedException` with one generic
 * message; the precise reason travels only in `cause` (for server-side logs).
 *
 * The parts of a signature are parsed by `sigv4_parse.ts`; the raw URL by
 * `raw_url.ts`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { getCanonicalHeaders, Hash, SignatureV4 } from "../../deps/smithy.ts";
import { UNSIGNED_PAYLOAD } from "../storage/client/signer.ts";
import { accessDenied, deny } from "./access_denied.ts";
import { readBounded, sha256Hex, verifyingStream } from "./body.ts";
import { parseRawQuery, rawPathAndQuery, type RawQuery } from "./raw_url.ts";
import {
  formatAmzDate,
  isHexSha256,
  parseAuthorizationHeader,
  parsePresignedQuery,
  signedRequestDate,
  SIGV4_ALGORITHM,
  type SigV4Scope,
  singleQueryValue,
} from "./sigv4_parse.ts";

/** Default tolerance between the request's date and the server clock (15 minutes). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * The secret (and optional session token) of one access key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AccessKeyEntry } from "./sigv4_verify.ts";
 * const entry: AccessKeyEntry = { secretAccessKey: "secret" };
 * const keys = new Map<string, AccessKeyEntry>([["AKIDEXAMPLE", entry]]);
 * assert.equal(keys.get("AKIDEXAMPLE")?.sessionToken, undefined); // no session token required
 * ```
 */
export interface AccessKeyEntry {
  /** The secret access key. */
  secretAccessKey: string;
  /** When set, requests with this key must carry (and sign) exactly this session token. */
  sessionToken?: string;
}

/**
 * Where accepted access keys are looked up: a map, or a function (possibly async).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CredentialLookup, SigV4Verifier } from "./sigv4_verify.ts";
 * // A fixed set of keys…
 * const fixed: CredentialLookup = new Map([["AKIDEXAMPLE", { secretAccessKey: "secret" }]]);
 * // …or a lookup, e.g. in a database; `undefined` means the key is unknown.
 * const lookup: CredentialLookup = (accessKeyId) =>
 *   Promise.resolve(accessKeyId === "AKIDEXAMPLE" ? { secretAccessKey: "secret" } : undefined);
 * assert.ok(new SigV4Verifier({ credentials: fixed }));
 * assert.ok(new SigV4Verifier({ credentials: lookup }));
 * ```
 */
export type CredentialLookup =
  | ReadonlyMap<string, AccessKeyEntry>
  | ((accessKeyId: string) => AccessKeyEntry | undefined | Promise<AccessKeyEntry | undefined>);

/** Options of {@link SigV4Verifier}. */
export interface SigV4VerifierOptions {
  /** The accepted access keys. */
  credentials: CredentialLookup;
  /** When set, the credential scope's region must be this one. */
  region?: string;
  /** Clock in milliseconds since the epoch (tests pass a fixed one). */
  now?: () => number;
  /** Tolerated difference between the request's date and the clock (default 15 min). */
  maxClockSkewMs?: number;
}

/** What the verifier needs to know about the operation a request addresses. */
export interface VerifyOptions {
  /** Whether the operation may send `UNSIGNED-PAYLOAD` (`authtype: v4-unsigned-body`). */
  unsignedPayload: boolean;
  /** Most bytes of a body that must be read to be hashed. */
  maxSignedBodyBytes: number;
}

/** A request that passed verification, with the body to use from now on. */
export interface VerifiedRequest {
  /** The access key that signed the request. */
  accessKeyId: string;
  /**
   * The body: bytes when it had to be read to be hashed, otherwise the request's
   * stream (wrapped to fail at its end when a declared SHA-256 does not match),
   * or `null` when there is none.
   */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Set once a declared payload SHA-256 turned out wrong (the body stream then errored). */
  readonly payloadMismatch: () => boolean;
}

interface SignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  path: string;
  query: RawQuery;
  headers: Record<string, string>;
}

/** SignatureV4 with access to the canonical-request steps, for recomputing a client's signature. */
class RecomputingSigner extends SignatureV4 {
  async signatureFor(
    request: SignableRequest,
    signedHeaders: readonly string[],
    options: { payloadHash: string; date: Date; scope: SigV4Scope },
  ): Promise<string> {
    const { payloadHash, date, scope } = options;
    const canonicalHeaders = getCanonicalHeaders(
      // deno-lint-ignore no-explicit-any
      request as any,
      new Set(),
      new Set(signedHeaders),
    );
    const canonicalRequest = this.createCanonicalRequest(
      // deno-lint-ignore no-explicit-any
      request as any,
      canonicalHeaders,
      payloadHash,
    );
    const credentialScope = `${scope.shortDate}/${scope.region}/${scope.service}/aws4_request`;
    const stringToSign = await this.createStringToSign(
      formatAmzDate(date),
      credentialScope,
      canonicalRequest,
      SIGV4_ALGORITHM,
    );
    return await this.sign(stringToSign, {
      signingDate: date,
      signingRegion: scope.region,
      signingService: scope.service,
    });
  }
}

function equalSignatures(expected: string, given: string): boolean {
  // Both are 64 lower-case hex characters by now, so equal lengths.
  return timingSafeEqual(Buffer.from(expected, "hex"), Buffer.from(given, "hex"));
}

function equalSecrets(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

function hasEmptyBody(request: Request): boolean {
  return request.body === null || request.headers.get("content-length") === "0";
}

/**
 * Reads a body that must be hashed before its signature can be checked: refused
 * unless its `Content-Length` is given and at most `maxBytes`.
 */
async function readSignedPayload(request: Request, maxBytes: number): Promise<Uint8Array> {
  const length = Number(request.headers.get("content-length") ?? NaN);
  if (request.body !== null && !(length <= maxBytes)) {
    deny("signed payload too large or of unknown length");
  }
  return await readBounded(request.body, maxBytes);
}

/**
 * Verifies SigV4 signatures against a set of accepted access keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SigV4Verifier } from "./sigv4_verify.ts";
 * import { createSigner, signRequest } from "../storage/client/signer.ts";
 * import { encodeRequest } from "../storage/client/request_encoder.ts";
 * import { OPERATIONS } from "../storage/operations.ts";
 * const verifier = new SigV4Verifier({
 *   credentials: new Map([["AKIDEXAMPLE", { secretAccessKey: "secret" }]]),
 * });
 * const options = { unsignedPayload: false, maxSignedBodyBytes: 65536 };
 * // An unsigned request is refused…
 * await assert.rejects(verifier.verify(new Request("http://localhost/"), options), {
 *   name: "AccessDeniedException",
 * });
 * // …a request signed with an accepted key is not.
 * const signer = createSigner(
 *   () => Promise.resolve({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
 *   { region: () => Promise.resolve("us-east-1") },
 * );
 * const encoded = encodeRequest(OPERATIONS.ListObjects, { StorageJobId: "job" }, {
 *   endpoint: new URL("http://127.0.0.1:9000"),
 * });
 * // `host` is signed; fetch would send it from the URL.
 * const headers = { ...await signRequest(signer, encoded), host: encoded.host };
 * const request = new Request(`http://${encoded.host}${encoded.path}`, { method: encoded.method, headers });
 * const verified = await verifier.verify(request, options);
 * assert.equal(verified.accessKeyId, "AKIDEXAMPLE");
 * ```
 */
export class SigV4Verifier {
  readonly #lookup: (id: string) => Promise<AccessKeyEntry | undefined>;
  readonly #region?: string;
  readonly #now: () => number;
  readonly #skew: number;

  /** Creates a verifier accepting the keys of `options.credentials`. */
  constructor(options: SigV4VerifierOptions) {
    const credentials = options.credentials;
    this.#lookup = typeof credentials === "function"
      ? async (id) => await credentials(id)
      : (id) => Promise.resolve(credentials.get(id));
    this.#region = options.region;
    this.#now = options.now ?? Date.now;
    this.#skew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  }

  /**
   * Verifies one request. Resolves with the body to use from now on; rejects with
   * `AccessDeniedException` (reason in `cause`) when the signature does not hold.
   */
  async verify(request: Request, options: VerifyOptions): Promise<VerifiedRequest> {
    const { path, query: rawQuery } = rawPathAndQuery(request.url);
    let query: RawQuery;
    try {
      query = parseRawQuery(rawQuery);
    } catch {
      deny("malformed query escape");
    }
    const authorization = request.headers.get("authorization");
    const presigned = "X-Amz-Signature" in query || "X-Amz-Algorithm" in query;
    if (authorization !== null && presigned) deny("both header and query signatures");
    if (authorization !== null) {
      return await this.#verifyHeader(request, { path, query, authorization, ...options });
    }
    if (presigned) return await this.#verifyPresigned(request, { path, query, ...options });
    deny("no signature");
  }

  async #entryFor(scope: SigV4Scope): Promise<AccessKeyEntry | undefined> {
    if (this.#region !== undefined && scope.region !== this.#region) deny("wrong region");
    return await this.#lookup(scope.accessKeyId);
  }

  #checkToken(entry: AccessKeyEntry, token: string | undefined, signed: boolean): void {
    if (entry.sessionToken === undefined) {
      if (token !== undefined) deny("session token not accepted for this key");
      return;
    }
    if (token === undefined || !signed) deny("session token missing or unsigned");
    if (!equalSecrets(entry.sessionToken, token)) deny("wrong session token");
  }

  async #compare(
    entry: AccessKeyEntry | undefined,
    signable: SignableRequest,
    options: {
      signedHeaders: string[];
      payloadHashes: string[];
      date: Date;
      scope: SigV4Scope;
      signature: string;
    },
  ): Promise<void> {
    // An unknown key still costs a signature computation, so timing tells nothing.
    const secret = entry?.secretAccessKey ?? randomBytes(30).toString("base64");
    const signer = new RecomputingSigner({
      credentials: { accessKeyId: options.scope.accessKeyId, secretAccessKey: secret },
      region: options.scope.region,
      service: options.scope.service,
      sha256: Hash.bind(null, "sha256"),
      uriEscapePath: true,
    });
    let ok = false;
    for (const payloadHash of options.payloadHashes) {
      const expected = await signer.signatureFor(signable, options.signedHeaders, {
        payloadHash,
        date: options.date,
        scope: options.scope,
      });
      if (equalSignatures(expected, options.signature)) ok = true;
    }
    if (entry === undefined) deny("unknown access key");
    if (!ok) deny("signature mismatch");
  }

  #checkDate(date: Date, scope: SigV4Scope, windowEndMs?: number): void {
    if (formatAmzDate(date).slice(0, 8) !== scope.shortDate) {
      deny("date outside credential scope day");
    }
    const now = this.#now();
    if (date.getTime() - now > this.#skew) deny("request date in the future");
    const end = windowEndMs ?? date.getTime() + this.#skew;
    if (now > end) {
      deny(windowEndMs === undefined ? "request date too old" : "presigned URL expired");
    }
  }

  #signable(
    request: Request,
    path: string,
    query: RawQuery,
    signedHeaders: string[],
  ): SignableRequest {
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = request.headers.get(name);
      if (value === null) deny("signed header missing");
      headers[name] = value;
    }
    const url = new URL(request.url);
    return {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      path,
      query,
      headers,
    };
  }

  async #verifyHeader(
    request: Request,
    options: VerifyOptions & { path: string; query: RawQuery; authorization: string },
  ): Promise<VerifiedRequest> {
    const { scope, signedHeaders, signature } = parseAuthorizationHeader(options.authorization);
    const date = signedRequestDate(request.headers, signedHeaders);
    this.#checkDate(date, scope);

    const entry = await this.#entryFor(scope);
    const token = request.headers.get("x-amz-security-token") ?? undefined;
    if (entry) this.#checkToken(entry, token, signedHeaders.includes("x-amz-security-token"));

    const declared = request.headers.get("x-amz-content-sha256");
    let body: Uint8Array | ReadableStream<Uint8Array> | null = request.body;
    let payloadHash: string;
    let mismatch = false;
    if (declared === UNSIGNED_PAYLOAD) {
      if (!options.unsignedPayload) deny("UNSIGNED-PAYLOAD on a signed-payload operation");
      payloadHash = UNSIGNED_PAYLOAD;
    } else if (declared !== null && !isHexSha256(declared)) {
      deny("unsupported payload hash");
    } else if (options.unsignedPayload && declared !== null) {
      payloadHash = declared;
      if (request.body !== null) {
        body = verifyingStream(request.body, declared, {
          onMismatch: () => mismatch = true,
          error: () => accessDenied("payload hash mismatch"),
        });
      } else if (declared !== EMPTY_SHA256) {
        deny("payload hash mismatch");
      }
    } else {
      // The body must be hashed before the signature can be checked: it is small.
      const bytes = await readSignedPayload(request, options.maxSignedBodyBytes);
      const actual = sha256Hex(bytes);
      if (declared !== null && declared !== actual) deny("payload hash mismatch");
      payloadHash = actual;
      body = bytes;
    }

    const signable = this.#signable(request, options.path, options.query, signedHeaders);
    await this.#compare(entry, signable, {
      signedHeaders,
      payloadHashes: [payloadHash],
      date,
      scope,
      signature,
    });
    return { accessKeyId: scope.accessKeyId, body, payloadMismatch: () => mismatch };
  }

  async #verifyPresigned(
    request: Request,
    options: VerifyOptions & { path: string; query: RawQuery },
  ): Promise<VerifiedRequest> {
    const { query } = options;
    const { scope, signedHeaders, signature, date, expiresSeconds } = parsePresignedQuery(query);
    this.#checkDate(date, scope, date.getTime() + expiresSeconds * 1000);

    const entry = await this.#entryFor(scope);
    const token = singleQueryValue(query, "X-Amz-Security-Token");
    if (entry) this.#checkToken(entry, token, true);

    // Clients hash the (empty) payload of a GET, or send UNSIGNED-PAYLOAD.
    let body: Uint8Array | ReadableStream<Uint8Array> | null = request.body;
    const payloadHashes: string[] = [];
    if (options.unsignedPayload) {
      payloadHashes.push(UNSIGNED_PAYLOAD);
      if (hasEmptyBody(request)) payloadHashes.push(EMPTY_SHA256);
    } else {
      const bytes = await readSignedPayload(request, options.maxSignedBodyBytes);
      payloadHashes.push(sha256Hex(bytes));
      if (bytes.byteLength === 0) payloadHashes.push(UNSIGNED_PAYLOAD);
      body = bytes;
    }

    const signable = this.#signable(request, options.path, query, signedHeaders);
    await this.#compare(entry, signable, { signedHeaders, payloadHashes, date, scope, signature });
    return { accessKeyId: scope.accessKeyId, body, payloadMismatch: () => false };
  }
}
