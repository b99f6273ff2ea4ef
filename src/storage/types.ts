/**
 * Input and output shapes of the BackupStorage API (2018-04-10), one interface per
 * shape of the service model, with the model's member names.
 *
 * Conventions: `long` and `integer` members are JavaScript numbers (exact up to
 * 2^53 - 1), `timestamp` members are `Date`s, streaming blobs go in as a
 * `Uint8Array` or a `ReadableStream<Uint8Array>` and come out as a
 * `ReadableStream<Uint8Array>` that the caller must consume or cancel.
 *
 * @module
 */

/**
 * Checksum algorithm of one chunk or metadata blob: base64 of the SHA-256 digest.
 *
 * @example
 * ```ts
 * import type { DataChecksumAlgorithm } from "./types.ts";
 * const algorithm: DataChecksumAlgorithm = "SHA256";
 * ```
 */
export type DataChecksumAlgorithm = "SHA256";

/**
 * Checksum algorithm of a whole object: SHA-256 over the chunk digests in index order.
 *
 * @example
 * ```ts
 * import type { SummaryChecksumAlgorithm } from "./types.ts";
 * const algorithm: SummaryChecksumAlgorithm = "SUMMARY";
 * ```
 */
export type SummaryChecksumAlgorithm = "SUMMARY";

/**
 * A streaming request body. A `Uint8Array` can be sent again when a request is
 * retried; a `ReadableStream` can be read only once, so a request carrying one is
 * never retried after its body started to flow.
 *
 * @example
 * ```ts
 * import type { StreamingBody } from "./types.ts";
 * const bytes: StreamingBody = new TextEncoder().encode("retryable");
 * const stream: StreamingBody = ReadableStream.from([new Uint8Array([1, 2, 3])]);
 * ```
 */
export type StreamingBody = Uint8Array | ReadableStream<Uint8Array>;

/**
 * What every output carries about the exchange that produced it.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { ResponseMetadata } from "./types.ts";
 * async function probe(storage: BackupStorage): Promise<ResponseMetadata> {
 *   const page = await storage.listObjects({ StorageJobId: "job-1", MaxResults: 1 });
 *   return page.$metadata; // e.g. { httpStatusCode: 200, requestId: "…", attempts: 1 }
 * }
 * ```
 */
export interface ResponseMetadata {
  /** HTTP status of the final attempt (absent for the in-process store). */
  httpStatusCode?: number;
  /** Request id the service gave the final attempt (`x-amzn-RequestId`). */
  requestId?: string;
  /** How many attempts the call took, retries included. */
  attempts?: number;
}

/**
 * Base of every operation's output.
 *
 * @example
 * ```ts
 * import type { OutputBase } from "./types.ts";
 * function describe(output: OutputBase): string {
 *   return `request ${output.$metadata.requestId ?? "(in-process)"}`;
 * }
 * ```
 */
export interface OutputBase {
  /** Facts about the exchange rather than about the data. */
  $metadata: ResponseMetadata;
}

/**
 * Per-call options accepted by every operation.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { OperationOptions } from "./types.ts";
 * async function listWithTimeout(storage: BackupStorage, job: string) {
 *   const options: OperationOptions = { signal: AbortSignal.timeout(5_000) };
 *   return await storage.listObjects({ StorageJobId: job }, options);
 * }
 * ```
 */
export interface OperationOptions {
  /** Aborts the call (and any retry still to come). */
  signal?: AbortSignal;
}

// ---------------------------------------------------------------- DeleteObject

/**
 * Input of `DeleteObject`.
 *
 * @example
 * ```ts
 * import type { DeleteObjectInput } from "./types.ts";
 * const input: DeleteObjectInput = { BackupJobId: "job-1", ObjectName: "photos/cat.jpg" };
 * ```
 */
export interface DeleteObjectInput {
  /** Job whose namespace holds the object. */
  BackupJobId: string;
  /** Name of the object to delete. */
  ObjectName: string;
}

/**
 * Output of `DeleteObject` (nothing but metadata).
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { DeleteObjectOutput } from "./types.ts";
 * async function remove(storage: BackupStorage, name: string): Promise<DeleteObjectOutput> {
 *   return await storage.deleteObject({ BackupJobId: "job-1", ObjectName: name });
 * }
 * ```
 */
export type DeleteObjectOutput = OutputBase;

// -------------------------------------------------------------------- GetChunk

/**
 * Input of `GetChunk`.
 *
 * @example
 * ```ts
 * import type { Chunk, GetChunkInput } from "./types.ts";
 * function chunkRequest(job: string, chunk: Chunk): GetChunkInput {
 *   return { StorageJobId: job, ChunkToken: chunk.ChunkToken };
 * }
 * ```
 */
export interface GetChunkInput {
  /** Job the chunk token belongs to. */
  StorageJobId: string;
  /** Token from `ListChunks`. */
  ChunkToken: string;
}

/**
 * Output of `GetChunk`.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { GetChunkOutput } from "./types.ts";
 * async function readChunk(storage: BackupStorage, job: string, token: string) {
 *   const out: GetChunkOutput = await storage.getChunk({ StorageJobId: job, ChunkToken: token });
 *   const bytes = new Uint8Array(await new Response(out.Data).arrayBuffer());
 *   return { bytes, checksum: out.Checksum };
 * }
 * ```
 */
export interface GetChunkOutput extends OutputBase {
  /** The chunk's bytes. Consume or cancel it. */
  Data: ReadableStream<Uint8Array>;
  /** Length of `Data` in bytes. */
  Length: number;
  /** Base64 SHA-256 of `Data`. */
  Checksum: string;
  /** Always `SHA256`. */
  ChecksumAlgorithm: DataChecksumAlgorithm;
}

// ----------------------------------------------------------- GetObjectMetadata

/**
 * Input of `GetObjectMetadata`.
 *
 * @example
 * ```ts
 * import type { BackupObject, GetObjectMetadataInput } from "./types.ts";
 * function metadataRequest(job: string, object: BackupObject): GetObjectMetadataInput {
 *   return { StorageJobId: job, ObjectToken: object.ObjectToken };
 * }
 * ```
 */
export interface GetObjectMetadataInput {
  /** Job the object token belongs to. */
  StorageJobId: string;
  /** Token from `ListObjects`. */
  ObjectToken: string;
}

/**
 * Output of `GetObjectMetadata`.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { GetObjectMetadataOutput } from "./types.ts";
 * async function metadataString(storage: BackupStorage, job: string, token: string) {
 *   const out: GetObjectMetadataOutput = await storage.getObjectMetadata({
 *     StorageJobId: job,
 *     ObjectToken: token,
 *   });
 *   await out.MetadataBlob.cancel(); // not needed here: always consume or cancel it
 *   return out.MetadataString;
 * }
 * ```
 */
export interface GetObjectMetadataOutput extends OutputBase {
  /** The string stored at completion, if any. */
  MetadataString?: string;
  /** The blob stored at completion; empty when there is none. Consume or cancel it. */
  MetadataBlob: ReadableStream<Uint8Array>;
  /** Length of the blob in bytes (0 when there is none). */
  MetadataBlobLength?: number;
  /** Base64 SHA-256 of the blob, when there is one. */
  MetadataBlobChecksum?: string;
  /** `SHA256` when there is a blob. */
  MetadataBlobChecksumAlgorithm?: DataChecksumAlgorithm;
}

// ------------------------------------------------------------------ ListChunks

/**
 * Input of `ListChunks`.
 *
 * @example
 * ```ts
 * import type { ListChunksInput } from "./types.ts";
 * const input: ListChunksInput = { StorageJobId: "job-1", ObjectToken: "token", MaxResults: 50 };
 * ```
 */
export interface ListChunksInput {
  /** Job the object token belongs to. */
  StorageJobId: string;
  /** Token from `ListObjects`. */
  ObjectToken: string;
  /** Page size, 1–100 (default 100). */
  MaxResults?: number;
  /** Token from the previous page. */
  NextToken?: string;
}

/**
 * One chunk of an object, in index order.
 *
 * @example
 * ```ts
 * import type { Chunk } from "./types.ts";
 * function totalLength(chunks: Chunk[]): number {
 *   return chunks.reduce((sum, chunk) => sum + chunk.Length, 0);
 * }
 * ```
 */
export interface Chunk {
  /** Position of the chunk in the object, from 0. */
  Index: number;
  /** Length in bytes. */
  Length: number;
  /** Base64 SHA-256 of the chunk's bytes. */
  Checksum: string;
  /** Always `SHA256`. */
  ChecksumAlgorithm: DataChecksumAlgorithm;
  /** Opaque token for `GetChunk`, scoped to its job. */
  ChunkToken: string;
}

/**
 * Output of `ListChunks`.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { ListChunksOutput } from "./types.ts";
 * async function firstPage(storage: BackupStorage, job: string, token: string) {
 *   const page: ListChunksOutput = await storage.listChunks({
 *     StorageJobId: job,
 *     ObjectToken: token,
 *   });
 *   return { indexes: page.ChunkList.map((c) => c.Index), more: page.NextToken !== undefined };
 * }
 * ```
 */
export interface ListChunksOutput extends OutputBase {
  /** Chunks of this page, by ascending index. */
  ChunkList: Chunk[];
  /** Present when more chunks follow. */
  NextToken?: string;
}

// ----------------------------------------------------------------- ListObjects

/**
 * Input of `ListObjects`.
 *
 * @example
 * ```ts
 * import type { ListObjectsInput } from "./types.ts";
 * const input: ListObjectsInput = {
 *   StorageJobId: "job-1",
 *   StartingObjectPrefix: "photos/",
 *   CreatedAfter: new Date("2024-01-01T00:00:00Z"),
 *   MaxResults: 100,
 * };
 * ```
 */
export interface ListObjectsInput {
  /** Job to list. */
  StorageJobId: string;
  /** Start at this name, inclusive. Ignored when `NextToken` is given. */
  StartingObjectName?: string;
  /** Keep only names with this prefix. Ignored when `NextToken` is given. */
  StartingObjectPrefix?: string;
  /** Page size, 1–100 (default 100). */
  MaxResults?: number;
  /** Token from the previous page. */
  NextToken?: string;
  /** Keep only objects completed before this instant. */
  CreatedBefore?: Date;
  /** Keep only objects completed after this instant. */
  CreatedAfter?: Date;
}

/**
 * One object, as `ListObjects` describes it.
 *
 * @example
 * ```ts
 * import type { BackupObject } from "./types.ts";
 * function label(object: BackupObject): string {
 *   return `${object.Name} (${object.ChunksCount ?? 0} chunks, ${object.ObjectChecksum})`;
 * }
 * ```
 */
export interface BackupObject {
  /** The object's name. */
  Name: string;
  /** Number of chunks. */
  ChunksCount?: number;
  /** The string stored at completion, if any. */
  MetadataString?: string;
  /** `SUMMARY` checksum of the object. */
  ObjectChecksum: string;
  /** Always `SUMMARY`. */
  ObjectChecksumAlgorithm: SummaryChecksumAlgorithm;
  /** Token naming this immutable version. */
  ObjectToken: string;
}

/**
 * Output of `ListObjects`.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { ListObjectsOutput } from "./types.ts";
 * async function page(storage: BackupStorage, job: string, next?: string) {
 *   const out: ListObjectsOutput = await storage.listObjects({ StorageJobId: job, NextToken: next });
 *   return { names: out.ObjectList.map((o) => o.Name), next: out.NextToken };
 * }
 * ```
 */
export interface ListObjectsOutput extends OutputBase {
  /** Objects of this page, names in byte order. */
  ObjectList: BackupObject[];
  /** Present when more objects follow. */
  NextToken?: string;
}

// -------------------------------------------------------- NotifyObjectComplete

/**
 * Input of `NotifyObjectComplete`.
 *
 * @example
 * ```ts
 * import { sha256, summaryChecksum } from "./checksum.ts";
 * import type { NotifyObjectCompleteInput } from "./types.ts";
 * const chunks = [new Uint8Array([1]), new Uint8Array([2])];
 * const input: NotifyObjectCompleteInput = {
 *   BackupJobId: "job-1",
 *   UploadId: "upload id from StartObject",
 *   ObjectChecksum: summaryChecksum(chunks.map(sha256)),
 *   ObjectChecksumAlgorithm: "SUMMARY",
 *   MetadataString: "v1;size=2",
 * };
 * ```
 */
export interface NotifyObjectCompleteInput {
  /** Job of the upload. */
  BackupJobId: string;
  /** Upload id from `StartObject`. */
  UploadId: string;
  /** `SUMMARY` checksum of the chunks put. */
  ObjectChecksum: string;
  /** Must be `SUMMARY`. */
  ObjectChecksumAlgorithm: SummaryChecksumAlgorithm;
  /** Up to 256 bytes of UTF-8 stored with the object. */
  MetadataString?: string;
  /** Up to 4 MiB stored with the object. */
  MetadataBlob?: StreamingBody;
  /** Length of `MetadataBlob`. */
  MetadataBlobLength?: number;
  /** Base64 SHA-256 of `MetadataBlob`. */
  MetadataBlobChecksum?: string;
  /** Must be `SHA256` when a blob is given. */
  MetadataBlobChecksumAlgorithm?: DataChecksumAlgorithm;
}

/**
 * Output of `NotifyObjectComplete`.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { NotifyObjectCompleteOutput } from "./types.ts";
 * async function complete(storage: BackupStorage, uploadId: string, checksum: string) {
 *   const out: NotifyObjectCompleteOutput = await storage.notifyObjectComplete({
 *     BackupJobId: "job-1",
 *     UploadId: uploadId,
 *     ObjectChecksum: checksum,
 *     ObjectChecksumAlgorithm: "SUMMARY",
 *   });
 *   return out.ObjectChecksum === checksum;
 * }
 * ```
 */
export interface NotifyObjectCompleteOutput extends OutputBase {
  /** `SUMMARY` checksum of the stored object. */
  ObjectChecksum: string;
  /** Always `SUMMARY`. */
  ObjectChecksumAlgorithm: SummaryChecksumAlgorithm;
}

// -------------------------------------------------------------------- PutChunk

/**
 * Input of `PutChunk`.
 *
 * @example
 * ```ts
 * import { chunkChecksum } from "./checksum.ts";
 * import type { PutChunkInput } from "./types.ts";
 * const data = new TextEncoder().encode("first chunk");
 * const input: PutChunkInput = {
 *   BackupJobId: "job-1",
 *   UploadId: "upload id from StartObject",
 *   ChunkIndex: 0,
 *   Data: data,
 *   Length: data.byteLength,
 *   Checksum: chunkChecksum(data),
 *   ChecksumAlgorithm: "SHA256",
 * };
 * ```
 */
export interface PutChunkInput {
  /** Job of the upload. */
  BackupJobId: string;
  /** Upload id from `StartObject`. */
  UploadId: string;
  /** Position of the chunk, from 0. Putting an index again replaces it. */
  ChunkIndex: number;
  /** The chunk's bytes. */
  Data: StreamingBody;
  /** Exact length of `Data`. */
  Length: number;
  /** Base64 SHA-256 of `Data`. */
  Checksum: string;
  /** Must be `SHA256`. */
  ChecksumAlgorithm: DataChecksumAlgorithm;
}

/**
 * Output of `PutChunk`.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { PutChunkInput, PutChunkOutput } from "./types.ts";
 * async function put(storage: BackupStorage, input: PutChunkInput): Promise<boolean> {
 *   const out: PutChunkOutput = await storage.putChunk(input);
 *   return out.ChunkChecksum === input.Checksum;
 * }
 * ```
 */
export interface PutChunkOutput extends OutputBase {
  /** Base64 SHA-256 of the stored bytes. */
  ChunkChecksum: string;
  /** Always `SHA256`. */
  ChunkChecksumAlgorithm: DataChecksumAlgorithm;
}

// ------------------------------------------------------------------- PutObject

/**
 * Input of `PutObject`.
 *
 * @example
 * ```ts
 * import { chunkChecksum } from "./checksum.ts";
 * import type { PutObjectInput } from "./types.ts";
 * const data = new TextEncoder().encode("small file");
 * const input: PutObjectInput = {
 *   BackupJobId: "job-1",
 *   ObjectName: "notes/small.txt",
 *   InlineChunk: data,
 *   InlineChunkLength: data.byteLength,
 *   InlineChunkChecksum: chunkChecksum(data),
 *   InlineChunkChecksumAlgorithm: "SHA256",
 * };
 * ```
 */
export interface PutObjectInput {
  /** Job whose namespace receives the object. */
  BackupJobId: string;
  /** Name of the object. */
  ObjectName: string;
  /** Up to 256 bytes of UTF-8 stored with the object. */
  MetadataString?: string;
  /** The object's only chunk; absent or empty for an object without chunks. */
  InlineChunk?: StreamingBody;
  /** Exact length of `InlineChunk`. */
  InlineChunkLength?: number;
  /** Base64 SHA-256 of `InlineChunk`. */
  InlineChunkChecksum?: string;
  /** Must be `SHA256` when given. */
  InlineChunkChecksumAlgorithm?: string;
  /** Expected `SUMMARY` checksum, checked when given. */
  ObjectChecksum?: string;
  /** Must be `SUMMARY` when given. */
  ObjectChecksumAlgorithm?: SummaryChecksumAlgorithm;
  /** Fail with `DataAlreadyExistsException` when the name is taken. */
  ThrowOnDuplicate?: boolean;
}

/**
 * Output of `PutObject`.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { PutObjectOutput } from "./types.ts";
 * async function createEmpty(storage: BackupStorage, name: string): Promise<string> {
 *   const out: PutObjectOutput = await storage.putObject({ BackupJobId: "job-1", ObjectName: name });
 *   return out.ObjectChecksum; // SHA-256 of empty input, for an object without chunks
 * }
 * ```
 */
export interface PutObjectOutput extends OutputBase {
  /** Base64 SHA-256 of the inline chunk (of empty input when there was none). */
  InlineChunkChecksum: string;
  /** Always `SHA256`. */
  InlineChunkChecksumAlgorithm: DataChecksumAlgorithm;
  /** `SUMMARY` checksum of the stored object. */
  ObjectChecksum: string;
  /** Always `SUMMARY`. */
  ObjectChecksumAlgorithm: SummaryChecksumAlgorithm;
}

// ----------------------------------------------------------------- StartObject

/**
 * Input of `StartObject`.
 *
 * @example
 * ```ts
 * import type { StartObjectInput } from "./types.ts";
 * const input: StartObjectInput = {
 *   BackupJobId: "job-1",
 *   ObjectName: "videos/big.mp4",
 *   ThrowOnDuplicate: true,
 * };
 * ```
 */
export interface StartObjectInput {
  /** Job whose namespace receives the object. */
  BackupJobId: string;
  /** Name of the object. */
  ObjectName: string;
  /** Fail with `DataAlreadyExistsException` when the name is taken. */
  ThrowOnDuplicate?: boolean;
}

/**
 * Output of `StartObject`.
 *
 * @example
 * ```ts
 * import type { BackupStorage } from "./backup_storage.ts";
 * import type { StartObjectOutput } from "./types.ts";
 * async function start(storage: BackupStorage, name: string): Promise<string> {
 *   const out: StartObjectOutput = await storage.startObject({
 *     BackupJobId: "job-1",
 *     ObjectName: name,
 *   });
 *   return out.UploadId;
 * }
 * ```
 */
export interface StartObjectOutput extends OutputBase {
  /** Id of the new pending upload. */
  UploadId: string;
}

/**
 * Names of the nine operations.
 *
 * @example
 * ```ts
 * import type { OperationName } from "./types.ts";
 * const reads: OperationName[] = ["GetChunk", "GetObjectMetadata", "ListChunks", "ListObjects"];
 * ```
 */
export type OperationName =
  | "DeleteObject"
  | "GetChunk"
  | "GetObjectMetadata"
  | "ListChunks"
  | "ListObjects"
  | "NotifyObjectComplete"
  | "PutChunk"
  | "PutObject"
  | "StartObject";
