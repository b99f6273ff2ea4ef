/**
 * The turn to write to SQLite, shared by the workers of one server (Web Workers of
 * one process, each with its own connection to the same file).
 *
 * SQLite serializes write transactions by itself, but `node:sqlite` is
 * synchronous: a `BEGIN IMMEDIATE` that finds another connection's transaction
 * open sleeps inside SQLite's busy handler, and the worker's whole event loop
 * sleeps with it (1, 2, 5 ms… at a time). Measured with two workers and four
 * clients writing small files, about one `BEGIN` in ten waited like that. With a
 * turn shared in memory, a worker whose sibling is writing waits on an
 * `Atomics.waitAsync` instead, serving its other requests meanwhile, and is
 * woken the moment the sibling commits.
 *
 * The turn only spares waits: correctness never depends on it. SQLite's lock
 * still guards every transaction (and other processes, which do not share this
 * memory). A worker that waited longer than {@link SharedWriteTurnOptions.maxWaitMs}
 * (a sibling stuck or dead while holding it) goes ahead without the turn, and
 * meets SQLite's own lock.
 *
 * @module
 */

/** Index of the holder's id in the shared word array (0 = free). */
const HOLDER = 0;

/** Options of {@link SharedWriteTurn}. */
export interface SharedWriteTurnOptions {
  /**
   * This worker's id among the holders, an integer from 1 (default 1). Each
   * worker of a server takes its own, so that {@link SharedWriteTurn.releaseHeldBy}
   * can free a turn whose worker died.
   */
  holder?: number;
  /** Longest wait for the turn before going ahead without it, in ms (default 2,000). */
  maxWaitMs?: number;
}

/**
 * A lock word in a `SharedArrayBuffer` that workers take in turn, waiting
 * without blocking their thread. Create it with {@link SharedWriteTurn.create} on
 * the main thread, send its `buffer` to each worker, and there wrap it with
 * `new SharedWriteTurn(buffer, { holder })` and {@link shareWriteTurn}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SharedWriteTurn } from "./shared_write_turn.ts";
 * const turn = SharedWriteTurn.create();
 * const a = new SharedWriteTurn(turn.buffer, { holder: 1 }); // worker 0's view
 * const b = new SharedWriteTurn(turn.buffer, { holder: 2 }); // worker 1's view
 * const releaseA = await a.acquire();
 * let bHasIt = false;
 * const bWaits = b.acquire().then((release) => {
 *   bHasIt = true;
 *   return release;
 * });
 * await new Promise((resolve) => setTimeout(resolve, 20));
 * assert.equal(bHasIt, false); // b waits while a holds the turn
 * assert.equal(turn.holder, 1);
 * releaseA();
 * const releaseB = await bWaits;
 * assert.equal(turn.holder, 2);
 * releaseB();
 * assert.equal(turn.holder, 0);
 * ```
 */
export class SharedWriteTurn {
  /** The shared memory: send it to the workers. */
  readonly buffer: SharedArrayBuffer;
  readonly #view: Int32Array;
  readonly #holder: number;
  readonly #maxWaitMs: number;

  /** A view of a turn made by {@link SharedWriteTurn.create} (in any worker). */
  constructor(buffer: SharedArrayBuffer, options?: SharedWriteTurnOptions) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < 4) {
      throw new TypeError("a shared write turn needs a SharedArrayBuffer of at least 4 bytes");
    }
    const holder = options?.holder ?? 1;
    if (!Number.isInteger(holder) || holder < 1 || holder > 0x7fffffff) {
      throw new RangeError("holder must be an integer from 1");
    }
    const maxWaitMs = options?.maxWaitMs ?? 2000;
    if (!(maxWaitMs >= 0)) throw new RangeError("maxWaitMs must be a number ≥ 0");
    this.buffer = buffer;
    this.#view = new Int32Array(buffer, 0, 1);
    this.#holder = holder;
    this.#maxWaitMs = maxWaitMs;
  }

  /**
   * A new, free turn.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SharedWriteTurn } from "./shared_write_turn.ts";
   * const turn = SharedWriteTurn.create();
   * assert.equal(turn.holder, 0);
   * assert.ok(turn.buffer instanceof SharedArrayBuffer);
   * ```
   */
  static create(options?: SharedWriteTurnOptions): SharedWriteTurn {
    return new SharedWriteTurn(new SharedArrayBuffer(4), options);
  }

  /** Who holds the turn now: a holder id, or 0 when it is free. */
  get holder(): number {
    return Atomics.load(this.#view, HOLDER);
  }

  /**
   * Takes the turn, waiting (without blocking the thread) while another holds it;
   * resolves to the function that gives it back. After `maxWaitMs` of waiting it
   * resolves anyway, to a function that does nothing: the caller goes ahead
   * under SQLite's own lock.
   */
  async acquire(): Promise<() => void> {
    const view = this.#view;
    const me = this.#holder;
    let deadline: number | undefined;
    for (;;) {
      const current = Atomics.compareExchange(view, HOLDER, 0, me);
      if (current === 0) return () => this.#release();
      const now = performance.now();
      deadline ??= now + this.#maxWaitMs;
      const left = deadline - now;
      if (left <= 0) return () => {};
      const wait = Atomics.waitAsync(view, HOLDER, current, left);
      if (!wait.async) continue;
      // A pending waitAsync does not keep Deno's event loop alive, nor does its own
      // timeout: a timer for the deadline does both.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        wait.value,
        new Promise((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
    }
  }

  #release(): void {
    if (Atomics.compareExchange(this.#view, HOLDER, this.#holder, 0) === this.#holder) {
      Atomics.notify(this.#view, HOLDER);
    }
  }

  /**
   * Frees the turn if `holder` holds it (its worker died holding it); whether it did.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SharedWriteTurn } from "./shared_write_turn.ts";
   * const turn = SharedWriteTurn.create();
   * await new SharedWriteTurn(turn.buffer, { holder: 3 }).acquire(); // then worker 2 dies
   * assert.equal(turn.releaseHeldBy(2), false);
   * assert.equal(turn.releaseHeldBy(3), true);
   * assert.equal(turn.holder, 0);
   * ```
   */
  releaseHeldBy(holder: number): boolean {
    if (Atomics.compareExchange(this.#view, HOLDER, holder, 0) !== holder) return false;
    Atomics.notify(this.#view, HOLDER);
    return true;
  }
}

let shared: SharedWriteTurn | undefined;

/**
 * Makes every SQLite metadata store of this worker take `turn` (besides this
 * worker's own turn) for each write transaction; `undefined` stops sharing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedWriteTurn, shareWriteTurn, SharedWriteTurn } from "./shared_write_turn.ts";
 * const turn = SharedWriteTurn.create();
 * shareWriteTurn(turn);
 * assert.equal(sharedWriteTurn(), turn);
 * shareWriteTurn(undefined);
 * assert.equal(sharedWriteTurn(), undefined);
 * ```
 */
export function shareWriteTurn(turn: SharedWriteTurn | undefined): void {
  shared = turn;
}

/**
 * The turn {@link shareWriteTurn} set, if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedWriteTurn } from "./shared_write_turn.ts";
 * assert.equal(sharedWriteTurn(), undefined); // a process without workers
 * ```
 */
export function sharedWriteTurn(): SharedWriteTurn | undefined {
  return shared;
}
