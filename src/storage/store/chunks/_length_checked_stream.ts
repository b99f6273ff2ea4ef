/**
 * The length check of a chunk read from a remote store, on a stream: what
 * `S3ChunkStore.get` hands out while the object's body is still arriving.
 *
 * @module
 */

/** Options of {@link lengthCheckedStream}. */
export interface LengthCheckedStreamOptions {
  /** The error a failure of the source becomes (default: the source's own error). */
  mapError?: (error: unknown) => unknown;
  /**
   * Called once when the stream gives up on its source before the source ended
   * (the consumer cancelled, the source failed, or the `length` bytes went out
   * first), after cancelling it: e.g. to close a connection the source holds.
   */
  abort?: () => void;
}

/**
 * The first `length` bytes of `source`, read as the consumer pulls: the stream
 * errors when the source ends with fewer (a damaged store must never look like a
 * short chunk), ends when the source ends, or cancels the source once it offers
 * more than `length` bytes; cancelling the stream cancels the source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lengthCheckedStream } from "./_length_checked_stream.ts";
 * const source = () => ReadableStream.from([new Uint8Array([1, 2]), new Uint8Array([3, 4])]);
 * const three = await new Response(lengthCheckedStream(source(), 3)).bytes();
 * assert.deepEqual(three, new Uint8Array([1, 2, 3]));
 * await assert.rejects(
 *   new Response(lengthCheckedStream(source(), 5)).bytes(),
 *   /ended after 4 of 5 bytes/,
 * );
 * ```
 */
export function lengthCheckedStream(
  source: ReadableStream<Uint8Array>,
  length: number,
  options?: LengthCheckedStreamOptions,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const mapError = options?.mapError ?? ((error: unknown) => error);
  let aborted = false;
  const abort = () => {
    if (aborted) return;
    aborted = true;
    options?.abort?.();
  };
  let received = 0;
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      if (length > 0) return;
      controller.close();
      await reader.cancel().catch(() => {});
      abort();
    },
    async pull(controller) {
      let next;
      try {
        next = await reader.read();
      } catch (error) {
        abort();
        controller.error(mapError(error));
        return;
      }
      if (next.done) {
        if (received < length) {
          controller.error(new Error(`chunk object ended after ${received} of ${length} bytes`));
        } else controller.close();
        return;
      }
      const chunk = next.value;
      const wanted = length - received;
      if (chunk.byteLength <= wanted) {
        // Up to the last byte asked for: the source is read on to its end.
        received += chunk.byteLength;
        if (chunk.byteLength > 0) controller.enqueue(chunk);
        return;
      }
      // More than asked for: what the source holds beyond is not read.
      received = length;
      if (wanted > 0) controller.enqueue(chunk.subarray(0, wanted));
      controller.close();
      await reader.cancel().catch(() => {});
      abort();
    },
    async cancel(reason) {
      try {
        await reader.cancel(reason);
      } catch {
        // the source failed already: nothing more to release there
      } finally {
        abort();
      }
    },
  });
}
