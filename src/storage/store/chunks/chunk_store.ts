/**
 * The chunk-bytes seam of the embedded store: where chunks longer than the inline
 * limit keep their bytes, content-addressed by SHA-256. {@link ChunkStore} is what
 * the store and its garbage collector need from such a place; a local directory
 * (`LocalChunkStore`) and an S3-compatible bucket (`S3ChunkStore`) implement it.
 *
 * What stays on the metadata side: which digests are referenced (the metadata
 * store is the only judge), small chunks kept inline in the database, and the
 * writers' claims and the deletions in progress that keep the collector and the
 * writers of every process sharing the store apart (`ChunkClaims`). A chunk
 * store keeps bytes and nothing else.
 *
 * @module
 */

/**
 * A chunk's bytes being written before its digest is known: the store streams a
 * request body into {@link StagedChunk.write} while hashing it, then either
 * {@link ChunkStore.put}s it under the digest or {@link StagedChunk.discard}s it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { StagedChunk } from "./chunk_store.ts";
 * import { LocalChunkStore } from "./local_chunk_store.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const chunks = await LocalChunkStore.open(dir, { durable: false });
 *   const staged: StagedChunk = await chunks.stage();
 *   await staged.write(new Uint8Array([1, 2, 3]));
 *   await staged.discard(); // nothing is stored
 *   assert.deepEqual(await chunks.list(0), []);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface StagedChunk {
  /**
   * Appends all of `bytes` to the chunk (the first write starts it). The caller
   * may reuse `bytes` once this resolves.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes and removes the staged bytes without storing them. Never throws. */
  discard(): Promise<void>;
}

/**
 * Where a store keeps its chunk bytes, each under the SHA-256 digest of its
 * content. All methods are safe to call concurrently.
 *
 * **Durability contract.** When {@link put} resolves, the bytes are durable: a
 * crash (kill -9, power loss, for a remote store the loss of this process) right
 * after cannot lose them. The store records a reference to a digest only after
 * its `put` resolved, so an acknowledged write never names missing bytes.
 *
 * **Content addressing.** `put` of a digest already stored succeeds and keeps one
 * copy; two concurrent puts of one digest both succeed. The caller guarantees the
 * bytes hash to the digest (it checked them while staging), so which copy wins
 * does not matter.
 *
 * **Garbage collection contract.** A chunk store decides nothing about liveness.
 * The collector calls {@link delete} only for a digest that no record references
 * and no writer has claimed, after recording the deletion in the metadata store;
 * a writer waits for that record to go before it claims the digest and puts it
 * again (see `ChunkClaims`): so `delete` and `put` of one digest never overlap,
 * and a store needs no locking of its own. {@link list} lets the collector find
 * chunks a crash left between `put` and the commit of their reference: it must
 * name every chunk whose `put` resolved and that was not deleted since. Any
 * number of processes sharing one metadata store share its chunk store (one
 * directory or bucket prefix) the same way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ChunkStore } from "./chunk_store.ts";
 * import { LocalChunkStore } from "./local_chunk_store.ts";
 * import { sha256 } from "../../checksum.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const chunks: ChunkStore = await LocalChunkStore.open(dir, { durable: false });
 *   const bytes = new TextEncoder().encode("abc");
 *   const digest = sha256(bytes);
 *   const staged = await chunks.stage();
 *   await staged.write(bytes);
 *   await chunks.put(digest, staged);
 *   assert.equal(await new Response(await chunks.get(digest, 3)).text(), "abc");
 *   assert.deepEqual(await chunks.list(digest[0]), [digest]);
 *   assert.equal(await chunks.delete(digest), 3);
 *   assert.equal(await chunks.get(digest, 3), undefined);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface ChunkStore {
  /** Starts a chunk: a staging file to write its bytes to, then `put` or discard. */
  stage(): Promise<StagedChunk>;
  /**
   * Stores staged bytes under their digest (raw 32-byte SHA-256), consuming the
   * staging (its file is closed and removed, success or not). Durable when it
   * resolves; storing a digest already there succeeds and keeps one copy.
   */
  put(digest: Uint8Array, staged: StagedChunk): Promise<void>;
  /**
   * A stream of the `length` bytes stored under a digest, or `undefined` when
   * none are. The stream errors if the stored bytes are fewer than `length` (a
   * damaged store must never look like a short chunk); it may be read lazily,
   * and cancelling it releases what it holds.
   */
  get(digest: Uint8Array, length: number): Promise<ReadableStream<Uint8Array> | undefined>;
  /** Deletes the bytes of a digest: resolves to the bytes freed, or -1 when there were none. */
  delete(digest: Uint8Array): Promise<number>;
  /**
   * The digests stored whose first byte is `shard` (0–255), in no set order: the
   * collector sweeps one shard per pass for chunks nothing references.
   */
  list(shard: number): Promise<Uint8Array[]>;
}
