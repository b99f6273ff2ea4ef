/**
 * Fetching one chunk whose bytes can be trusted, fetched once more on a mismatch;
 * no byte of a chunk that fails its check is ever returned:
 *
 * - from a storage in this process that reads verified chunks itself (the
 *   embedded store, `VerifiedChunkReader`): its `readVerifiedChunk`, which checks
 *   a chunk file of its local disk against the CRC-32 recorded when the bytes were
 *   written (from the very bytes whose SHA-256 was checked), and anything else
 *   against the SHA-256;
 * - from any other storage (a service over HTTP): `GetChunk`, read whole, checked
 *   against the length and SHA-256 the chunk list gives for it.
 *
 * @module
 */

import { type BackupStorage, isVerifiedChunkReader } from "../storage/backup_storage.ts";
import { encodeBase64, sha256 } from "../storage/checksum.ts";
import { countMetric } from "../metrics/metric_values.ts";
import { SLOT } from "../metrics/metric_layout.ts";
import type { ChunkLocation } from "./chunk_map.ts";

/**
 * Options of {@link fetchVerifiedChunk}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { VerifiedChunkOptions } from "./verified_chunk.ts";
 * const options: VerifiedChunkOptions = {
 *   jobId: "job-1",
 *   path: "/a.bin",
 *   signal: new AbortController().signal,
 * };
 * assert.equal(options.jobId, "job-1");
 * ```
 */
export interface VerifiedChunkOptions {
  /** Job the chunk token belongs to. */
  jobId: string;
  /** The file's path, for error messages. */
  path: string;
  /** Cancels the fetch (its stream is cancelled too); it rejects with the reason. */
  signal: AbortSignal;
  /**
   * A buffer the chunk may be read into when it is long enough (the result is then
   * a view of its start), for a reader that reuses its buffers. Used only with a
   * storage that reads verified chunks itself; bytes of a chunk that fails its
   * check may be left in it.
   */
  into?: Uint8Array;
}

/**
 * The verified bytes of `chunk`: the storage's `readVerifiedChunk` when it has one
 * (into `options.into` when given), else one `GetChunk` read whole, whose length
 * and SHA-256 must match the chunk list's. A mismatch is fetched once more, and a
 * second one is `Deno.errors.InvalidData` naming the path and the chunk index.
 * Storage errors propagate as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { chunkChecksum } from "../storage/checksum.ts";
 * import { ChunkMap } from "./chunk_map.ts";
 * import { fetchVerifiedChunk } from "./verified_chunk.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const data = new TextEncoder().encode("hello, world");
 *   await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "greeting.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.length,
 *     InlineChunkChecksum: chunkChecksum(data),
 *   });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   const map = new ChunkMap(store, { jobId: "job-1", objectToken: object.ObjectToken });
 *   const chunk = (await map.chunk(0))!;
 *   const signal = new AbortController().signal;
 *   const bytes = await fetchVerifiedChunk(store, chunk, {
 *     jobId: "job-1",
 *     path: "/greeting.txt",
 *     signal,
 *   });
 *   assert.equal(new TextDecoder().decode(bytes), "hello, world");
 *   // A chunk list that disagrees with the bytes: never returned.
 *   const wrong = { ...chunk, checksum: chunkChecksum(new Uint8Array(12)) };
 *   await assert.rejects(
 *     fetchVerifiedChunk(store, wrong, { jobId: "job-1", path: "/greeting.txt", signal }),
 *     Deno.errors.InvalidData,
 *   );
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function fetchVerifiedChunk(
  storage: BackupStorage,
  chunk: ChunkLocation,
  options: VerifiedChunkOptions,
): Promise<Uint8Array> {
  let cause: unknown;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (isVerifiedChunkReader(storage)) {
      try {
        const verified = await storage.readVerifiedChunk(options.jobId, chunk.token, {
          checksum: chunk.checksum,
          length: chunk.length,
          signal: options.signal,
          ...(options.into === undefined ? {} : { into: options.into }),
        });
        countMetric(SLOT.chunksVerified);
        return verified;
      } catch (error) {
        if (!(error instanceof Deno.errors.InvalidData)) throw error;
        countMetric(SLOT.chunksFailed);
        cause = error;
        continue;
      }
    }
    const bytes = await fetchChunkOnce(storage, chunk, options);
    countMetric(bytes === undefined ? SLOT.chunksFailed : SLOT.chunksVerified);
    if (bytes !== undefined) return bytes;
  }
  throw new Deno.errors.InvalidData(
    `${options.path}: chunk ${chunk.index} failed verification twice (its bytes do not match ` +
      `the length and checksum recorded for it); no byte of it was returned`,
    cause === undefined ? undefined : { cause },
  );
}

/** One GetChunk, read whole; the bytes when they match, `undefined` when they do not. */
async function fetchChunkOnce(
  storage: BackupStorage,
  chunk: ChunkLocation,
  options: VerifiedChunkOptions,
): Promise<Uint8Array | undefined> {
  const signal = options.signal;
  signal.throwIfAborted();
  const output = await storage.getChunk(
    { StorageJobId: options.jobId, ChunkToken: chunk.token },
    { signal },
  );
  const reader = output.Data.getReader();
  const onAbort = () => {
    reader.cancel(signal.reason).catch(() => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) onAbort();
    const pieces: Uint8Array[] = [];
    let filled = 0;
    let overflow = false;
    // Bounded by the stream's length; stops as soon as it runs past the expected length.
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.byteLength > chunk.length) {
        overflow = true;
        await reader.cancel().catch(() => {});
        break;
      }
      pieces.push(value);
      filled += value.byteLength;
    }
    signal.throwIfAborted();
    if (overflow || filled !== chunk.length) return undefined;
    const bytes = joinPieces(pieces, chunk.length);
    const digest = sha256(bytes);
    signal.throwIfAborted();
    return encodeBase64(digest) === chunk.checksum ? bytes : undefined;
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The pieces of a chunk as one array of `length` bytes. A chunk that arrived
 * whole (the embedded store reads it in one go) is kept as it came; pieces (HTTP)
 * are joined once.
 */
function joinPieces(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.byteLength;
  }
  return bytes;
}
