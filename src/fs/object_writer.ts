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
 * The writer is the lifecycle (open, closing, closed, failed, aborted) around two
 * parts: `chunk_pipeline.ts` buffers, hashes and sends the chunks, and
 * `object_commit.ts` makes the version visible. Every storage call of both goes
 * through one retry policy (`_storage_retry.ts`), which never retries what a
 * `BackupStorageClient` already retried.
 *
 * @module
 */

import {
  type BackupStorage,
  isLocalChunkStorage,
  type LocalChunkStorage,
} from "../storage/backup_storage.ts";
import { sha256 } from "../storage/checksum.ts";
import { DEFAULT_MAX_CHUNK_LENGTH } from "../storage/limits.ts";
import { StorageRetry } from "./_storage_retry.ts";
import { ChunkPipeline } from "./chunk_pipeline.ts";
import {
  type CommitMetadata,
  ObjectCommit,
  summarizeChunks,
  type WriterMetadata,
  type WriterResult,
} from "./object_commit.ts";

export type { WriterMetadata, WriterResult } from "./object_commit.ts";

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
  /**
   * Aborts the upload, as {@link ObjectWriter.abort} does; the writer fails with
   * the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Extra attempts of a storage call whose error is `retryable` (default 4). An
   * error that a `BackupStorageClient` already retried under its own
   * `maxAttempts` is not sent again: over HTTP the client's policy is the one.
   */
  retries?: number;
  /**
   * Base of the backoff between attempts in ms (default 50): each wait is random
   * below it, the bound doubling per attempt up to 5 s.
   */
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
  /** Storage calls that failed with a retryable error and were sent again by the writer. */
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
  readonly #path: string;
  readonly #controller = new AbortController();
  /** Aborted when the writer fails or is aborted; its reason is the failure. */
  readonly #signal: AbortSignal;
  readonly #retry: StorageRetry;
  readonly #chunks: ChunkPipeline;
  readonly #commit: ObjectCommit;
  readonly #onSignal: () => void;
  #userSignal?: AbortSignal;

  #state: State = "open";
  /** Serializes write() and close() in call order. */
  #tail: Promise<unknown> = Promise.resolve();
  #closing?: Promise<WriterResult>;
  /** What {@link close} runs right before the commit. */
  #beforeCommit?: () => Promise<void>;
  #aborting?: Promise<void>;
  /** The storage, when it is in this process and hashes what it stores itself. */
  readonly #local: LocalChunkStorage | undefined;

  /**
   * Prepares a writer; nothing is sent to storage until a chunk must go out or
   * {@link close} is called. Throws `RangeError` on an out-of-range option.
   */
  constructor(storage: BackupStorage, options: ObjectWriterOptions) {
    this.#path = options.path;
    const chunkSize = integerOption(
      options.chunkSize,
      "chunkSize",
      DEFAULT_CHUNK_SIZE,
      1,
      DEFAULT_MAX_CHUNK_LENGTH,
    );
    const inFlight = integerOption(options.inFlight, "inFlight", DEFAULT_IN_FLIGHT, 1, 64);
    const retries = integerOption(options.retries, "retries", 4, 0, 100);
    const retryDelayMs = integerOption(options.retryDelayMs, "retryDelayMs", 50, 0, 60_000);
    const throwOnDuplicate = options.throwOnDuplicate === true;
    this.#signal = this.#controller.signal;
    this.#retry = new StorageRetry({
      signal: this.#signal,
      retries,
      retryDelayMs,
      path: this.#path,
    });
    const object = {
      jobId: options.jobId,
      objectName: options.objectName,
      path: this.#path,
      throwOnDuplicate,
      retry: this.#retry,
    };
    this.#chunks = new ChunkPipeline(storage, {
      ...object,
      chunkSize,
      inFlight,
      signal: this.#signal,
      onError: (error) => this.#fail(error),
    });
    this.#commit = new ObjectCommit(storage, object);
    this.#local = isLocalChunkStorage(storage) ? storage : undefined;
    this.#onSignal = () => this.#fail(this.#userSignal?.reason);
    if (options.signal) {
      this.#userSignal = options.signal;
      if (options.signal.aborted) this.#fail(options.signal.reason);
      else options.signal.addEventListener("abort", this.#onSignal, { once: true });
    }
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#chunks.size;
  }

  /** Counters: buffers allocated, peak `PutChunk`s in flight, retries. */
  get stats(): Readonly<WriterStats> {
    return { ...this.#chunks.stats, retries: this.#retry.retries };
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
    const step = this.#tail.then(() => {
      this.#check("write to");
      return this.#chunks.append(bytes);
    });
    this.#tail = step.catch(() => {});
    return step;
  }

  /**
   * Finishes the upload and makes the new version visible, atomically. A total
   * that fits one chunk, with no upload started, goes up in one `PutObject` (or,
   * when a metadata blob is given, `StartObject` + one `PutChunk` +
   * `NotifyObjectComplete`, since `PutObject` carries no blob); otherwise the last
   * chunk is put and `NotifyObjectComplete` sends the `SUMMARY`. `metadata` is
   * the string and blob to store, or a function that receives the final size and
   * checksum and returns them. With a storage in this process that hashes what it
   * stores (`LocalChunkStorage`), a one-`PutObject` object given its metadata as a
   * value is not hashed here at all: the store computes its checksum.
   * `options.beforeCommit` runs once every chunk is stored, right before the
   * commit; a throw abandons the upload (nothing becomes visible) and fails the
   * close with it. Calling it again returns the first call's outcome.
   */
  close(
    metadata?: WriterMetadata | ((result: WriterResult) => WriterMetadata),
    options?: { beforeCommit?: () => Promise<void> },
  ): Promise<WriterResult> {
    if (this.#closing) return this.#closing;
    this.#beforeCommit = options?.beforeCommit;
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
        this.#controller.abort(interrupted);
        this.#release();
      } else if (this.#state === "closing") {
        // A commit already sent cannot be taken back; anything not yet sent is cancelled.
        this.#fail(interrupted);
      }
      await this.#chunks.drain();
      if (this.#closing) await this.#closing.catch(() => {});
      if (this.#chunks.started) await this.#chunks.uploadId().catch(() => {});
    })();
    return this.#aborting;
  }

  // ------------------------------------------------------------------ internals

  async #finish(
    metadata?: WriterMetadata | ((result: WriterResult) => WriterMetadata),
  ): Promise<WriterResult> {
    this.#check("close");
    this.#state = "closing";
    this.#chunks.seal();
    try {
      const result = this.#chunks.started
        ? await this.#finishLarge(metadata)
        : await this.#finishSmall(metadata);
      // The commit succeeded: the new version is visible, whatever was requested meanwhile.
      this.#state = "closed";
      return result;
    } catch (error) {
      this.#fail(error);
      await this.#chunks.drain();
      throw this.#signal.reason;
    } finally {
      this.#release();
    }
  }

  /** At most one chunk and no upload started: one `PutObject`, unless a blob must go too. */
  async #finishSmall(
    metadata?: WriterMetadata | ((result: WriterResult) => WriterMetadata),
  ): Promise<WriterResult> {
    const data = this.#chunks.buffered;
    if (this.#local !== undefined && typeof metadata !== "function") {
      // Metadata that does not depend on the checksum, and a store that hashes.
      const given = this.#commit.metadataOf(undefined, metadata);
      if (!given.blob) {
        await this.#beforeCommit?.();
        this.#checkClosing();
        return await this.#commit.putObjectHashed(this.#local, data, given);
      }
    }
    const digests = data.byteLength > 0 ? [sha256(data)] : [];
    const result = summarizeChunks(digests, data.byteLength);
    const extra = this.#commit.metadataOf(result, metadata);
    this.#checkClosing();
    if (extra.blob) {
      // PutObject carries no blob: StartObject, at most one PutChunk, NotifyObjectComplete.
      await this.#chunks.putSingleChunk(data, digests[0]);
      return await this.#complete(result, extra);
    }
    await this.#beforeCommit?.();
    this.#checkClosing();
    await this.#commit.putObject(data, { result, metadata: extra, digest: digests[0] });
    return result;
  }

  /** Puts the last chunk, waits for every chunk, then completes the upload. */
  async #finishLarge(
    metadata?: WriterMetadata | ((result: WriterResult) => WriterMetadata),
  ): Promise<WriterResult> {
    await this.#chunks.flush();
    await this.#chunks.drain();
    this.#check("close");
    const result = summarizeChunks(this.#chunks.chunkDigests(), this.#chunks.size);
    const extra = this.#commit.metadataOf(result, metadata);
    return await this.#complete(result, extra);
  }

  async #complete(result: WriterResult, extra: CommitMetadata): Promise<WriterResult> {
    const uploadId = await this.#chunks.uploadId();
    await this.#beforeCommit?.();
    this.#checkClosing();
    await this.#commit.complete(uploadId, { result, metadata: extra });
    return result;
  }

  /** Marks the writer failed with the first error and cancels what is in flight. */
  #fail(error: unknown): void {
    if (this.#state === "open" || this.#state === "closing") {
      this.#state = "failed";
      this.#controller.abort(error);
      this.#release();
    }
  }

  /** Throws unless the writer can still take bytes (or be closed). */
  #check(action: string): void {
    if (this.#state === "open" || this.#state === "closing") return;
    if (this.#state === "failed" || this.#state === "aborted") throw this.#signal.reason;
    throw new Deno.errors.BadResource(`${action} ${this.#path}: the writer is closed`);
  }

  /** Throws the failure when the writer failed or was aborted during close. */
  #checkClosing(): void {
    if (this.#state !== "closing") throw this.#signal.reason;
  }

  /** Drops buffers and the signal listener once the writer is done. */
  #release(): void {
    if (this.#state === "open" || this.#state === "closing") return;
    this.#chunks.release();
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
