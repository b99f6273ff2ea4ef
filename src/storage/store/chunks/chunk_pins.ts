/**
 * The in-process coordination between ingests and the garbage collector over
 * chunk bytes: pins keep the collector away from content an ingest is installing
 * but has not yet recorded, and deletions in progress make such an ingest wait
 * until the bytes it is about to store again are really gone.
 *
 * @module
 */

/**
 * Pins on chunk digests (lowercase hex) and the deletions in progress.
 *
 * The protocol, which makes a `ChunkStore` delete of a digest never overlap
 * a put of it, with any store (even one whose delete takes a network trip):
 *
 * - An ingest {@link pin}s a digest, then awaits {@link deletion} (when there is
 *   one), then checks whether a record references the digest and puts it if not;
 *   it unpins once its own reference has committed.
 * - The collector, in one synchronous section, checks that the digest is not
 *   pinned and not referenced, starts the delete and registers it with
 *   {@link trackDeletion}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkPins } from "./chunk_pins.ts";
 * const pins = new ChunkPins();
 * pins.pin("ab");
 * pins.pin("ab");
 * pins.unpin("ab");
 * assert.ok(pins.isPinned("ab"));
 * pins.unpin("ab");
 * assert.ok(!pins.isPinned("ab"));
 * const deleting = Promise.withResolvers<number>();
 * pins.trackDeletion("cd", deleting.promise);
 * const waiting = pins.deletion("cd");
 * assert.ok(waiting);
 * deleting.resolve(3);
 * await waiting;
 * assert.equal(pins.deletion("cd"), undefined);
 * ```
 */
export class ChunkPins {
  #pins = new Map<string, number>();
  #deletions = new Map<string, Promise<void>>();

  /** Protects a digest from garbage collection until {@link unpin}. */
  pin(hex: string): void {
    this.#pins.set(hex, (this.#pins.get(hex) ?? 0) + 1);
  }

  /** Releases one {@link pin}. */
  unpin(hex: string): void {
    const count = (this.#pins.get(hex) ?? 0) - 1;
    if (count > 0) this.#pins.set(hex, count);
    else this.#pins.delete(hex);
  }

  /** Whether an ingest currently holds a pin on a digest. */
  isPinned(hex: string): boolean {
    return this.#pins.has(hex);
  }

  /**
   * Records a delete of a digest in progress, until it settles (its outcome is
   * the caller's to handle; waiters only wait).
   */
  trackDeletion(hex: string, deleting: Promise<unknown>): void {
    const settled: Promise<void> = deleting.then(() => {}, () => {}).finally(() => {
      if (this.#deletions.get(hex) === settled) this.#deletions.delete(hex);
    });
    this.#deletions.set(hex, settled);
  }

  /** The delete of a digest in progress, to await before putting it; `undefined` when none. */
  deletion(hex: string): Promise<void> | undefined {
    return this.#deletions.get(hex);
  }
}
