/**
 * Streams a request body into a file (or, when small, into memory) while hashing
 * it once, enforcing its declared length: the store's hot path for `PutChunk`,
 * `PutObject` and `MetadataBlob`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { sha256 } from "../checksum.ts";
import { IllegalArgumentException, NotReadableInputStreamException } from "../errors.ts";
import type { StreamingBody } from "../types.ts";

/** Options of {@link writeBody} and {@link readBody}. */
export interface WriteBodyOptions {
  /** The exact number of bytes the body must have. */
  length: number;
  /** Name of the body in error messages (`Data`, `InlineChunk`, `MetadataBlob`). */
  member?: string;
  /** Name of the length member in error messages (`Length`). */
  lengthMember?: string;
  /** Stops reading; the stream is cancelled and the call fails. */
  signal?: AbortSignal;
}

/**
 * The checks of a body's bytes computed as it was read: its SHA-256 (the content
 * address) and its CRC-32, computed from the very same bytes (what the store checks
 * when it reads them back from its own disk).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "node:zlib";
 * import type { BodyDigests } from "./body_reader.ts";
 * import { sha256 } from "../checksum.ts";
 * const bytes = new TextEncoder().encode("abc");
 * const digests: BodyDigests = { digest: sha256(bytes), crc32: crc32(bytes) };
 * assert.equal(digests.crc32, 0x352441c2);
 * ```
 */
export interface BodyDigests {
  /** Raw SHA-256 digest (32 bytes). */
  digest: Uint8Array;
  /** CRC-32 (`node:zlib` `crc32`, unsigned) of the same bytes. */
  crc32: number;
}

/** Where {@link writeBody} writes: a staged chunk, or anything that appends bytes. */
export interface BodySink {
  /** Appends all of `bytes`; the caller may reuse them once this resolves. */
  write(bytes: Uint8Array): Promise<unknown>;
}

/**
 * Writes all of a body to `sink` (appending) and returns the raw
 * SHA-256 digest and the CRC-32 of the bytes. Each piece is hashed once as it arrives; streamed
 * pieces are gathered into 1 MiB writes that overlap the reading and hashing of
 * the next ones.
 *
 * Fails with `IllegalArgumentException` as soon as more than `length` bytes
 * arrive (the stream is cancelled) or when the body ends short, and with
 * `NotReadableInputStreamException` when the stream itself errors. The caller
 * owns the sink and discards what it holds on failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeBody } from "./body_reader.ts";
 * import { sha256 } from "../checksum.ts";
 * const path = await Deno.makeTempFile();
 * try {
 *   const data = new TextEncoder().encode("abc");
 *   const file = await Deno.open(path, { write: true });
 *   let digests;
 *   try {
 *     const sink = { write: (bytes: Uint8Array) => file.write(bytes) }; // all at once, here
 *     digests = await writeBody(new Blob([data]).stream(), sink, { length: 3 });
 *   } finally {
 *     file.close();
 *   }
 *   assert.deepEqual(digests.digest, sha256(data));
 *   assert.equal(digests.crc32, 0x352441c2); // CRC-32 of "abc"
 *   assert.equal(await Deno.readTextFile(path), "abc");
 * } finally {
 *   await Deno.remove(path);
 * }
 * ```
 */
export async function writeBody(
  body: StreamingBody | undefined,
  sink: BodySink,
  options: WriteBodyOptions,
): Promise<BodyDigests> {
  const { length } = options;
  if (body === undefined || body instanceof Uint8Array) {
    const bytes = wholeBody(body, options);
    // The write starts first (it runs on the runtime's I/O thread); the CRC (~40
    // GB/s) and the hash are computed here meanwhile, from the same bytes.
    const written = sink.write(bytes);
    const digest = sha256(bytes);
    const crc = crc32(bytes);
    await written;
    return { digest, crc32: crc };
  }
  // Pieces arrive small (64 KiB from an HTTP body); each async write costs a trip to
  // the thread pool, so pieces are gathered into staging buffers of up to 1 MiB and
  // written from there, two buffers taking turns: one fills while the other is
  // written. The copy is cheap next to the writes it saves.
  const stageSize = Math.min(length, STAGE_BYTES);
  let stage: Uint8Array = new Uint8Array(stageSize);
  let spare: Uint8Array | undefined = stageSize > 0 ? new Uint8Array(stageSize) : undefined;
  let filled = 0;
  let pending: Promise<void> | undefined;
  const writeStage = async () => {
    if (pending) await pending;
    pending = sink.write(stage.subarray(0, filled)).then(() => {});
    // Keep a failing write from becoming an unhandled rejection while we read on.
    pending.catch(() => {});
    [stage, spare] = [spare!, stage];
    filled = 0;
  };
  return await consumeStream(body, options, {
    async write(piece) {
      for (let offset = 0; offset < piece.byteLength;) {
        const n = Math.min(stageSize - filled, piece.byteLength - offset);
        stage.set(piece.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === stageSize) await writeStage();
      }
    },
    async finish() {
      if (filled > 0) await writeStage();
      if (pending) await pending;
      pending = undefined;
    },
    async abandon() {
      if (pending) await pending.catch(() => {});
    },
  });
}

/**
 * Reads all of a small body into memory and returns its bytes (always a copy the
 * caller owns) with their raw SHA-256 digest and CRC-32, with the same length checks and
 * errors as {@link writeBody}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBody } from "./body_reader.ts";
 * import { sha256 } from "../checksum.ts";
 * import { IllegalArgumentException } from "../errors.ts";
 * const data = new TextEncoder().encode("abc");
 * const { bytes, digest, crc32 } = await readBody(data, { length: 3 });
 * assert.deepEqual(bytes, data);
 * assert.deepEqual(digest, sha256(data));
 * assert.equal(crc32, 0x352441c2);
 * // A body that is not the declared length is refused.
 * await assert.rejects(readBody(data, { length: 4 }), IllegalArgumentException);
 * ```
 */
export async function readBody(
  body: StreamingBody | undefined,
  options: WriteBodyOptions,
): Promise<BodyDigests & { bytes: Uint8Array }> {
  if (body === undefined || body instanceof Uint8Array) {
    // A copy first, then its hash: what is hashed is what is kept, whatever the
    // caller does with its buffer afterwards.
    const bytes = wholeBody(body, options).slice();
    return {
      bytes,
      digest: new Uint8Array(createHash("sha256").update(bytes).digest()),
      crc32: crc32(bytes),
    };
  }
  const bytes = new Uint8Array(options.length);
  let filled = 0;
  const digests = await consumeStream(body, options, {
    write(piece) {
      bytes.set(piece, filled);
      filled += piece.byteLength;
    },
  });
  return { bytes, ...digests };
}

/** A body given whole, checked against its declared length. */
function wholeBody(body: Uint8Array | undefined, options: WriteBodyOptions): Uint8Array {
  const bytes = body ?? new Uint8Array();
  if (bytes.byteLength !== options.length) {
    throw new IllegalArgumentException(
      `${options.member ?? "Data"} has ${bytes.byteLength} bytes but ${
        options.lengthMember ?? "Length"
      } says ${options.length}`,
    );
  }
  return bytes;
}

/** Where {@link consumeStream} puts the pieces it checked and hashed. */
interface PieceSink {
  write(piece: Uint8Array): void | Promise<void>;
  finish?(): Promise<void>;
  abandon?(): Promise<void>;
}

/**
 * Reads a body stream to its end: each piece is checked (type, running length),
 * hashed once (SHA-256 and CRC-32) and handed to `sink`; returns both. Never accepts more than
 * `length` bytes: the piece that would overflow is refused before the sink sees it.
 */
async function consumeStream(
  body: StreamingBody,
  options: WriteBodyOptions,
  sink: PieceSink,
): Promise<BodyDigests> {
  const { length } = options;
  const member = options.member ?? "Data";
  const lengthMember = options.lengthMember ?? "Length";
  if (!(body instanceof ReadableStream)) {
    throw new IllegalArgumentException(`${member} must be bytes or a stream of bytes`);
  }
  const hash = createHash("sha256");
  let crc = 0;
  const reader = body.getReader();
  let received = 0;
  try {
    while (true) {
      options.signal?.throwIfAborted();
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        throw new NotReadableInputStreamException(
          `${member} could not be read to its end: the stream failed`,
          { cause: error },
        );
      }
      if (result.done) break;
      const piece = result.value;
      if (!(piece instanceof Uint8Array)) {
        throw new IllegalArgumentException(`${member} must be a stream of Uint8Array pieces`);
      }
      received += piece.byteLength;
      if (received > length) {
        throw new IllegalArgumentException(
          `${member} has more bytes than ${lengthMember} (${length}) says`,
        );
      }
      hash.update(piece);
      crc = crc32(piece, crc);
      await sink.write(piece);
    }
    await sink.finish?.();
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    await sink.abandon?.();
    throw error;
  }
  if (received < length) {
    throw new IllegalArgumentException(
      `${member} has ${received} bytes but ${lengthMember} says ${length}`,
    );
  }
  return { digest: new Uint8Array(hash.digest()), crc32: crc };
}

/**
 * Reads a body that must be empty (a zero-length chunk or blob, or a body sent
 * without a length), failing with `IllegalArgumentException` carrying `message`
 * if it has any byte, and `NotReadableInputStreamException` if it errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { drainEmptyBody } from "./body_reader.ts";
 * import { IllegalArgumentException } from "../errors.ts";
 * const message = "InlineChunk has bytes but no length";
 * await drainEmptyBody(new Uint8Array(), message); // fine
 * await drainEmptyBody(new Blob([]).stream(), message); // fine
 * await assert.rejects(drainEmptyBody(new Blob(["x"]).stream(), message), IllegalArgumentException);
 * ```
 */
export async function drainEmptyBody(
  body: StreamingBody | undefined,
  message: string,
): Promise<void> {
  if (body === undefined) return;
  if (body instanceof Uint8Array) {
    if (body.byteLength !== 0) throw new IllegalArgumentException(message);
    return;
  }
  if (!(body instanceof ReadableStream)) throw new IllegalArgumentException(message);
  const reader = body.getReader();
  while (true) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (error) {
      throw new NotReadableInputStreamException(
        "The request body could not be read to its end: the stream failed",
        { cause: error },
      );
    }
    if (result.done) return;
    if (result.value.byteLength > 0) {
      await reader.cancel().catch(() => {});
      throw new IllegalArgumentException(message);
    }
  }
}

/**
 * Cancels a body that will not be read (after an early validation error), so
 * that its producer is released. Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discardBody } from "./body_reader.ts";
 * let cancelled = false;
 * const body = new ReadableStream<Uint8Array>({
 *   cancel() {
 *     cancelled = true;
 *   },
 * });
 * await discardBody(body);
 * assert.equal(cancelled, true);
 * await discardBody(undefined); // nothing to do, no error
 * ```
 */
export async function discardBody(body: StreamingBody | undefined): Promise<void> {
  if (body instanceof ReadableStream && !body.locked) await body.cancel().catch(() => {});
}

/** Size of the staging buffers streamed bodies are gathered into before writing. */
const STAGE_BYTES = 1024 * 1024;
