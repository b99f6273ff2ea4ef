/**
 * RFC 7232 conditional requests: `If-Match`, `If-Unmodified-Since`,
 * `If-None-Match` and `If-Modified-Since`, evaluated in the RFC's order (§6)
 * against a resource's strong ETag and modification time.
 *
 * @module
 */

import { DavError } from "../dav_error.ts";

/** What the conditions are evaluated against. */
export interface ConditionalState {
  /** Whether the resource exists. */
  exists: boolean;
  /** Its entity tag as sent in `ETag` (`"…"`), if it has one. */
  etag?: string | undefined;
  /** Its modification time, if known. */
  lastModified?: Date | null | undefined;
}

/**
 * The strong ETag header value of a BackupFS etag: `"checksum"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteEtag } from "./conditional.ts";
 * assert.equal(quoteEtag("abc="), '"abc="');
 * ```
 */
export function quoteEtag(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : `"${etag}"`;
}

/**
 * Parses an entity-tag list header (`If-Match`, `If-None-Match`): `*`, or the
 * tags with their weakness.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEtagList } from "./conditional.ts";
 * assert.deepEqual(parseEtagList('W/"a", "b"'), [{ weak: true, tag: '"a"' }, { weak: false, tag: '"b"' }]);
 * assert.equal(parseEtagList(" * "), "*");
 * ```
 */
export function parseEtagList(header: string): "*" | { weak: boolean; tag: string }[] {
  if (header.trim() === "*") return "*";
  const tags: { weak: boolean; tag: string }[] = [];
  const pattern = /\s*(W\/)?("[^"]*")\s*,?/gy;
  for (let match; (match = pattern.exec(header)) !== null;) {
    tags.push({ weak: match[1] !== undefined, tag: match[2]! });
    if (pattern.lastIndex >= header.length) break;
  }
  return tags;
}

/**
 * Parses an HTTP date leniently (IMF-fixdate and whatever else `Date.parse`
 * reads); `undefined` when invalid. Conditional headers use the strict
 * {@link parseStrictHttpDate} instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHttpDate } from "./conditional.ts";
 * assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")?.toISOString(), "1994-11-06T08:49:37.000Z");
 * ```
 */
export function parseHttpDate(value: string): Date | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
const IMF_FIXDATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`,
);
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
);
const ASCTIME_DATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`,
);

/**
 * Parses an HTTP-date exactly as RFC 7231 §7.1.1.1 defines it: IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), or the obsolete RFC 850
 * (`Sunday, 06-Nov-94 08:49:37 GMT`, a two-digit year more than 50 years ahead
 * being of the last century) and asctime (`Sun Nov  6 08:49:37 1994`, in GMT)
 * forms, every field in range (a leap second reads as :59). Anything else —
 * which `Date.parse` would often still read as some date (`0` as 2000, a
 * 31 November as 1 December, a local time zone) — is `undefined`: conditional
 * headers with such a value are ignored (RFC 7232 §3.3, §3.4).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStrictHttpDate } from "./conditional.ts";
 * assert.equal(parseStrictHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")?.toISOString(), "1994-11-06T08:49:37.000Z");
 * assert.equal(parseStrictHttpDate("0"), undefined);
 * ```
 */
export function parseStrictHttpDate(value: string): Date | undefined {
  const text = value.trim();
  let day: string, month: string, year: number, hour: string, minute: string, second: string;
  let m = IMF_FIXDATE.exec(text);
  if (m) {
    [day, month, year, hour, minute, second] = [m[1]!, m[2]!, Number(m[3]), m[4]!, m[5]!, m[6]!];
  } else if ((m = RFC850_DATE.exec(text))) {
    [day, month, hour, minute, second] = [m[1]!, m[2]!, m[4]!, m[5]!, m[6]!];
    year = 2000 + Number(m[3]);
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
  } else if ((m = ASCTIME_DATE.exec(text))) {
    [month, day, hour, minute, second, year] = [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, Number(m[6])];
  } else {
    return undefined;
  }
  const d = Number(day);
  const mo = MONTHS.indexOf(month) / 3;
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, mo, d);
  if (date.getUTCDate() !== d) return undefined; // 31 November, 29 February of 2023…
  date.setUTCHours(h, mi, Math.min(s, 59));
  return date;
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * Evaluates the RFC 7232 preconditions of a request. Returns `undefined` to go
 * on, or the status to answer instead: 412 (a failed `If-Match`,
 * `If-Unmodified-Since`, or `If-None-Match` on a method that is not GET/HEAD) or
 * 304 (GET/HEAD not modified).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluatePreconditions } from "./conditional.ts";
 * const request = new Request("http://localhost/a", { headers: { "If-None-Match": '"x"' } });
 * assert.equal(evaluatePreconditions(request, { exists: true, etag: '"x"' }), 304);
 * assert.equal(evaluatePreconditions(request, { exists: true, etag: '"y"' }), undefined);
 * ```
 */
export function evaluatePreconditions(
  request: Request,
  state: ConditionalState,
): 304 | 412 | undefined {
  const safe = request.method === "GET" || request.method === "HEAD";
  const ifMatch = request.headers.get("if-match");
  if (ifMatch !== null) {
    const list = parseEtagList(ifMatch);
    const ok = list === "*" ? state.exists : state.exists && state.etag !== undefined &&
      list.some((entry) => !entry.weak && entry.tag === state.etag);
    if (!ok) return 412;
  } else {
    const since = request.headers.get("if-unmodified-since");
    const date = since === null ? undefined : parseStrictHttpDate(since);
    if (date && state.exists && state.lastModified) {
      if (seconds(state.lastModified) > seconds(date)) return 412;
    }
  }
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    const list = parseEtagList(ifNoneMatch);
    const matches = list === "*" ? state.exists : state.exists && state.etag !== undefined &&
      list.some((entry) => entry.tag === state.etag);
    if (matches) return safe ? 304 : 412;
  } else if (safe) {
    const since = request.headers.get("if-modified-since");
    const date = since === null ? undefined : parseStrictHttpDate(since);
    if (date && state.exists && state.lastModified && date.getTime() <= Date.now()) {
      if (seconds(state.lastModified) <= seconds(date)) return 304;
    }
  }
  return undefined;
}

/**
 * Like {@link evaluatePreconditions}, but throws: `DavError` 412, or 304 with the
 * validators as headers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertPreconditions } from "./conditional.ts";
 * const request = new Request("http://localhost/a", { method: "PUT", headers: { "If-Match": "*" } });
 * assert.throws(() => assertPreconditions(request, { exists: false }), { status: 412 });
 * assertPreconditions(request, { exists: true }); // does not throw
 * ```
 */
export function assertPreconditions(request: Request, state: ConditionalState): void {
  const status = evaluatePreconditions(request, state);
  if (status === undefined) return;
  if (status === 304) {
    const headers: Record<string, string> = {};
    if (state.etag) headers["ETag"] = state.etag;
    if (state.lastModified) headers["Last-Modified"] = state.lastModified.toUTCString();
    throw new DavError(304, "Not Modified", { headers });
  }
  throw new DavError(412, "Precondition Failed");
}
