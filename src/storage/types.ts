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
 * import assert from "node:assert/strict";
 * import { chunkChecksum } from "./checksum.ts";
 * import type { DataChecksumAlgorithm } from "./types.ts";
 * const algorithm: DataChecksumAlgorithm = "SHA256";
 * // A SHA256 checksum is the base64 of a 32-byte digest: 44 characters.
 * assert.equal(algorithm, "SHA256");
 * assert.equal(chunkChecksum(new Uint8Array([1, 2, 3])).length, 44);
 * ```
 */
export type DataChecksumAlgorithm = "SHA256";

/**
 * Checksum algorithm of a whole object: SHA-256 over the chunk digests in index order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summaryChecksum } from "./checksum.ts";
 * import type { SummaryChecksumAlgorithm } from "./types.ts";
 * const algorithm: SummaryChecksumAlgorithm = "SUMMARY";
 * assert.equal(algorithm, "SUMMARY");
 * // The SUMMARY of an object without chunks is the SHA-256 of empty input.
 * assert.equal(summaryChecksum([]), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
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
 * import assert from "node:assert/strict";
 * import type { StreamingBody } from "./types.ts";
 * const bytes: StreamingBody = new TextEncoder().encode("retryable");
 * const stream: StreamingBody = ReadableStream.from([new Uint8Array([1, 2, 3])]);
 * assert.ok(bytes instanceof Uint8Array); // can be sent again on a retry
 * assert.deepEqual(await new Response(stream).bytes(), new Uint8Array([1, 2, 3])); // read once
 * ```
 */
export type StreamingBody = Uint8Array | ReadableStream<Uint8Array>;

/**
 * What every output carries about the exchange that produced it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { ResponseMetadata } from "./types.ts";
 * async function probe(storage: BackupStorage): Promise<ResponseMetadata> {
 *   const page = await storage.listObjects({ StorageJobId: "job-1", MaxResults: 1 });
 *   return page.$metadata; // over HTTP e.g. { httpStatusCode: 200, requestId: "…", attempts: 1 }
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   // In-process there is no HTTP exchange to describe.
 *   assert.deepEqual(await probe(store), {});
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import type { OutputBase } from "./types.ts";
 * function describe(output: OutputBase): string {
 *   return `request ${output.$metadata.requestId ?? "(in-process)"}`;
 * }
 * assert.equal(describe({ $metadata: { requestId: "r-1" } }), "request r-1");
 * assert.equal(describe({ $metadata: {} }), "request (in-process)");
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { OperationOptions } from "./types.ts";
 * async function listWithTimeout(storage: BackupStorage, job: string) {
 *   const options: OperationOptions = { signal: AbortSignal.timeout(5_000) };
 *   return await storage.listObjects({ StorageJobId: job }, options);
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   assert.deepEqual((await listWithTimeout(store, "job-1")).ObjectList, []);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import type { DeleteObjectInput } from "./types.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * const input: DeleteObjectInput = { BackupJobId: "job-1", ObjectName: "photos/cat.jpg" };
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "job-1", ObjectName: "photos/cat.jpg" });
 *   await store.deleteObject(input);
 *   assert.deepEqual((await store.listObjects({ StorageJobId: "job-1" })).ObjectList, []);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { DeleteObjectOutput } from "./types.ts";
 * async function remove(storage: BackupStorage, name: string): Promise<DeleteObjectOutput> {
 *   return await storage.deleteObject({ BackupJobId: "job-1", ObjectName: name });
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "job-1", ObjectName: "a" });
 *   assert.deepEqual(Object.keys(await remove(store, "a")), ["$metadata"]); // nothing else
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import type { Chunk, GetChunkInput } from "./types.ts";
 * function chunkRequest(job: string, chunk: Chunk): GetChunkInput {
 *   return { StorageJobId: job, ChunkToken: chunk.ChunkToken };
 * }
 * const chunk: Chunk = {
 *   Index: 0,
 *   Length: 3,
 *   Checksum: "A5BYxvLAy0ksUzsKTRTvd8wPeKvMztUofYShogEc+4E=",
 *   ChecksumAlgorithm: "SHA256",
 *   ChunkToken: "token",
 * };
 * assert.deepEqual(chunkRequest("job-1", chunk), { StorageJobId: "job-1", ChunkToken: "token" });
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { chunkChecksum } from "./checksum.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { GetChunkOutput } from "./types.ts";
 * async function readChunk(storage: BackupStorage, job: string, token: string) {
 *   const out: GetChunkOutput = await storage.getChunk({ StorageJobId: job, ChunkToken: token });
 *   const bytes = new Uint8Array(await new Response(out.Data).arrayBuffer());
 *   return { bytes, checksum: out.Checksum };
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const data = new TextEncoder().encode("hello");
 *   await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "a.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.byteLength,
 *     InlineChunkChecksum: chunkChecksum(data),
 *     InlineChunkChecksumAlgorithm: "SHA256",
 *   });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   const page = await store.listChunks({ StorageJobId: "job-1", ObjectToken: object.ObjectToken });
 *   const chunk = await readChunk(store, "job-1", page.ChunkList[0].ChunkToken);
 *   assert.deepEqual(chunk, { bytes: data, checksum: chunkChecksum(data) });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import type { BackupObject, GetObjectMetadataInput } from "./types.ts";
 * function metadataRequest(job: string, object: BackupObject): GetObjectMetadataInput {
 *   return { StorageJobId: job, ObjectToken: object.ObjectToken };
 * }
 * const object: BackupObject = {
 *   Name: "a.txt",
 *   ObjectChecksum: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
 *   ObjectChecksumAlgorithm: "SUMMARY",
 *   ObjectToken: "token",
 * };
 * assert.deepEqual(metadataRequest("job-1", object), { StorageJobId: "job-1", ObjectToken: "token" });
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { GetObjectMetadataOutput } from "./types.ts";
 * async function metadataString(storage: BackupStorage, job: string, token: string) {
 *   const out: GetObjectMetadataOutput = await storage.getObjectMetadata({
 *     StorageJobId: job,
 *     ObjectToken: token,
 *   });
 *   await out.MetadataBlob.cancel(); // not needed here: always consume or cancel it
 *   return out.MetadataString;
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "job-1", ObjectName: "a", MetadataString: "v1;size=0" });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   assert.equal(await metadataString(store, "job-1", object.ObjectToken), "v1;size=0");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { pageSize } from "./limits.ts";
 * import type { ListChunksInput } from "./types.ts";
 * const input: ListChunksInput = { StorageJobId: "job-1", ObjectToken: "token", MaxResults: 50 };
 * assert.equal(pageSize(input.MaxResults), 50); // within 1 … 100
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
 * import assert from "node:assert/strict";
 * import { chunkChecksum } from "./checksum.ts";
 * import type { Chunk } from "./types.ts";
 * function totalLength(chunks: Chunk[]): number {
 *   return chunks.reduce((sum, chunk) => sum + chunk.Length, 0);
 * }
 * const chunk = (Index: number, data: Uint8Array): Chunk => ({
 *   Index,
 *   Length: data.byteLength,
 *   Checksum: chunkChecksum(data),
 *   ChecksumAlgorithm: "SHA256",
 *   ChunkToken: `token-${Index}`,
 * });
 * assert.equal(totalLength([chunk(0, new Uint8Array(4096)), chunk(1, new Uint8Array(10))]), 4106);
 * assert.equal(totalLength([]), 0);
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { chunkChecksum } from "./checksum.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { ListChunksOutput } from "./types.ts";
 * async function firstPage(storage: BackupStorage, job: string, token: string) {
 *   const page: ListChunksOutput = await storage.listChunks({
 *     StorageJobId: job,
 *     ObjectToken: token,
 *   });
 *   return { indexes: page.ChunkList.map((c) => c.Index), more: page.NextToken !== undefined };
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const data = new TextEncoder().encode("hello");
 *   await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "a.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.byteLength,
 *     InlineChunkChecksum: chunkChecksum(data),
 *     InlineChunkChecksumAlgorithm: "SHA256",
 *   });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   assert.deepEqual(await firstPage(store, "job-1", object.ObjectToken), {
 *     indexes: [0],
 *     more: false,
 *   });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { ListObjectsInput } from "./types.ts";
 * const input: ListObjectsInput = {
 *   StorageJobId: "job-1",
 *   StartingObjectPrefix: "photos/",
 *   CreatedAfter: new Date("2024-01-01T00:00:00Z"),
 *   MaxResults: 100,
 * };
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   for (const name of ["notes.txt", "photos/cat.jpg", "photos/dog.jpg"]) {
 *     await store.putObject({ BackupJobId: "job-1", ObjectName: name });
 *   }
 *   const page = await store.listObjects(input);
 *   assert.deepEqual(page.ObjectList.map((o) => o.Name), ["photos/cat.jpg", "photos/dog.jpg"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
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
 * import assert from "node:assert/strict";
 * import type { BackupObject } from "./types.ts";
 * function label(object: BackupObject): string {
 *   return `${object.Name} (${object.ChunksCount ?? 0} chunks, ${object.ObjectChecksum})`;
 * }
 * const object: BackupObject = {
 *   Name: "empty.txt",
 *   ObjectChecksum: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
 *   ObjectChecksumAlgorithm: "SUMMARY",
 *   ObjectToken: "token",
 * };
 * assert.equal(label(object), "empty.txt (0 chunks, 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=)");
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { ListObjectsOutput } from "./types.ts";
 * async function page(storage: BackupStorage, job: string, next?: string) {
 *   const out: ListObjectsOutput = await storage.listObjects({ StorageJobId: job, NextToken: next });
 *   return { names: out.ObjectList.map((o) => o.Name), next: out.NextToken };
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "job-1", ObjectName: "a" });
 *   assert.deepEqual(await page(store, "job-1"), { names: ["a"], next: undefined });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { chunkChecksum, sha256, summaryChecksum } from "./checksum.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { NotifyObjectCompleteInput } from "./types.ts";
 * const chunks = [new Uint8Array([1]), new Uint8Array([2])];
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const { UploadId } = await store.startObject({ BackupJobId: "job-1", ObjectName: "two" });
 *   for (const [index, data] of chunks.entries()) {
 *     await store.putChunk({
 *       BackupJobId: "job-1",
 *       UploadId,
 *       ChunkIndex: index,
 *       Data: data,
 *       Length: data.byteLength,
 *       Checksum: chunkChecksum(data),
 *       ChecksumAlgorithm: "SHA256",
 *     });
 *   }
 *   const input: NotifyObjectCompleteInput = {
 *     BackupJobId: "job-1",
 *     UploadId,
 *     ObjectChecksum: summaryChecksum(chunks.map(sha256)),
 *     ObjectChecksumAlgorithm: "SUMMARY",
 *     MetadataString: "v1;size=2",
 *   };
 *   const out = await store.notifyObjectComplete(input);
 *   assert.equal(out.ObjectChecksum, input.ObjectChecksum);
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   assert.equal(object.ChunksCount, 2);
 *   assert.equal(object.MetadataString, "v1;size=2");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { summaryChecksum } from "./checksum.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
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
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const { UploadId } = await store.startObject({ BackupJobId: "job-1", ObjectName: "empty" });
 *   assert.equal(await complete(store, UploadId, summaryChecksum([])), true); // no chunks
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { chunkChecksum } from "./checksum.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { PutChunkInput } from "./types.ts";
 * const data = new TextEncoder().encode("first chunk");
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const { UploadId } = await store.startObject({ BackupJobId: "job-1", ObjectName: "a" });
 *   const input: PutChunkInput = {
 *     BackupJobId: "job-1",
 *     UploadId,
 *     ChunkIndex: 0,
 *     Data: data,
 *     Length: data.byteLength,
 *     Checksum: chunkChecksum(data),
 *     ChecksumAlgorithm: "SHA256",
 *   };
 *   assert.equal((await store.putChunk(input)).ChunkChecksum, input.Checksum);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { chunkChecksum } from "./checksum.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { PutChunkInput, PutChunkOutput } from "./types.ts";
 * async function put(storage: BackupStorage, input: PutChunkInput): Promise<boolean> {
 *   const out: PutChunkOutput = await storage.putChunk(input);
 *   return out.ChunkChecksum === input.Checksum;
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const { UploadId } = await store.startObject({ BackupJobId: "job-1", ObjectName: "a" });
 *   const data = new Uint8Array([1, 2, 3]);
 *   const input: PutChunkInput = {
 *     BackupJobId: "job-1",
 *     UploadId,
 *     ChunkIndex: 0,
 *     Data: data,
 *     Length: 3,
 *     Checksum: chunkChecksum(data),
 *     ChecksumAlgorithm: "SHA256",
 *   };
 *   assert.equal(await put(store, input), true);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { chunkChecksum, sha256, summaryChecksum } from "./checksum.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
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
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const out = await store.putObject(input);
 *   assert.equal(out.InlineChunkChecksum, chunkChecksum(data));
 *   assert.equal(out.ObjectChecksum, summaryChecksum([sha256(data)])); // one chunk
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { PutObjectOutput } from "./types.ts";
 * async function createEmpty(storage: BackupStorage, name: string): Promise<string> {
 *   const out: PutObjectOutput = await storage.putObject({ BackupJobId: "job-1", ObjectName: name });
 *   return out.ObjectChecksum; // SHA-256 of empty input, for an object without chunks
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   assert.equal(await createEmpty(store, "a"), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { DataAlreadyExistsException } from "./errors.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { StartObjectInput } from "./types.ts";
 * const input: StartObjectInput = {
 *   BackupJobId: "job-1",
 *   ObjectName: "videos/big.mp4",
 *   ThrowOnDuplicate: true,
 * };
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   assert.equal(typeof (await store.startObject(input)).UploadId, "string");
 *   // Once the name holds an object, ThrowOnDuplicate refuses a new upload.
 *   await store.putObject({ BackupJobId: "job-1", ObjectName: "videos/big.mp4" });
 *   await assert.rejects(store.startObject(input), DataAlreadyExistsException);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
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
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * import type { StartObjectOutput } from "./types.ts";
 * async function start(storage: BackupStorage, name: string): Promise<string> {
 *   const out: StartObjectOutput = await storage.startObject({
 *     BackupJobId: "job-1",
 *     ObjectName: name,
 *   });
 *   return out.UploadId;
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   // Each upload of a name has its own id.
 *   assert.notEqual(await start(store, "a"), await start(store, "a"));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
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
 * import assert from "node:assert/strict";
 * import { OPERATIONS } from "./operations.ts";
 * import type { OperationName } from "./types.ts";
 * const reads: OperationName[] = ["GetChunk", "GetObjectMetadata", "ListChunks", "ListObjects"];
 * for (const name of reads) assert.equal(OPERATIONS[name].method, "GET");
 * assert.equal(Object.keys(OPERATIONS).length, 9);
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
