/**
 * The streaming write path of BackupFS: bytes go in, fixed-size chunks go up.
 *
 * An {@link ObjectWriter} cuts what it is given into chunks of `chunkSize` bytes,
 * hashes each chunk once, and keeps up to `inFlight` `PutChunk`s running while the
 * caller keeps writing; `write()` waits when the pipeline is full, so memory stays
 * at about `(inFlight + 1) × chunkSize` whatever the file size. Nothing becomes
 * visible until {@link ObjectWriter.close}: a file that fits one chunk goes up in a
 * single `PutObject`, a larger one is completed by `NotifyObjectComplete`, which
 * replaces any old version atomically. A failed or aborted writer leaves the old
 * version untouched (its pending upload simply expires).
 *
 * @module
 */

import { type BackupStorage, isLocalChunkStorage } from "../storage/backup_storage.ts";
import {
  checksumToDigest,
  chunkChecksum,
  encodeBase64,
  sha256Async,
  SummaryHasher,
} from "../storage/checksum.ts";
import { BackupStorageServiceError, DataAlreadyExistsException } from "../storage/errors.ts";
import { DEFAULT_MAX_CHUNK_LENGTH } from "../storage/limits.ts";
import type { OperationOptions } from "../storage/types.ts";

/**
 * Default chunk size of an {@link ObjectWriter}: 4 MiB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_CHUNK_SIZE } from "./object_writer.ts";
 * assert.equal(DEFAULT_CHUNK_SIZE, 4 * 1024 * 1024);
 * ```
 */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

/**
 * Default number of `PutChunk`s an {@link ObjectWriter} keeps in flight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_IN_FLIGHT } from "./object_writer.ts";
 * assert.equal(DEFAULT_IN_FLIGHT, 4);
 * ```
 */
export const DEFAULT_IN_FLIGHT = 4;

/** The first buffer of a writer starts this small and doubles up to the chunk size. */
const INITIAL_BUFFER = 64 * 1024;

/**
 * What {@link ObjectWriter.close} reports about the stored object.
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
 * What the metadata callback of {@link ObjectWriter.close} returns: the string
 * and blob stored with the new version.
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
 * Options of {@link ObjectWriter}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ObjectWriter, type ObjectWriterOptions } from "./object_writer.ts";
 * const options: ObjectWriterOptions = {
 *   jobId: "job-1",
 *   objectName: "videos/big.mp4",
 *   path: "/videos/big.mp4",
 *   chunkSize: 8 * 1024 * 1024,
 *   inFlight: 3,
 * };
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   assert.equal(new ObjectWriter(store, options).size, 0); // nothing sent yet
 *   assert.throws(() => new ObjectWriter(store, { ...options, inFlight: 65 }), RangeError);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface ObjectWriterOptions {
  /** Job whose namespace receives the object. */
  jobId: string;
  /** Name of the object. */
  objectName: string;
  /** The filesystem path, used in error messages. */
  path: string;
  /** Bytes per chunk, 1 B to 64 MiB (default 4 MiB). */
  chunkSize?: number;
  /** `PutChunk`s in flight at once, 1 to 64 (default 4). */
  inFlight?: number;
  /** Fail with `Deno.errors.AlreadyExists` when an object of that name exists. */
  throwOnDuplicate?: boolean;
  /** Aborts the upload, as {@link ObjectWriter.abort} does; the writer fails with the signal's reason. */
  signal?: AbortSignal;
  /** Extra attempts of a storage call whose error is `retryable` (default 4). */
  retries?: number;
  /** First backoff delay between attempts in ms, doubled each time (default 50). */
  retryDelayMs?: number;
}

/**
 * Counters of an {@link ObjectWriter}, for tests and monitoring.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ObjectWriter, type WriterStats } from "./object_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const writer = new ObjectWriter(store, {
 *     jobId: "job-1",
 *     objectName: "a",
 *     path: "/a",
 *     chunkSize: 4,
 *     inFlight: 2,
 *   });
 *   await writer.write(new Uint8Array(12)); // three chunks of 4 bytes
 *   assert.equal((await writer.close()).chunkCount, 3);
 *   const stats: WriterStats = writer.stats;
 *   assert.ok(stats.peakInFlight >= 1 && stats.peakInFlight <= 2); // bounded by inFlight
 *   assert.equal(stats.retries, 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface WriterStats {
  /** Chunk buffers allocated over the writer's life (they are reused). */
  buffers: number;
  /** Most `PutChunk`s that were in flight at once. */
  peakInFlight: number;
  /** Storage calls that failed with a retryable error and were sent again. */
  retries: number;
}

type State = "open" | "closing" | "closed" | "aborted" | "failed";

/**
 * Streams one new version of an object into a `BackupStorage`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ObjectWriter } from "./object_writer.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const writer = new ObjectWriter(store, {
 *   jobId: "job-1",
 *   objectName: "notes/hello.txt",
 *   path: "/notes/hello.txt",
 * });
 * await writer.write(new TextEncoder().encode("hello, "));
 * await writer.write(new TextEncoder().encode("world"));
 * assert.equal(writer.size, 12);
 * const result = await writer.close(({ size }) => ({ metadataString: `v1;size=${size}` }));
 * assert.equal(result.size, 12);
 * assert.equal(result.chunkCount, 1); // it fits one chunk: one PutObject
 * const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 * assert.equal(object.Name, "notes/hello.txt");
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ObjectWriter {
  readonly #storage: BackupStorage;
  readonly #jobId: string;
  readonly #objectName: string;
  readonly #path: string;
  readonly #chunkSize: number;
  readonly #inFlightLimit: number;
  readonly #throwOnDuplicate: boolean;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #controller = new AbortController();
  readonly #signal: AbortSignal;
  /** Settles when the writer is aborted or fails, to wake a write() waiting for a slot. */
  readonly #stopped: Promise<void>;
  /** Each dispatched chunk's digest, by index (hashed in its own task). */
  readonly #digests: Uint8Array[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #pool: Uint8Array[] = [];
  readonly #stats: WriterStats = { buffers: 0, peakInFlight: 0, retries: 0 };
  readonly #onSignal: () => void;
  #userSignal?: AbortSignal;

  #state: State = "open";
  #failure: unknown;
  #buffer?: Uint8Array;
  #filled = 0;
  #size = 0;
  #nextIndex = 0;
  #upload?: Promise<string>;
  /** Serializes write() and close() in call order. */
  #tail: Promise<unknown> = Promise.resolve();
  #closing?: Promise<WriterResult>;
  #aborting?: Promise<void>;

  /**
   * Prepares a writer; nothing is sent to storage until a chunk must go out or
   * {@link close} is called. Throws `RangeError` on an out-of-range option.
   */
  constructor(storage: BackupStorage, options: ObjectWriterOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#objectName = options.objectName;
    this.#path = options.path;
    this.#chunkSize = integerOption(
      options.chunkSize,
      "chunkSize",
      DEFAULT_CHUNK_SIZE,
      1,
      DEFAULT_MAX_CHUNK_LENGTH,
    );
    this.#inFlightLimit = integerOption(options.inFlight, "inFlight", DEFAULT_IN_FLIGHT, 1, 64);
    this.#retries = integerOption(options.retries, "retries", 4, 0, 100);
    this.#retryDelayMs = integerOption(options.retryDelayMs, "retryDelayMs", 50, 0, 60_000);
    this.#throwOnDuplicate = options.throwOnDuplicate === true;
    this.#signal = this.#controller.signal;
    this.#stopped = new Promise((resolve) => {
      this.#signal.addEventListener("abort", () => resolve(), { once: true });
    });
    this.#onSignal = () => this.#fail(this.#userSignal?.reason);
    if (options.signal) {
      this.#userSignal = options.signal;
      if (options.signal.aborted) this.#fail(options.signal.reason);
      else options.signal.addEventListener("abort", this.#onSignal, { once: true });
    }
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /** Counters: buffers allocated, peak `PutChunk`s in flight, retries. */
  get stats(): Readonly<WriterStats> {
    return { ...this.#stats };
  }

  /**
   * Appends bytes. Resolves once they are copied into a chunk buffer (the caller
   * may then reuse `bytes`); waits while `inFlight` chunks are being sent and the
   * current buffer is full. Rejects, and the writer stays failed, when an upload
   * step failed; rejects with `Deno.errors.BadResource` after close or abort.
   */
  write(bytes: Uint8Array): Promise<void> {
    if (!(bytes instanceof Uint8Array)) {
      return Promise.reject(new TypeError(`write to ${this.#path}: bytes must be a Uint8Array`));
    }
    const step = this.#tail.then(() => this.#append(bytes));
    this.#tail = step.catch(() => {});
    return step;
  }

  /**
   * Finishes the upload and makes the new version visible, atomically. A total
   * that fits one chunk, with no upload started, goes up in one `PutObject` (or,
   * when a metadata blob is given, `StartObject` + one `PutChunk` +
   * `NotifyObjectComplete`, since `PutObject` carries no blob); otherwise the last
   * chunk is put and `NotifyObjectComplete` sends the `SUMMARY`. `metadata`
   * receives the final size and checksum and returns the string and blob to store.
   * Calling it again returns the first call's outcome.
   */
  close(metadata?: (result: WriterResult) => WriterMetadata): Promise<WriterResult> {
    if (this.#closing) return this.#closing;
    const step = this.#tail.then(() => this.#finish(metadata));
    this.#closing = step;
    this.#tail = step.catch(() => {});
    return step;
  }

  /**
   * Abandons the upload: nothing becomes visible, in-flight `PutChunk`s are
   * aborted and awaited, the old version (if any) is untouched and the pending
   * upload is left to expire. Idempotent; safe after a failure; a no-op after a
   * successful close.
   */
  abort(): Promise<void> {
    this.#aborting ??= (async () => {
      if (this.#state === "closed") return;
      const interrupted = new Deno.errors.Interrupted(`write to ${this.#path} was aborted`);
      if (this.#state === "open") {
        this.#state = "aborted";
        this.#failure = interrupted;
        this.#controller.abort(interrupted);
        this.#release();
      } else if (this.#state === "closing") {
        // A commit already sent cannot be taken back; anything not yet sent is cancelled.
        this.#fail(interrupted);
      }
      await this.#drain();
      if (this.#closing) await this.#closing.catch(() => {});
      if (this.#upload) await this.#upload.catch(() => {});
    })();
    return this.#aborting;
  }

  // ------------------------------------------------------------------ internals

  async #append(bytes: Uint8Array): Promise<void> {
    this.#check("write to");
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (this.#buffer && this.#filled === this.#chunkSize) {
        // Only now is it known that the object is bigger than this chunk.
        await this.#dispatch();
        this.#check("write to");
      }
      const want = Math.min(this.#chunkSize - this.#filled, bytes.byteLength - offset);
      const buffer = this.#room(want);
      buffer.set(bytes.subarray(offset, offset + want), this.#filled);
      this.#filled += want;
      this.#size += want;
      offset += want;
    }
  }

  /** The current buffer, grown or taken from the pool so that `want` more bytes fit. */
  #room(want: number): Uint8Array {
    const needed = this.#filled + want;
    if (this.#buffer && this.#buffer.byteLength >= needed) return this.#buffer;
    if (!this.#buffer && this.#pool.length > 0) {
      this.#buffer = this.#pool.pop()!;
      return this.#buffer;
    }
    // Before the first chunk goes out, grow geometrically: a small file never
    // costs a whole chunk of memory. Afterwards every buffer is a full chunk.
    let capacity = this.#chunkSize;
    if (this.#nextIndex === 0) {
      capacity = Math.max(INITIAL_BUFFER, this.#buffer?.byteLength ?? 0);
      while (capacity < needed) capacity *= 2;
      capacity = Math.min(capacity, this.#chunkSize);
    }
    const grown = new Uint8Array(capacity);
    if (this.#buffer) {
      grown.set(this.#buffer.subarray(0, this.#filled));
    } else {
      this.#stats.buffers++;
    }
    this.#buffer = grown;
    return grown;
  }

  /** Sends the current buffer as the next chunk, waiting for a free slot first. */
  async #dispatch(): Promise<void> {
    while (this.#inFlight.size >= this.#inFlightLimit && !this.#signal.aborted) {
      await Promise.race([...this.#inFlight, this.#stopped]);
    }
    this.#check("write to");
    const buffer = this.#buffer!;
    const data = buffer.subarray(0, this.#filled);
    this.#buffer = undefined;
    this.#filled = 0;
    const index = this.#nextIndex++;
    this.#startUpload();
    // Hashed in the task, off the event loop: the next chunk fills meanwhile, and
    // several chunks in flight hash on several cores.
    const task = this.#hashAndPut(index, data).then(
      () => {
        this.#inFlight.delete(task);
        if (buffer.byteLength === this.#chunkSize && this.#state === "open") {
          this.#pool.push(buffer);
        }
      },
      (error) => {
        this.#inFlight.delete(task);
        this.#fail(error);
      },
    );
    this.#inFlight.add(task);
    this.#stats.peakInFlight = Math.max(this.#stats.peakInFlight, this.#inFlight.size);
  }

  async #hashAndPut(index: number, data: Uint8Array): Promise<void> {
    const storage = this.#storage;
    if (isLocalChunkStorage(storage)) {
      // A store in this process hashes what it stores: one hash per chunk, not two.
      const uploadId = await this.#upload!;
      const output = await this.#retry((options) =>
        storage.putChunkHashed({
          BackupJobId: this.#jobId,
          UploadId: uploadId,
          ChunkIndex: index,
          Data: data,
          Length: data.byteLength,
        }, options)
      );
      const digest = checksumToDigest(output.ChunkChecksum ?? "");
      if (!digest) {
        throw new Deno.errors.InvalidData(
          `write to ${this.#path}: storage returned no valid checksum for chunk ${index}`,
        );
      }
      this.#digests[index] = digest;
      return;
    }
    const digest = await sha256Async(data);
    this.#digests[index] = digest;
    await this.#putChunk(index, data, digest);
  }

  async #putChunk(index: number, data: Uint8Array, digest: Uint8Array): Promise<void> {
    const uploadId = await this.#upload!;
    const checksum = encodeBase64(digest);
    await this.#retry((options) =>
      this.#storage.putChunk({
        BackupJobId: this.#jobId,
        UploadId: uploadId,
        ChunkIndex: index,
        Data: data,
        Length: data.byteLength,
        Checksum: checksum,
        ChecksumAlgorithm: "SHA256",
      }, options)
    );
  }

  async #finish(metadata?: (result: WriterResult) => WriterMetadata): Promise<WriterResult> {
    this.#check("close");
    this.#state = "closing";
    try {
      const result = this.#upload === undefined
        ? await this.#finishSmall(metadata)
        : await this.#finishLarge(metadata);
      // The commit succeeded: the new version is visible, whatever was requested meanwhile.
      this.#state = "closed";
      return result;
    } catch (error) {
      this.#fail(error);
      await this.#drain();
      throw this.#failure;
    } finally {
      this.#release();
    }
  }

  /** At most one chunk and no upload started: one `PutObject`, unless a blob must go too. */
  async #finishSmall(metadata?: (result: WriterResult) => WriterMetadata): Promise<WriterResult> {
    const data = this.#buffer?.subarray(0, this.#filled) ?? new Uint8Array();
    const digests = data.byteLength > 0 ? [await sha256Async(data)] : [];
    const summary = new SummaryHasher();
    for (const digest of digests) summary.add(digest);
    const result: WriterResult = {
      objectChecksum: summary.checksum(),
      size: data.byteLength,
      chunkCount: digests.length,
    };
    const extra = this.#metadata(metadata, result);
    if (extra.blob) {
      // PutObject carries no blob: StartObject, at most one PutChunk, NotifyObjectComplete.
      this.#checkClosing();
      this.#startUpload();
      if (data.byteLength > 0) {
        this.#nextIndex = 1;
        await this.#putChunk(0, data, digests[0]);
      }
      return await this.#complete(result, extra);
    }
    this.#checkClosing();
    const output = await this.#retry((options) =>
      this.#storage.putObject({
        BackupJobId: this.#jobId,
        ObjectName: this.#objectName,
        MetadataString: extra.string,
        ...(data.byteLength > 0
          ? {
            InlineChunk: data,
            InlineChunkLength: data.byteLength,
            InlineChunkChecksum: encodeBase64(digests[0]),
            InlineChunkChecksumAlgorithm: "SHA256",
          }
          : {}),
        ObjectChecksum: result.objectChecksum,
        ObjectChecksumAlgorithm: "SUMMARY",
        ThrowOnDuplicate: this.#throwOnDuplicate || undefined,
      }, options)
    );
    this.#checkStored(output.ObjectChecksum, result.objectChecksum);
    return result;
  }

  /** Puts the last chunk, waits for every chunk, then completes the upload. */
  async #finishLarge(metadata?: (result: WriterResult) => WriterMetadata): Promise<WriterResult> {
    if (this.#filled > 0) await this.#dispatch();
    await this.#drain();
    this.#check("close");
    const summary = new SummaryHasher();
    for (let index = 0; index < this.#nextIndex; index++) summary.add(this.#digests[index]);
    const result: WriterResult = {
      objectChecksum: summary.checksum(),
      size: this.#size,
      chunkCount: this.#nextIndex,
    };
    const extra = this.#metadata(metadata, result);
    return await this.#complete(result, extra);
  }

  async #complete(
    result: WriterResult,
    extra: { string?: string; blob?: Uint8Array },
  ): Promise<WriterResult> {
    const uploadId = await this.#upload!;
    this.#checkClosing();
    const blob = extra.blob;
    const output = await this.#retry((options) =>
      this.#storage.notifyObjectComplete({
        BackupJobId: this.#jobId,
        UploadId: uploadId,
        ObjectChecksum: result.objectChecksum,
        ObjectChecksumAlgorithm: "SUMMARY",
        MetadataString: extra.string,
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
    return result;
  }

  /** Starts the pending upload, once. */
  #startUpload(): void {
    if (this.#upload) return;
    this.#upload = this.#retry((options) =>
      this.#storage.startObject({
        BackupJobId: this.#jobId,
        ObjectName: this.#objectName,
        ThrowOnDuplicate: this.#throwOnDuplicate || undefined,
      }, options)
    ).then((output) => output.UploadId);
    // Every chunk task awaits it, but only after hashing: until then a failure
    // must not count as unhandled (the tasks still see it).
    this.#upload.catch(() => {});
  }

  #metadata(
    metadata: ((result: WriterResult) => WriterMetadata) | undefined,
    result: WriterResult,
  ): { string?: string; blob?: Uint8Array } {
    if (!metadata) return {};
    const out = metadata({ ...result });
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

  #checkStored(stored: string, expected: string): void {
    if (stored !== expected) {
      throw new Deno.errors.InvalidData(
        `close ${this.#path}: storage reports checksum ${stored}, expected ${expected}`,
      );
    }
  }

  /** Runs a storage call, sending it again (with backoff) while it fails with a retryable error. */
  async #retry<T>(call: (options: OperationOptions) => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        return await call({ signal: this.#signal });
      } catch (error) {
        if (
          !(error instanceof BackupStorageServiceError) || !error.retryable ||
          attempt >= this.#retries || this.#signal.aborted
        ) {
          throw this.#translate(error);
        }
        this.#stats.retries++;
        const ceiling = Math.min(this.#retryDelayMs * 2 ** attempt, 5_000);
        await sleep(ceiling / 2 + Math.random() * ceiling / 2, this.#signal);
      }
    }
  }

  #translate(error: unknown): unknown {
    if (error instanceof DataAlreadyExistsException) {
      return new Deno.errors.AlreadyExists(`${this.#path} already exists`, { cause: error });
    }
    return error;
  }

  /** Waits until no `PutChunk` is in flight. */
  async #drain(): Promise<void> {
    for (let round = 0; this.#inFlight.size > 0 && round < 1_000_000; round++) {
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** Marks the writer failed with the first error and cancels what is in flight. */
  #fail(error: unknown): void {
    if (this.#state === "open" || this.#state === "closing") {
      this.#state = "failed";
      this.#failure = error;
      this.#controller.abort(error);
      this.#release();
    }
  }

  /** Throws unless the writer can still take bytes (or be closed). */
  #check(action: string): void {
    if (this.#state === "open" || this.#state === "closing") return;
    if (this.#state === "failed" || this.#state === "aborted") throw this.#failure;
    throw new Deno.errors.BadResource(`${action} ${this.#path}: the writer is closed`);
  }

  /** Throws the failure when the writer failed or was aborted during close. */
  #checkClosing(): void {
    if (this.#state !== "closing") throw this.#failure;
  }

  /** Drops buffers and the signal listener once the writer is done. */
  #release(): void {
    if (this.#state === "open" || this.#state === "closing") return;
    this.#buffer = undefined;
    this.#filled = 0;
    this.#pool.length = 0;
    this.#userSignal?.removeEventListener("abort", this.#onSignal);
  }
}

function integerOption(
  value: number | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`ObjectWriter: ${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
