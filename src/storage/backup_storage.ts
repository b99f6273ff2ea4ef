/**
 * The `BackupStorage` interface: the nine operations of the BackupStorage API.
 * It is the seam between BackupFS and whatever stores the bytes: the embedded
 * store in-process, or any service over HTTP through `BackupStorageClient`.
 *
 * @module
 */

import type {
  DeleteObjectInput,
  DeleteObjectOutput,
  GetChunkInput,
  GetChunkOutput,
  GetObjectMetadataInput,
  GetObjectMetadataOutput,
  ListChunksInput,
  ListChunksOutput,
  ListObjectsInput,
  ListObjectsOutput,
  NotifyObjectCompleteInput,
  NotifyObjectCompleteOutput,
  OperationName,
  OperationOptions,
  PutChunkInput,
  PutChunkOutput,
  PutObjectInput,
  PutObjectOutput,
  StartObjectInput,
  StartObjectOutput,
} from "./types.ts";

/**
 * The nine operations of BackupStorage. Implementations throw the error classes
 * of `errors.ts` (`IllegalArgumentException`, `ResourceNotFoundException`, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * async function names(storage: BackupStorage, job: string): Promise<string[]> {
 *   const page = await storage.listObjects({ StorageJobId: job });
 *   return page.ObjectList.map((o) => o.Name);
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "job-1", ObjectName: "b.txt" });
 *   await store.putObject({ BackupJobId: "job-1", ObjectName: "a.txt" });
 *   assert.deepEqual(await names(store, "job-1"), ["a.txt", "b.txt"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface BackupStorage {
  /** Removes the current version of an object; readers holding its token keep it through the grace period. */
  deleteObject(input: DeleteObjectInput, options?: OperationOptions): Promise<DeleteObjectOutput>;
  /** Streams one chunk's bytes. */
  getChunk(input: GetChunkInput, options?: OperationOptions): Promise<GetChunkOutput>;
  /** Reads the metadata string and blob stored with a version. */
  getObjectMetadata(
    input: GetObjectMetadataInput,
    options?: OperationOptions,
  ): Promise<GetObjectMetadataOutput>;
  /** Lists one page of a version's chunks, by index. */
  listChunks(input: ListChunksInput, options?: OperationOptions): Promise<ListChunksOutput>;
  /** Lists one page of a job's objects, names in byte order. */
  listObjects(input: ListObjectsInput, options?: OperationOptions): Promise<ListObjectsOutput>;
  /** Completes an upload: checks it, then makes it the object's current version atomically. */
  notifyObjectComplete(
    input: NotifyObjectCompleteInput,
    options?: OperationOptions,
  ): Promise<NotifyObjectCompleteOutput>;
  /** Stores one chunk of a pending upload. */
  putChunk(input: PutChunkInput, options?: OperationOptions): Promise<PutChunkOutput>;
  /** Stores a whole object of zero or one chunk in one call. */
  putObject(input: PutObjectInput, options?: OperationOptions): Promise<PutObjectOutput>;
  /** Opens a pending upload, invisible to readers until completed. */
  startObject(input: StartObjectInput, options?: OperationOptions): Promise<StartObjectOutput>;
}

/**
 * The {@link BackupStorage} method of each operation of the model: the one table
 * that dispatches an operation by name (the storage service's routes, test
 * wrappers that intercept every call).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OPERATION_METHODS } from "./backup_storage.ts";
 * assert.equal(OPERATION_METHODS.ListObjects, "listObjects");
 * assert.equal(Object.keys(OPERATION_METHODS).length, 9);
 * ```
 */
export const OPERATION_METHODS: Readonly<Record<OperationName, keyof BackupStorage>> = {
  DeleteObject: "deleteObject",
  GetChunk: "getChunk",
  GetObjectMetadata: "getObjectMetadata",
  ListChunks: "listChunks",
  ListObjects: "listObjects",
  NotifyObjectComplete: "notifyObjectComplete",
  PutChunk: "putChunk",
  PutObject: "putObject",
  StartObject: "startObject",
};

/**
 * What {@link LocalChunkStorage.putChunkHashed} takes: a `PutChunk` without a
 * checksum, with the chunk's bytes in memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { HashedPutChunkInput } from "./backup_storage.ts";
 * const input: HashedPutChunkInput = {
 *   BackupJobId: "job-1",
 *   UploadId: "upload",
 *   ChunkIndex: 0,
 *   Data: new Uint8Array(3),
 *   Length: 3,
 * };
 * assert.equal(input.Data.byteLength, input.Length);
 * assert.equal("Checksum" in input, false); // the store hashes the bytes itself
 * ```
 */
export type HashedPutChunkInput = Omit<PutChunkInput, "Checksum" | "ChecksumAlgorithm" | "Data"> & {
  Data: Uint8Array;
};

/**
 * What {@link LocalChunkStorage.putObjectHashed} takes: a `PutObject` without
 * checksums, with the inline chunk's bytes (if any) in memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { HashedPutObjectInput } from "./backup_storage.ts";
 * const input: HashedPutObjectInput = {
 *   BackupJobId: "job-1",
 *   ObjectName: "a.txt",
 *   InlineChunk: new Uint8Array(3),
 *   InlineChunkLength: 3,
 * };
 * assert.equal(input.InlineChunk?.byteLength, input.InlineChunkLength);
 * assert.equal("ObjectChecksum" in input, false); // the store computes it
 * ```
 */
export type HashedPutObjectInput =
  & Omit<
    PutObjectInput,
    | "InlineChunk"
    | "InlineChunkChecksum"
    | "InlineChunkChecksumAlgorithm"
    | "ObjectChecksum"
    | "ObjectChecksumAlgorithm"
  >
  & { InlineChunk?: Uint8Array };

/**
 * A storage in this process that can hash a chunk as it stores it. A checksum
 * sent with a chunk guards the bytes on their way to the store; in the same
 * process there is no way, so a writer that finds this capability lets the store
 * compute the digest (of exactly the bytes it stores) and hashes nothing itself:
 * each chunk is hashed once, not twice; so is an object of at most one chunk
 * (`putObjectHashed`). Storage reached over HTTP never has it. A chunk's bytes
 * are durable when `putChunkHashed` resolves; its record becomes durable with the
 * upload's completion (`NotifyObjectComplete`), which the writer awaits before
 * it acknowledges anything. `putObjectHashed` resolves once the whole new
 * version is durable, as `PutObject` does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLocalChunkStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   assert.equal(isLocalChunkStorage(store), true);
 *   assert.equal(typeof store.putChunkHashed, "function");
 *   const out = await store.putObjectHashed({
 *     BackupJobId: "job-1",
 *     ObjectName: "a.txt",
 *     InlineChunk: new TextEncoder().encode("abc"),
 *     InlineChunkLength: 3,
 *   });
 *   assert.equal(out.InlineChunkChecksum, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface LocalChunkStorage extends BackupStorage {
  /** `PutChunk` where the store computes the checksum (returned as `ChunkChecksum`). */
  putChunkHashed(input: HashedPutChunkInput, options?: OperationOptions): Promise<PutChunkOutput>;
  /**
   * `PutObject` where the store computes the checksums (returned as
   * `InlineChunkChecksum` and `ObjectChecksum`): an object of at most one chunk,
   * hashed once.
   */
  putObjectHashed(
    input: HashedPutObjectInput,
    options?: OperationOptions,
  ): Promise<PutObjectOutput>;
}

/**
 * Whether a storage has the in-process {@link LocalChunkStorage} capability.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLocalChunkStorage } from "./backup_storage.ts";
 * assert.equal(isLocalChunkStorage({} as never), false);
 * ```
 */
export function isLocalChunkStorage(storage: BackupStorage): storage is LocalChunkStorage {
  const local = storage as Partial<LocalChunkStorage>;
  return typeof local.putChunkHashed === "function" &&
    typeof local.putObjectHashed === "function";
}

/**
 * Options of {@link VerifiedChunkReader.readVerifiedChunk}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ReadVerifiedChunkOptions } from "./backup_storage.ts";
 * const options: ReadVerifiedChunkOptions = {
 *   into: new Uint8Array(4 * 1024 * 1024), // reused for chunk after chunk
 *   checksum: "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", // from ListChunks
 *   length: 3,
 * };
 * assert.equal(options.length, 3);
 * ```
 */
export interface ReadVerifiedChunkOptions {
  /**
   * A buffer to read the chunk into when it is at least the chunk's length: the
   * result is then a view of its start. Bytes of a chunk that fails its check may
   * have been written to it; none is ever returned.
   */
  into?: Uint8Array;
  /** The chunk's SHA-256 (base64) the caller expects (from `ListChunks`): another is an error. */
  checksum?: string;
  /** The chunk's length the caller expects: another is an error. */
  length?: number;
  /** Cancels the read; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A storage in this process that hands out a chunk's bytes already verified: the
 * embedded store reads a chunk file of its local disk into the caller's buffer
 * and checks it against the CRC-32 recorded when the bytes were written (computed
 * from the very bytes whose SHA-256 was checked then); a chunk without a recorded
 * CRC, a chunk in an S3 chunk store, or one kept inline in the database is checked
 * against its SHA-256. A chunk whose bytes fail the check is
 * `Deno.errors.InvalidData` naming it: no byte of it is returned. Storage reached
 * over HTTP never has this capability (its readers verify the SHA-256 themselves).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isVerifiedChunkReader } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import { chunkChecksum } from "./checksum.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const data = new TextEncoder().encode("hello");
 *   await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "a.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.length,
 *     InlineChunkChecksum: chunkChecksum(data),
 *   });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   const [chunk] = (await store.listChunks({
 *     StorageJobId: "job-1",
 *     ObjectToken: object.ObjectToken,
 *   })).ChunkList;
 *   assert.equal(isVerifiedChunkReader(store), true);
 *   const bytes = await store.readVerifiedChunk("job-1", chunk.ChunkToken, {
 *     into: new Uint8Array(16),
 *   });
 *   assert.equal(new TextDecoder().decode(bytes), "hello");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface VerifiedChunkReader {
  /** The verified bytes of the chunk of `chunkToken` in job `jobId`. */
  readVerifiedChunk(
    jobId: string,
    chunkToken: string,
    options?: ReadVerifiedChunkOptions,
  ): Promise<Uint8Array>;
}

/**
 * Whether a storage has the in-process {@link VerifiedChunkReader} capability.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isVerifiedChunkReader } from "./backup_storage.ts";
 * assert.equal(isVerifiedChunkReader({} as never), false);
 * ```
 */
export function isVerifiedChunkReader(
  storage: BackupStorage,
): storage is BackupStorage & VerifiedChunkReader {
  return typeof (storage as Partial<VerifiedChunkReader>).readVerifiedChunk === "function";
}

/**
 * An in-process listing: what `ListObjects` returns for a page (time filters
 * aside), each object's `ObjectToken` signed only when read, pages up to 10,000
 * and an in-process `NextToken`. `EmbeddedStore` offers it; BackupFS lists
 * through it when its storage has it (see {@link isLocalObjectLister}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LocalObjectLister } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "j", ObjectName: "a/x", MetadataString: "m" });
 *   const lister: LocalObjectLister = store;
 *   const page = await lister.listObjectsLocally({ StorageJobId: "j", StartingObjectPrefix: "a/" });
 *   assert.deepEqual(page.ObjectList.map((object) => object.Name), ["a/x"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface LocalObjectLister {
  /** One page of a job's current objects, as `ListObjects` would list them. */
  listObjectsLocally(
    input: Omit<ListObjectsInput, "CreatedBefore" | "CreatedAfter">,
  ): Promise<ListObjectsOutput>;
}

/**
 * Whether a storage has the in-process {@link LocalObjectLister} capability (a
 * wrapper or a remote client has not: they are listed with `ListObjects`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLocalObjectLister } from "./backup_storage.ts";
 * assert.equal(isLocalObjectLister({} as never), false);
 * ```
 */
export function isLocalObjectLister(
  storage: BackupStorage,
): storage is BackupStorage & LocalObjectLister {
  return typeof (storage as Partial<LocalObjectLister>).listObjectsLocally === "function";
}
