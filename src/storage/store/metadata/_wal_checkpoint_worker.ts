/**
 * The worker thread (`node:worker_threads`) of `wal_checkpointer.ts`: its own
 * connection to the metadata database, checkpointing the WAL
 * (`PRAGMA wal_checkpoint(PASSIVE)`) whenever the commit counter it shares with
 * the owning thread has moved, at most every `intervalMs`. A checkpoint copies WAL pages into the database file and fsyncs
 * it; here that blocks this thread only, never the one answering requests.
 *
 * Messages in: `{ type: "start", path, counter, intervalMs }`, then `{ type: "stop" }`.
 * Out: `{ type: "started" }`, `{ type: "checkpointed", log, checkpointed }` after
 * each checkpoint, `{ type: "failed", message }` (then it stops), `{ type: "stopped" }`.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { parentPort } from "node:worker_threads";

interface StartMessage {
  type: "start";
  path: string;
  /** Int32 slot 0: commits made by the owner (it only ever grows). */
  counter: SharedArrayBuffer;
  intervalMs: number;
}

type Incoming = StartMessage | { type: "stop" };

const port = parentPort!;

let db: DatabaseSync | undefined;
let timer: ReturnType<typeof setInterval> | undefined;

function stop(): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  try {
    db?.close();
  } catch {
    // Closing is best effort: the owner terminates this worker next.
  }
  db = undefined;
}

function start(message: StartMessage): void {
  db = new DatabaseSync(message.path);
  // Checkpoints by this connection sync the WAL before copying and the database after.
  db.exec("PRAGMA synchronous = NORMAL");
  // Checkpoints only when asked below (PASSIVE: it never waits for a reader or writer).
  db.exec("PRAGMA wal_autocheckpoint = 0");
  const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  const commits = new Int32Array(message.counter);
  let seen = Atomics.load(commits, 0);
  timer = setInterval(() => {
    const now = Atomics.load(commits, 0);
    if (now === seen || db === undefined) return;
    seen = now;
    try {
      const row = checkpoint.get() as { busy: number; log: number; checkpointed: number };
      port.postMessage({ type: "checkpointed", log: row.log, checkpointed: row.checkpointed });
    } catch (error) {
      stop();
      port.postMessage({
        type: "failed",
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }, message.intervalMs);
  port.postMessage({ type: "started" });
}

port.on("message", (message: Incoming) => {
  if (message.type === "start") {
    try {
      start(message);
    } catch (error) {
      stop();
      port.postMessage({
        type: "failed",
        message: error instanceof Error ? error.message : String(error),
      });
    }
  } else if (message.type === "stop") {
    stop();
    port.postMessage({ type: "stopped" });
  }
});
