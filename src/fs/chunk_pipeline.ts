/**
 * The chunk half of an object upload: bytes are cut into chunks of `chunkSize`,
 * each chunk is hashed once and sent with `PutChunk` while the next one fills, at
 * most `inFlight` at a time. The pending upload they belong to is started with
 * `StartObject` when the first chunk goes out (or when a commit needs one). What
 * makes the object visible is not here: see `object_commit.ts`, and
 * `object_writer.ts` for the writer that composes both.
 *
 * @module
 */

import { type BackupStorage, isLocalChunkStorage } from "../storage/backup_storage.ts";
import { checksumToDigest, encodeBase64, sha256 } from "../storage/checksum.ts";
import type { StorageRetry } from "./_storage_retry.ts";

/** The first buffer of a pipeline starts this small and doubles up to the chunk size. */
const INITIAL_BUFFER = 64 * 1024;

/**
 * Options of {@link ChunkPipeline}: the object, the sizes, and what it shares
 * with its writer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StorageRetry } from "./_storage_retry.ts";
 * import type { ChunkPipelineOptions } from "./chunk_pipeline.ts";
 * const signal = new AbortController().signal;
 * const options: ChunkPipelineOptions = {
 *   jobId: "job-1",
 *   objectName: "big.bin",
 *   path: "/big.bin",
 *   chunkSize: 4 * 1024 * 1024,
 *   inFlight: 4,
 *   throwOnDuplicate: false,
 *   signal,
 *   retry: new StorageRetry({ signal, retries: 4, retryDelayMs: 50, path: "/big.bin" }),
 *   onError: (error) => console.error(error),
 * };
 * assert.equal(options.inFlight, 4);
 * ```
 */
export interface ChunkPipelineOptions {
  /** Job whose namespace receives the object. */
  jobId: string;
  /** Name of the object (for `StartObject`). */
  objectName: string;
  /** The filesystem path, used in error messages. */
  path: string;
  /** Bytes per chunk (already checked by the writer). */
  chunkSize: number;
  /** `PutChunk`s in flight at once (already checked by the writer). */
  inFlight: number;
  /** `StartObject` fails when an object of that name exists. */
  throwOnDuplicate: boolean;
  /**
   * The writer's signal: aborted when the writer fails or is aborted, its reason
   * being the failure. It cancels the calls in flight, wakes a waiting `append`,
   * and makes every later step throw that reason.
   */
  signal: AbortSignal;
  /** Runs every storage call of the pipeline (the writer's retry policy). */
  retry: StorageRetry;
  /** Called with the error of a chunk whose hashing or upload failed. */
  onError: (error: unknown) => void;
}

/**
 * Counters of a {@link ChunkPipeline}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ChunkPipelineStats } from "./chunk_pipeline.ts";
 * const stats: ChunkPipelineStats = { buffers: 1, peakInFlight: 1 };
 * assert.equal(stats.buffers, 1);
 * ```
 */
export interface ChunkPipelineStats {
  /** Chunk buffers allocated over the pipeline's life (they are reused). */
  buffers: number;
  /** Most `PutChunk`s that were in flight at once. */
  peakInFlight: number;
}

/**
 * Buffers bytes into chunks and uploads them, hashed, with bounded concurrency.
 * Memory stays at about `(inFlight + 1) × chunkSize`: `append` waits for a free
 * slot when the current chunk is full and `inFlight` are being sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { StorageRetry } from "./_storage_retry.ts";
 * import { ChunkPipeline } from "./chunk_pipeline.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const signal = new AbortController().signal;
 *   const chunks = new ChunkPipeline(store, {
 *     jobId: "job-1",
 *     objectName: "a",
 *     path: "/a",
 *     chunkSize: 4,
 *     inFlight: 2,
 *     throwOnDuplicate: false,
 *     signal,
 *     retry: new StorageRetry({ signal, retries: 0, retryDelayMs: 0, path: "/a" }),
 *     onError: (error) => assert.fail(String(error)),
 *   });
 *   await chunks.append(new Uint8Array(10)); // two full chunks go out, 2 bytes stay
 *   assert.equal(chunks.buffered.byteLength, 2);
 *   await chunks.flush(); // the last, partial chunk goes out too
 *   await chunks.drain();
 *   assert.equal(chunks.started, true);
 *   assert.equal(chunks.chunkDigests().length, 3);
 *   assert.equal(chunks.size, 10);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ChunkPipeline {
  readonly #storage: BackupStorage;
  readonly #jobId: string;
  readonly #objectName: string;
  readonly #path: string;
  readonly #chunkSize: number;
  readonly #inFlightLimit: number;
  readonly #throwOnDuplicate: boolean;
  readonly #signal: AbortSignal;
  readonly #retry: StorageRetry;
  readonly #onError: (error: unknown) => void;
  /** Settles when the signal aborts, to wake an append waiting for a slot. */
  readonly #stopped: Promise<void>;
  /** Each dispatched chunk's digest, by index (hashed in its own task). */
  readonly #digests: Uint8Array[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #pool: Uint8Array[] = [];
  readonly #stats: ChunkPipelineStats = { buffers: 0, peakInFlight: 0 };

  #buffer?: Uint8Array;
  #filled = 0;
  #size = 0;
  #nextIndex = 0;
  #upload?: Promise<string>;
  /** Sent chunk buffers go back to the pool while more bytes may come. */
  #pooling = true;

  /** Prepares the pipeline; nothing is sent until a chunk must go out. */
  constructor(storage: BackupStorage, options: ChunkPipelineOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#objectName = options.objectName;
    this.#path = options.path;
    this.#chunkSize = options.chunkSize;
    this.#inFlightLimit = options.inFlight;
    this.#throwOnDuplicate = options.throwOnDuplicate;
    this.#signal = options.signal;
    this.#retry = options.retry;
    this.#onError = options.onError;
    this.#stopped = new Promise((resolve) => {
      this.#signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Whether the pending upload was started (a chunk went out, or a commit asked). */
  get started(): boolean {
    return this.#upload !== undefined;
  }

  /** The bytes appended but not sent yet (a view of the current buffer). */
  get buffered(): Uint8Array {
    return this.#buffer?.subarray(0, this.#filled) ?? new Uint8Array();
  }

  /** Counters: buffers allocated, peak `PutChunk`s in flight. */
  get stats(): Readonly<ChunkPipelineStats> {
    return { ...this.#stats };
  }

  /**
   * Copies `bytes` into chunk buffers, sending each chunk once the next byte
   * shows the object is bigger. Throws the signal's reason once it aborted.
   */
  async append(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (this.#buffer && this.#filled === this.#chunkSize) {
        // Only now is it known that the object is bigger than this chunk.
        await this.#dispatch();
        this.#signal.throwIfAborted();
      }
      const want = Math.min(this.#chunkSize - this.#filled, bytes.byteLength - offset);
      const buffer = this.#room(want);
      buffer.set(bytes.subarray(offset, offset + want), this.#filled);
      this.#filled += want;
      this.#size += want;
      offset += want;
    }
  }

  /** Sends what is buffered as the last chunk (nothing when the buffer is empty). */
  async flush(): Promise<void> {
    if (this.#filled > 0) await this.#dispatch();
  }

  /** Waits until no `PutChunk` is in flight (failed ones included). */
  async drain(): Promise<void> {
    for (let round = 0; this.#inFlight.size > 0 && round < 1_000_000; round++) {
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** The digests of the chunks sent, in order (complete once {@link drain} resolved). */
  chunkDigests(): Uint8Array[] {
    return this.#digests.slice(0, this.#nextIndex);
  }

  /** Starts the pending upload (`StartObject`), once. */
  startUpload(): void {
    if (this.#upload) return;
    this.#upload = this.#retry.run((options) =>
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

  /** The id of the pending upload; starts it when it was not. */
  uploadId(): Promise<string> {
    this.startUpload();
    return this.#upload!;
  }

  /**
   * Starts the upload and puts `data` as its only chunk (none when empty), already
   * hashed: for a one-chunk object whose commit cannot be one `PutObject`.
   */
  async putSingleChunk(data: Uint8Array, digest: Uint8Array): Promise<void> {
    this.startUpload();
    if (data.byteLength === 0) return;
    this.#nextIndex = 1;
    this.#digests[0] = digest;
    await this.#putChunk(0, data, digest);
  }

  /** No more bytes will come: sent buffers are no longer kept for reuse. */
  seal(): void {
    this.#pooling = false;
  }

  /** Drops every buffer (the writer is done, one way or another). */
  release(): void {
    this.#pooling = false;
    this.#buffer = undefined;
    this.#filled = 0;
    this.#pool.length = 0;
  }

  // ------------------------------------------------------------------ internals

  /** The current buffer, grown or taken from the pool so that `want` more bytes fit. */
  #room(want: number): Uint8Array {
    const needed = this.#filled + want;
    if (this.#buffer && this.#buffer.byteLength >= needed) return this.#buffer;
    if (!this.#buffer && this.#pool.length > 0) {
      this.#buffer = this.#pool.pop()!;
      return this.#buffer;
    }
    // Before the first chunk goes out, grow geometrically: a small file never
    // costs a whole chunk of memory. The first buffer is just big enough for the
    // first bytes when they are few (a small file written whole costs its size,
    // not a zeroed 64 KiB); afterwards every buffer is a full chunk.
    let capacity = this.#chunkSize;
    if (this.#nextIndex === 0) {
      capacity = this.#buffer
        ? Math.max(INITIAL_BUFFER, this.#buffer.byteLength)
        : Math.min(needed, INITIAL_BUFFER);
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
    this.#signal.throwIfAborted();
    const buffer = this.#buffer!;
    const data = buffer.subarray(0, this.#filled);
    this.#buffer = undefined;
    this.#filled = 0;
    const index = this.#nextIndex++;
    this.startUpload();
    // Hashed in the task, off the event loop: the next chunk fills meanwhile, and
    // several chunks in flight hash on several cores.
    const task = this.#hashAndPut(index, data).then(
      () => {
        this.#inFlight.delete(task);
        if (buffer.byteLength === this.#chunkSize && this.#pooling) this.#pool.push(buffer);
      },
      (error) => {
        this.#inFlight.delete(task);
        this.#onError(error);
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
      const output = await this.#retry.run((options) =>
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
    const digest = sha256(data);
    this.#digests[index] = digest;
    await this.#putChunk(index, data, digest);
  }

  async #putChunk(index: number, data: Uint8Array, digest: Uint8Array): Promise<void> {
    const uploadId = await this.#upload!;
    const checksum = encodeBase64(digest);
    await this.#retry.run((options) =>
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
}
