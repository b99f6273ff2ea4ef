/**
 * `BackupFile`: an open file of a BackupFS, shaped like `Deno.FsFile` — `read`,
 * `write`, `seek`, `truncate`, `readable`, `writable`, `stat`, `close`.
 *
 * Reading works on the version that was current when the file was opened (an
 * immutable snapshot: later writers never mix into it).
 *
 * Writing keeps every byte in a local spool at its position and, while writes run
 * sequentially from byte 0 (a new or truncated file), also streams them to the
 * store as they come. A write anywhere else (a seek back, an append to existing
 * content, an overwrite in place, a truncate) ends the stream; `close()` then
 * uploads the spool. Either way nothing is visible until `close()`, which makes the
 * new version current atomically; a failed or abandoned write leaves the old
 * version as it was.
 *
 * @module
 */

import { type BackupFileInfo, writtenFileInfo } from "./file_info.ts";
import { badResource, fromStorageError, permissionDenied } from "./fs_errors.ts";
import { ObjectReader } from "./object_reader.ts";
import { ObjectWriter } from "./object_writer.ts";
import { Spool } from "./spool.ts";
import type { HandleContext } from "./handle_context.ts";

export type { HandleContext } from "./handle_context.ts";

/** Options of {@link BackupFS.open}, as `Deno.OpenOptions`. */
export interface BackupOpenOptions {
  /** Allow reading (default true when no other flag is given). */
  read?: boolean;
  /** Allow writing. */
  write?: boolean;
  /** Writes go to the end of the file (implies `write`). */
  append?: boolean;
  /** Empty the file at open (needs `write`). */
  truncate?: boolean;
  /** Create the file when missing (needs `write` or `append`). */
  create?: boolean;
  /** Create the file, failing with `AlreadyExists` when it exists (implies `create`). */
  createNew?: boolean;
  /** Permission bits of a created file (default 0o644). */
  mode?: number;
}

type Mode = { read: boolean; write: boolean; append: boolean };

/**
 * An open file. Use `await using` or call `close()`: for a written file, `close()`
 * is where the new version is uploaded and becomes visible, and where a failure is
 * reported.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   {
 *     await using file = await fs.open("/notes.txt", { write: true, create: true, truncate: true });
 *     assert.equal(await file.write(new TextEncoder().encode("hello")), 5);
 *     assert.equal(await fs.exists("/notes.txt"), false); // not visible before close
 *   } // closed here: the new version is uploaded
 *   assert.equal(await fs.readTextFile("/notes.txt"), "hello");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class BackupFile implements AsyncDisposable {
  #ctx: HandleContext;
  #mode: Mode;
  #position = 0;
  #size: number;
  #written?: BackupFileInfo;
  #closed = false;
  #failed?: unknown;
  /** Serializes operations on this handle. */
  #queue: Promise<unknown> = Promise.resolve();

  #reader?: ObjectReader;
  #spool?: Spool;
  /** Whether the handle left streaming for good: the spool is what close() uploads. */
  #spooled = false;
  /** The streaming upload while writes are sequential from 0. */
  #writer?: ObjectWriter;
  #streamable: boolean;
  #dirty: boolean;

  /** Made by {@link BackupFS.open}; not meant to be constructed directly. */
  constructor(ctx: HandleContext, mode: Mode, options: { truncated: boolean; created: boolean }) {
    this.#ctx = ctx;
    this.#mode = mode;
    const baseSize = options.truncated ? 0 : ctx.base?.size ?? 0;
    this.#size = baseSize;
    // A new or truncated file written from 0 can stream; anything else needs the spool.
    this.#streamable = mode.write && baseSize === 0;
    // A created or truncated (non-empty) file changes even without a write.
    this.#dirty = options.created || (options.truncated && (ctx.base?.size ?? 0) > 0);
    if (mode.append) this.#position = baseSize;
  }

  /** The path this handle was opened with. */
  get path(): string {
    return this.#ctx.path;
  }

  /**
   * After `close()` uploaded a new version: that version's info (size, times,
   * content type, ETag; no token). `undefined` before, or when nothing was written.
   */
  get written(): BackupFileInfo | undefined {
    return this.#written;
  }

  /**
   * Reads up to `buffer.length` bytes at the current position; resolves the
   * number read, or `null` at end of file.
   */
  read(buffer: Uint8Array): Promise<number | null> {
    return this.#serial(async () => {
      this.#assertOpen("read");
      if (!this.#mode.read) {
        throw badResource("read", this.#ctx.path, "file not opened for reading");
      }
      const n = await this.#readAt(this.#position, buffer);
      if (n !== null) this.#position += n;
      return n;
    });
  }

  /** Writes all of `data` at the current position (at the end in append mode); resolves `data.length`. */
  write(data: Uint8Array): Promise<number> {
    return this.#serial(async () => {
      this.#assertOpen("write");
      if (!this.#mode.write) {
        throw badResource("write", this.#ctx.path, "file not opened for writing");
      }
      if (this.#mode.append) this.#position = this.#size;
      await this.#writeAt(this.#position, data);
      this.#position += data.byteLength;
      return data.byteLength;
    });
  }

  /** Moves the position, like `Deno.FsFile.seek`; resolves the new position. */
  seek(offset: number | bigint, whence: Deno.SeekMode): Promise<number> {
    return this.#serial(() => {
      this.#assertOpen("seek");
      const delta = Number(offset);
      let base: number;
      if (whence === Deno.SeekMode.Start) base = 0;
      else if (whence === Deno.SeekMode.Current) base = this.#position;
      else if (whence === Deno.SeekMode.End) base = this.#size;
      else throw new TypeError(`seek: unknown whence ${whence}`);
      const target = base + delta;
      if (!Number.isSafeInteger(target) || target < 0) {
        throw new TypeError(`seek: position ${target} is out of range for '${this.#ctx.path}'`);
      }
      this.#position = target;
      return Promise.resolve(target);
    });
  }

  /** Cuts or extends (with zeros) the file to `size` bytes (default 0). */
  truncate(size?: number): Promise<void> {
    const length = size === undefined ? 0 : size;
    return this.#serial(async () => {
      this.#assertOpen("truncate");
      if (!this.#mode.write) {
        throw badResource("truncate", this.#ctx.path, "file not opened for writing");
      }
      if (!Number.isSafeInteger(length) || length < 0) {
        throw new TypeError(`truncate: size ${length} is out of range for '${this.#ctx.path}'`);
      }
      if (length === this.#size) return;
      await this.#toSpool();
      await this.#spool!.truncate(length);
      this.#size = length;
      this.#dirty = true;
    });
  }

  /** Info of the file as this handle sees it (its own writes included). */
  stat(): Promise<BackupFileInfo> {
    return this.#serial(() => {
      this.#assertOpen("stat");
      return Promise.resolve(this.#ctx.describe(this.#size));
    });
  }

  /** The bytes from the current position to the end, as a stream (moves the position). */
  get readable(): ReadableStream<Uint8Array> {
    const pieceSize = 64 * 1024;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const buffer = new Uint8Array(pieceSize);
        const n = await this.read(buffer);
        if (n === null) {
          controller.close();
          await this.close();
        } else {
          controller.enqueue(buffer.subarray(0, n));
        }
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
  }

  /** A stream that writes at the current position; closing it closes the file (and commits). */
  get writable(): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.close(),
      abort: () => this.abort(),
    });
  }

  /**
   * Closes the file. For a written file this uploads what is not yet uploaded and
   * makes the new version current atomically; if that fails, the error is thrown
   * and the previous version stays. Idempotent.
   */
  close(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      this.#closed = true;
      try {
        if (this.#failed !== undefined) throw this.#failed;
        if (this.#mode.write && this.#dirty) await this.#commit();
      } catch (error) {
        await this.#writer?.abort().catch(() => {});
        throw fromStorageError(error, "close", this.#ctx.path);
      } finally {
        this.#reader?.close();
        await this.#spool?.close().catch(() => {});
      }
    });
  }

  /** Abandons the file: nothing written becomes visible. Idempotent. */
  abort(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#reader?.close();
      await this.#writer?.abort().catch(() => {});
      await this.#spool?.close().catch(() => {});
    });
  }

  /** Closes the file (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ------------------------------------------------------------ internals

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #assertOpen(op: string): void {
    if (this.#closed) throw badResource(op, this.#ctx.path, "file is closed");
  }

  async #readAt(position: number, buffer: Uint8Array): Promise<number | null> {
    if (position >= this.#size) return null;
    if (buffer.byteLength === 0) return 0;
    const want = buffer.subarray(0, Math.min(buffer.byteLength, this.#size - position));
    // Invariant: when a spool exists it holds the whole content (a file written
    // from empty, or the base copied in before the first write elsewhere).
    if (this.#spool) return await this.#spool.readAt(position, want);
    try {
      return await this.#baseReader().readAt(position, want);
    } catch (error) {
      throw fromStorageError(error, "read", this.#ctx.path);
    }
  }

  #baseReader(): ObjectReader {
    const base = this.#ctx.base!;
    this.#reader ??= new ObjectReader(this.#ctx.storage, {
      jobId: this.#ctx.jobId,
      objectToken: base.objectToken,
      path: this.#ctx.path,
      cache: this.#ctx.cache,
      prefetch: this.#ctx.prefetch,
      size: base.size,
    });
    return this.#reader;
  }

  async #writeAt(position: number, data: Uint8Array): Promise<void> {
    if (data.byteLength === 0) return;
    this.#dirty = true;
    if (this.#streamable && position === this.#size && !this.#spooled) {
      // Sequential from 0: stream, and keep a copy in the spool in case a later
      // write lands elsewhere.
      this.#spool ??= await this.#newSpool();
      await this.#spool.writeAt(position, data);
      this.#writer ??= this.#newWriter();
      try {
        await this.#writer.write(data);
      } catch (error) {
        this.#failed = error;
        throw fromStorageError(error, "write", this.#ctx.path);
      }
      this.#size = position + data.byteLength;
      return;
    }
    await this.#toSpool();
    await this.#spool!.writeAt(position, data);
    this.#size = Math.max(this.#size, position + data.byteLength);
  }

  /** Moves to spool mode: the spool gets the full content; any stream is abandoned. */
  async #toSpool(): Promise<void> {
    if (this.#writer) {
      const writer = this.#writer;
      this.#writer = undefined;
      await writer.abort().catch(() => {});
    }
    this.#streamable = false;
    if (this.#spooled) return;
    if (this.#spool) {
      // It already holds everything written so far (the file started empty).
      this.#spooled = true;
      return;
    }
    this.#spool = await this.#newSpool();
    if (this.#ctx.base && this.#size > 0) {
      // Copy the base content in, chunk by chunk, verified.
      const reader = this.#baseReader();
      const piece = new Uint8Array(Math.min(this.#size, 4 * 1024 * 1024));
      for (let position = 0; position < this.#size;) {
        const n = await reader.readAt(
          position,
          piece.subarray(0, Math.min(piece.length, this.#size - position)),
        )
          .catch((error) => {
            throw fromStorageError(error, "read", this.#ctx.path);
          });
        if (n === null || n === 0) {
          throw fromStorageError(
            new Error(`the stored version ended at ${position} of ${this.#size} bytes`),
            "read",
            this.#ctx.path,
          );
        }
        await this.#spool.writeAt(position, piece.subarray(0, n));
        position += n;
      }
    }
    this.#spooled = true;
  }

  #newSpool(): Promise<Spool> {
    return Spool.create({
      ...(this.#ctx.spoolDirectory === undefined ? {} : { directory: this.#ctx.spoolDirectory }),
      ...(this.#ctx.maxSpoolBytes === undefined ? {} : { maxBytes: this.#ctx.maxSpoolBytes }),
    });
  }

  #newWriter(): ObjectWriter {
    return new ObjectWriter(this.#ctx.storage, {
      jobId: this.#ctx.jobId,
      objectName: this.#ctx.objectName,
      path: this.#ctx.path,
      chunkSize: this.#ctx.chunkSize,
      inFlight: this.#ctx.uploadConcurrency,
    });
  }

  async #commit(): Promise<void> {
    let writer = this.#writer;
    if (!writer) {
      // Spool mode (or an empty file): upload the spool through a fresh writer.
      writer = this.#newWriter();
      this.#writer = writer;
      if (this.#spool && this.#size > 0) {
        const reader = this.#spool.stream().getReader();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            await writer.write(value);
          }
        } finally {
          reader.releaseLock();
        }
      }
    }
    const metadata = await this.#ctx.metadataFor(this.#size);
    const result = await writer.close(metadata);
    this.#writer = undefined;
    if (metadata.attributes) {
      this.#written = writtenFileInfo(metadata.attributes, result.objectChecksum);
    }
    this.#ctx.committed();
  }
}

/** Rejects a write on a read-only file system, naming the path. */
export function readOnlyError(op: string, path: string): Deno.errors.PermissionDenied {
  return permissionDenied(op, path, "the file system is read-only");
}
