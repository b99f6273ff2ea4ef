/**
 * The parsers of what a SigV4 signature is made of: its dates, its credential
 * scope, its list of signed headers, the `Authorization` header and the
 * presigned query (`X-Amz-Signature`). Each refuses anything malformed with the
 * one generic `AccessDeniedException` of `access_denied.ts` (the reason in
 * `cause`); the verification itself is `sigv4_verify.ts`.
 *
 * @module
 */

import { SIGNING_SERVICE } from "../storage/client/signer.ts";
import { deny } from "./access_denied.ts";
import type { RawQuery } from "./raw_url.ts";

/**
 * Longest validity of a presigned URL (7 days), in seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_PRESIGNED_EXPIRES_SECONDS } from "./sigv4_parse.ts";
 * assert.equal(MAX_PRESIGNED_EXPIRES_SECONDS, 7 * 24 * 3600);
 * ```
 */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604800;

/**
 * The one signing algorithm accepted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SIGV4_ALGORITHM } from "./sigv4_parse.ts";
 * assert.equal(SIGV4_ALGORITHM, "AWS4-HMAC-SHA256");
 * ```
 */
export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Whether a value is a lower-case hex SHA-256 (64 characters): a signature or a
 * declared payload hash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isHexSha256 } from "./sigv4_parse.ts";
 * assert.equal(isHexSha256("ab".repeat(32)), true);
 * assert.equal(isHexSha256("AB".repeat(32)), false);
 * ```
 */
export function isHexSha256(value: string): boolean {
  return HEX64.test(value);
}

/**
 * The credential scope of a signature: `AKID/20240102/us-east-1/backup-storage/aws4_request`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCredential, type SigV4Scope } from "./sigv4_parse.ts";
 * const scope: SigV4Scope = parseCredential("AKID/20240102/us-east-1/backup-storage/aws4_request");
 * assert.equal(scope.region, "us-east-1");
 * ```
 */
export interface SigV4Scope {
  /** The access key that signed. */
  accessKeyId: string;
  /** The day of the signature, `YYYYMMDD`. */
  shortDate: string;
  /** The signing region. */
  region: string;
  /** The signing service (always {@link SIGNING_SERVICE} once parsed). */
  service: string;
}

/**
 * A date in the ISO 8601 basic format of SigV4 (`20240102T030405Z`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAmzDate } from "./sigv4_parse.ts";
 * assert.equal(formatAmzDate(new Date("2024-01-02T03:04:05.678Z")), "20240102T030405Z");
 * ```
 */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

/**
 * Parses an ISO 8601 basic timestamp (`20240102T030405Z`) strictly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAmzDate } from "./sigv4_parse.ts";
 * assert.equal(parseAmzDate("20240102T030405Z")?.toISOString(), "2024-01-02T03:04:05.000Z");
 * assert.equal(parseAmzDate("20240230T000000Z"), undefined); // no February 30th
 * assert.equal(parseAmzDate("2024-01-02T03:04:05Z"), undefined); // not the basic format
 * ```
 */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return formatAmzDate(date) === value ? date : undefined;
}

/**
 * Parses a `Date` header: the ISO 8601 basic format, or an IMF-fixdate
 * (`Tue, 02 Jan 2024 03:04:05 GMT`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDateHeader } from "./sigv4_parse.ts";
 * const expected = "2024-01-02T03:04:05.000Z";
 * assert.equal(parseDateHeader("Tue, 02 Jan 2024 03:04:05 GMT")?.toISOString(), expected);
 * assert.equal(parseDateHeader("20240102T030405Z")?.toISOString(), expected);
 * assert.equal(parseDateHeader("2 Jan 2024"), undefined);
 * ```
 */
export function parseDateHeader(value: string): Date | undefined {
  const basic = parseAmzDate(value);
  if (basic) return basic;
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) {
    return undefined;
  }
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/**
 * Parses a credential (`AKID/YYYYMMDD/REGION/backup-storage/aws4_request`);
 * anything else is refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCredential } from "./sigv4_parse.ts";
 * assert.deepEqual(parseCredential("AKID/20240102/eu-west-1/backup-storage/aws4_request"), {
 *   accessKeyId: "AKID",
 *   shortDate: "20240102",
 *   region: "eu-west-1",
 *   service: "backup-storage",
 * });
 * assert.throws(() => parseCredential("AKID/20240102/eu-west-1/s3/aws4_request"), {
 *   cause: "wrong service in credential scope",
 * });
 * ```
 */
export function parseCredential(value: string): SigV4Scope {
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

/**
 * Parses the list of signed headers (`host;x-amz-date`): lower-case names, sorted,
 * each once, `host` among them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSignedHeaders } from "./sigv4_parse.ts";
 * assert.deepEqual(parseSignedHeaders("host;x-amz-date"), ["host", "x-amz-date"]);
 * assert.throws(() => parseSignedHeaders("x-amz-date;host"), {
 *   cause: "signed headers not sorted or repeated",
 * });
 * ```
 */
export function parseSignedHeaders(value: string): string[] {
  const names = value.split(";");
  for (let i = 0; i < names.length; i++) {
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(names[i])) deny("malformed signed headers");
    if (i > 0 && names[i - 1] >= names[i]) deny("signed headers not sorted or repeated");
  }
  if (!names.includes("host")) deny("host is not signed");
  return names;
}

/**
 * What an `Authorization` header signs with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AuthorizationHeader, parseAuthorizationHeader } from "./sigv4_parse.ts";
 * const header: AuthorizationHeader = parseAuthorizationHeader(
 *   "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/backup-storage/aws4_request, " +
 *     `SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
 * );
 * assert.deepEqual(header.signedHeaders, ["host", "x-amz-date"]);
 * ```
 */
export interface AuthorizationHeader {
  /** The credential scope. */
  scope: SigV4Scope;
  /** The signed headers, sorted. */
  signedHeaders: string[];
  /** The signature, 64 lower-case hex characters. */
  signature: string;
}

/**
 * Parses an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
 * Signature=…` header; anything else is refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuthorizationHeader } from "./sigv4_parse.ts";
 * const parsed = parseAuthorizationHeader(
 *   "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/backup-storage/aws4_request," +
 *     `SignedHeaders=host;x-amz-date,Signature=${"a".repeat(64)}`,
 * );
 * assert.equal(parsed.scope.accessKeyId, "AKID");
 * assert.equal(parsed.signature, "a".repeat(64));
 * assert.throws(() => parseAuthorizationHeader("Basic dTpw"), {
 *   cause: "malformed authorization header",
 * });
 * ```
 */
export function parseAuthorizationHeader(value: string): AuthorizationHeader {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([0-9a-f]{64})$/
      .exec(value);
  if (!m) deny("malformed authorization header");
  return { scope: parseCredential(m[1]), signedHeaders: parseSignedHeaders(m[2]), signature: m[3] };
}

/**
 * The signed date of a request signed in its `Authorization` header: its
 * `X-Amz-Date`, else its `Date`, which must be among the signed headers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signedRequestDate } from "./sigv4_parse.ts";
 * const headers = new Headers({ "x-amz-date": "20240102T030405Z" });
 * const date = signedRequestDate(headers, ["host", "x-amz-date"]);
 * assert.equal(date.toISOString(), "2024-01-02T03:04:05.000Z");
 * assert.throws(() => signedRequestDate(headers, ["host"]), { cause: "date header not signed" });
 * ```
 */
export function signedRequestDate(headers: Headers, signedHeaders: readonly string[]): Date {
  const amzDate = headers.get("x-amz-date");
  const dateName = amzDate !== null ? "x-amz-date" : "date";
  const dateValue = amzDate ?? headers.get("date");
  if (dateValue === null) deny("no date");
  if (!signedHeaders.includes(dateName)) deny("date header not signed");
  const date = dateName === "x-amz-date" ? parseAmzDate(dateValue) : parseDateHeader(dateValue);
  if (date === undefined) deny("malformed date");
  return date;
}

/**
 * The one value of a query key; a repeated key is refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { singleQueryValue } from "./sigv4_parse.ts";
 * assert.equal(singleQueryValue({ a: "1" }, "a"), "1");
 * assert.equal(singleQueryValue({}, "a"), undefined);
 * assert.throws(() => singleQueryValue({ a: ["1", "2"] }, "a"), { cause: "repeated a" });
 * ```
 */
export function singleQueryValue(query: RawQuery, key: string): string | undefined {
  const value = query[key];
  if (Array.isArray(value)) deny(`repeated ${key}`);
  return value;
}

/**
 * What a presigned query (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
 * `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`) signs with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PresignedQuery } from "./sigv4_parse.ts";
 * const presigned: PresignedQuery = {
 *   scope: { accessKeyId: "AKID", shortDate: "20240102", region: "r", service: "backup-storage" },
 *   signedHeaders: ["host"],
 *   signature: "0".repeat(64),
 *   date: new Date("2024-01-02T03:04:05Z"),
 *   expiresSeconds: 60,
 * };
 * assert.equal(presigned.date.getTime() + presigned.expiresSeconds * 1000, 1704164705000);
 * ```
 */
export interface PresignedQuery extends AuthorizationHeader {
  /** When the URL was signed. */
  date: Date;
  /** Its validity from `date`, 1 s to {@link MAX_PRESIGNED_EXPIRES_SECONDS}. */
  expiresSeconds: number;
}

/**
 * Parses the signature members of a presigned query; anything missing, repeated
 * or malformed is refused. (`X-Amz-Security-Token` is read by the verifier.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePresignedQuery } from "./sigv4_parse.ts";
 * import { parseRawQuery } from "./raw_url.ts";
 * const query = parseRawQuery(
 *   "X-Amz-Algorithm=AWS4-HMAC-SHA256" +
 *     "&X-Amz-Credential=AKID%2F20240102%2Fus-east-1%2Fbackup-storage%2Faws4_request" +
 *     `&X-Amz-Date=20240102T030405Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host` +
 *     `&X-Amz-Signature=${"f".repeat(64)}`,
 * );
 * assert.equal(parsePresignedQuery(query).expiresSeconds, 60);
 * assert.throws(() => parsePresignedQuery({ ...query, "X-Amz-Expires": "0" }), {
 *   cause: "expiry out of range",
 * });
 * ```
 */
export function parsePresignedQuery(query: RawQuery): PresignedQuery {
  if (singleQueryValue(query, "X-Amz-Algorithm") !== SIGV4_ALGORITHM) {
    deny("unsupported algorithm");
  }
  const credential = singleQueryValue(query, "X-Amz-Credential");
  const dateValue = singleQueryValue(query, "X-Amz-Date");
  const expiresValue = singleQueryValue(query, "X-Amz-Expires");
  const signedHeadersValue = singleQueryValue(query, "X-Amz-SignedHeaders");
  const signature = singleQueryValue(query, "X-Amz-Signature");
  if (
    credential === undefined || dateValue === undefined || expiresValue === undefined ||
    signedHeadersValue === undefined || signature === undefined
  ) {
    deny("presigned query incomplete");
  }
  if (!isHexSha256(signature)) deny("malformed signature");
  const scope = parseCredential(credential);
  const signedHeaders = parseSignedHeaders(signedHeadersValue);
  const date = parseAmzDate(dateValue);
  if (date === undefined) deny("malformed date");
  if (!/^\d{1,6}$/.test(expiresValue)) deny("malformed expiry");
  const expiresSeconds = Number(expiresValue);
  if (expiresSeconds < 1 || expiresSeconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
    deny("expiry out of range");
  }
  return { scope, signedHeaders, signature, date, expiresSeconds };
}
