/**
 * Verification of AWS Signature Version 4 on incoming requests, in both forms:
 * the `Authorization` header and the presigned query (`X-Amz-Signature`). The
 * expected signature is recomputed with `@smithy/signature-v4` over the raw
 * path, the raw query and only the headers the client signed, then compared in
 * constant time. Every failure is an `AccessDeniedException` with one generic
 * message; the precise reason travels only in `cause` (for server-side logs).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { getCanonicalHeaders, Hash, SignatureV4 } from "../../deps/smithy.ts";
import { AccessDeniedException } from "../storage/errors.ts";
import { readBounded, sha256Hex, verifyingStream } from "./body.ts";

/** Signing name of the BackupStorage service. */
export const SIGNING_SERVICE = "backup-storage";
/** Default tolerance between the request's date and the server clock (15 minutes). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Longest validity of a presigned URL (7 days), in seconds. */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604800;
/** The payload hash a client sends when it does not sign the body. */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** The message of every authentication failure. */
export const ACCESS_DENIED_MESSAGE = "The request signature could not be verified";

const ALGORITHM = "AWS4-HMAC-SHA256";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const HEX64 = /^[0-9a-f]{64}$/;

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

type Query = Record<string, string | string[]>;

interface SignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  path: string;
  query: Query;
  headers: Record<string, string>;
}

interface Scope {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
}

/** SignatureV4 with access to the canonical-request steps, for recomputing a client's signature. */
class RecomputingSigner extends SignatureV4 {
  async signatureFor(
    request: SignableRequest,
    signedHeaders: readonly string[],
    options: { payloadHash: string; date: Date; scope: Scope },
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
      longDate(date),
      credentialScope,
      canonicalRequest,
      ALGORITHM,
    );
    return await this.sign(stringToSign, {
      signingDate: date,
      signingRegion: scope.region,
      signingService: scope.service,
    });
  }
}

function longDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

/** Internal: a reason to refuse, turned into the one generic AccessDeniedException. */
function deny(reason: string): never {
  throw new AccessDeniedException(ACCESS_DENIED_MESSAGE, { cause: reason });
}

/**
 * Parses an ISO 8601 basic timestamp (`20240102T030405Z`) strictly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAmzDate } from "./sigv4_verify.ts";
 * assert.equal(parseAmzDate("20240102T030405Z")?.toISOString(), "2024-01-02T03:04:05.000Z");
 * assert.equal(parseAmzDate("20240230T000000Z"), undefined); // no February 30th
 * assert.equal(parseAmzDate("2024-01-02T03:04:05Z"), undefined); // not the basic format
 * ```
 */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return longDate(date) === value ? date : undefined;
}

function parseDateHeader(value: string): Date | undefined {
  const basic = parseAmzDate(value);
  if (basic) return basic;
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) {
    return undefined;
  }
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/**
 * Splits a raw query string into decoded keys and values (`+` stays a plus, as
 * SigV4 clients percent-encode spaces). Repeated keys give arrays. Throws on a
 * malformed percent escape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRawQuery } from "./sigv4_verify.ts";
 * const query = parseRawQuery("a=1&b=x%2Fy&a=2&c=1+1");
 * assert.deepEqual({ ...query }, { a: ["1", "2"], b: "x/y", c: "1+1" });
 * assert.throws(() => parseRawQuery("a=%zz"), URIError);
 * ```
 */
export function parseRawQuery(raw: string): Record<string, string | string[]> {
  const query: Query = Object.create(null);
  if (raw === "") return query;
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

/**
 * The raw path and raw query string of a request URL, as the client sent them
 * (still percent-encoded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rawPathAndQuery } from "./sigv4_verify.ts";
 * assert.deepEqual(rawPathAndQuery("http://h/a/b%2Fc?x=1"), { path: "/a/b%2Fc", query: "x=1" });
 * ```
 */
export function rawPathAndQuery(url: string): { path: string; query: string } {
  const parsed = new URL(url);
  return { path: parsed.pathname, query: parsed.search.slice(1) };
}

function parseCredential(value: string): Scope {
  const parts = value.split("/");
  if (parts.length !== 5) deny("malformed credential");
  const [accessKeyId, shortDate, region, service, terminator] = parts;
  if (accessKeyId === "" || !/^\d{8}$/.test(shortDate) || region === "") {
    deny("malformed credential");
  }
  if (terminator !== "aws4_request") deny("malformed credential terminator");
  if (service !== SIGNING_SERVICE) deny("wrong service in credential scope");
  return { accessKeyId, shortDate, region, service };
}

function parseSignedHeaders(value: string): string[] {
  const names = value.split(";");
  for (let i = 0; i < names.length; i++) {
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(names[i])) deny("malformed signed headers");
    if (i > 0 && names[i - 1] >= names[i]) deny("signed headers not sorted or repeated");
  }
  if (!names.includes("host")) deny("host is not signed");
  return names;
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

function single(query: Query, key: string): string | undefined {
  const value = query[key];
  if (Array.isArray(value)) deny(`repeated ${key}`);
  return value;
}

function hasEmptyBody(request: Request): boolean {
  return request.body === null || request.headers.get("content-length") === "0";
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
    let query: Query;
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

  async #entryFor(scope: Scope): Promise<AccessKeyEntry | undefined> {
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
      scope: Scope;
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

  #checkDate(date: Date, scope: Scope, windowEndMs?: number): void {
    if (longDate(date).slice(0, 8) !== scope.shortDate) deny("date outside credential scope day");
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
    query: Query,
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
    options: VerifyOptions & { path: string; query: Query; authorization: string },
  ): Promise<VerifiedRequest> {
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([0-9a-f]{64})$/
        .exec(options.authorization);
    if (!m) deny("malformed authorization header");
    const scope = parseCredential(m[1]);
    const signedHeaders = parseSignedHeaders(m[2]);
    const signature = m[3];

    const amzDate = request.headers.get("x-amz-date");
    const dateName = amzDate !== null ? "x-amz-date" : "date";
    const dateValue = amzDate ?? request.headers.get("date");
    if (dateValue === null) deny("no date");
    if (!signedHeaders.includes(dateName)) deny("date header not signed");
    const date = dateName === "x-amz-date" ? parseAmzDate(dateValue) : parseDateHeader(dateValue);
    if (date === undefined) deny("malformed date");
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
    } else if (declared !== null && !HEX64.test(declared)) {
      deny("unsupported payload hash");
    } else if (options.unsignedPayload && declared !== null) {
      payloadHash = declared;
      if (request.body !== null) {
        body = verifyingStream(request.body, declared, {
          onMismatch: () => mismatch = true,
          error: () =>
            new AccessDeniedException(ACCESS_DENIED_MESSAGE, { cause: "payload hash mismatch" }),
        });
      } else if (declared !== EMPTY_SHA256) {
        deny("payload hash mismatch");
      }
    } else {
      // The body must be hashed before the signature can be checked: it is small.
      const length = Number(request.headers.get("content-length") ?? NaN);
      if (request.body !== null && !(length <= options.maxSignedBodyBytes)) {
        deny("signed payload too large or of unknown length");
      }
      const bytes = await readBounded(request.body, options.maxSignedBodyBytes);
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
    options: VerifyOptions & { path: string; query: Query },
  ): Promise<VerifiedRequest> {
    const { query } = options;
    if (single(query, "X-Amz-Algorithm") !== ALGORITHM) deny("unsupported algorithm");
    const credential = single(query, "X-Amz-Credential");
    const dateValue = single(query, "X-Amz-Date");
    const expiresValue = single(query, "X-Amz-Expires");
    const signedHeadersValue = single(query, "X-Amz-SignedHeaders");
    const signature = single(query, "X-Amz-Signature");
    if (
      credential === undefined || dateValue === undefined || expiresValue === undefined ||
      signedHeadersValue === undefined || signature === undefined
    ) {
      deny("presigned query incomplete");
    }
    if (!HEX64.test(signature)) deny("malformed signature");
    const scope = parseCredential(credential);
    const signedHeaders = parseSignedHeaders(signedHeadersValue);
    const date = parseAmzDate(dateValue);
    if (date === undefined) deny("malformed date");
    if (!/^\d{1,6}$/.test(expiresValue)) deny("malformed expiry");
    const expires = Number(expiresValue);
    if (expires < 1 || expires > MAX_PRESIGNED_EXPIRES_SECONDS) deny("expiry out of range");
    this.#checkDate(date, scope, date.getTime() + expires * 1000);

    const entry = await this.#entryFor(scope);
    const token = single(query, "X-Amz-Security-Token");
    if (entry) this.#checkToken(entry, token, true);

    // Clients hash the (empty) payload of a GET, or send UNSIGNED-PAYLOAD.
    let body: Uint8Array | ReadableStream<Uint8Array> | null = request.body;
    const payloadHashes: string[] = [];
    if (options.unsignedPayload) {
      payloadHashes.push(UNSIGNED_PAYLOAD);
      if (hasEmptyBody(request)) payloadHashes.push(EMPTY_SHA256);
    } else {
      const length = Number(request.headers.get("content-length") ?? NaN);
      if (request.body !== null && !(length <= options.maxSignedBodyBytes)) {
        deny("signed payload too large or of unknown length");
      }
      const bytes = await readBounded(request.body, options.maxSignedBodyBytes);
      payloadHashes.push(sha256Hex(bytes));
      if (bytes.byteLength === 0) payloadHashes.push(UNSIGNED_PAYLOAD);
      body = bytes;
    }

    const signable = this.#signable(request, options.path, query, signedHeaders);
    await this.#compare(entry, signable, { signedHeaders, payloadHashes, date, scope, signature });
    return { accessKeyId: scope.accessKeyId, body, payloadMismatch: () => false };
  }
}
