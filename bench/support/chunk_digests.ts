/**
 * SHA-256 of every fixed-size chunk of a byte stream fed in arbitrary pieces: the
 * least work a verifying writer or reader does, used as a same-run reference.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";

/**
 * Hashes a stream fed piece by piece as consecutive chunks of `chunkSize` bytes.
 *
 * @example
 * ```ts
 * import { ChunkDigests } from "./chunk_digests.ts";
 * const digests = new ChunkDigests(4);
 * digests.update(new Uint8Array(6));
 * digests.update(new Uint8Array(3));
 * console.log(digests.finish()); // 3
 * ```
 */
export class ChunkDigests {
  /** Bytes per chunk. */
  readonly chunkSize: number;
  #hash: Hash = createHash("sha256");
  #filled = 0;
  #count = 0;

  /** Hashes chunks of `chunkSize` bytes. */
  constructor(chunkSize: number) {
    this.chunkSize = chunkSize;
  }

  /** Feeds the next bytes of the stream. */
  update(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.byteLength;) {
      const take = Math.min(this.chunkSize - this.#filled, bytes.byteLength - offset);
      this.#hash.update(bytes.subarray(offset, offset + take));
      this.#filled += take;
      offset += take;
      if (this.#filled === this.chunkSize) this.#digest();
    }
  }

  /** Digests the last, partial chunk if any; returns the number of chunks hashed. */
  finish(): number {
    if (this.#filled > 0) this.#digest();
    return this.#count;
  }

  #digest(): void {
    this.#hash.digest();
    this.#hash = createHash("sha256");
    this.#filled = 0;
    this.#count++;
  }
}
