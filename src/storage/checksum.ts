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
 * import { sha256, SHA256_LENGTH } from "./checksum.ts";
 * console.log(sha256(new Uint8Array()).length === SHA256_LENGTH); // true
 * ```
 */
export const SHA256_LENGTH = 32;

/**
 * SHA-256 digest of some bytes (native, one pass).
 *
 * @example
 * ```ts
 * import { sha256 } from "./checksum.ts";
 * console.log(sha256(new TextEncoder().encode("abc")).length); // 32
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** From this size on, {@link sha256Async} hashes on a worker thread. */
const OFF_THREAD_BYTES = 256 * 1024;

/**
 * SHA-256 digest of some bytes without holding up the event loop: large inputs
 * are hashed by Web Crypto on a worker thread (several at once use several
 * cores), small ones synchronously, where a thread hop would cost more than the
 * hash. `data` must not change until the promise settles.
 *
 * @example
 * ```ts
 * import { sha256Async } from "./checksum.ts";
 * const digest = await sha256Async(new Uint8Array(1024 * 1024));
 * console.log(digest.length); // 32
 * ```
 */
export async function sha256Async(data: Uint8Array): Promise<Uint8Array> {
  if (data.byteLength < OFF_THREAD_BYTES) return sha256(data);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

/**
 * The `SHA256` checksum of a chunk: base64 of its SHA-256 digest.
 *
 * @example
 * ```ts
 * import { chunkChecksum } from "./checksum.ts";
 * console.log(chunkChecksum(new Uint8Array())); // 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
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
 * import { ChunkHasher } from "./checksum.ts";
 * const h = new ChunkHasher();
 * h.update(new TextEncoder().encode("ab"));
 * h.update(new TextEncoder().encode("c"));
 * console.log(h.length, h.checksum()); // 3 ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=
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
 * import { sha256, summaryChecksum } from "./checksum.ts";
 * const chunk = new TextEncoder().encode("hello");
 * console.log(summaryChecksum([sha256(chunk)]).length); // 44
 * console.log(summaryChecksum([])); // 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
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
 * import { sha256, SummaryHasher } from "./checksum.ts";
 * const s = new SummaryHasher();
 * s.add(sha256(new Uint8Array([1])));
 * s.add(sha256(new Uint8Array([2])));
 * console.log(s.count); // 2
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
 * import { checksumToDigest } from "./checksum.ts";
 * console.log(checksumToDigest("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")?.length); // 32
 * console.log(checksumToDigest("nope")); // undefined
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
 * import { encodeBase64 } from "./checksum.ts";
 * console.log(encodeBase64(new Uint8Array([1, 2, 3]))); // AQID
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
 * import { decodeBase64 } from "./checksum.ts";
 * console.log(decodeBase64("AQID")); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new TypeError("decodeBase64: not standard base64 text");
  }
  return new Uint8Array(Buffer.from(text, "base64"));
}
