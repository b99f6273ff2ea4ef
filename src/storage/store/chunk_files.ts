/**
 * Content-addressed chunk files of the embedded store: `chunks/ab/abcd…` holds the
 * bytes whose SHA-256 is `abcd…`, so identical content is stored once. New content
 * is written to `tmp/`, fsynced, then renamed into place and its directory fsynced.
 *
 * The metadata database decides which files are referenced; this module only
 * handles files, plus the in-memory *pins* that keep the garbage collector away
 * from content an ingest is installing but has not yet recorded.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

/** Options of {@link ChunkFiles.open}. */
export interface ChunkFilesOptions {
  /** Fsync files and directories before reporting them stored (default true). */
  durable?: boolean;
}

/** A temporary file being written in the store's `tmp/` directory. */
export interface TempFile {
  /** Its path. */
  path: string;
  /** The open file, for writing. */
  file: Deno.FsFile;
}

const HEX = /^[0-9a-f]{64}$/;

/**
 * The chunk file tree of one data directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkFiles } from "./chunk_files.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const files = await ChunkFiles.open(dir, { durable: false });
 *   const temp = await files.createTemp();
 *   await temp.file.write(new TextEncoder().encode("abc"));
 *   temp.file.close();
 *   const hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // SHA-256 of "abc"
 *   await files.install(temp.path, hex);
 *   assert.equal(await Deno.readTextFile(files.path(hex)), "abc");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ChunkFiles {
  /** Root of the chunk tree. */
  readonly root: string;
  /** Directory of temporary files (same file system, so renames are atomic). */
  readonly tempDir: string;
  /** Whether files and directories are fsynced. */
  readonly durable: boolean;
  #pins = new Map<string, number>();

  private constructor(directory: string, durable: boolean) {
    this.root = join(directory, "chunks");
    this.tempDir = join(directory, "tmp");
    this.durable = durable;
  }

  /**
   * Prepares the tree under a data directory: creates the 256 fan-out
   * directories and removes temporary files a previous process left behind.
   */
  static async open(directory: string, options?: ChunkFilesOptions): Promise<ChunkFiles> {
    const files = new ChunkFiles(directory, options?.durable ?? true);
    await Deno.mkdir(files.root, { recursive: true, mode: 0o700 });
    await Deno.mkdir(files.tempDir, { recursive: true, mode: 0o700 });
    for (let i = 0; i < 256; i++) {
      await Deno.mkdir(join(files.root, fanoutName(i)), { recursive: true, mode: 0o700 });
    }
    for await (const entry of Deno.readDir(files.tempDir)) {
      await Deno.remove(join(files.tempDir, entry.name), { recursive: true }).catch(() => {});
    }
    if (files.durable) {
      await syncDirectory(files.root);
      await syncDirectory(files.tempDir);
      await syncDirectory(directory);
    }
    return files;
  }

  /** Path of the file holding the content of a digest (lowercase hex). */
  path(hex: string): string {
    return join(this.root, hex.slice(0, 2), hex);
  }

  /** Creates a new, empty temporary file. */
  async createTemp(): Promise<TempFile> {
    const path = join(this.tempDir, `${Buffer.from(randomBytes(12)).toString("hex")}.part`);
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    return { path, file };
  }

  /**
   * Moves a complete temporary file to the content address of `hex` (replacing
   * any file there, whose content is the same by construction) and, when
   * durable, fsyncs the directory, so the entry is on disk when this returns.
   * The temporary file must already be fsynced and closed.
   */
  async install(tempPath: string, hex: string): Promise<void> {
    const target = this.path(hex);
    await Deno.rename(tempPath, target);
    if (this.durable) await syncDirectory(join(this.root, hex.slice(0, 2)));
  }

  /**
   * Removes the file of a digest now, synchronously (so that the caller's
   * check that nothing references it and the removal happen with nothing in
   * between). Returns the bytes freed, or -1 when there was no file.
   */
  removeSync(hex: string): number {
    const path = this.path(hex);
    try {
      const size = Deno.statSync(path).size;
      Deno.removeSync(path);
      return size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return -1;
      throw error;
    }
  }

  /** Opens the file of a digest for reading; `undefined` when it does not exist. */
  async openRead(hex: string): Promise<Deno.FsFile | undefined> {
    try {
      return await Deno.open(this.path(hex), { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  }

  /** Names (hex digests) of the files in one fan-out directory (0–255). */
  async listFanout(index: number): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of Deno.readDir(join(this.root, fanoutName(index)))) {
      if (entry.isFile && HEX.test(entry.name)) names.push(entry.name);
    }
    return names;
  }

  /** Protects a digest's file from garbage collection until {@link unpin}. */
  pin(hex: string): void {
    this.#pins.set(hex, (this.#pins.get(hex) ?? 0) + 1);
  }

  /** Releases one {@link pin}. */
  unpin(hex: string): void {
    const count = (this.#pins.get(hex) ?? 0) - 1;
    if (count > 0) this.#pins.set(hex, count);
    else this.#pins.delete(hex);
  }

  /** Whether an ingest currently holds a pin on a digest. */
  isPinned(hex: string): boolean {
    return this.#pins.has(hex);
  }
}

/**
 * Fsyncs a directory, so that entries created or renamed in it survive a power loss.
 *
 * @example
 * ```ts
 * import { syncDirectory } from "./chunk_files.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await syncDirectory(dir);
 * } finally {
 *   await Deno.remove(dir);
 * }
 * ```
 */
export async function syncDirectory(path: string): Promise<void> {
  const dir = await Deno.open(path, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

/**
 * Lowercase hex of a digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHex } from "./chunk_files.ts";
 * assert.equal(toHex(new Uint8Array([1, 255])), "01ff");
 * ```
 */
export function toHex(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString("hex");
}

/**
 * Digest bytes of a lowercase hex name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHex } from "./chunk_files.ts";
 * assert.deepEqual(fromHex("01ff"), new Uint8Array([1, 255]));
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

function fanoutName(index: number): string {
  return index.toString(16).padStart(2, "0");
}

/**
 * Largest read that serves a chunk file: a typical chunk (4 MiB) goes out in one
 * read (each read costs a thread-pool trip; `file.readable` reads 64 KiB at a time),
 * while a 64 MiB chunk still streams in pieces.
 */
const READ_PIECE_BYTES = 16 * 1024 * 1024;

/**
 * A stream of a chunk file's `length` bytes, read in pieces of up to 16 MiB (each a
 * fresh buffer the consumer may keep). It closes the file when it ends or is
 * cancelled, and errors if the file holds fewer bytes than `length` (a damaged
 * store must never look like a short chunk).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileStream } from "./chunk_files.ts";
 * const path = await Deno.makeTempFile();
 * try {
 *   await Deno.writeTextFile(path, "abc");
 *   const file = await Deno.open(path); // the stream closes it
 *   assert.equal(await new Response(fileStream(file, 3)).text(), "abc");
 * } finally {
 *   await Deno.remove(path);
 * }
 * ```
 */
export function fileStream(file: Deno.FsFile, length: number): ReadableStream<Uint8Array> {
  let sent = 0;
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      file.close();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (sent >= length) {
          close();
          controller.close();
          return;
        }
        const piece = new Uint8Array(Math.min(READ_PIECE_BYTES, length - sent));
        let filled = 0;
        while (filled < piece.length) {
          const n = await file.read(piece.subarray(filled));
          if (n === null) {
            throw new Error(`chunk file ended after ${sent + filled} of ${length} bytes`);
          }
          filled += n;
        }
        sent += filled;
        controller.enqueue(piece);
        if (sent >= length) {
          close();
          controller.close();
        }
      } catch (error) {
        close();
        controller.error(error);
      }
    },
    cancel() {
      close();
    },
  }, { highWaterMark: 0 });
}
