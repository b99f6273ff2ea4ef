/**
 * The commit half of an object upload: the step that makes a new version
 * visible, atomically. An object of at most one chunk goes up in one `PutObject`
 * (chunk, checksum and metadata string together); any other is completed by
 * `NotifyObjectComplete` with the `SUMMARY` of its chunks and its metadata. Either
 * way the stored checksum is checked against the one computed here. The chunks
 * themselves are sent by `chunk_pipeline.ts`.
 *
 * @module
 */

import type { BackupStorage, LocalChunkStorage } from "../storage/backup_storage.ts";
import {
  checksumToDigest,
  chunkChecksum,
  encodeBase64,
  SummaryHasher,
} from "../storage/checksum.ts";
import type { StorageRetry } from "./_storage_retry.ts";

/**
 * What `ObjectWriter.close` reports about the stored object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ObjectWriter, type WriterResult } from "./object_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const writer = new ObjectWriter(store, { jobId: "job-1", objectName: "e", path: "/e" });
 *   const result: WriterResult = await writer.close(); // nothing written: an empty object
 *   assert.deepEqual(result, {
 *     objectChecksum: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", // SHA-256 of no bytes
 *     size: 0,
 *     chunkCount: 0,
 *   });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface WriterResult {
  /** `SUMMARY` checksum of the object. */
  objectChecksum: string;
  /** Size of the object in bytes. */
  size: number;
  /** Number of chunks it was stored in. */
  chunkCount: number;
}

/**
 * What the metadata callback of `ObjectWriter.close` returns: the string and
 * blob stored with the new version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ObjectWriter, type WriterMetadata } from "./object_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const writer = new ObjectWriter(store, { jobId: "job-1", objectName: "a", path: "/a" });
 *   await writer.write(new Uint8Array(42));
 *   await writer.close(({ size }): WriterMetadata => ({
 *     metadataString: `v1;size=${size}`,
 *     metadataBlob: new TextEncoder().encode("<props/>"),
 *   }));
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   const stored = await store.getObjectMetadata({
 *     StorageJobId: "job-1",
 *     ObjectToken: object.ObjectToken,
 *   });
 *   assert.equal(stored.MetadataString, "v1;size=42");
 *   assert.equal(await new Response(stored.MetadataBlob).text(), "<props/>");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface WriterMetadata {
  /** Up to 256 bytes of UTF-8; an empty string means none. */
  metadataString?: string;
  /** Up to 4 MiB; an empty blob means none. */
  metadataBlob?: Uint8Array;
}

/**
 * The metadata a commit stores, checked: `undefined` where there is none (an
 * empty string or blob is none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CommitMetadata } from "./object_commit.ts";
 * const metadata: CommitMetadata = { string: "v1" };
 * assert.equal(metadata.blob, undefined);
 * ```
 */
export interface CommitMetadata {
  /** The metadata string, when not empty. */
  string?: string;
  /** The metadata blob, when not empty. */
  blob?: Uint8Array;
}

/**
 * Options of {@link ObjectCommit}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StorageRetry } from "./_storage_retry.ts";
 * import type { ObjectCommitOptions } from "./object_commit.ts";
 * const signal = new AbortController().signal;
 * const options: ObjectCommitOptions = {
 *   jobId: "job-1",
 *   objectName: "a.txt",
 *   path: "/a.txt",
 *   throwOnDuplicate: false,
 *   retry: new StorageRetry({ signal, retries: 4, retryDelayMs: 50, path: "/a.txt" }),
 * };
 * assert.equal(options.objectName, "a.txt");
 * ```
 */
export interface ObjectCommitOptions {
  /** Job whose namespace receives the object. */
  jobId: string;
  /** Name of the object. */
  objectName: string;
  /** The filesystem path, used in error messages. */
  path: string;
  /** `PutObject` fails when an object of that name exists. */
  throwOnDuplicate: boolean;
  /** Runs every storage call of the commit (the writer's retry policy). */
  retry: StorageRetry;
}

/**
 * What a commit makes visible: the object's result and its checked metadata.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CommitRequest, summarizeChunks } from "./object_commit.ts";
 * const request: CommitRequest = { result: summarizeChunks([], 0), metadata: {} };
 * assert.equal(request.result.chunkCount, 0);
 * ```
 */
export interface CommitRequest {
  /** Size, chunk count and `SUMMARY` checksum of the object. */
  result: WriterResult;
  /** The metadata stored with the new version. */
  metadata: CommitMetadata;
}

/**
 * The result of an object made of chunks with these SHA-256 digests, in order,
 * holding `size` bytes: its `SUMMARY` checksum and chunk count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256 } from "../storage/checksum.ts";
 * import { summarizeChunks } from "./object_commit.ts";
 * const empty = summarizeChunks([], 0);
 * assert.deepEqual(empty, {
 *   objectChecksum: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
 *   size: 0,
 *   chunkCount: 0,
 * });
 * const two = summarizeChunks([sha256(new Uint8Array(4)), sha256(new Uint8Array(2))], 6);
 * assert.equal(two.chunkCount, 2);
 * ```
 */
export function summarizeChunks(digests: readonly Uint8Array[], size: number): WriterResult {
  const summary = new SummaryHasher();
  for (const digest of digests) summary.add(digest);
  return { objectChecksum: summary.checksum(), size, chunkCount: digests.length };
}

/**
 * Commits new versions of one object: `PutObject` of a one-chunk object, or
 * `NotifyObjectComplete` of a pending upload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256 } from "../storage/checksum.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { StorageRetry } from "./_storage_retry.ts";
 * import { ObjectCommit, summarizeChunks } from "./object_commit.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const signal = new AbortController().signal;
 *   const commit = new ObjectCommit(store, {
 *     jobId: "job-1",
 *     objectName: "hello.txt",
 *     path: "/hello.txt",
 *     throwOnDuplicate: false,
 *     retry: new StorageRetry({ signal, retries: 0, retryDelayMs: 0, path: "/hello.txt" }),
 *   });
 *   const data = new TextEncoder().encode("hello");
 *   const digest = sha256(data);
 *   const result = summarizeChunks([digest], data.byteLength);
 *   const metadata = commit.metadataOf(result, () => ({ metadataString: "v1" }));
 *   await commit.putObject(data, { result, metadata, digest });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   assert.equal(object.Name, "hello.txt");
 *   assert.equal(object.ObjectChecksum, result.objectChecksum);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ObjectCommit {
  readonly #storage: BackupStorage;
  readonly #jobId: string;
  readonly #objectName: string;
  readonly #path: string;
  readonly #throwOnDuplicate: boolean;
  readonly #retry: StorageRetry;

  /** Prepares the commits of `options.objectName`; nothing is sent until one is asked. */
  constructor(storage: BackupStorage, options: ObjectCommitOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#objectName = options.objectName;
    this.#path = options.path;
    this.#throwOnDuplicate = options.throwOnDuplicate;
    this.#retry = options.retry;
  }

  /**
   * The metadata to store, checked: `metadata` itself, or what it returns for
   * `result` when it is a function (it sees a copy; without a result, a function
   * is a `TypeError`). A string must be a string and a blob a `Uint8Array`
   * (`TypeError` otherwise); empty ones count as none. None given: no metadata.
   */
  metadataOf(
    result: WriterResult | undefined,
    metadata?: WriterMetadata | ((result: WriterResult) => WriterMetadata),
  ): CommitMetadata {
    if (!metadata) return {};
    let out: WriterMetadata;
    if (typeof metadata === "function") {
      if (result === undefined) {
        throw new TypeError(`close ${this.#path}: the metadata function needs the result`);
      }
      out = metadata({ ...result });
    } else {
      out = metadata;
    }
    const string = out?.metadataString;
    const blob = out?.metadataBlob;
    if (string !== undefined && typeof string !== "string") {
      throw new TypeError(`close ${this.#path}: metadataString must be a string`);
    }
    if (blob !== undefined && !(blob instanceof Uint8Array)) {
      throw new TypeError(`close ${this.#path}: metadataBlob must be a Uint8Array`);
    }
    return {
      string: string === "" ? undefined : string,
      blob: blob && blob.byteLength > 0 ? blob : undefined,
    };
  }

  /**
   * Stores an object of at most one chunk in one `PutObject`: `data` (none when
   * empty) with its SHA-256 `digest`, and the metadata string. `PutObject`
   * carries no blob: a commit with one completes an upload instead.
   */
  async putObject(
    data: Uint8Array,
    request: CommitRequest & { digest?: Uint8Array },
  ): Promise<void> {
    const { result, metadata, digest } = request;
    const output = await this.#retry.run((options) =>
      this.#storage.putObject({
        BackupJobId: this.#jobId,
        ObjectName: this.#objectName,
        MetadataString: metadata.string,
        ...(data.byteLength > 0
          ? {
            InlineChunk: data,
            InlineChunkLength: data.byteLength,
            InlineChunkChecksum: encodeBase64(digest!),
            InlineChunkChecksumAlgorithm: "SHA256",
          }
          : {}),
        ObjectChecksum: result.objectChecksum,
        ObjectChecksumAlgorithm: "SUMMARY",
        ThrowOnDuplicate: this.#throwOnDuplicate || undefined,
      }, options)
    );
    this.#checkStored(output.ObjectChecksum, result.objectChecksum);
  }

  /**
   * Stores an object of at most one chunk through a store in this process that
   * hashes it itself (`LocalChunkStorage.putObjectHashed`): `data` and the
   * metadata string, no checksum computed here; resolves to the result, with the
   * object checksum the store computed from the bytes it stored.
   */
  async putObjectHashed(
    storage: LocalChunkStorage,
    data: Uint8Array,
    metadata: CommitMetadata,
  ): Promise<WriterResult> {
    const output = await this.#retry.run((options) =>
      storage.putObjectHashed({
        BackupJobId: this.#jobId,
        ObjectName: this.#objectName,
        MetadataString: metadata.string,
        ...(data.byteLength > 0 ? { InlineChunk: data, InlineChunkLength: data.byteLength } : {}),
        ThrowOnDuplicate: this.#throwOnDuplicate || undefined,
      }, options)
    );
    const checksum = output.ObjectChecksum;
    if (typeof checksum !== "string" || checksumToDigest(checksum) === undefined) {
      throw new Deno.errors.InvalidData(
        `close ${this.#path}: storage returned no valid object checksum`,
      );
    }
    return {
      objectChecksum: checksum,
      size: data.byteLength,
      chunkCount: data.byteLength > 0 ? 1 : 0,
    };
  }

  /** Completes the pending upload `uploadId` with `NotifyObjectComplete`. */
  async complete(uploadId: string, request: CommitRequest): Promise<void> {
    const { result, metadata } = request;
    const blob = metadata.blob;
    const output = await this.#retry.run((options) =>
      this.#storage.notifyObjectComplete({
        BackupJobId: this.#jobId,
        UploadId: uploadId,
        ObjectChecksum: result.objectChecksum,
        ObjectChecksumAlgorithm: "SUMMARY",
        MetadataString: metadata.string,
        ...(blob
          ? {
            MetadataBlob: blob,
            MetadataBlobLength: blob.byteLength,
            MetadataBlobChecksum: chunkChecksum(blob),
            MetadataBlobChecksumAlgorithm: "SHA256",
          }
          : {}),
      }, options)
    );
    this.#checkStored(output.ObjectChecksum, result.objectChecksum);
  }

  #checkStored(stored: string, expected: string): void {
    if (stored !== expected) {
      throw new Deno.errors.InvalidData(
        `close ${this.#path}: storage reports checksum ${stored}, expected ${expected}`,
      );
    }
  }
}
