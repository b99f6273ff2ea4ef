/**
 * What a credentials-file entry's password field is: a plain password or an
 * Apache htpasswd hash, and which scheme.
 *
 * A field is a hash when it starts with a supported scheme's prefix:
 *
 * | prefix                   | written by                 | scheme         |
 * | ------------------------ | -------------------------- | -------------- |
 * | `$2y$`, `$2a$`, `$2b$`   | `htpasswd -B [-C cost]`    | `bcrypt`       |
 * | `$5$`                    | `htpasswd -2 [-r rounds]`  | `sha256-crypt` |
 * | `$6$`                    | `htpasswd -5 [-r rounds]`  | `sha512-crypt` |
 * | `$apr1$`                 | `htpasswd -m` (default)    | `apr1`         |
 * | `$1$`                    | `openssl passwd -1`        | `md5-crypt`    |
 * | `{SHA}`                  | `htpasswd -s`              | `sha1`         |
 *
 * A field with such a prefix must be a well-formed hash of that scheme (else
 * the line is refused). Any other `$id$…` or `{ID}…` prefix (`$argon2id$`,
 * `$y$`, `$2x$`, `{SSHA}`, …) is refused as an unsupported scheme. Everything
 * else is a plain password (`htpasswd -p`). So a plain password cannot start
 * with one of these prefixes: hash such a password instead. crypt(3) DES hashes
 * (`htpasswd -d`) carry no prefix and cannot be told from a 13-character plain
 * password: they are taken as plain passwords, with a warning (see
 * {@link looksLikeDesCrypt}). Error messages never include the field.
 *
 * @module
 */

/** The supported kinds of stored password. */
export type PasswordScheme =
  | "plain"
  | "bcrypt"
  | "sha256-crypt"
  | "sha512-crypt"
  | "apr1"
  | "md5-crypt"
  | "sha1";

/** A password field of the credentials file, classified. */
export interface StoredPassword {
  /** How `value` is checked. */
  scheme: PasswordScheme;
  /** The field as written (the plain password, or the whole hash). */
  value: string;
}

/** Highest bcrypt cost accepted (`htpasswd -C` allows 4 to 17); each step doubles the time. */
export const MAX_BCRYPT_COST = 17;
/** Most SHA-crypt rounds accepted (default 5000; about 2 s per check here at the maximum). */
export const MAX_SHA_CRYPT_ROUNDS = 1_000_000;

const CRYPT64 = "[./0-9A-Za-z]";
const BCRYPT = new RegExp(`^\\$2[aby]\\$(\\d\\d)\\$${CRYPT64}{53}$`);
const SHA_CRYPT = new RegExp(
  `^\\$([56])\\$(?:rounds=([1-9]\\d{0,9})\\$)?${CRYPT64}{0,16}\\$(${CRYPT64}+)$`,
);
const MD5_CRYPT = new RegExp(`^\\$(?:apr1|1)\\$[^$]{1,8}\\$${CRYPT64}{22}$`);
const SHA1 = /^\{SHA\}[A-Za-z0-9+/]{27}=$/;
const UNSUPPORTED = /^(\$[A-Za-z0-9-]+\$|\{[A-Z0-9-]+\})/;
const DES_CRYPT = new RegExp(`^${CRYPT64}{13}$`);

/**
 * Classifies a password field (see the module doc). Throws `SyntaxError`
 * (naming the scheme, never the field) for a malformed hash of a supported
 * scheme, a cost or rounds above the limits, or an unsupported scheme.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyPassword } from "./password_scheme.ts";
 * assert.equal(classifyPassword("$apr1$FJxN4C6p$8tz3TdRnD2L4H5Ikbk3tQ/").scheme, "apr1");
 * assert.equal(classifyPassword("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=").scheme, "sha1");
 * assert.deepEqual(classifyPassword("hunter2"), { scheme: "plain", value: "hunter2" });
 * assert.throws(() => classifyPassword("$argon2id$v=19$m=65536$abc$def"), SyntaxError);
 * assert.throws(() => classifyPassword("$2y$05$tooShort"), /malformed bcrypt/);
 * ```
 */
export function classifyPassword(field: string): StoredPassword {
  if (/^\$2[aby]\$/.test(field)) {
    const match = BCRYPT.exec(field);
    if (!match) throw new SyntaxError("malformed bcrypt hash");
    const cost = Number(match[1]);
    if (cost < 4 || cost > MAX_BCRYPT_COST) {
      throw new SyntaxError(`bcrypt cost must be 4 to ${MAX_BCRYPT_COST}`);
    }
    return { scheme: "bcrypt", value: field };
  }
  if (/^\$[56]\$/.test(field)) {
    const scheme = field[1] === "5" ? "sha256-crypt" : "sha512-crypt";
    const match = SHA_CRYPT.exec(field);
    const digestLength = scheme === "sha256-crypt" ? 43 : 86;
    if (!match || match[3].length !== digestLength) {
      throw new SyntaxError(`malformed ${scheme} hash`);
    }
    if (match[2] !== undefined && Number(match[2]) > MAX_SHA_CRYPT_ROUNDS) {
      throw new SyntaxError(`${scheme} rounds must be at most ${MAX_SHA_CRYPT_ROUNDS}`);
    }
    return { scheme, value: field };
  }
  if (/^\$(apr1|1)\$/.test(field)) {
    const scheme = field[1] === "a" ? "apr1" : "md5-crypt";
    if (!MD5_CRYPT.test(field)) throw new SyntaxError(`malformed ${scheme} hash`);
    return { scheme, value: field };
  }
  if (field.startsWith("{SHA}")) {
    if (!SHA1.test(field)) throw new SyntaxError("malformed {SHA} hash");
    return { scheme: "sha1", value: field };
  }
  if (UNSUPPORTED.test(field)) {
    throw new SyntaxError(
      "unsupported password hash scheme (supported: bcrypt, SHA-256/512-crypt, APR1-MD5, MD5-crypt, {SHA}, plain)",
    );
  }
  return { scheme: "plain", value: field };
}

/**
 * Whether a plain password looks like a crypt(3) DES hash (`htpasswd -d`:
 * 13 characters of `./0-9A-Za-z`), which this server takes as a plain password.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { looksLikeDesCrypt } from "./password_scheme.ts";
 * assert.equal(looksLikeDesCrypt("rqXexS6ZhobKA"), true);
 * assert.equal(looksLikeDesCrypt("hunter2"), false);
 * ```
 */
export function looksLikeDesCrypt(field: string): boolean {
  return DES_CRYPT.test(field);
}

/**
 * Whether checking a password against `stored` costs real CPU (a key-derivation
 * hash: bcrypt, SHA-crypt, APR1/MD5-crypt), so its successes are cached and
 * the checks are bounded; plain and `{SHA}` entries cost a digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isExpensive } from "./password_scheme.ts";
 * assert.equal(isExpensive({ scheme: "bcrypt", value: "" }), true);
 * assert.equal(isExpensive({ scheme: "plain", value: "pw" }), false);
 * ```
 */
export function isExpensive(stored: StoredPassword): boolean {
  return stored.scheme !== "plain" && stored.scheme !== "sha1";
}
