/**
 * The storage layer of BackupFS: the {@link BackupStorage} interface (the nine
 * operations of the BackupStorage API, 2018-04-10), its input and output types and
 * error classes, checksum helpers and limits, paginators, the HTTP client
 * {@link BackupStorageClient} and the durable in-process {@link EmbeddedStore}.
 *
 * Code written against `BackupStorage` runs unchanged over the embedded store and
 * over any BackupStorage-compatible service reached through the client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkChecksum, EmbeddedStore, listAllObjects, sha256, summaryChecksum } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 * try {
 *   const bytes = new TextEncoder().encode("hello");
 *   const { ObjectChecksum } = await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "greeting.txt",
 *     InlineChunk: bytes,
 *     InlineChunkLength: bytes.byteLength,
 *     InlineChunkChecksum: chunkChecksum(bytes),
 *     InlineChunkChecksumAlgorithm: "SHA256",
 *   });
 *   assert.equal(ObjectChecksum, summaryChecksum([sha256(bytes)]));
 *   const names: string[] = [];
 *   for await (const object of listAllObjects(store, { StorageJobId: "job-1" })) {
 *     names.push(object.Name);
 *   }
 *   assert.deepEqual(names, ["greeting.txt"]);
 * } finally {
 *   await store.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export type * from "./types.ts";
export {
  type BackupStorage,
  type HashedPutChunkInput,
  isLocalChunkStorage,
  type LocalChunkStorage,
  OPERATION_METHODS,
} from "./backup_storage.ts";
export * from "./errors.ts";
export {
  checksumToDigest,
  chunkChecksum,
  ChunkHasher,
  sha256,
  SHA256_LENGTH,
  summaryChecksum,
  SummaryHasher,
} from "./checksum.ts";
export {
  DEFAULT_MAX_CHUNK_LENGTH,
  MAX_CHUNK_COUNT,
  MAX_JOB_ID_LENGTH,
  MAX_METADATA_BLOB_BYTES,
  MAX_METADATA_STRING_BYTES,
  MAX_OBJECT_NAME_BYTES,
  METADATA_STRING_CONTROLS,
  PAGE_SIZE,
  validateJobId,
  validateMetadataString,
  validateObjectName,
} from "./limits.ts";
export * from "./paginate.ts";
export * from "./client/mod.ts";
export * from "./store/mod.ts";
