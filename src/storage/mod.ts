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
 * import { chunkChecksum, EmbeddedStore, listAllObjects } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 * const bytes = new TextEncoder().encode("hello");
 * await store.putObject({
 *   BackupJobId: "job-1",
 *   ObjectName: "greeting.txt",
 *   InlineChunk: bytes,
 *   InlineChunkLength: bytes.byteLength,
 *   InlineChunkChecksum: chunkChecksum(bytes),
 *   InlineChunkChecksumAlgorithm: "SHA256",
 * });
 * for await (const object of listAllObjects(store, { StorageJobId: "job-1" })) {
 *   console.log(object.Name); // greeting.txt
 * }
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
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
} from "./backup_storage.ts";
export * from "./errors.ts";
export * from "./checksum.ts";
export * from "./limits.ts";
export * from "./paginate.ts";
export * from "./client/mod.ts";
export * from "./store/mod.ts";
