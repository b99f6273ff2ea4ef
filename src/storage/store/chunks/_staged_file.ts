/**
 * A chunk staged in a file of a staging directory: how both chunk stores take a
 * body whose digest is known only once it is written.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { StagedChunk } from "./chunk_store.ts";
import { DIRECT_BLOCK_BYTES, type DirectIo } from "./_direct_io.ts";

/**
 * A staged file being written: a new, empty file with a random name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StagedFile } from "./_staged_file.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const staged = await StagedFile.create(dir);
 *   await staged.write(new Uint8Array([1, 2]));
 *   staged.close();
 *   assert.equal((await Deno.stat(staged.path)).size, 2);
 *   await staged.discard();
 *   assert.equal([...Deno.readDirSync(dir)].length, 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class StagedFile implements StagedChunk {
  /** Its path. */
  readonly path: string;
  /** The open file, for writing through the cache (and its fsync). */
  readonly file: Deno.FsFile;
  readonly #direct: DirectIo | undefined;
  /** Bytes written so far: where the next write goes. */
  #length = 0;
  /** Where `file`'s own position is (direct writes do not move it). */
  #filePosition = 0;
  #open = true;

  private constructor(path: string, file: Deno.FsFile, direct: DirectIo | undefined) {
    this.path = path;
    this.file = file;
    this.#direct = direct;
  }

  /**
   * Creates a new, empty file (mode 0600) in `directory`. With `direct`, the whole
   * blocks of what is written go past the page cache (see `_direct_io.ts`).
   */
  static async create(
    directory: string,
    options?: { direct?: DirectIo },
  ): Promise<StagedFile> {
    const path = join(directory, `${Buffer.from(randomBytes(12)).toString("hex")}.part`);
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    return new StagedFile(path, file, options?.direct);
  }

  /**
   * Appends all of `bytes`: its whole blocks direct while the file's length is a
   * whole number of blocks and direct writes are on, the rest through the cache.
   */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    const direct = this.#direct;
    if (direct?.enabled && bytes.byteLength >= DIRECT_BLOCK_BYTES) {
      offset = await direct.write(this.path, bytes, this.#length);
      this.#length += offset;
    }
    if (offset === bytes.byteLength) return;
    if (this.#filePosition !== this.#length) {
      await this.file.seek(this.#length, Deno.SeekMode.Start);
      this.#filePosition = this.#length;
    }
    // Bounded by the bytes: every write moves at least one byte (or throws).
    while (offset < bytes.byteLength) {
      const n = await this.file.write(bytes.subarray(offset));
      offset += n;
      this.#length += n;
      this.#filePosition += n;
    }
  }

  /** Closes the file (once). */
  close(): void {
    if (this.#open) {
      this.#open = false;
      this.file.close();
    }
  }

  /** Closes and removes the file; never throws. */
  async discard(): Promise<void> {
    try {
      this.close();
    } catch {
      // already closed by a failed write
    }
    await Deno.remove(this.path).catch(() => {});
  }
}
