/**
 * The durable BackupStorage store: `EmbeddedStore` over two seams, metadata
 * (`MetadataStore`: SQLite by default, PostgreSQL from the `./storage/postgres`
 * entry) and chunk bytes (`ChunkStore`: content-addressed files by default, or
 * an S3-compatible bucket); `openStore` opens one where a location says. The
 * embedded default of BackupFS, also served over HTTP by the storage service.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 * try {
 *   const { UploadId } = await store.startObject({ BackupJobId: "job-1", ObjectName: "a.txt" });
 *   assert.ok(UploadId.length > 20);
 *   // A pending upload stays invisible to readers until it is completed.
 *   const page = await store.listObjects({ StorageJobId: "job-1" });
 *   assert.deepEqual(page.ObjectList, []);
 * } finally {
 *   await store.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export {
  EmbeddedStore,
  type EmbeddedStoreOptions,
  type GarbageReport,
  type JobUsage,
  type StoredChunks,
} from "./embedded_store.ts";
export type { ChunkStore, StagedChunk } from "./chunks/chunk_store.ts";
export { LocalChunkStore, type LocalChunkStoreOptions } from "./chunks/local_chunk_store.ts";
export { S3ChunkStore, type S3ChunkStoreOptions } from "./chunks/s3_chunk_store.ts";
export {
  type ChunkRow,
  type CompletionFacts,
  type DeletionRow,
  type ListedVersion,
  type MetadataReader,
  type MetadataStore,
  type MetadataTransaction,
  type NameRange,
  type PutObjectChunk,
  type PutObjectVersionInput,
  type PutObjectVersionOutcome,
  type StoredDocument,
  type TextListedVersion,
  TransactionConflict,
  type TransactionOptions,
  type UploadRow,
  type VersionRow,
  VersionState,
} from "./metadata/metadata_store.ts";
export {
  checkMetadataUrl,
  type OpenedStore,
  openStore,
  type OpenStoreOptions,
  parseChunksUrl,
  type S3Location,
  type StoreLocation,
} from "./store_backends.ts";
