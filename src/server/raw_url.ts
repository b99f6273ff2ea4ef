/**
 * A request URL as the client sent it: the raw (still percent-encoded) path and
 * query string, and the query split into decoded keys and values. Routing matches
 * the raw path, so a `%2F` inside an object name stays inside its label, and
 * signature verification canonicalizes what the client signed.
 *
 * @module
 */

/**
 * A decoded query string: one value per key, or an array when the key repeats.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRawQuery, type RawQuery } from "./raw_url.ts";
 * const query: RawQuery = parseRawQuery("a=1&a=2&b=3");
 * assert.deepEqual(query.a, ["1", "2"]);
 * assert.equal(query.b, "3");
 * ```
 */
export type RawQuery = Record<string, string | string[]>;

/**
 * Splits a raw query string into decoded keys and values (`+` stays a plus, as
 * SigV4 clients percent-encode spaces). Repeated keys give arrays. Throws on a
 * malformed percent escape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRawQuery } from "./raw_url.ts";
 * const query = parseRawQuery("a=1&b=x%2Fy&a=2&c=1+1");
 * assert.deepEqual({ ...query }, { a: ["1", "2"], b: "x/y", c: "1+1" });
 * assert.throws(() => parseRawQuery("a=%zz"), URIError);
 * ```
 */
export function parseRawQuery(raw: string): RawQuery {
  const query: RawQuery = Object.create(null);
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
 * import { rawPathAndQuery } from "./raw_url.ts";
 * assert.deepEqual(rawPathAndQuery("http://h/a/b%2Fc?x=1"), { path: "/a/b%2Fc", query: "x=1" });
 * ```
 */
export function rawPathAndQuery(url: string): { path: string; query: string } {
  const parsed = new URL(url);
  return { path: parsed.pathname, query: parsed.search.slice(1) };
}
