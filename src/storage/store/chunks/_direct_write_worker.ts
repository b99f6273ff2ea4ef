/**
 * The thread of a store's direct writes (see `_direct_io.ts`). node's `write`
 * runs on the thread that calls it, and a direct write lasts as long as the disk
 * takes (3 ms for 4 MiB, measured here): on the event loop's thread, every
 * request would wait that long per piece. Here only this thread waits.
 *
 * Each message brings a piece's bytes in a buffer transferred to this thread, the
 * file to write them to and where; they are copied into this thread's aligned
 * buffer (a `WebAssembly.Memory`, which starts on a page boundary), written with
 * `O_DIRECT`, and the buffer goes back with the answer, for the next piece.
 *
 * @module
 */

import { closeSync, constants, openSync, writeSync } from "node:fs";

/** What the store asks: write the first `length` bytes of `buffer` to `path` at `position`. */
export interface DirectWriteRequest {
  id: number;
  buffer: ArrayBuffer;
  length: number;
  path: string;
  position: number;
}

/** What it hears back: its buffer, and why the write failed if it did. */
export interface DirectWriteAnswer {
  id: number;
  buffer?: ArrayBuffer;
  /** The error's code (`EINVAL`, `ENOSPC`, …) or message. */
  error?: string;
}

/** The worker's global scope (`postMessage` exists only in a worker). */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<DirectWriteRequest>) => void) | null;
  postMessage?: (answer: DirectWriteAnswer, transfer: Transferable[]) => void;
};

/** Bytes of a WebAssembly page. */
const WASM_PAGE_BYTES = 65536;
let aligned = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);

function writeDirect(request: DirectWriteRequest): void {
  const { buffer, length, path, position } = request;
  if (aligned.byteLength < length) {
    const pages = Math.ceil(length / WASM_PAGE_BYTES);
    aligned = new Uint8Array(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
  }
  aligned.set(new Uint8Array(buffer, 0, length));
  const fd = openSync(path, constants.O_WRONLY | constants.O_DIRECT);
  try {
    const written = writeSync(fd, aligned, 0, length, position);
    if (written !== length) throw new Error(`direct write of ${length} bytes wrote ${written}`);
  } finally {
    closeSync(fd);
  }
}

if (typeof scope.postMessage === "function") {
  scope.onmessage = (event) => {
    const request = event.data;
    let error: string | undefined;
    try {
      writeDirect(request);
    } catch (failure) {
      error = (failure as { code?: string }).code ?? (failure as Error).message ?? String(failure);
    }
    const answer: DirectWriteAnswer = { id: request.id, buffer: request.buffer };
    if (error !== undefined) answer.error = error;
    scope.postMessage!(answer, [request.buffer]);
  };
}
