/**
 * URLs ↔ BackupFS paths under a mount prefix: request paths are percent-decoded
 * segment by segment and normalized by BackupFS rules (`..` never leaves the
 * root, NUL is refused); hrefs are percent-encoded segment by segment.
 *
 * @module
 */

import { DavError } from "../dav_error.ts";
import { normalizePath } from "../../src/fs/mod.ts";

/**
 * The canonical form of a mount prefix: `""` for the root, else `/a/b` (leading
 * slash, no trailing slash).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizePrefix } from "./href.ts";
 * assert.equal(normalizePrefix("/"), "");
 * assert.equal(normalizePrefix("dav/"), "/dav");
 * ```
 */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "/").split("/").filter((segment) => segment !== "").join("/");
  return trimmed === "" ? "" : `/${trimmed}`;
}

/** Characters of a URL path (RFC 3986 `pchar` and `/`), percent-escapes included. */
const PATH_CHARS = /^(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*$/;

/**
 * A `--base-url` value as a mount prefix (see {@link normalizePrefix}): it must
 * be a URL path starting with `/`, without `.` or `..` segments, a query, a
 * fragment, or characters a URL path cannot hold unescaped (write a space as
 * `%20`). Throws `TypeError` saying what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBaseUrl } from "./href.ts";
 * assert.equal(parseBaseUrl("/dav/"), "/dav");
 * assert.equal(parseBaseUrl("/"), "");
 * assert.throws(() => parseBaseUrl("dav/"), TypeError);
 * assert.throws(() => parseBaseUrl("/a/../b"), TypeError);
 * assert.throws(() => parseBaseUrl("/dav?x=1"), TypeError);
 * ```
 */
export function parseBaseUrl(value: string): string {
  const problem = !value.startsWith("/")
    ? "must start with '/'"
    : value.includes("?") || value.includes("#")
    ? "must not hold a query or a fragment"
    : !PATH_CHARS.test(value)
    ? "holds a character a URL path cannot hold unescaped (write a space as %20)"
    : value.split("/").some((segment) => {
        let decoded = segment;
        try {
          decoded = decodeURIComponent(segment);
        } catch {
          return true;
        }
        return decoded === "." || decoded === ".." || decoded.includes("/") ||
          decoded.includes("\0");
      })
    ? "must not hold '.' or '..' segments, an encoded '/' or NUL, or bad percent-escapes"
    : undefined;
  if (problem !== undefined) {
    throw new TypeError(`invalid --base-url "${value}": ${problem} (example: /dav/)`);
  }
  return normalizePrefix(value);
}

/**
 * The BackupFS path named by a URL path (still percent-encoded) under `prefix`,
 * and whether it ended with `/`. Throws `DavError` 404 for a path outside the
 * prefix and 400 for bad percent-encoding, NUL, or a path BackupFS refuses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeRequestPath } from "./href.ts";
 * assert.deepEqual(decodeRequestPath("/dav/a%20b/../c/", "/dav"), { path: "/c", trailingSlash: true });
 * assert.deepEqual(decodeRequestPath("/dav/a%20b", "/dav"), { path: "/a b", trailingSlash: false });
 * ```
 */
export function decodeRequestPath(
  pathname: string,
  prefix: string,
): { path: string; trailingSlash: boolean } {
  let rest: string;
  if (prefix === "") rest = pathname;
  else if (pathname === prefix) rest = "/";
  else if (pathname.startsWith(`${prefix}/`)) rest = pathname.slice(prefix.length);
  else throw new DavError(404, "Not Found");
  // Without a '%' every segment decodes to itself (and a URL's path holds no raw NUL).
  const decoded = rest.includes("%") ? decodeSegments(rest) : rest;
  if (decoded.includes("\0")) throw new DavError(400, "NUL in the request path");
  let path: string;
  try {
    path = normalizePath(decoded);
  } catch {
    throw new DavError(400, "The request path is not acceptable");
  }
  return { path, trailingSlash: rest.length > 1 && rest.endsWith("/") };
}

/** A still-encoded path with each of its segments decoded. */
function decodeSegments(rest: string): string {
  const segments: string[] = [];
  for (const raw of rest.split("/")) {
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      throw new DavError(400, "Bad percent-encoding in the request path");
    }
  }
  return segments.join("/");
}

/**
 * The href of a BackupFS path under `prefix`: each segment percent-encoded, a
 * trailing `/` for collections.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeHref } from "./href.ts";
 * assert.equal(encodeHref("/a b/c#d", { prefix: "/dav", collection: true }), "/dav/a%20b/c%23d/");
 * ```
 */
export function encodeHref(
  path: string,
  options?: { prefix?: string; collection?: boolean },
): string {
  const encoded = path.split("/").filter((segment) => segment !== "").map(encodeSegment).join(
    "/",
  );
  const base = `${options?.prefix ?? ""}/${encoded}`;
  return options?.collection && !base.endsWith("/") ? `${base}/` : base;
}

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The BackupFS path an href names on this server (same host as `base`, under
 * `prefix`), or `undefined` when it names anything else: another host, another
 * scheme than http(s), or a path outside the prefix. The href must be what RFC
 * 4918 calls a Simple-ref (§8.3, used by `Destination` and the `If` header's
 * resource tags): an absolute URI, or an absolute path (`/…`, not `//…`), without
 * a fragment or control characters; anything else (a relative reference such as
 * `x.txt` or `a b c`, `::::`, bad percent-encoding) throws `DavError` 400. A query
 * is ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathOfHref } from "./href.ts";
 * const options = { base: "http://h/dav/a", prefix: "/dav" };
 * assert.equal(pathOfHref("http://h/dav/x%20y", options), "/x y");
 * assert.equal(pathOfHref("/dav/x", options), "/x");
 * assert.equal(pathOfHref("http://other/dav/x", options), undefined);
 * assert.throws(() => pathOfHref("x.txt", options), { status: 400 });
 * ```
 */
export function pathOfHref(
  hrefOrUrl: string,
  options: { base: string; prefix: string },
): string | undefined {
  const ref = hrefOrUrl.trim();
  const absoluteUri = SCHEME.test(ref);
  if (!absoluteUri && !(ref.startsWith("/") && !ref.startsWith("//"))) {
    throw new DavError(400, "Not an absolute URI or an absolute path");
  }
  if (ref.includes("#")) throw new DavError(400, "A fragment is not allowed here");
  if (CONTROL.test(ref)) throw new DavError(400, "Control characters are not allowed here");
  let url: URL;
  let base: URL;
  try {
    base = new URL(options.base);
    url = new URL(ref, base);
  } catch {
    throw new DavError(400, "Not an absolute URI or an absolute path");
  }
  if (absoluteUri && url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.host.toLowerCase() !== base.host.toLowerCase()) return undefined;
  try {
    return decodeRequestPath(url.pathname, options.prefix).path;
  } catch (error) {
    if (error instanceof DavError && error.status === 404) return undefined; // outside the prefix
    throw error;
  }
}
