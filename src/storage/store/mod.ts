/**
 * The embedded, durable BackupStorage store: metadata in SQLite, chunk bytes in
 * content-addressed files. The embedded default of BackupFS, also served over
 * HTTP by the storage service.
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
