/**
 * HTTP Basic authentication against the users of a credentials file (plain
 * passwords and htpasswd hashes, reloaded when the file changes): the
 * `authenticate` hook of `deno task serve --credentials FILE`.
 *
 * Per request: the `Authorization` header is parsed as `createBasicAuth` does,
 * the users in force are taken (looking at the file at most once a second),
 * then the password is checked against the user's entry:
 *
 * - plain and `{SHA}` entries cost a digest and are compared in constant time;
 * - bcrypt, SHA-crypt and APR1/MD5-crypt entries are first looked up in a
 *   bounded cache of successful checks ({@link PasswordCheckCache}: an HMAC
 *   under a per-process key of user, password and hash), so a correct repeat
 *   costs one HMAC; otherwise they are checked through a
 *   {@link VerificationLimiter} (1 at once, 32 waiting, per process or
 *   worker), in a {@link PasswordVerifier}'s Web Worker, off the thread that
 *   serves requests (so other requests, cached ones included, are not held
 *   up). A check that finds the queue full is answered `503` with
 *   `Retry-After: 1`, not `401`: the credentials were not looked at; so is a
 *   check whose verifier crashed or timed out (never `200`).
 * - An unknown user's password is checked against another user's entry
 *   (through the limiter too) and refused whatever the outcome, so an unknown
 *   user costs about what a wrong password costs.
 *
 * Wrong passwords are never cached. Passwords are never logged nor echoed.
 * The hook's `close()` stops its verifier worker (which would otherwise keep
 * the process alive): call it when the server closes.
 *
 * @module
 */

import type { AuthenticateHook } from "../middleware/authentication.ts";
import { DEFAULT_REALM, parseBasicAuthorization, unauthorizedResponse } from "./basic_auth.ts";
import { PasswordCheckCache } from "./password_check_cache.ts";
import { isExpensive, type StoredPassword } from "./password_scheme.ts";
import { verifyPassword } from "./password_verify.ts";
import { PasswordVerifier, VerifierFailedError } from "./password_verifier.ts";
import { VerificationLimiter, VerifierBusyError } from "./verification_limiter.ts";

/** Where the users in force come from (a `ReloadingCredentials`, or a fixed map in tests). */
export interface CredentialsSource {
  /** The users in force now. */
  current(): Promise<ReadonlyMap<string, StoredPassword>>;
}

/** Options of {@link createCredentialsFileAuth}. */
export interface CredentialsFileAuthOptions {
  /** The realm of the challenge (default `BackupFS`); `"` and `\` are not allowed. */
  realm?: string;
  /** The cache of successful expensive checks (default: a new one of 1024 entries). */
  cache?: PasswordCheckCache;
  /** Bounds the expensive checks (default: a new one, 1 at once, 32 waiting). */
  limiter?: VerificationLimiter;
  /**
   * Runs the expensive checks off this thread (default: a new one, whose
   * worker starts with the first expensive check and stops on `close()`).
   * One given here is not closed by the hook's `close()`.
   */
  verifier?: PasswordVerifier;
  /**
   * Checks a password (default: expensive entries in `verifier`, the others
   * here with `verifyPassword`); a seam for tests that count checks.
   */
  verify?: (password: string, stored: StoredPassword) => Promise<boolean>;
}

/** The hook of {@link createCredentialsFileAuth}, with how to release it. */
export type CredentialsFileAuth = AuthenticateHook & {
  /** Stops the verifier worker the hook started (later expensive checks are answered 503). */
  close(): Promise<void>;
};

/**
 * The answer when too many expensive password checks wait: `503` with `Retry-After: 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { busyResponse } from "./credentials_file_auth.ts";
 * const response = busyResponse();
 * assert.equal(response.status, 503);
 * assert.equal(response.headers.get("Retry-After"), "1");
 * ```
 */
export function busyResponse(): Response {
  return new Response("Too many password checks under way; retry shortly\n", {
    status: 503,
    headers: { "Retry-After": "1", "Content-Type": "text/plain; charset=utf-8" },
  });
}

/**
 * The answer when an expensive password check got no answer (its verifier
 * crashed, timed out or was closed): `503` with `Retry-After: 1`, never `401`
 * nor `200`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifierFailedResponse } from "./credentials_file_auth.ts";
 * const response = verifierFailedResponse();
 * assert.equal(response.status, 503);
 * assert.equal(response.headers.get("Retry-After"), "1");
 * ```
 */
export function verifierFailedResponse(): Response {
  return new Response("The password check failed; retry shortly\n", {
    status: 503,
    headers: { "Retry-After": "1", "Content-Type": "text/plain; charset=utf-8" },
  });
}

/**
 * An `authenticate` hook checking Basic credentials against `source` (see the
 * module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createCredentialsFileAuth } from "./credentials_file_auth.ts";
 * import { classifyPassword } from "./password_scheme.ts";
 * const users = new Map([
 *   ["alice", classifyPassword("$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/")], // "myPassword"
 * ]);
 * const authenticate = createCredentialsFileAuth({ current: () => Promise.resolve(users) });
 * const request = (credentials: string) =>
 *   new Request("http://localhost/", { headers: { Authorization: "Basic " + btoa(credentials) } });
 * assert.equal(await authenticate(request("alice:myPassword")), "alice");
 * assert.equal(((await authenticate(request("alice:wrong"))) as Response).status, 401);
 * assert.equal(((await authenticate(request("bob:myPassword"))) as Response).status, 401);
 * await authenticate.close(); // stops the verifier worker
 * ```
 */
export function createCredentialsFileAuth(
  source: CredentialsSource,
  options: CredentialsFileAuthOptions = {},
): CredentialsFileAuth {
  const realm = options.realm ?? DEFAULT_REALM;
  // deno-lint-ignore no-control-regex
  if (/["\\\x00-\x1f\x7f]/.test(realm)) throw new TypeError("invalid realm");
  const cache = options.cache ?? new PasswordCheckCache();
  const limiter = options.limiter ?? new VerificationLimiter();
  const ownVerifier = options.verifier === undefined ? new PasswordVerifier() : undefined;
  const verifier = options.verifier ?? ownVerifier!;
  const verify = options.verify ??
    ((password: string, stored: StoredPassword) =>
      isExpensive(stored) ? verifier.verify(password, stored) : verifyPassword(password, stored));
  const decoys = new WeakMap<ReadonlyMap<string, StoredPassword>, StoredPassword>();

  /** An entry to check an unknown user's password against: the first expensive one, if any. */
  const decoyOf = (users: ReadonlyMap<string, StoredPassword>): StoredPassword => {
    let decoy = decoys.get(users);
    if (!decoy) {
      const entries = [...users.values()];
      decoy = entries.find(isExpensive) ?? entries[0] ?? { scheme: "plain", value: "" };
      decoys.set(users, decoy);
    }
    return decoy;
  };

  const authenticate: AuthenticateHook = async (request) => {
    const credentials = parseBasicAuthorization(request.headers.get("Authorization"));
    if (!credentials) return unauthorizedResponse(realm);
    const { user, password } = credentials;
    const users = await source.current();
    const stored = users.get(user);
    try {
      if (stored === undefined) {
        const decoy = decoyOf(users);
        if (isExpensive(decoy)) await limiter.run(() => verify(password, decoy));
        else await verify(password, decoy);
        return unauthorizedResponse(realm);
      }
      if (!isExpensive(stored)) {
        return (await verify(password, stored)) ? user : unauthorizedResponse(realm);
      }
      if (cache.has(user, password, stored.value)) return user;
      if (!(await limiter.run(() => verify(password, stored)))) return unauthorizedResponse(realm);
      cache.add(user, password, stored.value);
      return user;
    } catch (error) {
      if (error instanceof VerifierBusyError) return busyResponse();
      if (error instanceof VerifierFailedError) return verifierFailedResponse();
      throw error;
    }
  };
  return Object.assign(authenticate, {
    close: () => ownVerifier?.close() ?? Promise.resolve(),
  });
}
