/**
 * Checkpoints of the metadata database's WAL, off the thread that answers
 * requests. SQLite's own automatic checkpoint runs inside the `COMMIT` that
 * crosses its threshold: it copies the WAL's pages into the database file and
 * fsyncs it, synchronously, so every request of that thread waits (measured
 * under 8 concurrent WebDAV clients: 1 commit in 40 took 5–25 ms, against 0.2 ms
 * for the rest). A `WalCheckpointer` runs those checkpoints in a worker thread with
 * its own connection (`_wal_checkpoint_worker.ts`), `PASSIVE` (it never waits for
 * or blocks a reader or writer), whenever commits were made since its last one.
 *
 * The owner's connection keeps an automatic checkpoint as a backstop, at a much
 * higher threshold ({@link BACKSTOP_PAGES}), so the WAL stays bounded even if
 * the worker falls behind; should the worker fail, the owner goes back to
 * SQLite's default threshold. Durability is unchanged: a commit is acknowledged
 * once the WAL holding it is fsynced, whoever checkpoints it later.
 *
 * @module
 */

import { Worker } from "node:worker_threads";

/** The automatic-checkpoint threshold of the owner's connection while a worker checkpoints, in pages. */
export const BACKSTOP_PAGES = 16_000;
/** SQLite's default threshold, restored when the worker fails. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/** Options of {@link WalCheckpointer.start}. */
export interface WalCheckpointerOptions {
  /** How often the worker looks for new commits, in ms (default 100). */
  intervalMs?: number;
  /** Called once if the worker fails (it has stopped by then). */
  onFailure?: (message: string) => void;
}

/** What the worker reports (see `_wal_checkpoint_worker.ts`). */
type FromCheckpointWorker =
  | { type: "started" | "stopped" }
  | { type: "checkpointed"; log: number; checkpointed: number }
  | { type: "failed"; message: string };

/**
 * A worker checkpointing one database's WAL while commits keep coming.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { WalCheckpointer } from "./wal_checkpointer.ts";
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/metadata.db`;
 * const db = new DatabaseSync(path);
 * db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (x)");
 * const checkpointer = await WalCheckpointer.start(path, { intervalMs: 10 });
 * try {
 *   db.exec("INSERT INTO t VALUES (1)");
 *   checkpointer.noteCommit();
 *   const { checkpointed } = await checkpointer.nextCheckpoint();
 *   assert.ok(checkpointed > 0); // the worker copied the WAL's pages into the database
 * } finally {
 *   await checkpointer.stop();
 *   db.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #commits: Int32Array;
  #stopped = false;
  #checkpoints = 0;
  #waiting: ((result: { log: number; checkpointed: number }) => void)[] = [];
  #onStopped?: () => void;

  private constructor(worker: Worker, commits: Int32Array) {
    this.#worker = worker;
    this.#commits = commits;
  }

  /**
   * Starts the worker on the database at `path`; rejects if it cannot open it, or
   * when the process may not load the worker's module without asking (a
   * permission prompt in the middle of a run, or an error on stderr): the
   * caller then leaves checkpoints to SQLite.
   */
  static start(path: string, options?: WalCheckpointerOptions): Promise<WalCheckpointer> {
    const module = new URL("./_wal_checkpoint_worker.ts", import.meta.url);
    if (!mayLoadWithoutAsking(module)) {
      return Promise.reject(
        new Error(
          "WAL checkpointer: loading its worker module would need a permission not granted",
        ),
      );
    }
    const counter = new SharedArrayBuffer(4);
    // Like the store's collector timer, the worker never keeps the process alive on its
    // own: it is unref'd once started, and ref'd only while someone awaits its answer.
    const worker = new Worker(module);
    const checkpointer = new WalCheckpointer(worker, new Int32Array(counter));
    const { promise, resolve, reject } = Promise.withResolvers<WalCheckpointer>();
    let started = false;
    const fail = (message: string) => {
      checkpointer.#terminate();
      if (started) options?.onFailure?.(message);
      else reject(new Error(`WAL checkpointer: ${message}`));
    };
    worker.on("message", (message: FromCheckpointWorker) => {
      if (message.type === "started") {
        started = true;
        if (checkpointer.#waiting.length === 0) worker.unref();
        resolve(checkpointer);
      } else if (message.type === "checkpointed") {
        checkpointer.#checkpoints++;
        const waiting = checkpointer.#waiting;
        checkpointer.#waiting = [];
        worker.unref();
        for (const wake of waiting) wake(message);
      } else if (message.type === "stopped") {
        checkpointer.#onStopped?.();
      } else if (message.type === "failed") {
        fail(message.message);
      }
    });
    worker.on("error", (error: Error) => fail(error.message));
    worker.on("exit", () => {
      if (!checkpointer.#stopped) fail("the worker exited");
    });
    worker.postMessage({ type: "start", path, counter, intervalMs: options?.intervalMs ?? 100 });
    return promise;
  }

  /** Checkpoints the worker has run so far. */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /** Whether the worker has stopped (or failed). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Tells the worker a commit was made: it checkpoints at its next look. */
  noteCommit(): void {
    Atomics.add(this.#commits, 0, 1);
  }

  /**
   * Resolves after the worker's next checkpoint, with the WAL frames it saw and
   * copied; with zeros if the worker stops first.
   */
  nextCheckpoint(): Promise<{ log: number; checkpointed: number }> {
    if (this.#stopped) return Promise.resolve({ log: 0, checkpointed: 0 });
    this.#worker.ref(); // awaited: keep the process alive until it answers
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /**
   * Lets a checkpoint under way finish, closes the worker's connection and ends
   * it; after `graceMs` (default 5 s) it is ended regardless.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#stopped) return;
    const stopped = new Promise<void>((resolve) => this.#onStopped = resolve);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
    this.#worker.postMessage({ type: "stop" });
    await Promise.race([stopped, late]);
    clearTimeout(timer);
    this.#terminate();
  }

  /** Ends the worker at once (a checkpoint under way finishes in SQLite first). */
  terminate(): void {
    this.#terminate();
  }

  #terminate(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    void this.#worker.terminate();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake({ log: 0, checkpointed: 0 });
  }
}

/**
 * Whether a Worker of `module` starts without a permission check that could
 * prompt or fail: a local file needs read access to it, a remote module the
 * right to import from its host.
 */
function mayLoadWithoutAsking(module: URL): boolean {
  try {
    if (module.protocol === "file:") {
      return Deno.permissions.querySync({ name: "read", path: module }).state === "granted";
    }
    return Deno.permissions.querySync({ name: "import", host: module.host }).state === "granted";
  } catch {
    return false;
  }
}
