/**
 * One directory scan shared by the listings that join it while it is young (see
 * `DirectoryListerOptions.share`): entries are kept until every consumer has read
 * them, up to a bound past which the slowest consumers continue on their own.
 *
 * @module
 */

import type { ListedEntry } from "./directory_scan.ts";

/**
 * One scan of a directory shared by the listings that joined it: the entries not
 * yet read by every consumer (at most `maxShared` of them), pulled page by page by
 * whichever consumer needs the next one. Entries are numbered from 0; a consumer
 * is a cursor holding the number of the next entry it reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ListedEntry } from "./directory_scan.ts";
 * import { ListingFlight } from "./listing_flight.ts";
 * async function* scan(): AsyncGenerator<ListedEntry[]> {
 *   yield [{ name: "a", isFile: true, isDirectory: false }];
 *   yield [{ name: "b", isFile: true, isDirectory: false }];
 * }
 * const flight = new ListingFlight(scan(), 0);
 * const fast = { at: 0 };
 * const slow = { at: 0 };
 * flight.cursors.add(fast).add(slow);
 * let ended = false;
 * await flight.pull(1, () => (ended = true));
 * await flight.pull(1, () => (ended = true));
 * assert.deepEqual([flight.base, flight.head], [1, 2]); // only 1 entry kept for the slow cursor
 * await flight.pull(1, () => (ended = true));
 * assert.ok(flight.done && ended);
 * ```
 */
export class ListingFlight {
  /** When the scan began (ms since epoch). */
  readonly startedAt: number = Date.now();
  /** The change-log epoch when the scan began. */
  readonly epoch: number;
  /** Entries from number `base` on. */
  entries: ListedEntry[] = [];
  /** The number of the first entry kept. */
  base = 0;
  /** The scan has ended (or failed, or every consumer left). */
  done = false;
  /** The scan failed with {@link error}. */
  failed = false;
  /** What the scan failed with. */
  error: unknown;
  /** Each consumer's next entry number. */
  readonly cursors: Set<{ at: number }> = new Set<{ at: number }>();
  readonly #scan: AsyncGenerator<ListedEntry[]>;
  #pulling: Promise<void> | undefined;

  /** A flight over `scan`, begun at change-log epoch `epoch`. */
  constructor(scan: AsyncGenerator<ListedEntry[]>, epoch: number) {
    this.#scan = scan;
    this.epoch = epoch;
  }

  /** Number after the last entry pulled. */
  get head(): number {
    return this.base + this.entries.length;
  }

  /**
   * Pulls the next batch (one pull at a time, shared by all who wait), keeping at
   * most `maxShared` entries; `ended` is called once the scan is done or failed.
   */
  pull(maxShared: number, ended: () => void): Promise<void> {
    this.#pulling ??= this.#pull(maxShared, ended).finally(() => {
      this.#pulling = undefined;
    });
    return this.#pulling;
  }

  async #pull(maxShared: number, ended: () => void): Promise<void> {
    try {
      const next = await this.#scan.next();
      if (next.done) {
        this.done = true;
        ended();
        return;
      }
      this.entries.push(...next.value);
    } catch (error) {
      this.done = true;
      this.failed = true;
      this.error = error;
      ended();
      return;
    }
    // Drop what every consumer has read, and beyond `maxShared` what the slowest
    // have not (they continue on their own).
    let first = this.head;
    for (const cursor of this.cursors) first = Math.min(first, cursor.at);
    first = Math.max(first, this.head - maxShared);
    if (first > this.base) {
      this.entries.splice(0, first - this.base);
      this.base = first;
    }
  }

  /** A consumer is done with it; the last one stops the scan (`ended` is called then). */
  leave(cursor: { at: number }, ended: () => void): void {
    this.cursors.delete(cursor);
    if (this.cursors.size > 0 || this.done) return;
    this.done = true;
    ended();
    const pulling = this.#pulling ?? Promise.resolve();
    void pulling.then(() => this.#scan.return(undefined)).catch(() => {});
  }
}
