/**
 * A protocol between a producer of body pieces and the code that writes them out:
 * a producer that would like a piece's memory back (a pool of big read buffers)
 * marks the piece with {@link markReusable}; a writer that knows for sure the
 * piece's bytes were written and that it holds no reference to it any more calls
 * {@link releasePiece}. A piece nobody releases is simply left to the garbage
 * collector (the producer allocates anew), so any other consumer stays correct:
 * releasing is an optimization, never required.
 *
 * The writer of `serveHttp` (`_node_response.ts`) releases a piece once node's
 * `write` callback reported it written to the socket.
 *
 * @module
 */

const releases = new WeakMap<Uint8Array, () => void>();

/**
 * Marks `piece` as one whose producer takes its memory back through `release`
 * once a consumer calls {@link releasePiece}. The producer must hand the piece to
 * one consumer only, and never touch it again before `release` is called.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markReusable, releasePiece } from "./reusable_piece.ts";
 * const free: Uint8Array[] = [];
 * const piece = new Uint8Array(4);
 * markReusable(piece, () => free.push(piece));
 * assert.equal(releasePiece(piece), true); // written out: back to its producer
 * assert.equal(releasePiece(piece), false); // only once
 * assert.deepEqual(free, [piece]);
 * ```
 */
export function markReusable(piece: Uint8Array, release: () => void): void {
  releases.set(piece, release);
}

/**
 * Hands a piece back to its producer when it was marked with {@link markReusable}
 * (once; later calls do nothing): call it only when nothing will read the piece
 * again. Whether it was marked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { releasePiece } from "./reusable_piece.ts";
 * assert.equal(releasePiece(new Uint8Array(4)), false); // not marked: nothing to do
 * ```
 */
export function releasePiece(piece: Uint8Array): boolean {
  const release = releases.get(piece);
  if (release === undefined) return false;
  releases.delete(piece);
  release();
  return true;
}
