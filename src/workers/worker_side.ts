/**
 * The worker's half of a server with several workers: wait for the main
 * thread's start message, open the command's storage and app, listen on the
 * shared port (SO_REUSEPORT), report, and stop gracefully when told.
 *
 * @module
 */

import { gracefulStop } from "../cli/graceful_stop.ts";
import { listenUrlOf } from "../cli/tls_flags.ts";
import { pathChanges } from "../fs/metadata_cache.ts";
import type { ConnectionLimits, HttpServerHandle } from "../http/mod.ts";
import type { RequestObserver } from "../http/request_record.ts";
import { useMetricBlock } from "../metrics/metric_values.ts";
import { serveHttp } from "../http/serve_http.ts";
import { InvalidationBoard } from "./invalidation_board.ts";
import { SharedWriteTurn, shareWriteTurn } from "../storage/store/metadata/shared_write_turn.ts";
import type { ListenMessage, StartMessage, StopMessage, WorkerReport } from "./_messages.ts";

/**
 * What a worker serves: a fetch handler, how to close its storage, and its
 * connection limits (its share of the total).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WorkerServer } from "./worker_side.ts";
 * const server: WorkerServer = {
 *   fetch: () => new Response("ok"),
 *   close: () => Promise.resolve(),
 *   limits: { maxConnections: 500 },
 * };
 * assert.equal((await server.fetch(new Request("http://x/"))).status, 200);
 * ```
 */
export interface WorkerServer {
  /** Answers a request. */
  fetch: (request: Request) => Response | Promise<Response>;
  /** Closes the storage, after the server stopped or when it could not listen. */
  close: () => Promise<void>;
  /** This worker's connection limits. */
  limits?: Partial<ConnectionLimits>;
  /** Told about each request (access log, metrics), when observed. */
  observer?: RequestObserver;
}

/**
 * Who a worker is, for the command's `open`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WorkerContext } from "./worker_side.ts";
 * const context: WorkerContext = { index: 0, workers: 2, restart: false };
 * assert.equal(context.index === 0 && !context.restart, true); // the one that says what it serves
 * ```
 */
export interface WorkerContext {
  /** 0 … workers - 1. */
  index: number;
  /** How many workers the server runs. */
  workers: number;
  /** Whether this worker replaces one that died. */
  restart: boolean;
}

/**
 * Options of {@link runWorker}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RunWorkerOptions } from "./worker_side.ts";
 * const options: RunWorkerOptions = { say: (message) => console.error(`demo: ${message}`) };
 * assert.equal(typeof options.say, "function");
 * ```
 */
export interface RunWorkerOptions {
  /** Reports on stderr in the command's style. */
  say: (message: string) => void;
  /** How a listen failure is written (default `String(error)`). */
  describeError?: (error: unknown) => string;
}

/**
 * Whether this code runs in a Web Worker (not the main thread).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inWorker } from "./worker_side.ts";
 * assert.equal(inWorker(), false);
 * ```
 */
export function inWorker(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "function";
}

/** Adds `x-backupfs-worker: index` to each response (a copy when its headers are immutable). */
function tagged(
  fetch: WorkerServer["fetch"],
  index: number,
): WorkerServer["fetch"] {
  return async (request) => {
    const response = await fetch(request);
    try {
      response.headers.set("x-backupfs-worker", String(index));
      return response;
    } catch {
      const copy = new Response(response.body, response);
      copy.headers.set("x-backupfs-worker", String(index));
      return copy;
    }
  };
}

/**
 * Runs this worker: on the main thread's start message, `open(options, context)`
 * (a string is a start-up failure's message), then serves on the shared port
 * until told to stop. Call it from the command's module when {@link inWorker}.
 *
 * @example Not run as a test: it waits for a worker's messages (tests/integration/workers_test.ts runs it)
 * ```ts ignore
 * import { inWorker, runWorker } from "./worker_side.ts";
 * if (inWorker()) {
 *   runWorker(() => Promise.resolve({ fetch: () => new Response("ok"), close: async () => {} }), {
 *     say: (message) => console.error(`demo: ${message}`),
 *   });
 * }
 * ```
 */
export function runWorker<T>(
  open: (options: T, context: WorkerContext) => Promise<WorkerServer | string>,
  options: RunWorkerOptions,
): void {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent<StartMessage | ListenMessage | StopMessage>) => void) | null;
    postMessage(message: WorkerReport): void;
    close(): void;
  };
  const post = (report: WorkerReport) => scope.postMessage(report);
  let server: HttpServerHandle | undefined;
  let opened: WorkerServer | undefined;
  let say = options.say;
  let starting: Promise<void> = Promise.resolve();
  /** Settles with whether to listen: `true` on the listen message, `false` on a stop. */
  const listenTurn = Promise.withResolvers<boolean>();
  scope.onmessage = (event) => {
    const message = event.data;
    if (message.type === "listen") {
      listenTurn.resolve(true);
    } else if (message.type === "start") {
      say = (text) => options.say(`worker ${message.index}: ${text}`);
      starting = start(message).catch((error) => {
        post({ type: "failed", message: error instanceof Error ? error.message : String(error) });
      });
    } else if (message.type === "stop") {
      listenTurn.resolve(false); // a stop while holding: never listen
      stop(message.graceMs).finally(() => {
        post({ type: "stopped" });
        scope.close();
      });
    }
  };

  async function start(message: StartMessage): Promise<void> {
    pathChanges.share(new InvalidationBoard(message.board));
    shareWriteTurn(new SharedWriteTurn(message.writeTurn, { holder: message.index + 1 }));
    if (message.metrics) useMetricBlock(message.metrics, message.index);
    const context = { index: message.index, workers: message.workers, restart: message.restart };
    const result = await open(message.options as T, context);
    if (typeof result === "string") return post({ type: "failed", message: result });
    opened = result;
    post({ type: "opened" });
    // The first start: no connection before every worker has opened (and warmed up).
    if (!message.restart && !(await listenTurn.promise)) return;
    const fetch = message.tagResponses ? tagged(result.fetch, message.index) : result.fetch;
    try {
      server = await serveHttp(fetch, {
        hostname: message.listen.hostname,
        port: message.listen.port,
        reusePort: true,
        limits: result.limits ?? {},
        ...(result.observer ? { observer: result.observer } : {}),
        ...(message.tls ? { tls: message.tls } : {}),
      });
    } catch (error) {
      opened = undefined;
      await result.close();
      const describe = options.describeError ?? String;
      return post({
        type: "failed",
        message: `cannot listen on ${
          listenUrlOf(message.listen, { tls: message.tls !== undefined })
        }: ${describe(error)}`,
      });
    }
    post({ type: "listening", address: server.addr });
  }

  async function stop(graceMs: number): Promise<void> {
    await starting; // a stop during start-up: let it finish, then undo it
    if (!opened) return;
    const close = opened.close;
    if (!server) return await close();
    await gracefulStop({ server, close, say, graceMs, announce: false });
  }
}
