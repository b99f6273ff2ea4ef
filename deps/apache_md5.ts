/**
 * Apache's APR1-MD5 (`$apr1$`, `htpasswd -m`, its default) and MD5-crypt
 * (`$1$`), pinned here: `apacheMd5(password, storedHash)` recomputes the hash
 * with the stored salt. It hashes its input string as Latin-1: pass the
 * password's UTF-8 bytes one per character (as `htpasswd` hashes the bytes).
 * The WebDAV credentials file verifies with it.
 *
 * @module
 */

import apacheMd5Module from "npm:apache-md5@1.1.8";

type ApacheMd5 = (password: string, salt?: string) => string;
// A CommonJS module whose `module.exports` is the function (its types say `export default`).
const loaded = apacheMd5Module as unknown as ApacheMd5 | { default: ApacheMd5 };

/**
 * The package's function: the APR1 (or `$1$`) hash of `password` with the salt of `salt`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apacheMd5 } from "./apache_md5.ts";
 * // "myPassword" in the Apache documentation's examples.
 * const stored = "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/";
 * assert.equal(apacheMd5("myPassword", stored), stored);
 * ```
 */
export const apacheMd5: ApacheMd5 = typeof loaded === "function" ? loaded : loaded.default;
