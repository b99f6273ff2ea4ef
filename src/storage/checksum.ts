/**
 * Chunk and object checksums, as every layer of BackupFS computes them:
 *
 * - a chunk's checksum (`SHA256`) is the base64 of the SHA-256 digest of its bytes;
 * - an object's checksum (`SUMMARY`) is base64(SHA-256(d0 ‖ d1 ‖ … ‖ dn-1)), where
 *   di is the raw 32-byte SHA-256 digest of chunk i in index order; an object with
 *   no chunks has the SHA-256 of empty input.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, type Hash } from "node:crypto";

/**
 * Length in bytes of a SHA-256 digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256, SHA256_LENGTH } from "./checksum.ts";
 * assert.equal(SHA256_LENGTH, 32);
 * assert.equal(sha256(new Uint8Array()).length, SHA256_LENGTH);
 * ```
 */
export const SHA256_LENGTH = 32;

/**
 * SHA-256 digest of some bytes (native, one pass), by `node:crypto` at every size.
 * Measured in Deno 2.9.6 on the 2-core benchmark machine: 4 MiB inputs at
 * 1.42–1.54 GB/s, against 0.95–1.19 GB/s for Web Crypto's `digest`, which first
 * copies its input into memory of its own. Web Crypto did take most of the
 * hashing off the event loop (1 GiB WebDAV PUT: main thread 1.5–2.2 s of CPU
 * against 2.1–3.0 s with `node:crypto`) but not the time: 276–344 MB/s against
 * 271–358 in six alternating pairs; and its copies cost 13–21 MB of peak RSS in
 * `bench:fs-memory` (207–215 MB against 191–194). Hashing in a Web Worker freed
 * the loop but was slower for the 1 GiB PUT on 2 cores (195–220 MB/s against
 * 276–288: a copy of each chunk, and a third busy thread).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeBase64, sha256 } from "./checksum.ts";
 * const digest = sha256(new TextEncoder().encode("abc"));
 * assert.equal(digest.length, 32);
 * assert.equal(encodeBase64(digest), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/**
 * The `SHA256` checksum of a chunk: base64 of its SHA-256 digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkChecksum } from "./checksum.ts";
 * assert.equal(chunkChecksum(new Uint8Array()), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
 * ```
 */
export function chunkChecksum(data: Uint8Array): string {
  return encodeBase64(sha256(data));
}

/**
 * Incremental SHA-256 over a stream of pieces, for data that arrives in parts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkHasher } from "./checksum.ts";
 * const h = new ChunkHasher();
 * h.update(new TextEncoder().encode("ab"));
 * h.update(new TextEncoder().encode("c"));
 * assert.equal(h.length, 3);
 * assert.equal(h.checksum(), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
 * assert.throws(() => h.update(new Uint8Array([1])), /update after digest/);
 * ```
 */
export class ChunkHasher {
  #hash: Hash = createHash("sha256");
  #digest?: Uint8Array;
  #length = 0;

  /** Adds bytes. Throws once the digest has been taken. */
  update(data: Uint8Array): this {
    if (this.#digest) throw new Error("ChunkHasher: update after digest");
    this.#hash.update(data);
    this.#length += data.byteLength;
    return this;
  }

  /** Bytes hashed so far. */
  get length(): number {
    return this.#length;
  }

  /** The raw 32-byte digest; ends the hash. */
  digest(): Uint8Array {
    this.#digest ??= new Uint8Array(this.#hash.digest());
    return this.#digest;
  }

  /** The `SHA256` checksum (base64 of the digest); ends the hash. */
  checksum(): string {
    return encodeBase64(this.digest());
  }
}

/**
 * The `SUMMARY` checksum of an object from its chunks' raw digests, in index order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkChecksum, sha256, summaryChecksum } from "./checksum.ts";
 * const chunk = new TextEncoder().encode("hello");
 * // One chunk: the SHA-256 of its digest, not the chunk's own checksum.
 * assert.equal(summaryChecksum([sha256(chunk)]), chunkChecksum(sha256(chunk)));
 * assert.equal(summaryChecksum([sha256(chunk)]), "lZXJ35AHUUjrBoYDZd8zWEt1v/eCpRDGzUiDpBmDPVA=");
 * assert.equal(summaryChecksum([]), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
 * ```
 */
export function summaryChecksum(chunkDigests: Iterable<Uint8Array>): string {
  const summary = new SummaryHasher();
  for (const digest of chunkDigests) summary.add(digest);
  return summary.checksum();
}

/**
 * Builds a `SUMMARY` checksum chunk by chunk, without holding the digests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256, summaryChecksum, SummaryHasher } from "./checksum.ts";
 * const digests = [sha256(new Uint8Array([1])), sha256(new Uint8Array([2]))];
 * const s = new SummaryHasher();
 * for (const d of digests) s.add(d);
 * assert.equal(s.count, 2);
 * assert.equal(s.checksum(), summaryChecksum(digests));
 * assert.throws(() => new SummaryHasher().add(new Uint8Array(3)), RangeError);
 * ```
 */
export class SummaryHasher {
  #hash: Hash = createHash("sha256");
  #count = 0;
  #done?: string;

  /** Adds the raw digest of the next chunk in index order. */
  add(chunkDigest: Uint8Array): this {
    if (this.#done !== undefined) throw new Error("SummaryHasher: add after checksum");
    if (chunkDigest.byteLength !== SHA256_LENGTH) {
      throw new RangeError(
        `SummaryHasher: a chunk digest has ${SHA256_LENGTH} bytes, got ${chunkDigest.byteLength}`,
      );
    }
    this.#hash.update(chunkDigest);
    this.#count++;
    return this;
  }

  /** Chunks added so far. */
  get count(): number {
    return this.#count;
  }

  /** The `SUMMARY` checksum; ends the hash. */
  checksum(): string {
    this.#done ??= encodeBase64(new Uint8Array(this.#hash.digest()));
    return this.#done;
  }
}

/**
 * Decodes a `SHA256` checksum to its raw digest, or returns `undefined` when the
 * text is not the base64 of exactly 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checksumToDigest, sha256 } from "./checksum.ts";
 * const digest = checksumToDigest("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
 * assert.deepEqual(digest, sha256(new Uint8Array()));
 * assert.equal(checksumToDigest("nope"), undefined);
 * assert.equal(checksumToDigest("AQID"), undefined); // base64, but not 32 bytes
 * ```
 */
export function checksumToDigest(checksum: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(checksum)) return undefined;
  const bytes = decodeBase64(checksum);
  return bytes.byteLength === SHA256_LENGTH && encodeBase64(bytes) === checksum ? bytes : undefined;
}

/**
 * Standard base64 (with padding) of some bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeBase64 } from "./checksum.ts";
 * assert.equal(encodeBase64(new Uint8Array([1, 2, 3])), "AQID");
 * assert.equal(encodeBase64(new Uint8Array([1, 2, 3, 4]).subarray(1)), "AgME");
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Bytes of standard, padded base64 text. Throws a `TypeError` on anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeBase64 } from "./checksum.ts";
 * assert.deepEqual(decodeBase64("AQID"), new Uint8Array([1, 2, 3]));
 * assert.throws(() => decodeBase64("AQI"), TypeError); // unpadded
 * ```
 */
export function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new TypeError("decodeBase64: not standard base64 text");
  }
  return new Uint8Array(Buffer.from(text, "base64"));
}
