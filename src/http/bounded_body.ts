/**
 * Reading a small request body whole, under a byte bound: the one reader of the
 * storage service (signed JSON bodies) and of the WebDAV server (XML bodies).
 * Each caller turns {@link BodyTooLargeError} into its own answer (a 400
 * `IllegalArgumentException`, a 413).
 *
 * @module
 */

/**
 * Thrown by {@link readBodyUpTo} when a body holds more than its bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BodyTooLargeError } from "./bounded_body.ts";
 * const error = new BodyTooLargeError(64);
 * assert.equal(error.maxBytes, 64);
 * assert.equal(error.name, "BodyTooLargeError");
 * assert.equal(error.message, "Request body must be at most 64 bytes");
 * ```
 */
export class BodyTooLargeError extends Error {
  /** The bound the body went past. */
  readonly maxBytes: number;

  /** An error for a body longer than `maxBytes`. */
  constructor(maxBytes: number) {
    super(`Request body must be at most ${maxBytes} bytes`);
    this.name = "BodyTooLargeError";
    this.maxBytes = maxBytes;
  }
}

/**
 * Reads a whole body (an empty one for `null`), failing with
 * {@link BodyTooLargeError} as soon as more than `maxBytes` arrive: the rest is
 * cancelled, never buffered. Like `Response.text()`, it leaves the stream locked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BodyTooLargeError, readBodyUpTo } from "./bounded_body.ts";
 * const bytes = await readBodyUpTo(new Response("hello").body, 64);
 * assert.equal(new TextDecoder().decode(bytes), "hello");
 * assert.equal((await readBodyUpTo(null, 64)).byteLength, 0);
 * await assert.rejects(readBodyUpTo(new Response("hello").body, 4), BodyTooLargeError);
 * ```
 */
export async function readBodyUpTo(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let total = 0;
  // The reader is never released: at the end its stream has ended, failed or been
  // cancelled, and a release would only build an error (a stack trace) for nothing.
  const reader = body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(maxBytes);
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
