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

/** Checksum algorithm of one chunk or metadata blob: base64 of the SHA-256 digest. */
export type DataChecksumAlgorithm = "SHA256";

/** Checksum algorithm of a whole object: SHA-256 over the chunk digests in index order. */
export type SummaryChecksumAlgorithm = "SUMMARY";

/**
 * A streaming request body. A `Uint8Array` can be sent again when a request is
 * retried; a `ReadableStream` can be read only once, so a request carrying one is
 * never retried after its body started to flow.
 */
export type StreamingBody = Uint8Array | ReadableStream<Uint8Array>;

/** What every output carries about the exchange that produced it. */
export interface ResponseMetadata {
  /** HTTP status of the final attempt (absent for the in-process store). */
  httpStatusCode?: number;
  /** Request id the service gave the final attempt (`x-amzn-RequestId`). */
  requestId?: string;
  /** How many attempts the call took, retries included. */
  attempts?: number;
}

/** Base of every operation's output. */
export interface OutputBase {
  /** Facts about the exchange rather than about the data. */
  $metadata: ResponseMetadata;
}

/** Per-call options accepted by every operation. */
export interface OperationOptions {
  /** Aborts the call (and any retry still to come). */
  signal?: AbortSignal;
}

// ---------------------------------------------------------------- DeleteObject

/** Input of `DeleteObject`. */
export interface DeleteObjectInput {
  /** Job whose namespace holds the object. */
  BackupJobId: string;
  /** Name of the object to delete. */
  ObjectName: string;
}

/** Output of `DeleteObject` (nothing but metadata). */
export type DeleteObjectOutput = OutputBase;

// -------------------------------------------------------------------- GetChunk

/** Input of `GetChunk`. */
export interface GetChunkInput {
  /** Job the chunk token belongs to. */
  StorageJobId: string;
  /** Token from `ListChunks`. */
  ChunkToken: string;
}

/** Output of `GetChunk`. */
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

/** Input of `GetObjectMetadata`. */
export interface GetObjectMetadataInput {
  /** Job the object token belongs to. */
  StorageJobId: string;
  /** Token from `ListObjects`. */
  ObjectToken: string;
}

/** Output of `GetObjectMetadata`. */
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

/** Input of `ListChunks`. */
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

/** One chunk of an object, in index order. */
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

/** Output of `ListChunks`. */
export interface ListChunksOutput extends OutputBase {
  /** Chunks of this page, by ascending index. */
  ChunkList: Chunk[];
  /** Present when more chunks follow. */
  NextToken?: string;
}

// ----------------------------------------------------------------- ListObjects

/** Input of `ListObjects`. */
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

/** One object, as `ListObjects` describes it. */
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

/** Output of `ListObjects`. */
export interface ListObjectsOutput extends OutputBase {
  /** Objects of this page, names in byte order. */
  ObjectList: BackupObject[];
  /** Present when more objects follow. */
  NextToken?: string;
}

// -------------------------------------------------------- NotifyObjectComplete

/** Input of `NotifyObjectComplete`. */
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

/** Output of `NotifyObjectComplete`. */
export interface NotifyObjectCompleteOutput extends OutputBase {
  /** `SUMMARY` checksum of the stored object. */
  ObjectChecksum: string;
  /** Always `SUMMARY`. */
  ObjectChecksumAlgorithm: SummaryChecksumAlgorithm;
}

// -------------------------------------------------------------------- PutChunk

/** Input of `PutChunk`. */
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

/** Output of `PutChunk`. */
export interface PutChunkOutput extends OutputBase {
  /** Base64 SHA-256 of the stored bytes. */
  ChunkChecksum: string;
  /** Always `SHA256`. */
  ChunkChecksumAlgorithm: DataChecksumAlgorithm;
}

// ------------------------------------------------------------------- PutObject

/** Input of `PutObject`. */
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

/** Output of `PutObject`. */
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

/** Input of `StartObject`. */
export interface StartObjectInput {
  /** Job whose namespace receives the object. */
  BackupJobId: string;
  /** Name of the object. */
  ObjectName: string;
  /** Fail with `DataAlreadyExistsException` when the name is taken. */
  ThrowOnDuplicate?: boolean;
}

/** Output of `StartObject`. */
export interface StartObjectOutput extends OutputBase {
  /** Id of the new pending upload. */
  UploadId: string;
}

/** Names of the nine operations. */
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
