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
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function names(storage: BackupStorage, job: string): Promise<string[]> {
 *   const page = await storage.listObjects({ StorageJobId: job });
 *   return page.ObjectList.map((o) => o.Name);
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
