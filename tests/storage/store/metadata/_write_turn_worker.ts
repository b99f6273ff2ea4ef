/**
 * A worker of `shared_write_turn_test.ts`: opens its own SQLite metadata store
 * over the test's file (busy timeout 0: any wait for SQLite's lock is a failure),
 * shares the write turn it is given, if any, and runs write transactions that
 * each hold the database for a moment across a timer.
 *
 * @module
 */

import { SqliteMetadataStore } from "../../../../src/storage/store/metadata/sqlite_metadata_store.ts";
import {
  SharedWriteTurn,
  shareWriteTurn,
} from "../../../../src/storage/store/metadata/shared_write_turn.ts";

/** What the test asks of the worker. */
export interface WriteTurnJob {
  path: string;
  turn?: SharedArrayBuffer;
  holder: number;
  transactions: number;
}

/** What the worker answers: `opened` to the job, then its result to `go`. */
export type WriteTurnAnswer = { type: "opened" } | { type: "result"; result: WriteTurnResult };

/** What the worker did. */
export interface WriteTurnResult {
  committed: number;
  failures: string[];
}

const scope = self as unknown as {
  postMessage(message: WriteTurnAnswer): void;
  onmessage: ((event: MessageEvent<WriteTurnJob | "go">) => void) | null;
};

let job: WriteTurnJob | undefined;
let store: SqliteMetadataStore | undefined;

scope.onmessage = async (event) => {
  if (event.data !== "go") {
    job = event.data;
    if (job.turn) shareWriteTurn(new SharedWriteTurn(job.turn, { holder: job.holder }));
    // Opened one worker at a time (the test waits for `opened`): opening runs its own transaction.
    store = SqliteMetadataStore.open(job.path, { durable: false, busyTimeoutMs: 0 });
    return scope.postMessage({ type: "opened" });
  }
  if (!job || !store) throw new Error("go before the job");
  const result: WriteTurnResult = { committed: 0, failures: [] };
  try {
    for (let i = 0; i < job.transactions; i++) {
      try {
        await store.transaction(async (tx) => {
          await tx.addUsage("job", 1, 1);
          // Holds SQLite's write lock across a macrotask, as a slow transaction would.
          await new Promise((resolve) => setTimeout(resolve, 1));
        });
        result.committed++;
      } catch (error) {
        result.failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  } finally {
    await store.close();
  }
  scope.postMessage({ type: "result", result });
};
