/**
 * `EmbeddedStore`: the in-process, durable implementation of `BackupStorage`
 * over a data directory. Metadata lives in SQLite (`metadata.db`), small chunks
 * inline in it, longer chunks' bytes in a `ChunkStore` (by default
 * content-addressed files under `chunks/`), token keys in `token-secret`.
 *
 * Every semantic check of the service lives here; the HTTP service only parses
 * requests and calls these nine methods.
 *
 * @module
 */

import { countMetric } from "../../metrics/metric_values.ts";
import { SLOT } from "../../metrics/metric_layout.ts";
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type {
  HashedPutChunkInput,
  HashedPutObjectInput,
  LocalChunkStorage,
  ReadVerifiedChunkOptions,
  VerifiedChunkReader,
} from "../backup_storage.ts";
import { encodeBase64, sha256, summaryChecksum, SummaryHasher } from "../checksum.ts";
import { VisibleVersions } from "./visible_versions.ts";
import {
  DataAlreadyExistsException,
  IllegalArgumentException,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from "../errors.ts";
import {
  DEFAULT_MAX_CHUNK_LENGTH,
  MAX_METADATA_BLOB_BYTES,
  pageSize,
  validateJobId,
  validateMetadataString,
  validateObjectName,
} from "../limits.ts";
import type {
  BackupObject,
  Chunk,
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
  StreamingBody,
} from "../types.ts";
import { discardBody, drainEmptyBody, readBody, writeBody } from "./body_reader.ts";
import { toHex } from "./chunk_files.ts";
import type { ChunkStore } from "./chunks/chunk_store.ts";
import { LocalChunkStore } from "./chunks/local_chunk_store.ts";
import { GarbageCollector, type GarbageReport, listShards } from "./garbage_collector.ts";
import {
  optionalTime,
  requireAlgorithm,
  requireChecksum,
  requireChunkIndex,
  requireLength,
  requireString,
} from "./input_checks.ts";
import {
  type ChunkRow,
  type ListedVersion,
  type MetadataStore,
  type MetadataTransaction,
  pendingVersion,
  type PutObjectVersionInput,
  type PutObjectVersionOutcome,
  type UploadRow,
  type VersionRow,
  VersionState,
} from "./metadata/metadata_store.ts";
import { SqliteMetadataStore } from "./metadata/sqlite_metadata_store.ts";
import { ChunkClaims } from "./chunk_claims.ts";
import { packIds, TokenKind, TokenSigner, unpackIds } from "./tokens.ts";
import { loadTokenSecret } from "./token_secret.ts";
import { NO_UPPER, prefixUpperBound } from "./_name_range.ts";
import { localListing } from "./local_listing.ts";

export type { GarbageReport } from "./garbage_collector.ts";

/**
 * Options of {@link EmbeddedStore.open}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { EmbeddedStoreOptions } from "./embedded_store.ts";
 * // A store for tests: no GC timer, a short grace period, no fsync.
 * const options: EmbeddedStoreOptions = { gcIntervalMs: 0, gracePeriodMs: 1000, durable: false };
 * assert.equal(options.durable, false);
 * ```
 */
export interface EmbeddedStoreOptions {
  /** How long a superseded or deleted version stays readable by token, in ms (default 15 min). */
  gracePeriodMs?: number;
  /** How long an upload may stay pending before it expires, in ms (default 24 h). */
  uploadTtlMs?: number;
  /** Interval of automatic garbage collection in ms (default 60 000; 0 disables it). */
  gcIntervalMs?: number;
  /** Largest chunk accepted, in bytes (default `DEFAULT_MAX_CHUNK_LENGTH`). */
  maxChunkLength?: number;
  /** Fsync the database, chunk files and directories before acknowledging (default true). */
  durable?: boolean;
  /**
   * Chunk files in the data directory are written past the page cache
   * (`O_DIRECT`) where the file system allows it (default false): less CPU per
   * byte written, a first read from the disk (see `LocalChunkStore`).
   */
  directWrites?: boolean;
  /**
   * Checkpoints of the metadata's SQLite WAL run in a worker thread of their own
   * from the start (what `serve` and `storage` do), instead of inside whichever
   * `COMMIT` crosses SQLite's threshold (default false). Off, a commit every
   * 1,000 pages of WAL or so holds the caller's thread for 5–25 ms, and the
   * process spares the worker's own JavaScript runtime (about 20 MB). Only for
   * the default metadata store (not `metadataStore`).
   */
  backgroundCheckpoints?: boolean;
  /**
   * Where the metadata lives (default: a `SqliteMetadataStore` in the data
   * directory, `metadata.db`). The store does not close it. Any number of
   * stores, in this process or others, may share one.
   */
  metadataStore?: MetadataStore;
  /**
   * Where chunks longer than `inlineChunkBytes` keep their bytes (default: a
   * `LocalChunkStore` in the data directory, `chunks/`). The store does not
   * close it. Stores sharing a metadata store share its chunk store too.
   */
  chunkStore?: ChunkStore;
  /**
   * Chunks and metadata blobs of at most this many bytes are kept in the database
   * instead of a file of their own: one commit instead of a file written, synced,
   * renamed and its directory synced (default 64 KiB, at most 1 MiB; 0 keeps every
   * chunk in a file).
   */
  inlineChunkBytes?: number;
  /** The clock, in ms since the epoch (default `Date.now`). */
  now?: () => number;
}

/**
 * Object count and bytes of a job's current versions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "./embedded_store.ts";
 * import { chunkChecksum } from "../checksum.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const data = new Uint8Array(5);
 *   await store.putObject({
 *     BackupJobId: "job",
 *     ObjectName: "a",
 *     InlineChunk: data,
 *     InlineChunkLength: data.length,
 *     InlineChunkChecksum: chunkChecksum(data),
 *   });
 *   assert.deepEqual(await store.usage("job"), { objects: 1, bytes: 5 });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface JobUsage {
  /** Number of current objects. */
  objects: number;
  /** Sum of their chunk lengths, in bytes. */
  bytes: number;
}

/**
 * What {@link EmbeddedStore.storedChunks} counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { StoredChunks } from "./embedded_store.ts";
 * const counts: StoredChunks = { files: 2, inline: 5, inlineBytes: 12_345 };
 * assert.equal(counts.files + counts.inline, 7);
 * ```
 */
export interface StoredChunks {
  /** Chunks in the chunk store (chunk files, for the default local one). */
  files: number;
  /** Small chunks kept in the database. */
  inline: number;
  /** Bytes of those. */
  inlineBytes: number;
}

const EMPTY_DIGEST = sha256(new Uint8Array());
const EMPTY_CHECKSUM = encodeBase64(EMPTY_DIGEST);
/** Chunk rows read per query while a completion checks an upload's chunks. */
const COMPLETION_PAGE = 10_000;
/** Rows examined per `ListObjects` call when time filters may skip many. */
const FILTERED_SCAN_LIMIT = 1000;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

interface Ingested {
  digest: Uint8Array;
  /** CRC-32 of the same bytes, recorded with each reference (`ChunkRow.crc32`). */
  crc32: number;
  /** The bytes, for a small body kept in the database. */
  inline?: Uint8Array;
  /** The claim that keeps a body in the chunk store from the collector until recorded. */
  claimId?: string;
}

/** Default of `EmbeddedStoreOptions.inlineChunkBytes`. */
const DEFAULT_INLINE_CHUNK_BYTES = 64 * 1024;
/** The members of `PutObject` that `putObjectHashed` computes instead of taking. */
const CHECKSUM_MEMBERS = [
  "InlineChunkChecksum",
  "InlineChunkChecksumAlgorithm",
  "ObjectChecksum",
  "ObjectChecksumAlgorithm",
] as const;
/** Largest `inlineChunkBytes` allowed; longer chunks are never looked up inline. */
const MAX_INLINE_CHUNK_BYTES = 1024 * 1024;

interface ObjectPageState {
  last: Uint8Array;
  upper: Uint8Array;
  before?: number;
  after?: number;
}

/**
 * The embedded, durable BackupStorage store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "./embedded_store.ts";
 * import { chunkChecksum, summaryChecksum, sha256 } from "../checksum.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const data = new TextEncoder().encode("hello");
 *   await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "greeting.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.length,
 *     InlineChunkChecksum: chunkChecksum(data),
 *   });
 *   const page = await store.listObjects({ StorageJobId: "job-1" });
 *   assert.equal(page.ObjectList.length, 1);
 *   assert.equal(page.ObjectList[0].Name, "greeting.txt");
 *   assert.equal(page.ObjectList[0].ObjectChecksum, summaryChecksum([sha256(data)]));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class EmbeddedStore implements LocalChunkStorage, VerifiedChunkReader {
  #directory: string;
  #metadata: MetadataStore;
  #ownMetadata: boolean;
  #chunks: ChunkStore;
  /** The chunk store when the store opened it (its staged files kept ready go at close). */
  #ownChunks: LocalChunkStore | undefined;
  #claims: ChunkClaims;
  #tokens: TokenSigner;
  #gc: GarbageCollector;
  #grace: number;
  /** Versions seen current lately, and their chunk rows (reads by token reuse them). */
  readonly #visible: VisibleVersions;
  #uploadTtl: number;
  #maxChunk: number;
  #inlineBytes: number;
  #now: () => number;
  #timer?: ReturnType<typeof setInterval>;
  #inflight = new Set<Promise<unknown>>();
  #gcChain: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing?: Promise<void>;

  private constructor(
    directory: string,
    parts: { metadata: MetadataStore; chunks: ChunkStore; tokens: TokenSigner },
    options: EmbeddedStoreOptions,
  ) {
    this.#directory = directory;
    this.#metadata = parts.metadata;
    this.#ownMetadata = options.metadataStore === undefined;
    this.#chunks = parts.chunks;
    this.#ownChunks = options.chunkStore === undefined && parts.chunks instanceof LocalChunkStore
      ? parts.chunks
      : undefined;
    this.#tokens = parts.tokens;
    this.#grace = options.gracePeriodMs ?? 15 * 60_000;
    this.#uploadTtl = options.uploadTtlMs ?? 24 * 60 * 60_000;
    this.#maxChunk = options.maxChunkLength ?? DEFAULT_MAX_CHUNK_LENGTH;
    const inline = options.inlineChunkBytes ?? DEFAULT_INLINE_CHUNK_BYTES;
    if (!Number.isSafeInteger(inline) || inline < 0 || inline > MAX_INLINE_CHUNK_BYTES) {
      throw new RangeError(
        `inlineChunkBytes must be an integer from 0 to ${MAX_INLINE_CHUNK_BYTES}`,
      );
    }
    this.#inlineBytes = inline;
    this.#now = options.now ?? Date.now;
    this.#visible = new VisibleVersions({ gracePeriodMs: this.#grace, now: this.#now });
    this.#claims = new ChunkClaims(this.#metadata, { now: this.#now });
    this.#gc = new GarbageCollector(this.#metadata, this.#chunks, {
      gracePeriodMs: this.#grace,
      now: this.#now,
    });
  }

  /**
   * Opens the store in `directory` (created if missing). Any number of stores,
   * in this process or others, may open one directory (or share one metadata
   * store and chunk store) at once.
   */
  static async open(directory: string, options?: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const durable = options?.durable ?? true;
    for (const [key, value] of Object.entries(options ?? {})) {
      if (
        key.endsWith("Ms") || key === "maxChunkLength"
      ) {
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
          throw new RangeError(`EmbeddedStore: ${key} must be a finite number >= 0`);
        }
      }
    }
    // Private by default: a new data directory (and any parent created) is 0700.
    await Deno.mkdir(directory, { recursive: true, mode: 0o700 });
    const real = await Deno.realPath(directory);
    let metadata = options?.metadataStore;
    try {
      if (!metadata) {
        const sqlite = SqliteMetadataStore.open(join(real, "metadata.db"), {
          durable,
          checkpointerAfterCommits: Infinity,
        });
        // Not awaited: inside a Web Worker (`--workers 2`) its first answer took 2 s;
        // until it runs, SQLite checkpoints by itself (a failure leaves it at that).
        if (options?.backgroundCheckpoints) void sqlite.database.startCheckpointer();
        metadata = sqlite;
      }
      const chunks = options?.chunkStore ??
        await LocalChunkStore.open(real, { durable, directWrites: options?.directWrites });
      const tokens = new TokenSigner(await loadTokenSecret(metadata, real));
      const store = new EmbeddedStore(real, { metadata, chunks, tokens }, options ?? {});
      const interval = options?.gcIntervalMs ?? 60_000;
      if (interval > 0) {
        const timer = setInterval(() => {
          store.collectGarbage().catch(() => {});
        }, interval);
        Deno.unrefTimer(timer);
        store.#timer = timer;
      }
      return store;
    } catch (error) {
      if (!options?.metadataStore) await metadata?.close();
      throw error;
    }
  }

  /** The data directory (resolved). */
  get directory(): string {
    return this.#directory;
  }

  /**
   * The metadata store the store keeps its records in, for what else must be
   * shared by every process over this store (e.g. the WebDAV locks). Closed with
   * the store when the store opened it.
   */
  get metadataStore(): MetadataStore {
    return this.#metadata;
  }

  /**
   * The `ObjectToken` of a version of a job, as `listObjects` signs it: for the
   * in-process listing (`local_listing.ts`, issue #12), which signs a listed
   * object's token only when it is read.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { EmbeddedStore } from "./embedded_store.ts";
   * const dir = await Deno.makeTempDir();
   * try {
   *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
   *   await store.putObject({ BackupJobId: "j", ObjectName: "a" });
   *   const [listed] = (await store.listObjects({ StorageJobId: "j" })).ObjectList;
   *   assert.equal(store.objectTokenOf("j", 1), listed.ObjectToken); // version 1, the first
   *   assert.notEqual(store.objectTokenOf("k", 1), listed.ObjectToken); // bound to the job
   * } finally {
   *   await Deno.remove(dir, { recursive: true });
   * }
   * ```
   */
  objectTokenOf(job: string, versionId: number): string {
    return this.#tokens.sign(TokenKind.Object, job, packIds(versionId));
  }

  /**
   * One page of a job's current objects listed in-process (the
   * `LocalObjectLister` capability): the rows `listObjects` would return, each
   * token signed only when read, pages up to 10,000, an in-process `NextToken`.
   */
  listObjectsLocally(
    input: Omit<ListObjectsInput, "CreatedBefore" | "CreatedAfter">,
  ): Promise<ListObjectsOutput> {
    return localListing(this)!(input);
  }

  /** The chunk store the store keeps longer chunks' bytes in (for maintenance and tests). */
  get chunkStore(): ChunkStore {
    return this.#chunks;
  }

  /** Runs one garbage collection pass now (after any pass already running). */
  collectGarbage(): Promise<GarbageReport> {
    if (this.#closed) return Promise.reject(closedError());
    const pass = this.#gcChain.then(() => this.#gc.run(() => !this.#closed));
    this.#gcChain = pass.catch(() => countMetric(SLOT.gcErrors));
    return pass;
  }

  /** Sweeps the whole chunk store for chunks no record references (slow; for maintenance). */
  sweepOrphans(): Promise<GarbageReport> {
    if (this.#closed) return Promise.reject(closedError());
    const pass = this.#gcChain.then(() => this.#gc.sweepAll(() => !this.#closed));
    this.#gcChain = pass.catch(() => {});
    return pass;
  }

  /**
   * How many chunks (metadata blobs included) the store keeps, across all jobs: in
   * its chunk store, and small ones inline in its database. Lists every stored
   * chunk, so it takes time on a big store; for maintenance and tests.
   */
  storedChunks(): Promise<StoredChunks> {
    return this.#trackOperation(async () => {
      const files = (await listShards(this.#chunks)).reduce((n, shard) => n + shard.length, 0);
      return { files, ...(await this.#metadata.inlineChunkStats()) };
    });
  }

  /** Object count and bytes of a job's current versions (zeros for an unknown job). */
  usage(jobId: string): Promise<JobUsage> {
    return this.#trackOperation(() => {
      validateJobId(jobId);
      return this.#metadata.usage(jobId);
    });
  }

  /**
   * Stops the timer, waits for operations in flight, removes the staged files its
   * own chunk store kept ready, closes the database. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      if (this.#timer !== undefined) clearInterval(this.#timer);
      for (let round = 0; round < 1000 && this.#inflight.size > 0; round++) {
        await Promise.allSettled([...this.#inflight]);
      }
      await this.#gcChain;
      await this.#gc.release().catch(() => {});
      await this.#ownChunks?.close();
      if (this.#ownMetadata) await this.#metadata.close();
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ----------------------------------------------------------- operations

  /** Opens a pending upload, invisible to readers until completed. */
  startObject(input: StartObjectInput, _options?: OperationOptions): Promise<StartObjectOutput> {
    return this.#trackOperation(async () => {
      const job = input.BackupJobId;
      validateJobId(job);
      validateObjectName(input.ObjectName);
      const name = encoder.encode(input.ObjectName);
      const throwOnDuplicate = input.ThrowOnDuplicate === true;
      if (throwOnDuplicate) {
        checkDuplicate(await this.#metadata.currentVersion(job, name), job, input.ObjectName);
      }
      const uploadId = Buffer.from(randomBytes(18)).toString("base64url");
      const now = this.#now();
      await this.#metadata.transaction(async (tx) => {
        const versionId = await insertPending(tx, job, name, now);
        await tx.insertUpload({
          upload_id: uploadId,
          job,
          version_id: versionId,
          throw_on_duplicate: throwOnDuplicate ? 1 : 0,
          expires_at: now + this.#uploadTtl,
        });
      });
      return { $metadata: {}, UploadId: uploadId };
    });
  }

  /** Stores one chunk of a pending upload. */
  putChunk(input: PutChunkInput, options?: OperationOptions): Promise<PutChunkOutput> {
    return this.#trackOperation(async () => {
      let expected: Uint8Array;
      try {
        requireAlgorithm(input.ChecksumAlgorithm, "SHA256", "ChecksumAlgorithm");
        expected = requireChecksum(input.Checksum, "Checksum");
      } catch (error) {
        await discardBody(input.Data);
        throw error;
      }
      return await this.#putChunk(input, expected, options);
    });
  }

  /**
   * `PutChunk` from this process with the chunk's bytes in memory: the store
   * computes the checksum of what it stores (returned as `ChunkChecksum`), so the
   * caller need not hash the bytes too (see `LocalChunkStorage`).
   *
   * The chunk's bytes are on disk when it resolves, as for `putChunk`; its record
   * in the pending upload is committed without waiting for the metadata's sync.
   * The upload's completion, which syncs, makes it durable with every commit
   * before it; until then only the pending upload refers to it, and the caller
   * acknowledges nothing before the completion (a sync per chunk cost a big upload
   * about a tenth of its speed).
   */
  putChunkHashed(
    input: HashedPutChunkInput,
    options?: OperationOptions,
  ): Promise<PutChunkOutput> {
    return this.#trackOperation(async () => {
      if (!(input.Data instanceof Uint8Array)) {
        throw new IllegalArgumentException("Data must be bytes for putChunkHashed");
      }
      return await this.#putChunk(input, undefined, options);
    });
  }

  /**
   * Stores one chunk of a pending upload: checks it against `expected` (a
   * `PutChunk`'s checksum) or, without one (`putChunkHashed`), records it with a
   * commit that does not wait for the metadata's sync.
   */
  async #putChunk(
    input: HashedPutChunkInput | PutChunkInput,
    expected: Uint8Array | undefined,
    options: OperationOptions | undefined,
  ): Promise<PutChunkOutput> {
    let uploadVersion: number;
    let index: number;
    let length: number;
    try {
      validateJobId(input.BackupJobId);
      const uploadId = requireString(input.UploadId, "UploadId");
      length = requireLength(input.Length, "Length", this.#maxChunk);
      index = requireChunkIndex(input.ChunkIndex);
      uploadVersion = this.#pendingUpload(
        input.BackupJobId,
        await this.#metadata.upload(uploadId),
      ).version_id;
    } catch (error) {
      await discardBody(input.Data);
      throw error;
    }
    const ingested = await this.#ingest(input.Data, {
      length,
      ...(expected ? { expected } : {}),
      member: "Data",
      lengthMember: "Length",
      checksumMember: "Checksum",
      signal: options?.signal,
    });
    try {
      await this.#metadata.transaction(async (tx) => {
        const upload = this.#pendingUpload(
          input.BackupJobId,
          await tx.lockUpload(input.UploadId as string),
        );
        if (upload.version_id !== uploadVersion) throw notPending();
        await this.#claims.record(tx, ingested);
        await tx.putChunk(upload.version_id, index, ingested.digest, length, ingested.crc32);
      }, expected ? undefined : { durable: false });
    } catch (error) {
      await this.#claims.abandon(ingested);
      throw error;
    }
    return {
      $metadata: {},
      ChunkChecksum: encodeBase64(ingested.digest),
      ChunkChecksumAlgorithm: "SHA256",
    };
  }

  /** Completes an upload: checks it, then makes it the object's current version atomically. */
  notifyObjectComplete(
    input: NotifyObjectCompleteInput,
    options?: OperationOptions,
  ): Promise<NotifyObjectCompleteOutput> {
    return this.#trackOperation(async () => {
      const job = input.BackupJobId;
      let blobLength = 0;
      let blobDigest: Uint8Array | undefined;
      let uploadId: string;
      try {
        validateJobId(job);
        uploadId = requireString(input.UploadId, "UploadId");
        requireAlgorithm(input.ObjectChecksumAlgorithm, "SUMMARY", "ObjectChecksumAlgorithm");
        requireChecksum(input.ObjectChecksum, "ObjectChecksum");
        if (input.MetadataString !== undefined) validateMetadataString(input.MetadataString);
        const blobGiven = input.MetadataBlobLength !== undefined ||
          input.MetadataBlobChecksum !== undefined ||
          (input.MetadataBlob instanceof Uint8Array && input.MetadataBlob.byteLength > 0);
        if (blobGiven) {
          blobLength = requireLength(
            input.MetadataBlobLength,
            "MetadataBlobLength",
            MAX_METADATA_BLOB_BYTES,
          );
          blobDigest = requireChecksum(input.MetadataBlobChecksum, "MetadataBlobChecksum");
          requireAlgorithm(
            input.MetadataBlobChecksumAlgorithm,
            "SHA256",
            "MetadataBlobChecksumAlgorithm",
          );
          if (blobLength === 0 && !sameBytes(blobDigest, EMPTY_DIGEST)) {
            throw new IllegalArgumentException(
              "MetadataBlobChecksum does not match the SHA-256 of MetadataBlob",
            );
          }
        }
        const early = this.#completionState(
          job,
          await this.#metadata.upload(uploadId),
          input.ObjectChecksum,
        );
        if (early) {
          await discardBody(input.MetadataBlob);
          return early;
        }
      } catch (error) {
        await discardBody(input.MetadataBlob);
        throw error;
      }
      let ingested: Ingested | undefined;
      if (blobLength > 0) {
        ingested = await this.#ingest(input.MetadataBlob, {
          length: blobLength,
          expected: blobDigest,
          member: "MetadataBlob",
          lengthMember: "MetadataBlobLength",
          checksumMember: "MetadataBlobChecksum",
          signal: options?.signal,
        });
      } else {
        await drainEmptyBody(
          input.MetadataBlob,
          "MetadataBlob has bytes but MetadataBlobLength is absent or 0",
        );
      }
      let output: NotifyObjectCompleteOutput;
      try {
        output = await this.#metadata.transaction(async (tx) => {
          const locked = await tx.lockUpload(uploadId);
          const repeated = this.#completionState(job, locked, input.ObjectChecksum);
          if (repeated) return repeated;
          const upload = this.#pendingUpload(job, locked);
          const version = await tx.version(upload.version_id);
          if (!version || version.state !== VersionState.Pending) throw notPending();
          const summary = new SummaryHasher();
          let size = 0;
          for (let page = 0; page < Number.MAX_SAFE_INTEGER; page++) {
            const chunks = await tx.listChunks(version.id, summary.count, COMPLETION_PAGE);
            for (const chunk of chunks) {
              if (chunk.idx !== summary.count) {
                throw new IllegalArgumentException(
                  `Chunk index ${summary.count} is missing: indexes must run from 0 without gaps`,
                );
              }
              summary.add(chunk.digest);
              size += chunk.length;
            }
            if (chunks.length < COMPLETION_PAGE) break;
          }
          const checksum = summary.checksum();
          if (checksum !== input.ObjectChecksum) {
            throw new IllegalArgumentException(
              `ObjectChecksum does not match the SUMMARY of the ${summary.count} chunks received`,
            );
          }
          const now = this.#now();
          await replaceCurrent(tx, version, upload.throw_on_duplicate === 1, now);
          if (ingested) await this.#claims.record(tx, ingested);
          await tx.completeVersion(version.id, {
            chunks_count: summary.count,
            size,
            object_checksum: checksum,
            metadata_string: input.MetadataString ?? null,
            meta_digest: ingested?.digest ?? null,
            meta_length: ingested ? blobLength : null,
            completed_at: now,
          });
          await tx.markUploadCompleted(uploadId, checksum);
          await tx.addUsage(job, 1, size);
          return completeOutput(checksum);
        });
      } catch (error) {
        if (ingested) await this.#claims.abandon(ingested);
        throw error;
      }
      return output;
    });
  }

  /** Stores a whole object of zero or one chunk in one call. */
  putObject(input: PutObjectInput, options?: OperationOptions): Promise<PutObjectOutput> {
    return this.#trackOperation(() => this.#putObject(input, false, options));
  }

  /**
   * `PutObject` for a writer in this process (see `LocalChunkStorage`): the inline
   * chunk's bytes in memory, no checksums sent; the store computes them from
   * exactly the bytes it stores, and returns them (`InlineChunkChecksum`,
   * `ObjectChecksum`). Everything else is checked and stored as by `putObject`.
   */
  putObjectHashed(
    input: HashedPutObjectInput,
    options?: OperationOptions,
  ): Promise<PutObjectOutput> {
    return this.#trackOperation(async () => {
      if (input.InlineChunk !== undefined && !(input.InlineChunk instanceof Uint8Array)) {
        throw new IllegalArgumentException("InlineChunk must be bytes for putObjectHashed");
      }
      return await this.#putObject(input, true, options);
    });
  }

  /** `putObject`, or `putObjectHashed` (`hashed`: no checksum of the bytes is expected). */
  async #putObject(
    input: PutObjectInput | HashedPutObjectInput,
    hashed: boolean,
    options: OperationOptions | undefined,
  ): Promise<PutObjectOutput> {
    // A hashed input's checksum members are absent by type; a caller from plain
    // JavaScript that sends one anyway is refused below.
    const sent: PutObjectInput = input;
    const job = sent.BackupJobId;
    const body = sent.InlineChunk;
    let name: Uint8Array;
    let length: number;
    let expected: Uint8Array | undefined;
    const throwOnDuplicate = sent.ThrowOnDuplicate === true;
    try {
      validateJobId(job);
      validateObjectName(sent.ObjectName);
      name = encoder.encode(sent.ObjectName);
      if (sent.MetadataString !== undefined) validateMetadataString(sent.MetadataString);
      requireAlgorithm(
        sent.InlineChunkChecksumAlgorithm,
        "SHA256",
        "InlineChunkChecksumAlgorithm",
        {
          optional: true,
        },
      );
      requireAlgorithm(sent.ObjectChecksumAlgorithm, "SUMMARY", "ObjectChecksumAlgorithm", {
        optional: true,
      });
      if (sent.ObjectChecksum !== undefined) {
        requireChecksum(sent.ObjectChecksum, "ObjectChecksum");
      }
      const declared = sent.InlineChunkLength ??
        (body instanceof Uint8Array ? body.byteLength : 0);
      length = requireLength(declared, "InlineChunkLength", this.#maxChunk);
      if (hashed) {
        for (const member of CHECKSUM_MEMBERS) {
          if (sent[member] !== undefined) {
            throw new IllegalArgumentException(`${member} is not taken by putObjectHashed`);
          }
        }
      } else if (length > 0 || sent.InlineChunkChecksum !== undefined) {
        expected = requireChecksum(sent.InlineChunkChecksum, "InlineChunkChecksum");
      }
      if (length === 0 && expected && !sameBytes(expected, EMPTY_DIGEST)) {
        throw new IllegalArgumentException(
          "InlineChunkChecksum does not match the SHA-256 of InlineChunk",
        );
      }
      if (throwOnDuplicate) {
        checkDuplicate(await this.#metadata.currentVersion(job, name), job, sent.ObjectName);
      }
    } catch (error) {
      await discardBody(body);
      throw error;
    }
    let ingested: Ingested | undefined;
    if (length > 0) {
      ingested = await this.#ingest(body, {
        length,
        expected,
        member: "InlineChunk",
        lengthMember: "InlineChunkLength",
        checksumMember: "InlineChunkChecksum",
        signal: options?.signal,
      });
    } else {
      await drainEmptyBody(
        body,
        sent.InlineChunkLength === undefined
          ? "InlineChunkLength is required when InlineChunk has bytes"
          : "InlineChunk has more bytes than InlineChunkLength (0) says",
      );
    }
    try {
      const summary = ingested ? summaryChecksum([ingested.digest]) : EMPTY_CHECKSUM;
      if (sent.ObjectChecksum !== undefined && sent.ObjectChecksum !== summary) {
        throw new IllegalArgumentException(
          "ObjectChecksum does not match the SUMMARY of InlineChunk",
        );
      }
      // The hot path of small files: the new version goes in as current directly
      // (no pending row to complete), after the one it replaces is retired; in
      // one call where the engine offers it.
      const version: PutObjectVersionInput = {
        job,
        name,
        now: this.#now(),
        objectChecksum: summary,
        metadataString: sent.MetadataString ?? null,
        throwOnDuplicate,
        ...(ingested ? { chunk: { ...ingested, length } } : {}),
      };
      const outcome = this.#metadata.putObjectVersion
        ? await this.#metadata.putObjectVersion(version)
        : await this.#metadata.transaction((tx) => this.#putObjectVersion(tx, version));
      if (outcome.status === "duplicate") {
        throw duplicateError(job, sent.ObjectName, outcome.checksum);
      }
      if (outcome.status === "claim-lost") {
        throw new ServiceUnavailableException(
          "The chunk's claim expired before its record was written; retry",
        );
      }
      return {
        $metadata: {},
        InlineChunkChecksum: ingested ? encodeBase64(ingested.digest) : EMPTY_CHECKSUM,
        InlineChunkChecksumAlgorithm: "SHA256",
        ObjectChecksum: summary,
        ObjectChecksumAlgorithm: "SUMMARY",
      };
    } catch (error) {
      if (ingested) await this.#claims.abandon(ingested);
      throw error;
    }
  }

  /**
   * Inside a transaction: `MetadataStore.putObjectVersion` for an engine without
   * it (a duplicate or a lost claim is thrown, rolling everything back).
   */
  async #putObjectVersion(
    tx: MetadataTransaction,
    version: PutObjectVersionInput,
  ): Promise<PutObjectVersionOutcome> {
    const { job, name, now, chunk } = version;
    await tx.ensureJob(job, now);
    const current = await tx.currentVersion(job, name);
    if (current) {
      if (version.throwOnDuplicate) checkDuplicate(current, job, decoder.decode(name));
      await tx.retireVersion(current.id, now);
    }
    const size = chunk?.length ?? 0;
    const versionId = await tx.insertVersion({
      job,
      name,
      state: VersionState.Current,
      chunks_count: chunk ? 1 : 0,
      size,
      object_checksum: version.objectChecksum,
      metadata_string: version.metadataString,
      meta_digest: null,
      meta_length: null,
      completed_at: now,
      retired_at: null,
    });
    if (chunk) {
      await this.#claims.record(tx, chunk);
      await tx.putChunk(versionId, 0, chunk.digest, size, chunk.crc32);
    }
    await tx.addUsage(job, current ? 0 : 1, size - (current?.size ?? 0));
    return { status: "stored", versionId, replacedId: current?.id ?? null };
  }

  /** Lists one page of a job's current objects, names in byte order. */
  listObjects(input: ListObjectsInput, _options?: OperationOptions): Promise<ListObjectsOutput> {
    return this.#trackOperation(async () => {
      const job = input.StorageJobId;
      validateJobId(job);
      const size = pageSize(input.MaxResults);
      let state: ObjectPageState;
      let inclusive: boolean;
      if (input.NextToken !== undefined) {
        state = this.#readObjectPage(job, input.NextToken);
        inclusive = false;
      } else {
        const prefix = optionalText(input.StartingObjectPrefix, "StartingObjectPrefix");
        const start = optionalText(input.StartingObjectName, "StartingObjectName");
        const prefixBytes = encoder.encode(prefix ?? "");
        const startBytes = encoder.encode(start ?? "");
        state = {
          last: compareBytes(startBytes, prefixBytes) > 0 ? startBytes : prefixBytes,
          upper: prefixBytes.byteLength > 0 ? prefixUpperBound(prefixBytes) : NO_UPPER,
          before: optionalTime(input.CreatedBefore, "CreatedBefore"),
          after: optionalTime(input.CreatedAfter, "CreatedAfter"),
        };
        inclusive = true;
      }
      const output: ListObjectsOutput = { $metadata: {}, ObjectList: [] };
      if (compareBytes(state.last, state.upper) >= 0) return output;
      const filtered = state.before !== undefined || state.after !== undefined;
      const rows = await this.#metadata.listCurrent(
        job,
        { lower: state.last, inclusive, upper: state.upper },
        filtered ? FILTERED_SCAN_LIMIT : size + 1,
      );
      let resumeAfter: Uint8Array | undefined;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        if (output.ObjectList.length === size) {
          resumeAfter = rows[i - 1].name;
          break;
        }
        const completed = row.completed_at ?? 0;
        if (state.before !== undefined && !(completed < state.before)) continue;
        if (state.after !== undefined && !(completed > state.after)) continue;
        output.ObjectList.push(this.#objectOf(row, job));
      }
      if (resumeAfter === undefined && filtered && rows.length === FILTERED_SCAN_LIMIT) {
        // The scan budget ran out: continue after the last row examined.
        resumeAfter = rows[rows.length - 1].name;
      }
      if (resumeAfter !== undefined) {
        output.NextToken = this.#writeObjectPage(job, { ...state, last: resumeAfter });
      }
      return output;
    });
  }

  /** Lists one page of a version's chunks, by index. */
  listChunks(input: ListChunksInput, _options?: OperationOptions): Promise<ListChunksOutput> {
    return this.#trackOperation(async () => {
      const job = input.StorageJobId;
      validateJobId(job);
      const size = pageSize(input.MaxResults);
      const version = await this.#visibleVersion(job, input.ObjectToken);
      let from = 0;
      if (input.NextToken !== undefined) {
        const ids = unpackIds(
          this.#tokens.verify(TokenKind.ChunkPage, job, input.NextToken) ?? new Uint8Array(),
          2,
        );
        if (!ids || ids[0] !== version.id) {
          throw new IllegalArgumentException("NextToken is not valid for this object's chunk list");
        }
        from = ids[1];
      }
      const rows = await this.#chunkRows(version, from, size + 1);
      const output: ListChunksOutput = { $metadata: {}, ChunkList: [] };
      for (const row of rows.slice(0, size)) {
        output.ChunkList.push(
          {
            Index: row.idx,
            Length: row.length,
            Checksum: encodeBase64(row.digest),
            ChecksumAlgorithm: "SHA256",
            ChunkToken: this.#tokens.sign(TokenKind.Chunk, job, packIds(version.id, row.idx)),
          } satisfies Chunk,
        );
      }
      if (rows.length > size) {
        output.NextToken = this.#tokens.sign(
          TokenKind.ChunkPage,
          job,
          packIds(version.id, rows[size].idx),
        );
      }
      return output;
    });
  }

  /** Streams one chunk's bytes. */
  getChunk(input: GetChunkInput, _options?: OperationOptions): Promise<GetChunkOutput> {
    return this.#trackOperation(async () => {
      const chunk = await this.#chunkOfToken(input.StorageJobId, input.ChunkToken);
      return {
        $metadata: {},
        Data: await this.#open(chunk.digest, chunk.length),
        Length: chunk.length,
        Checksum: encodeBase64(chunk.digest),
        ChecksumAlgorithm: "SHA256",
      };
    });
  }

  /**
   * The verified bytes of one chunk, read in this process (see
   * `VerifiedChunkReader`): a chunk file of the local chunk store is read into
   * `options.into` (when long enough) and checked against the CRC-32 recorded when
   * it was written; a chunk without one, a chunk of another chunk store (S3) or
   * kept in the database is checked against its SHA-256. A chunk whose bytes fail
   * the check, or that is not the `checksum`/`length` expected, is
   * `Deno.errors.InvalidData` naming its digest; no byte of it is returned.
   */
  readVerifiedChunk(
    jobId: string,
    chunkToken: string,
    options?: ReadVerifiedChunkOptions,
  ): Promise<Uint8Array> {
    return this.#trackOperation(async () => {
      const signal = options?.signal;
      signal?.throwIfAborted();
      const chunk = await this.#chunkOfToken(jobId, chunkToken);
      // Named only when it fails: the hex costs a string per chunk read.
      const name = () => `chunk ${toHex(chunk.digest)} (${chunk.length} bytes)`;
      if (
        (options?.checksum !== undefined && options.checksum !== encodeBase64(chunk.digest)) ||
        (options?.length !== undefined && options.length !== chunk.length)
      ) {
        throw new Deno.errors.InvalidData(
          `${name()} is not the chunk expected (its checksum or length differs from the caller's)`,
        );
      }
      const into = options?.into;
      const bytes = into !== undefined && into.byteLength >= chunk.length
        ? into.subarray(0, chunk.length)
        : new Uint8Array(chunk.length);
      const inline = chunk.length <= MAX_INLINE_CHUNK_BYTES
        ? await this.#metadata.inlineChunk(chunk.digest)
        : undefined;
      if (inline !== undefined) {
        // Small, kept in the database (maybe a remote one): its SHA-256, in place.
        if (inline.byteLength !== chunk.length || !sameBytes(sha256(inline), chunk.digest)) {
          throw new Deno.errors.InvalidData(
            `${name()}: its bytes kept in the database do not match its SHA-256`,
          );
        }
        bytes.set(inline);
        return bytes;
      }
      if (chunk.crc32 !== null && this.#chunks instanceof LocalChunkStore) {
        // A chunk file of this machine's disk: the CRC-32 recorded at write time.
        const whole = await this.#chunks.readInto(chunk.digest, bytes);
        signal?.throwIfAborted();
        if (whole === undefined) throw versionGone();
        if (!whole) {
          throw new Deno.errors.InvalidData(
            `${name()}: its file holds another number of bytes (the store is damaged)`,
          );
        }
        if (crc32(bytes) !== chunk.crc32) {
          throw new Deno.errors.InvalidData(
            `${name()}: its file's bytes do not match the CRC-32 recorded when it was written ` +
              `(the store is damaged)`,
          );
        }
        return bytes;
      }
      // In a remote chunk store (S3), or written before CRCs were recorded: the SHA-256.
      const stream = await this.#chunks.get(chunk.digest, chunk.length);
      if (!stream) throw versionGone();
      const whole = await readStreamInto(stream, bytes, signal);
      signal?.throwIfAborted();
      if (!whole || !sameBytes(sha256(bytes), chunk.digest)) {
        throw new Deno.errors.InvalidData(
          `${name()}: its stored bytes do not match its SHA-256 (the store is damaged)`,
        );
      }
      return bytes;
    });
  }

  /** The chunk row of a chunk token of `job`, whose version is still visible. */
  async #chunkOfToken(job: string, chunkToken: unknown): Promise<ChunkRow> {
    validateJobId(job);
    const ids = unpackIds(
      this.#tokens.verify(TokenKind.Chunk, job, chunkToken) ?? new Uint8Array(),
      2,
    );
    if (!ids) {
      throw new IllegalArgumentException("ChunkToken is not a valid chunk token for this job");
    }
    const version = await this.#version(ids[0]);
    if (!version || version.job !== job || !this.#isVisible(version)) throw versionGone();
    const chunk = this.#visible.chunks(ids[0])?.[ids[1]] ??
      await this.#metadata.chunk(ids[0], ids[1]);
    if (!chunk) {
      throw new ResourceNotFoundException("The chunk of this ChunkToken does not exist");
    }
    return chunk;
  }

  /** Reads the metadata string and blob stored with a version. */
  getObjectMetadata(
    input: GetObjectMetadataInput,
    _options?: OperationOptions,
  ): Promise<GetObjectMetadataOutput> {
    return this.#trackOperation(async () => {
      const job = input.StorageJobId;
      validateJobId(job);
      const version = await this.#visibleVersion(job, input.ObjectToken);
      const output: GetObjectMetadataOutput = {
        $metadata: {},
        MetadataBlob: emptyStream(),
        MetadataBlobLength: 0,
      };
      if (version.metadata_string !== null) output.MetadataString = version.metadata_string;
      if (version.meta_digest !== null) {
        output.MetadataBlobLength = version.meta_length ?? 0;
        output.MetadataBlob = await this.#open(version.meta_digest, output.MetadataBlobLength);
        output.MetadataBlobChecksum = encodeBase64(version.meta_digest);
        output.MetadataBlobChecksumAlgorithm = "SHA256";
      }
      return output;
    });
  }

  /** Removes the current version of an object; readers holding its token keep it through the grace period. */
  deleteObject(input: DeleteObjectInput, _options?: OperationOptions): Promise<DeleteObjectOutput> {
    return this.#trackOperation(async () => {
      const job = input.BackupJobId;
      validateJobId(job);
      validateObjectName(input.ObjectName);
      const name = encoder.encode(input.ObjectName);
      await this.#metadata.transaction(async (tx) => {
        const current = await tx.currentVersion(job, name);
        if (!current) {
          throw new ResourceNotFoundException(
            `No object named ${JSON.stringify(input.ObjectName)} in job ${job}`,
          );
        }
        await tx.retireVersion(current.id, this.#now());
        await tx.addUsage(job, -1, -(current.size ?? 0));
      });
      return { $metadata: {} };
    });
  }

  // ------------------------------------------------------------- helpers

  /** Runs an operation, in flight until it settles (`close` waits for it); refused once closed. */
  #trackOperation<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    let promise: Promise<T>;
    try {
      promise = fn();
    } catch (error) {
      return Promise.reject(error);
    }
    this.#inflight.add(promise);
    const done = () => this.#inflight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /**
   * Writes a body to a chunk staged in the chunk store, checks it, claims its
   * digest, and stores it under the digest unless a record already references
   * that content. The caller records its reference with the claim
   * (`ChunkClaims.record`) or abandons it (`ChunkClaims.abandon`).
   */
  async #ingest(
    body: StreamingBody | undefined,
    options: {
      length: number;
      expected?: Uint8Array;
      member: string;
      lengthMember: string;
      checksumMember: string;
      signal?: AbortSignal;
    },
  ): Promise<Ingested> {
    if (options.length <= this.#inlineBytes) {
      const { bytes, digest, crc32 } = await readBody(body, options);
      this.#checkDigest(digest, options);
      return { digest, crc32, inline: bytes };
    }
    let staged;
    try {
      staged = await this.#chunks.stage();
    } catch (error) {
      await discardBody(body);
      throw error;
    }
    let digest: Uint8Array;
    let crc: number;
    try {
      ({ digest, crc32: crc } = await writeBody(body, staged, options));
      this.#checkDigest(digest, options);
    } catch (error) {
      await staged.discard();
      throw error;
    }
    let claim;
    try {
      // Waits for a collector deleting these bytes (unreferenced until now) to finish.
      claim = await this.#claims.claim(digest);
    } catch (error) {
      await staged.discard();
      throw error;
    }
    const ingested = { digest, crc32: crc, claimId: claim.claimId };
    try {
      if (claim.referenced) await staged.discard();
      else await this.#chunks.put(digest, staged);
    } catch (error) {
      await this.#claims.abandon(ingested);
      throw error;
    }
    return ingested;
  }

  #checkDigest(
    digest: Uint8Array,
    options: { expected?: Uint8Array; member: string; checksumMember: string },
  ): void {
    if (options.expected && !sameBytes(digest, options.expected)) {
      throw new IllegalArgumentException(
        `${options.checksumMember} does not match the SHA-256 of the ${options.member} received`,
      );
    }
  }

  /** The bytes stored under a digest: kept in the database when small, else in the chunk store. */
  async #open(digest: Uint8Array, length: number): Promise<ReadableStream<Uint8Array>> {
    const inline = length <= MAX_INLINE_CHUNK_BYTES
      ? await this.#metadata.inlineChunk(digest)
      : undefined;
    if (inline) return bytesStream(inline);
    const stream = await this.#chunks.get(digest, length);
    if (!stream) throw versionGone();
    return stream;
  }

  /** An upload row that is pending in `job`, or the error that it is not. */
  #pendingUpload(job: string, upload: UploadRow | undefined): UploadRow {
    if (!upload || upload.job !== job || upload.completed || upload.expires_at <= this.#now()) {
      throw notPending();
    }
    return upload;
  }

  /** The answer to a repeated completion, `undefined` for an upload still pending. */
  #completionState(
    job: string,
    upload: UploadRow | undefined,
    checksum: string,
  ): NotifyObjectCompleteOutput | undefined {
    if (!upload || upload.job !== job || upload.expires_at <= this.#now()) throw notPending();
    if (!upload.completed) return undefined;
    if (upload.object_checksum !== checksum) {
      throw new IllegalArgumentException(
        "This upload was already completed with a different ObjectChecksum",
      );
    }
    return completeOutput(checksum);
  }

  #isVisible(version: VersionRow): boolean {
    if (version.state === VersionState.Current) return true;
    return version.state === VersionState.Retired && version.retired_at !== null &&
      this.#now() < version.retired_at + this.#grace;
  }

  async #visibleVersion(job: string, token: unknown): Promise<VersionRow> {
    const ids = unpackIds(
      this.#tokens.verify(TokenKind.Object, job, token) ?? new Uint8Array(),
      1,
    );
    if (!ids) {
      throw new IllegalArgumentException("ObjectToken is not a valid object token for this job");
    }
    const version = await this.#version(ids[0]);
    if (!version || version.job !== job || !this.#isVisible(version)) throw versionGone();
    return version;
  }

  /** A version's row: one seen current lately (see `visible_versions.ts`), else read. */
  async #version(id: number): Promise<VersionRow | undefined> {
    const seen = this.#visible.version(id);
    if (seen !== undefined) return seen;
    const version = await this.#metadata.version(id);
    if (version !== undefined) this.#visible.remember(version);
    return version;
  }

  /** Up to `limit` chunk rows of a visible version from index `from`, kept ones first. */
  async #chunkRows(version: VersionRow, from: number, limit: number): Promise<ChunkRow[]> {
    const kept = this.#visible.chunks(version.id);
    if (kept !== undefined) return kept.slice(from, from + limit);
    const rows = await this.#metadata.listChunks(version.id, from, limit);
    if (from === 0 && rows.length < limit) this.#visible.rememberChunks(version.id, rows);
    return rows;
  }

  /** The `ListObjects` entry of a listed version, with its signed object token. */
  #objectOf(row: ListedVersion, job: string): BackupObject {
    const object: BackupObject = {
      Name: decoder.decode(row.name),
      ChunksCount: row.chunks_count ?? 0,
      ObjectChecksum: row.object_checksum ?? "",
      ObjectChecksumAlgorithm: "SUMMARY",
      ObjectToken: this.#tokens.sign(TokenKind.Object, job, packIds(row.id)),
    };
    if (row.metadata_string !== null) object.MetadataString = row.metadata_string;
    return object;
  }

  #writeObjectPage(job: string, state: ObjectPageState): string {
    const payload = JSON.stringify({
      l: Buffer.from(state.last).toString("base64url"),
      u: state.upper === NO_UPPER ? null : Buffer.from(state.upper).toString("base64url"),
      b: state.before ?? null,
      a: state.after ?? null,
    });
    return this.#tokens.sign(TokenKind.ObjectPage, job, encoder.encode(payload));
  }

  #readObjectPage(job: string, token: unknown): ObjectPageState {
    const payload = this.#tokens.verify(TokenKind.ObjectPage, job, token);
    if (!payload) {
      throw new IllegalArgumentException("NextToken is not valid for this job's listing");
    }
    const parsed = JSON.parse(decoder.decode(payload)) as {
      l: string;
      u: string | null;
      b: number | null;
      a: number | null;
    };
    return {
      last: new Uint8Array(Buffer.from(parsed.l, "base64url")),
      upper: parsed.u === null ? NO_UPPER : new Uint8Array(Buffer.from(parsed.u, "base64url")),
      before: parsed.b ?? undefined,
      after: parsed.a ?? undefined,
    };
  }
}

/** Refuses a name that has a current version (`ThrowOnDuplicate`). */
function checkDuplicate(current: VersionRow | undefined, job: string, displayName: string): void {
  if (current) throw duplicateError(job, displayName, current.object_checksum);
}

/** The refusal of a name that has a current version, whose checksum it gives. */
function duplicateError(
  job: string,
  displayName: string,
  checksum: string | null,
): DataAlreadyExistsException {
  return new DataAlreadyExistsException(
    `An object named ${JSON.stringify(displayName)} already exists in job ${job}`,
    { checksum: checksum ?? undefined, checksumAlgorithm: "SUMMARY" },
  );
}

/** Inside a transaction: a new pending (invisible) version of a name, its job created if new. */
async function insertPending(
  tx: MetadataTransaction,
  job: string,
  name: Uint8Array,
  now: number,
): Promise<number> {
  await tx.ensureJob(job, now);
  return await tx.insertVersion(pendingVersion(job, name));
}

/** Inside a transaction: retires the current version of `version`'s name, if any. */
async function replaceCurrent(
  tx: MetadataTransaction,
  version: VersionRow,
  throwOnDuplicate: boolean,
  now: number,
): Promise<void> {
  const current = await tx.currentVersion(version.job, version.name);
  if (!current) return;
  if (throwOnDuplicate) checkDuplicate(current, version.job, decoder.decode(version.name));
  await tx.retireVersion(current.id, now);
  await tx.addUsage(version.job, -1, -(current.size ?? 0));
}

function completeOutput(checksum: string): NotifyObjectCompleteOutput {
  return { $metadata: {}, ObjectChecksum: checksum, ObjectChecksumAlgorithm: "SUMMARY" };
}

function notPending(): ResourceNotFoundException {
  return new ResourceNotFoundException("No pending upload with that UploadId in this job");
}

function versionGone(): ResourceNotFoundException {
  return new ResourceNotFoundException(
    "The object version no longer exists (deleted or replaced, and its grace period is over)",
  );
}

function closedError(): ServiceUnavailableException {
  return new ServiceUnavailableException("The store is closed");
}

function optionalText(value: unknown, member: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string" || !value.isWellFormed() || value.includes("\0")) {
    throw new IllegalArgumentException(`${member} must be well-formed text without NUL`);
  }
  return value;
}

/** A stream of one piece. */
function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.close();
    },
  });
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/**
 * Reads a stream into `into` (exactly its length): `true` when it held exactly
 * that many bytes, `false` when fewer or more. Cancelled on `signal`, on an error,
 * and once it overflows.
 */
async function readStreamInto(
  stream: ReadableStream<Uint8Array>,
  into: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const reader = stream.getReader();
  const onAbort = () => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let filled = 0;
    // Bounded by the stream's length: stops as soon as it runs past `into`.
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) return filled === into.byteLength;
      if (filled + value.byteLength > into.byteLength) {
        await reader.cancel().catch(() => {});
        return false;
      }
      into.set(value, filled);
      filled += value.byteLength;
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
