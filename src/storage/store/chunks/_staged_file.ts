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
 *   await staged.file.write(new Uint8Array([1, 2]));
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
  /** The open file, for writing. */
  readonly file: Deno.FsFile;
  #open = true;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.file = file;
  }

  /** Creates a new, empty file (mode 0600) in `directory`. */
  static async create(directory: string): Promise<StagedFile> {
    const path = join(directory, `${Buffer.from(randomBytes(12)).toString("hex")}.part`);
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    return new StagedFile(path, file);
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
