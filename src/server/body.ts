/**
 * Request bodies for the BackupStorage service: reading a small body whole under
 * a byte bound, and wrapping a streaming body so that it fails at its end when
 * its bytes do not hash to the SHA-256 the request declared.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { IllegalArgumentException } from "../storage/errors.ts";
import { BodyTooLargeError, readBodyUpTo } from "../http/bounded_body.ts";

/**
 * Rejects a request whose `Content-Length` exceeds `limit` before any of its body
 * is read. A malformed `Content-Length` is refused too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkContentLength } from "./body.ts";
 * import { IllegalArgumentException } from "../storage/errors.ts";
 * assert.equal(checkContentLength(new Headers({ "content-length": "10" }), 64), 10);
 * assert.equal(checkContentLength(new Headers(), 64), undefined);
 * assert.throws(
 *   () => checkContentLength(new Headers({ "content-length": "65" }), 64),
 *   IllegalArgumentException,
 * );
 * ```
 */
export function checkContentLength(headers: Headers, limit: number): number | undefined {
  const value = headers.get("content-length");
  if (value === null) return undefined;
  if (!/^\d{1,16}$/.test(value.trim())) {
    throw new IllegalArgumentException("Content-Length must be a decimal integer");
  }
  const length = Number(value.trim());
  if (length > limit) {
    throw new IllegalArgumentException(`Request body must be at most ${limit} bytes`);
  }
  return length;
}

/**
 * Reads a whole body, failing with `IllegalArgumentException` once more than
 * `limit` bytes arrive (the rest is cancelled, never buffered): `readBodyUpTo` of
 * `src/http/bounded_body.ts` with the service's error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBounded } from "./body.ts";
 * import { IllegalArgumentException } from "../storage/errors.ts";
 * const bytes = await readBounded(new Response("hello").body, 64);
 * assert.equal(new TextDecoder().decode(bytes), "hello");
 * await assert.rejects(readBounded(new Response("hello").body, 4), IllegalArgumentException);
 * ```
 */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array> {
  try {
    return await readBodyUpTo(body, limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new IllegalArgumentException(error.message);
    throw error;
  }
}

/**
 * Hex SHA-256 of some bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./body.ts";
 * assert.equal(
 *   sha256Hex(new Uint8Array()),
 *   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 * );
 * ```
 */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Options of {@link verifyingStream}. */
export interface VerifyingStreamOptions {
  /** Called once when the bytes did not hash to the expected value. */
  onMismatch?: () => void;
  /** The error the stream fails with on a mismatch. */
  error?: () => Error;
}

/**
 * Wraps a body so that it errors at its end, instead of closing, when its bytes
 * do not hash to `expectedHex` (lower-case hex SHA-256). A consumer that stores
 * only what it read to a clean end therefore stores nothing forged.
 *
 * The wrapper reads `body` only when it is read itself (nothing is pulled
 * ahead, `body` is not even locked before the first read), and cancelling it
 * cancels `body`. A request refused before its body is read therefore leaves
 * that body untouched, for the HTTP server to discard: a body locked by an
 * eager pipe that nobody drains would keep the connection open forever.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex, verifyingStream } from "./body.ts";
 * const data = new TextEncoder().encode("abc");
 * const stream = verifyingStream(new Response(data).body!, sha256Hex(data));
 * assert.deepEqual(await new Response(stream).bytes(), data);
 * // Bytes that do not match the declared hash fail at the end.
 * const forged = verifyingStream(new Response("abd").body!, sha256Hex(data));
 * await assert.rejects(new Response(forged).bytes(), /does not match its declared SHA-256/);
 * ```
 */
export function verifyingStream(
  body: ReadableStream<Uint8Array>,
  expectedHex: string,
  options?: VerifyingStreamOptions,
): ReadableStream<Uint8Array> {
  const hash = createHash("sha256");
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= body.getReader();
      const { done, value } = await reader.read();
      if (!done) {
        hash.update(value);
        controller.enqueue(value);
        return;
      }
      if (hash.digest("hex") === expectedHex) {
        controller.close();
        return;
      }
      options?.onMismatch?.();
      controller.error(
        options?.error?.() ?? new Error("Request body does not match its declared SHA-256"),
      );
    },
    async cancel(reason) {
      await (reader ? reader.cancel(reason) : body.cancel(reason));
    },
  }, { highWaterMark: 0 });
}
