/**
 * HTTP Basic authentication (RFC 7617) for the WebDAV app: an `authenticate`
 * hook for `createWebDavApp` checking a user → password map.
 *
 * Passwords are never compared directly: the given and the stored password are
 * both reduced to an HMAC-SHA-256 under a random per-process key, and the two
 * 32-byte digests are compared with `timingSafeEqual`. An unknown user costs the
 * same as a wrong password. Passwords are never logged nor echoed.
 *
 * A request without (valid) credentials is answered 401 with
 * `WWW-Authenticate: Basic realm="BackupFS", charset="UTF-8"`, OPTIONS included
 * (Finder and Windows MiniRedir retry with credentials).
 *
 * @module
 */

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { AuthenticateHook } from "../middleware/authentication.ts";

/** The realm announced in the challenge (default). */
export const DEFAULT_REALM = "BackupFS";
/** Longest `Authorization` header examined, in characters; longer ones are refused. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

/** A user name and password taken from an `Authorization: Basic` header. */
export interface BasicCredentials {
  /** The user name (never empty, never contains `:`). */
  user: string;
  /** The password (may contain `:`; may be empty). */
  password: string;
}

/** Options of {@link createBasicAuth}. */
export interface BasicAuthOptions {
  /** The realm of the challenge (default `BackupFS`); `"` and `\` are not allowed. */
  realm?: string;
  /**
   * Compares two equal-length digests (default `node:crypto` `timingSafeEqual`);
   * a seam for tests, which check that every attempt goes through it.
   */
  compare?: (a: Uint8Array, b: Uint8Array) => boolean;
}

export type { AuthenticateHook } from "../middleware/authentication.ts";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses an `Authorization` header value of the Basic scheme. The scheme is
 * case-insensitive; the token must be strict base64 of UTF-8 `user:password`
 * (split at the first colon) with a non-empty user. Anything else → `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBasicAuthorization } from "./basic_auth.ts";
 * const header = "Basic " + btoa("alice:s3:cret");
 * assert.deepEqual(parseBasicAuthorization(header), { user: "alice", password: "s3:cret" });
 * assert.equal(parseBasicAuthorization("Bearer abc"), undefined);
 * ```
 */
export function parseBasicAuthorization(
  header: string | null | undefined,
): BasicCredentials | undefined {
  if (!header || header.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  const match = /^[ \t]*basic[ \t]+([^ \t]+)[ \t]*$/i.exec(header);
  if (!match) return undefined;
  const token = match[1];
  if (token.length % 4 !== 0 || !BASE64.test(token)) return undefined;
  let text: string;
  try {
    const binary = atob(token);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(":");
  if (colon <= 0) return undefined;
  const user = text.slice(0, colon);
  // Control characters are never part of a user name (RFC 7617 §2).
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(user)) return undefined;
  return { user, password: text.slice(colon + 1) };
}

/**
 * The 401 answer with the Basic challenge.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unauthorizedResponse } from "./basic_auth.ts";
 * const response = unauthorizedResponse();
 * assert.equal(response.status, 401);
 * assert.equal(response.headers.get("WWW-Authenticate"), 'Basic realm="BackupFS", charset="UTF-8"');
 * ```
 */
export function unauthorizedResponse(realm?: string): Response {
  return new Response("Authentication required\n", {
    status: 401,
    headers: {
      "WWW-Authenticate": `Basic realm="${realm ?? DEFAULT_REALM}", charset="UTF-8"`,
      "Content-Type": "text/plain; charset=utf-8",
    },
  });
}

/**
 * An `authenticate` hook for `createWebDavApp`: the principal is the user name
 * when the Basic credentials match `users`, else a 401 challenge. The map is
 * copied; changing it later has no effect.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBasicAuth } from "./basic_auth.ts";
 * const authenticate = createBasicAuth(new Map([["alice", "secret"]]));
 * const ok = await authenticate(new Request("http://localhost/", {
 *   headers: { Authorization: "Basic " + btoa("alice:secret") },
 * }));
 * assert.equal(ok, "alice");
 * const denied = await authenticate(new Request("http://localhost/"));
 * assert.ok(denied instanceof Response);
 * assert.equal(denied.status, 401);
 * ```
 */
export function createBasicAuth(
  users: ReadonlyMap<string, string> | Record<string, string>,
  options?: BasicAuthOptions,
): AuthenticateHook {
  options ??= {};
  const realm = options.realm ?? DEFAULT_REALM;
  // deno-lint-ignore no-control-regex
  if (/["\\\x00-\x1f\x7f]/.test(realm)) throw new TypeError("invalid realm");
  const compare = options.compare ?? ((a, b) => timingSafeEqual(a, b));
  const key = randomBytes(32);
  const digest = (password: string) =>
    new Uint8Array(createHmac("sha256", key).update(password, "utf8").digest());
  const entries = users instanceof Map ? [...users] : Object.entries(users);
  const stored = new Map<string, Uint8Array>();
  for (const [user, password] of entries) {
    if (user === "" || user.includes(":")) {
      throw new TypeError("a user name must be non-empty and without ':'");
    }
    stored.set(user, digest(password));
  }
  // Compared against when the user is unknown, so that costs the same.
  const decoy = digest(crypto.randomUUID());

  return (request) => {
    const credentials = parseBasicAuthorization(request.headers.get("Authorization"));
    if (!credentials) return Promise.resolve(unauthorizedResponse(realm));
    const expected = stored.get(credentials.user);
    const given = digest(credentials.password);
    const equal = compare(given, expected ?? decoy);
    if (equal && expected !== undefined) return Promise.resolve(credentials.user);
    return Promise.resolve(unauthorizedResponse(realm));
  };
}
