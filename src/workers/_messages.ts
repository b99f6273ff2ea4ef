/**
 * The messages between a server's main thread (`worker_pool.ts`) and its workers
 * (`worker_side.ts`).
 *
 * @module
 */

import type { ListenAddress } from "../cli/listen_address.ts";
import type { TlsCredentials } from "../http/tls_credentials.ts";

/** Main → worker: open the storage and listen. */
export interface StartMessage {
  type: "start";
  /** 0 … workers - 1. */
  index: number;
  /** How many workers the server runs. */
  workers: number;
  /**
   * Whether this worker replaces one that died: it then listens as soon as it has
   * opened. On the server's first start, a worker reports `opened` and listens only
   * on a {@link ListenMessage}, so no worker takes a connection before all are ready.
   */
  restart: boolean;
  /** The address, its port already chosen (every worker binds it with SO_REUSEPORT). */
  listen: ListenAddress;
  /** The shared invalidation board's memory. */
  board: SharedArrayBuffer;
  /** The SQLite write turn the workers share (`shared_write_turn.ts`). */
  writeTurn: SharedArrayBuffer;
  /** Whether responses carry `x-backupfs-worker: INDEX` (a diagnostic, off by default). */
  tagResponses: boolean;
  /** The command's own options for its workers. */
  options: unknown;
  /** The metric blocks, one per worker (`src/metrics/`), when `--metrics` is on. */
  metrics?: SharedArrayBuffer;
  /** Serve HTTPS with this certificate and key (read once by the main thread). */
  tls?: TlsCredentials;
}

/** Main → worker: listen now (after an `opened` report; see `StartMessage.restart`). */
export interface ListenMessage {
  type: "listen";
}

/** Main → worker: stop gracefully. */
export interface StopMessage {
  type: "stop";
  /** Grace time for requests in flight, then again for the storage. */
  graceMs: number;
}

/** Worker → main. */
export type WorkerReport =
  | { type: "opened" }
  | { type: "listening"; address: ListenAddress }
  | { type: "failed"; message: string }
  | { type: "stopped" };
