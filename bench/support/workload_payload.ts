/**
 * The bytes of the gateway-versus-engines benchmark, made once and sent to
 * every store of the run: one large object as distinct chunks, and many small
 * distinct objects, with their SHA-256 checksums computed beforehand (a backup
 * client hashes while it produces data, so hashing is not part of a transfer's
 * time).
 *
 * @module
 */

import {
  chunkChecksum,
  encodeBase64,
  sha256,
  summaryChecksum,
} from "../../src/storage/checksum.ts";
import { PieceMaker } from "./bench_data.ts";

/** The sizes of a {@link WorkloadPayload}. */
export interface WorkloadPayloadOptions {
  /** Chunks of the large object. */
  chunks: number;
  /** Bytes per chunk (at least 16). */
  chunkBytes: number;
  /** Small objects. */
  smallObjects: number;
  /** Bytes per small object (at least 16). */
  smallBytes: number;
}

/**
 * A large object's chunks and small objects, no two alike (a content-addressed
 * store cannot skip any as a duplicate), and their checksums.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkChecksum } from "../../src/storage/checksum.ts";
 * import { WorkloadPayload } from "./workload_payload.ts";
 * const payload = new WorkloadPayload({ chunks: 3, chunkBytes: 1024, smallObjects: 2, smallBytes: 64 });
 * assert.equal(payload.largeObjectBytes, 3072);
 * assert.equal(payload.chunk(1).length, 1024);
 * assert.notDeepEqual(payload.chunk(0), payload.chunk(1));
 * assert.equal(payload.chunkChecksums[2], chunkChecksum(payload.chunk(2)));
 * assert.equal(payload.smallObject(1).length, 64);
 * assert.equal(payload.smallChecksums[0], chunkChecksum(payload.smallObject(0)));
 * assert.match(payload.objectChecksum, /^[A-Za-z0-9+/]{43}=$/);
 * ```
 */
export class WorkloadPayload {
  /** The sizes it was made with. */
  readonly options: Readonly<WorkloadPayloadOptions>;
  /** The SHA-256 checksum (base64) of each chunk of the large object. */
  readonly chunkChecksums: readonly string[];
  /** The large object's `SUMMARY` checksum (over its chunks' digests). */
  readonly objectChecksum: string;
  /** The SHA-256 checksum (base64) of each small object. */
  readonly smallChecksums: readonly string[];
  #chunks: PieceMaker;
  #small: PieceMaker;

  /** Makes the random bases and computes every checksum (about 2–4 s per GiB). */
  constructor(options: WorkloadPayloadOptions) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(`${name} must be an integer ≥ 0`);
      }
    }
    this.options = { ...options };
    this.#chunks = new PieceMaker(options.chunkBytes);
    this.#small = new PieceMaker(options.smallBytes);
    const digests = Array.from({ length: options.chunks }, (_, i) => sha256(this.chunk(i)));
    this.chunkChecksums = digests.map(encodeBase64);
    this.objectChecksum = summaryChecksum(digests);
    this.smallChecksums = Array.from(
      { length: options.smallObjects },
      (_, i) => chunkChecksum(this.smallObject(i)),
    );
  }

  /** Bytes of the large object. */
  get largeObjectBytes(): number {
    return this.options.chunks * this.options.chunkBytes;
  }

  /** Bytes of all the small objects. */
  get smallObjectsBytes(): number {
    return this.options.smallObjects * this.options.smallBytes;
  }

  /** A fresh copy of chunk `index` of the large object. */
  chunk(index: number): Uint8Array {
    return this.#chunks.piece(index);
  }

  /** A fresh copy of small object `index`. */
  smallObject(index: number): Uint8Array {
    return this.#small.piece(index);
  }
}
