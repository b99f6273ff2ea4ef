/**
 * A budget of bytes shared by requests that hold request data in memory (uploads
 * being cut into chunks): each takes a lease for the most it will hold before it
 * reads its body, and gives it back when done. When the budget is spent, new
 * requests wait in turn (first come, first served) instead of piling memory up;
 * one that waits too long is refused by its caller (503).
 *
 * @module
 */

/** A share of a {@link MemoryBudget}; release it exactly once (later calls do nothing). */
export interface MemoryLease {
  /** Bytes held. */
  readonly bytes: number;
  /** Gives the bytes back (and lets the next waiter in). */
  release(): void;
}

interface Waiter {
  bytes: number;
  grant: (lease: MemoryLease | undefined) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A byte budget with a first-come, first-served queue.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryBudget } from "./memory_budget.ts";
 * const budget = new MemoryBudget(10);
 * const first = await budget.acquire(8);
 * assert.equal(first?.bytes, 8);
 * const refused = await budget.acquire(4, { waitMs: 10 }); // only 2 bytes free
 * assert.equal(refused, undefined);
 * const next = budget.acquire(4, { waitMs: 1000 });
 * first.release();
 * const lease = await next; // let in by the release
 * assert.equal(lease?.bytes, 4);
 * assert.equal(budget.inUse, 4);
 * lease.release();
 * assert.equal(budget.inUse, 0);
 * ```
 */
export class MemoryBudget {
  /** The budget, in bytes. */
  readonly totalBytes: number;
  #inUse = 0;
  #queue: Waiter[] = [];

  /** A budget of `totalBytes` (at least 1). */
  constructor(totalBytes: number) {
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 1) {
      throw new RangeError(
        `a memory budget must be a whole number of bytes ≥ 1 (got ${totalBytes})`,
      );
    }
    this.totalBytes = totalBytes;
  }

  /** Bytes leased right now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Requests waiting for bytes. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * A lease of `bytes` (clamped to the whole budget, so any request can run
   * alone), granted now if the bytes are free and nobody waits before it, else
   * when they are; `undefined` when `waitMs` (default: no limit) passes first or
   * `signal` aborts (a client that went away leaves the queue).
   */
  acquire(
    bytes: number,
    options?: { waitMs?: number; signal?: AbortSignal },
  ): Promise<MemoryLease | undefined> {
    const want = Math.max(0, Math.min(Math.ceil(bytes), this.totalBytes));
    if (options?.signal?.aborted) return Promise.resolve(undefined);
    if (this.#queue.length === 0 && this.#inUse + want <= this.totalBytes) {
      return Promise.resolve(this.#lease(want));
    }
    return new Promise((resolve) => {
      const signal = options?.signal;
      const giveUp = () => {
        const index = this.#queue.indexOf(waiter);
        if (index < 0) return; // already granted
        this.#queue.splice(index, 1);
        if (waiter.timer !== undefined) clearTimeout(waiter.timer);
        signal?.removeEventListener("abort", giveUp);
        resolve(undefined);
        // The head of the queue may have been this waiter: let the next one try.
        this.#grantWaiting();
      };
      const waiter: Waiter = {
        bytes: want,
        grant: (lease) => {
          signal?.removeEventListener("abort", giveUp);
          resolve(lease);
        },
      };
      if (options?.waitMs !== undefined) {
        waiter.timer = setTimeout(giveUp, Math.max(0, options?.waitMs));
      }
      signal?.addEventListener("abort", giveUp, { once: true });
      this.#queue.push(waiter);
    });
  }

  #lease(bytes: number): MemoryLease {
    this.#inUse += bytes;
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.#inUse -= bytes;
        this.#grantWaiting();
      },
    };
  }

  #grantWaiting(): void {
    while (this.#queue.length > 0 && this.#inUse + this.#queue[0].bytes <= this.totalBytes) {
      const waiter = this.#queue.shift()!;
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.grant(this.#lease(waiter.bytes));
    }
  }
}
