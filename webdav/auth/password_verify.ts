/**
 * Checks a password against a classified stored password (see
 * `password_scheme.ts`): bcrypt with bcryptjs, SHA-256/512-crypt with
 * unixcrypt, APR1-MD5 and MD5-crypt with apache-md5, `{SHA}` and plain
 * passwords with `node:crypto`. Every comparison of secrets is constant-time;
 * passwords are hashed as their UTF-8 bytes, as `htpasswd` does.
 *
 * @module
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { bcrypt } from "../../deps/bcryptjs.ts";
import { verifyShaCrypt } from "../../deps/unixcrypt.ts";
import { apacheMd5 } from "../../deps/apache_md5.ts";
import type { StoredPassword } from "./password_scheme.ts";

const encoder = new TextEncoder();
// Plain passwords are compared as HMACs under a per-process key: equal-length
// digests whatever the lengths of the passwords.
const plainKey = randomBytes(32);

function hmac(text: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", plainKey).update(text, "utf8").digest());
}

function sameText(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The password's UTF-8 bytes, one per character (apache-md5 hashes its string as Latin-1). */
function utf8Bytes(password: string): string {
  let text = "";
  for (const byte of encoder.encode(password)) text += String.fromCharCode(byte);
  return text;
}

/**
 * Whether `password` matches `stored`. bcrypt runs asynchronously (in slices
 * that let the event loop go on); the other schemes run at once. A malformed
 * hash (which `classifyPassword` refuses) gives `false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyPassword } from "./password_verify.ts";
 * // "myPassword" in the Apache documentation's examples.
 * const apr1 = { scheme: "apr1", value: "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/" } as const;
 * assert.equal(await verifyPassword("myPassword", apr1), true);
 * assert.equal(await verifyPassword("mypassword", apr1), false);
 * const sha1 = { scheme: "sha1", value: "{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=" } as const;
 * assert.equal(await verifyPassword("myPassword", sha1), true);
 * assert.equal(await verifyPassword("s3cret", { scheme: "plain", value: "s3cret" }), true);
 * ```
 */
export async function verifyPassword(password: string, stored: StoredPassword): Promise<boolean> {
  try {
    switch (stored.scheme) {
      case "plain":
        return timingSafeEqual(hmac(password), hmac(stored.value));
      case "sha1": {
        const digest = createHash("sha1").update(password, "utf8").digest("base64");
        return sameText(`{SHA}${digest}`, stored.value);
      }
      case "apr1":
      case "md5-crypt":
        return sameText(apacheMd5(utf8Bytes(password), stored.value), stored.value);
      case "sha256-crypt":
      case "sha512-crypt":
        return verifyShaCrypt(password, stored.value);
      case "bcrypt":
        return await bcrypt.compare(password, stored.value);
    }
  } catch {
    return false;
  }
}
