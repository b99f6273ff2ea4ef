/**
 * A counting semaphore with two queues: reads a caller waits on are served ahead
 * of prefetches. It bounds the `GetChunk`s one object reader has in flight.
 *
 * @module
 */

/** Which queue a waiter joins: reads are granted a free slot before prefetches. */
export type SlotKind = "read" | "prefetch";

/**
 * A counting semaphore where reads wait ahead of prefetches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Semaphore } from "./_semaphore.ts";
 * const slots = new Semaphore(1);
 * const signal = new AbortController().signal;
 * assert.equal(slots.tryAcquire(), true); // the only slot
 * assert.equal(slots.free, false);
 * const order: string[] = [];
 * const prefetch = slots.acquire("prefetch", signal).then(() => order.push("prefetch"));
 * const read = slots.acquire("read", signal).then(() => order.push("read"));
 * slots.release(); // goes to the read, queued later but served first
 * await read;
 * slots.release();
 * await prefetch;
 * assert.deepEqual(order, ["read", "prefetch"]);
 * ```
 */
export class Semaphore {
  #free: number;
  #reads: Array<() => void> = [];
  #prefetches: Array<() => void> = [];

  /** A semaphore of `count` slots, all free. */
  constructor(count: number) {
    this.#free = count;
  }

  /** Whether a slot is free right now. */
  get free(): boolean {
    return this.#free > 0;
  }

  /** Takes a free slot at once; `false` when there is none. */
  tryAcquire(): boolean {
    if (this.#free === 0) return false;
    this.#free--;
    return true;
  }

  /**
   * Waits for a slot in the queue of `kind`; rejects with the signal's reason when
   * it aborts first (the waiter then leaves the queue).
   */
  acquire(kind: SlotKind, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const queue = kind === "prefetch" ? this.#prefetches : this.#reads;
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      queue.push(grant);
    });
  }

  /** Gives a slot back: to the first waiting read, else the first prefetch, else free. */
  release(): void {
    const next = this.#reads.shift() ?? this.#prefetches.shift();
    if (next) next();
    else this.#free++;
  }
}
