/**
 * A bounded local temp file for writes that are not sequential: BackupFS spools
 * such a file's bytes here (random writes, truncation, reads of what was written)
 * and streams the result into an `ObjectWriter` at close.
 *
 * Each spool lives in its own fresh temp directory (mode 0700) as a file of mode
 * 0600, refuses to grow past its byte limit, and is always deleted: by
 * {@link Spool.close}, or, if the caller forgets, when the process unloads or the
 * spool is garbage-collected.
 *
 * @module
 */

import { join } from "node:path";

/**
 * Default byte limit of a spool: 64 GiB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_SPOOL_MAX_BYTES } from "./spool.ts";
 * assert.equal(DEFAULT_SPOOL_MAX_BYTES, 64 * 1024 ** 3);
 * ```
 */
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 ** 3;

/**
 * Default piece size of {@link Spool.stream}: 4 MiB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_PIECE_SIZE } from "./spool.ts";
 * assert.equal(DEFAULT_PIECE_SIZE, 4 * 1024 * 1024);
 * ```
 */
export const DEFAULT_PIECE_SIZE = 4 * 1024 * 1024;

/**
 * A write or truncate would make the spool larger than its limit. The spool is
 * unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Spool, SpoolFullError } from "./spool.ts";
 * await using spool = await Spool.create({ maxBytes: 4 });
 * await assert.rejects(
 *   spool.writeAt(2, new Uint8Array(3)),
 *   (error) => error instanceof SpoolFullError && error.requestedBytes === 5,
 * );
 * assert.equal(spool.size, 0); // unchanged
 * ```
 */
export class SpoolFullError extends Error {
  /** The spool's limit in bytes. */
  readonly maxBytes: number;
  /** The size the operation would have needed. */
  readonly requestedBytes: number;

  /** Makes the error for a spool limited to `maxBytes` asked to reach `requestedBytes`. */
  constructor(maxBytes: number, requestedBytes: number) {
    super(
      `The spool file is limited to ${maxBytes} bytes; this operation needs ${requestedBytes}`,
    );
    this.name = "SpoolFullError";
    this.maxBytes = maxBytes;
    this.requestedBytes = requestedBytes;
  }
}

/**
 * Options of {@link Spool.create}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Spool, type SpoolOptions } from "./spool.ts";
 * const directory = await Deno.makeTempDir();
 * try {
 *   const options: SpoolOptions = { directory, maxBytes: 1024 ** 3 };
 *   const spool = await Spool.create(options);
 *   assert.equal(spool.maxBytes, 1_073_741_824);
 *   assert.ok(spool.directory.startsWith(directory)); // its own directory inside `directory`
 *   await spool.close(); // removes it
 *   assert.deepEqual(await Array.fromAsync(Deno.readDir(directory)), []);
 * } finally {
 *   await Deno.remove(directory, { recursive: true });
 * }
 * ```
 */
export interface SpoolOptions {
  /** Where the spool's own temp directory is made (default: the system temp dir). */
  directory?: string;
  /** Largest size the spool may reach, in bytes (default 64 GiB). */
  maxBytes?: number;
}

/**
 * Options of {@link Spool.stream}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Spool, type SpoolStreamOptions } from "./spool.ts";
 * await using spool = await Spool.create();
 * await spool.writeAt(0, new Uint8Array(10));
 * const options: SpoolStreamOptions = { pieceSize: 4 };
 * const pieces = await Array.fromAsync(spool.stream(options));
 * assert.deepEqual(pieces.map((piece) => piece.byteLength), [4, 4, 2]);
 * ```
 */
export interface SpoolStreamOptions {
  /** Bytes per piece (default 4 MiB); every piece but the last has exactly this size. */
  pieceSize?: number;
}

/** What the backstops need to delete a spool nobody closed. */
interface Leftover {
  directory: string;
  file: Deno.FsFile;
}

/** Spools not yet closed, by directory, for the unload backstop. */
const live = new Map<string, Leftover>();
let unloadListening = false;

function removeLeftover(leftover: Leftover): void {
  live.delete(leftover.directory);
  try {
    leftover.file.close();
  } catch { /* already closed */ }
  try {
    Deno.removeSync(leftover.directory, { recursive: true });
  } catch { /* already gone */ }
}

const finalizer = new FinalizationRegistry<Leftover>(removeLeftover);

function onUnload(): void {
  for (const leftover of [...live.values()]) removeLeftover(leftover);
}

/**
 * A local temp file holding one file's bytes while they are written out of order.
 * Operations run one at a time, in call order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Spool } from "./spool.ts";
 * await using spool = await Spool.create();
 * await spool.writeAt(4, new TextEncoder().encode("tail"));
 * await spool.writeAt(0, new TextEncoder().encode("head"));
 * const chunks: Uint8Array[] = [];
 * for await (const piece of spool.stream()) chunks.push(piece);
 * assert.equal(spool.size, 8);
 * assert.equal(chunks.length, 1); // 8 bytes: one piece of at most 4 MiB
 * assert.equal(new TextDecoder().decode(chunks[0]), "headtail");
 * ```
 */
export class Spool implements AsyncDisposable {
  readonly #leftover: Leftover;
  readonly #maxBytes: number;
  #size = 0;
  #closed = false;
  #closing?: Promise<void>;
  /** Serializes file operations: seek-then-read/write must not interleave. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(leftover: Leftover, maxBytes: number) {
    this.#leftover = leftover;
    this.#maxBytes = maxBytes;
  }

  /**
   * A new, empty spool file in a fresh directory inside `directory` (default:
   * the system temp dir), refusing to grow past `maxBytes` (default 64 GiB).
   */
  static async create(options?: SpoolOptions): Promise<Spool> {
    const maxBytes = options?.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    if (typeof maxBytes !== "number") throw new TypeError("Spool: maxBytes must be a number");
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`Spool: maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    const directory = await Deno.makeTempDir({
      ...(options?.directory !== undefined ? { dir: options.directory } : {}),
      prefix: "backupfs-spool-",
    });
    let file: Deno.FsFile;
    try {
      await Deno.chmod(directory, 0o700).catch(() => {});
      file = await Deno.open(join(directory, "spool"), {
        read: true,
        write: true,
        createNew: true,
        mode: 0o600,
      });
    } catch (error) {
      await Deno.remove(directory, { recursive: true }).catch(() => {});
      throw error;
    }
    const leftover = { directory, file };
    const spool = new Spool(leftover, maxBytes);
    live.set(directory, leftover);
    finalizer.register(spool, leftover, leftover);
    if (!unloadListening && typeof globalThis.addEventListener === "function") {
      globalThis.addEventListener("unload", onUnload);
      unloadListening = true;
    }
    return spool;
  }

  /** Current size in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Largest size allowed, in bytes. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** The spool's private directory (holding the one file), until closed. */
  get directory(): string {
    return this.#leftover.directory;
  }

  /**
   * Writes `bytes` at `position`. Writing past the end zero-fills the gap (the
   * file stays sparse). Rejects with {@link SpoolFullError} when the spool would
   * outgrow its limit, leaving it unchanged.
   */
  writeAt(position: number, bytes: Uint8Array): Promise<void> {
    return this.#run("writeAt", async (file) => {
      checkPosition(position, "writeAt", "position");
      if (!(bytes instanceof Uint8Array)) {
        throw new TypeError("Spool.writeAt: bytes must be a Uint8Array");
      }
      if (bytes.byteLength === 0) return;
      const end = position + bytes.byteLength;
      if (end > this.#maxBytes) throw new SpoolFullError(this.#maxBytes, end);
      await file.seek(position, Deno.SeekMode.Start);
      let written = 0;
      for (let round = 0; written < bytes.byteLength; round++) {
        const n = await file.write(bytes.subarray(written));
        if (n <= 0 && round > 1000) throw new Deno.errors.WriteZero("Spool.writeAt: no progress");
        written += n;
      }
      if (end > this.#size) this.#size = end;
    });
  }

  /**
   * Reads into `buffer` from `position`: as many bytes as fit before the end of
   * the spool. Resolves to the count read, or `null` when `position` is at or
   * past the end (and `buffer` is not empty).
   */
  readAt(position: number, buffer: Uint8Array): Promise<number | null> {
    return this.#run("readAt", async (file) => {
      checkPosition(position, "readAt", "position");
      if (!(buffer instanceof Uint8Array)) {
        throw new TypeError("Spool.readAt: buffer must be a Uint8Array");
      }
      if (buffer.byteLength === 0) return 0;
      if (position >= this.#size) return null;
      const want = Math.min(buffer.byteLength, this.#size - position);
      await file.seek(position, Deno.SeekMode.Start);
      let read = 0;
      while (read < want) {
        const n = await file.read(buffer.subarray(read, want));
        if (n === null || n === 0) break;
        read += n;
      }
      // The file is never shorter than the recorded size; zero-fill if the OS says otherwise.
      if (read < want) buffer.fill(0, read, want);
      return want;
    });
  }

  /** Sets the size: shrinking drops bytes, growing appends zeros (sparse). */
  truncate(size: number): Promise<void> {
    return this.#run("truncate", async (file) => {
      checkPosition(size, "truncate", "size");
      if (size > this.#maxBytes) throw new SpoolFullError(this.#maxBytes, size);
      await file.truncate(size);
      this.#size = size;
    });
  }

  /**
   * Streams the content from 0 to the current size in pieces of `pieceSize`
   * bytes (the last may be shorter), each a fresh `Uint8Array`, e.g. into an
   * `ObjectWriter`. The size is read when the stream is made.
   */
  stream(options?: SpoolStreamOptions): ReadableStream<Uint8Array> {
    const pieceSize = options?.pieceSize ?? DEFAULT_PIECE_SIZE;
    if (typeof pieceSize !== "number") {
      throw new TypeError("Spool.stream: pieceSize must be a number");
    }
    if (!Number.isSafeInteger(pieceSize) || pieceSize < 1) {
      throw new RangeError(`Spool.stream: pieceSize must be a positive integer, got ${pieceSize}`);
    }
    if (this.#closed) throw new Deno.errors.BadResource("Spool.stream: the spool is closed");
    const end = this.#size;
    let position = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (position >= end) {
          controller.close();
          return;
        }
        const piece = new Uint8Array(Math.min(pieceSize, end - position));
        const n = await this.readAt(position, piece);
        if (n === null || n < piece.byteLength) {
          throw new Deno.errors.UnexpectedEof(
            `Spool.stream: the spool shrank below ${end} bytes while streaming`,
          );
        }
        position += n;
        controller.enqueue(piece);
        if (position >= end) controller.close();
      },
    }, { highWaterMark: 0 });
  }

  /** Closes and deletes the file and its directory; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.#tail;
      finalizer.unregister(this.#leftover);
      live.delete(this.#leftover.directory);
      try {
        this.#leftover.file.close();
      } catch { /* already closed */ }
      await Deno.remove(this.#leftover.directory, { recursive: true }).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #run<T>(name: string, operation: (file: Deno.FsFile) => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new Deno.errors.BadResource(`Spool.${name}: the spool is closed`));
    }
    const step = this.#tail.then(() => operation(this.#leftover.file));
    this.#tail = step.catch(() => {});
    return step;
  }
}

function checkPosition(value: number, method: string, name: string): void {
  if (typeof value !== "number") {
    throw new TypeError(`Spool.${method}: ${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Spool.${method}: ${name} must be a non-negative integer, got ${value}`);
  }
}
