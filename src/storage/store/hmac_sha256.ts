/**
 * HMAC-SHA256 with the key set up once: `@noble/hashes` (audited, pure
 * JavaScript) keeps the keyed inner and outer states, and each MAC clones them,
 * so a MAC costs the message's compression and no native call. Signing a listing
 * of thousands of tokens was dominated by `createHmac`'s per-call overhead.
 *
 * The output is bit-for-bit that of `createHmac("sha256", key)`.
 *
 * @module
 */

import { hmac, sha256 } from "../../../deps/noble_hashes.ts";

/**
 * An HMAC-SHA256 key, set up once for many MACs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHmac } from "node:crypto";
 * import { HmacSha256 } from "./hmac_sha256.ts";
 * const key = new Uint8Array(32).fill(7);
 * const message = new TextEncoder().encode("hello");
 * const hmac = new HmacSha256(key);
 * const expected = new Uint8Array(createHmac("sha256", key).update(message).digest());
 * assert.deepEqual(hmac.mac(message), expected);
 * // Truncated into a caller's buffer.
 * const out = new Uint8Array(16);
 * hmac.macInto(message, out);
 * assert.deepEqual(out, expected.subarray(0, 16));
 * ```
 */
export class HmacSha256 {
  readonly #keyed: ReturnType<typeof hmac.create>;
  readonly #full = new Uint8Array(32);

  /** Sets the key up (the library keeps only its hashed padded blocks). */
  constructor(key: Uint8Array) {
    this.#keyed = hmac.create(sha256, key);
  }

  /** HMAC-SHA256(key, message): 32 bytes. */
  mac(message: Uint8Array): Uint8Array {
    const out = new Uint8Array(32);
    this.macInto(message, out);
    return out;
  }

  /**
   * Writes HMAC-SHA256(key, message), truncated to `out.byteLength` bytes (at most
   * 32), into `out`.
   */
  macInto(message: Uint8Array, out: Uint8Array): void {
    const mac = this.#keyed.clone();
    mac.update(message);
    if (out.byteLength >= 32) {
      mac.digestInto(out);
    } else {
      mac.digestInto(this.#full);
      out.set(this.#full.subarray(0, out.byteLength));
    }
  }
}
