/**
 * The storage layer without an implementation: the {@link BackupStorage}
 * interface, its input and output types, error classes, checksum helpers, limits
 * and paginators. Importing it loads neither the HTTP client nor the embedded
 * store (so never SQLite): code written against `BackupStorage`, such as the file
 * system of `src/fs/`, needs nothing more. `mod.ts` is this plus
 * `BackupStorageClient` and `EmbeddedStore`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BackupStorage, chunkChecksum, listAllObjects } from "./interface.ts";
 * // A storage written against the interface alone: one object, one page.
 * const storage = {
 *   listObjects: () => Promise.resolve({ ObjectList: [{ Name: "a.txt" }], $metadata: {} }),
 * } as unknown as BackupStorage;
 * const names: string[] = [];
 * for await (const object of listAllObjects(storage, { StorageJobId: "job-1" })) {
 *   names.push(object.Name);
 * }
 * assert.deepEqual(names, ["a.txt"]);
 * assert.equal(chunkChecksum(new Uint8Array()).length, 44);
 * ```
 *
 * @module
 */

export type * from "./types.ts";
export {
  type BackupStorage,
  type HashedPutChunkInput,
  type HashedPutObjectInput,
  isLocalChunkStorage,
  isLocalObjectLister,
  isVerifiedChunkReader,
  type LocalChunkStorage,
  type LocalObjectLister,
  type ReadVerifiedChunkOptions,
  type VerifiedChunkReader,
} from "./backup_storage.ts";
export * from "./errors.ts";
export { ListedObject, type VersionTokens } from "./listed_object.ts";
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
