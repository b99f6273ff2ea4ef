/**
 * Staged files created ahead of need, so that a chunk's write does not wait for
 * its file to be created: measured on this project's machines, creating a file
 * in the staging directory took 3–5 ms on average (p90 8–10 ms) while other
 * chunks were being fsynced, which the file system's journal makes new files
 * wait for, and each of the four chunks a big upload keeps in flight paid it.
 *
 * @module
 */

import { StagedFile } from "./_staged_file.ts";
import type { DirectIo } from "./_direct_io.ts";

/** Files kept ready by default: as many as a big upload keeps chunks in flight. */
export const DEFAULT_STAGED_AHEAD = 4;

/**
 * How long a file stays ready by default: 10 minutes, well within the hour after
 * which any process opening the store removes staged files as a crash's
 * leftovers (`removeStaleStaging`); an older one is removed, not handed out.
 */
export const DEFAULT_READY_MAX_AGE_MS = 10 * 60_000;

interface Ready {
  made: Promise<StagedFile>;
  at: number;
}

/**
 * Up to `size` new, empty staged files kept open in a directory. Nothing is
 * created until the first {@link take}: a store that never stages a file never
 * holds one. Each take hands out the oldest ready file and starts creating the
 * next. A file created ahead that failed, or that has been ready longer than
 * `maxAgeMs`, is not handed out: the take creates one then (and reports that
 * creation's own error). {@link close} removes the files still ready. Files a crashed process held ready are empty `.part` files of the
 * staging directory, removed like any stale staging.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StagingPool } from "./_staging_pool.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const pool = new StagingPool(dir, { size: 2 });
 *   assert.equal([...Deno.readDirSync(dir)].length, 0); // nothing before the first take
 *   const staged = await pool.take();
 *   await staged.write(new Uint8Array([1, 2, 3]));
 *   staged.close();
 *   await pool.settled();
 *   assert.equal([...Deno.readDirSync(dir)].length, 3); // the one taken and two ready
 *   await pool.close();
 *   assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [staged.path.split("/").pop()]);
 *   await staged.discard();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class StagingPool {
  readonly #directory: string;
  readonly #size: number;
  readonly #maxAgeMs: number;
  /** How its files are made (direct writes or not). */
  readonly #create: { direct?: DirectIo };
  readonly #ready: Ready[] = [];
  /** Removals of old or unused ready files under way. */
  readonly #removing = new Set<Promise<void>>();
  #closed = false;

  /**
   * A pool over `directory` keeping `size` files ready (default
   * {@link DEFAULT_STAGED_AHEAD}), each for at most `maxAgeMs` (default
   * {@link DEFAULT_READY_MAX_AGE_MS}).
   */
  constructor(
    directory: string,
    options?: { size?: number; maxAgeMs?: number; direct?: DirectIo },
  ) {
    const size = options?.size ?? DEFAULT_STAGED_AHEAD;
    const maxAgeMs = options?.maxAgeMs ?? DEFAULT_READY_MAX_AGE_MS;
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError("StagingPool: size must be an integer >= 0");
    }
    if (!(maxAgeMs >= 0)) throw new RangeError("StagingPool: maxAgeMs must be >= 0");
    this.#directory = directory;
    this.#size = size;
    this.#maxAgeMs = maxAgeMs;
    this.#create = { direct: options?.direct };
  }

  /** A new, empty staged file of the directory: one made ahead when ready, else made now. */
  async take(): Promise<StagedFile> {
    if (this.#closed || this.#size === 0) {
      return await StagedFile.create(this.#directory, this.#create);
    }
    const now = performance.now();
    // Too old to trust: another process may remove it as a leftover soon.
    while (this.#ready.length > 0 && now - this.#ready[0].at > this.#maxAgeMs) {
      discard(this.#ready.shift()!, this.#removing);
    }
    const ahead = this.#ready.shift();
    this.#fill(now);
    if (ahead !== undefined) {
      try {
        return await ahead.made;
      } catch {
        // Made ahead and failed (the directory gone, no descriptors left, …):
        // make one now, whose own error the caller sees.
      }
    }
    return await StagedFile.create(this.#directory, this.#create);
  }

  /** Resolves once every file being made ahead is made (or failed), and every old one removed. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#ready.map((ready) => ready.made), ...this.#removing]);
  }

  /** Removes the files kept ready; later takes make their file then. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const ready of this.#ready.splice(0)) discard(ready, this.#removing);
    await this.settled();
  }

  #fill(now: number): void {
    while (this.#ready.length < this.#size) {
      const made = StagedFile.create(this.#directory, this.#create);
      made.catch(() => {}); // seen by the take that gets it
      this.#ready.push({ made, at: now });
    }
  }
}

/** Removes a ready file (once made); a failed one needs nothing. Tracked in `removing`. */
function discard(ready: Ready, removing: Set<Promise<void>>): void {
  const done = ready.made.then((staged) => staged.discard(), () => {});
  removing.add(done);
  done.then(() => removing.delete(done));
}
