/**
 * File helpers of the embedded store's chunk bytes: fsyncing a directory, hex
 * names of digests, and streaming a chunk file. The chunk tree itself is
 * `LocalChunkStore` (`chunks/local_chunk_store.ts`), one implementation of the
 * `ChunkStore` seam.
 *
 * @module
 */

import { Buffer } from "node:buffer";

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
