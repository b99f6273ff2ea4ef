/**
 * Where the bytes of a whole-file write come from: a `ReadableStream` or any
 * async iterable of byte pieces, read piece by piece with back-pressure.
 *
 * A byte stream (`type: "bytes"`, as `Deno.FsFile.readable` and HTTP request
 * bodies are) is read in BYOB mode into a reused buffer that grows to 1 MiB, so a
 * large body arrives in a few large pieces rather than many 64 KiB ones: each
 * piece costs a trip through the stream machinery and the writer, whatever its
 * size.
 *
 * @module
 */

/**
 * What {@link BackupFS.writeFile} accepts as a stream of bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ByteSource, readPieces } from "./byte_source.ts";
 * async function* pieces() {
 *   yield new TextEncoder().encode("hello, ");
 *   yield new TextEncoder().encode("world");
 * }
 * async function text(source: ByteSource): Promise<string> {
 *   let result = "";
 *   for await (const piece of readPieces(source)) result += new TextDecoder().decode(piece);
 *   return result;
 * }
 * assert.equal(await text(pieces()), "hello, world"); // an async iterable
 * assert.equal(await text(new Blob(["hello, world"]).stream()), "hello, world"); // a stream
 * ```
 */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Options of {@link readPieces}. */
export interface ReadPiecesOptions {
  /** Checked before each piece; an aborted signal ends the read with its reason. */
  signal?: AbortSignal;
  /** Size of the buffer a byte stream is read into (default 1 MiB). */
  bufferSize?: number;
}

const DEFAULT_BUFFER = 1024 * 1024;
const FIRST_BUFFER = 16 * 1024;

/**
 * The pieces of a source, in order. A piece read from a byte stream lives in a
 * buffer that is reused for the next one: use (or copy) it before asking for the
 * next. When the consumer stops early (an error, a `break`), the stream is
 * cancelled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPieces } from "./byte_source.ts";
 * const file = new Blob(["abc", "def"]).stream();
 * let total = 0;
 * for await (const piece of readPieces(file)) total += piece.byteLength;
 * assert.equal(total, 6);
 * ```
 */
export async function* readPieces(
  source: ByteSource,
  options?: ReadPiecesOptions,
): AsyncGenerator<Uint8Array> {
  const signal = options?.signal;
  if (!(source instanceof ReadableStream)) {
    for await (const piece of source) {
      signal?.throwIfAborted();
      if (!(piece instanceof Uint8Array)) throw new TypeError("a piece is not a Uint8Array");
      yield piece;
    }
    return;
  }
  const byob = byobReader(source);
  const reader = byob ?? source.getReader();
  let finished = false;
  try {
    // Small first, doubling while reads fill it: a 4 KiB body costs no 1 MiB buffer.
    const maxBuffer = Math.max(1, options?.bufferSize ?? DEFAULT_BUFFER);
    let buffer = byob ? new ArrayBuffer(Math.min(FIRST_BUFFER, maxBuffer)) : undefined;
    for (;;) {
      signal?.throwIfAborted();
      const { value, done } = byob
        ? await byob.read(new Uint8Array(buffer!))
        : await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
      if (done) {
        finished = true;
        return;
      }
      if (!(value instanceof Uint8Array)) throw new TypeError("a piece is not a Uint8Array");
      if (byob) {
        // The buffer was handed to the stream and comes back with the bytes read.
        buffer = value.buffer as ArrayBuffer;
        if (value.byteLength === buffer.byteLength && buffer.byteLength < maxBuffer) {
          yield value;
          buffer = new ArrayBuffer(Math.min(buffer.byteLength * 2, maxBuffer));
          continue;
        }
      }
      if (value.byteLength > 0) yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** A BYOB reader when the stream is a byte stream, else `undefined`. */
function byobReader(stream: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return stream.getReader({ mode: "byob" });
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}
