/**
 * The main thread's half of a server with several workers: check the address is
 * free, start the workers (the first one alone, so it creates the store's
 * schema and key before the others open it), let them listen once all have
 * opened, print one `listening on` line once all listen, restart a worker that
 * dies (a bounded number of times), and on SIGINT or SIGTERM stop them all
 * gracefully.
 *
 * Each worker is a Web Worker running the command's own module (see
 * `worker_side.ts`): its own store connection and HTTP server bound with
 * SO_REUSEPORT on the shared port, so the kernel hands each new connection to
 * one of them and every request of a connection goes to that worker.
 *
 * @module
 */

import { SHUTDOWN_GRACE_MS } from "../cli/graceful_stop.ts";
import type { ListenAddress } from "../cli/listen_address.ts";
import { listenUrlOf, type TlsFiles } from "../cli/tls_flags.ts";
import { loadServeTls } from "../cli/serve_tls.ts";
import { onShutdownSignals } from "../cli/shutdown_signals.ts";
import { InvalidationBoard } from "./invalidation_board.ts";
import { SharedWriteTurn } from "../storage/store/metadata/shared_write_turn.ts";
import type { StartMessage, WorkerReport } from "./_messages.ts";

/**
 * Options of {@link serveWithWorkers}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WorkerPoolOptions } from "./worker_pool.ts";
 * const options: WorkerPoolOptions = {
 *   workers: 2,
 *   listen: { hostname: "127.0.0.1", port: 0 },
 *   options: { dataDir: "/srv/backupfs" },
 *   say: (message) => console.error(`demo: ${message}`),
 * };
 * assert.equal(options.workers, 2);
 * ```
 */
export interface WorkerPoolOptions {
  /** How many workers (at least 1). */
  workers: number;
  /** Where to listen (port 0: the OS picks one, and every worker binds it). */
  listen: ListenAddress;
  /** What each worker's `open` receives (structured-cloned). */
  options: unknown;
  /** Reports on stderr in the command's style. */
  say: (message: string) => void;
  /** Called once all listen, after the `listening on` line. */
  onListen?: (address: ListenAddress) => void;
  /** How a listen failure is written (default `String(error)`). */
  describeError?: (error: unknown) => string;
  /** Grace time of the stop, for requests in flight and again for the storage (default 10 s). */
  graceMs?: number;
  /** Responses carry `x-backupfs-worker: INDEX` (a diagnostic for tests; default false). */
  tagResponses?: boolean;
  /** Deaths tolerated within `restartWindowMs` before giving up (default 5). */
  maxRestarts?: number;
  /** The window of `maxRestarts`, in ms (default 60 s). */
  restartWindowMs?: number;
  /** The metric blocks, one per worker (`startObservability`), when metrics are on. */
  metricBuffer?: SharedArrayBuffer;
  /** Serve HTTPS with these files (read and checked once here, then given to each worker). */
  tls?: TlsFiles;
}

/** A started worker. */
interface Running {
  worker: Worker;
  /** Resolves once it opened its storage and app; rejects with its failure first. */
  opened: Promise<void>;
  /** Tells a worker of the first start (not a replacement) to listen now. */
  listen(): void;
  /** Resolves with the address once it listens; rejects with its failure first. */
  listening: Promise<ListenAddress>;
  /** Resolves once it stopped or died. */
  gone: Promise<void>;
  /** Asks it to stop; resolves once it stopped (or was terminated after the bound). */
  stop(graceMs: number): Promise<void>;
}

/** How a death is told to the pool: the worker's index and message. */
type OnDeath = (index: number, message: string) => void;

function spawn(
  module: URL,
  start: StartMessage,
  onDeath: OnDeath,
): Running {
  const worker = new Worker(module, { type: "module", name: `worker ${start.index}` });
  const opened = Promise.withResolvers<void>();
  opened.promise.catch(() => {}); // observed by the caller; never unhandled
  const listening = Promise.withResolvers<ListenAddress>();
  listening.promise.catch(() => {}); // observed by the caller; never unhandled
  const gone = Promise.withResolvers<void>();
  let state: "starting" | "listening" | "stopping" | "gone" = "starting";
  const end = (message: string | undefined) => {
    if (state === "gone") return;
    const was = state;
    state = "gone";
    worker.terminate();
    gone.resolve();
    if (message === undefined) return;
    if (was === "starting") {
      opened.reject(new Error(message));
      listening.reject(new Error(message));
    } else if (was === "listening") onDeath(start.index, message);
  };
  worker.onmessage = (event: MessageEvent<WorkerReport>) => {
    const report = event.data;
    if (report.type === "opened") {
      opened.resolve();
    } else if (report.type === "listening" && state === "starting") {
      state = "listening";
      listening.resolve(report.address);
    } else if (report.type === "failed") {
      end(report.message);
    } else if (report.type === "stopped") {
      end(undefined);
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault(); // the worker's error must not end the main thread
    end(event.message || "unknown error");
  };
  worker.onmessageerror = () => end("a message could not be read");
  worker.postMessage(start);
  return {
    worker,
    opened: opened.promise,
    listen: () => {
      if (state === "starting") worker.postMessage({ type: "listen" });
    },
    listening: listening.promise,
    gone: gone.promise,
    async stop(graceMs) {
      if (state === "gone") return;
      if (state === "starting") {
        opened.reject(new Error("stopped while starting"));
        listening.reject(new Error("stopped while starting"));
      }
      state = "stopping";
      worker.postMessage({ type: "stop", graceMs });
      // The worker bounds its own stop (grace for requests, then for the storage).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 2 * graceMs + 5_000);
      });
      await Promise.race([gone.promise, bound]);
      clearTimeout(timer);
      end(undefined);
    },
  };
}

/** Binds the address without SO_REUSEPORT and lets it go: a free port (the OS's pick for 0). */
function freePortOf(listen: ListenAddress): number {
  const listener = Deno.listen({ hostname: listen.hostname, port: listen.port });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Serves with `options.workers` workers, each running `module` (the command's
 * main module, which calls `runWorker` when it runs in a worker), until a stop
 * signal. Resolves with the exit code: 0 after a clean stop, 1 when the address
 * is taken, a worker cannot start (its message is said and the others are
 * stopped: no half-started server), or workers keep dying.
 *
 * The address is first bound without SO_REUSEPORT, so a port another server
 * holds (even another BackupFS with workers) is refused as in one-process mode.
 *
 * @example Not run as a test: it serves until a stop signal (tests/integration/workers_test.ts runs it)
 * ```ts ignore
 * import { serveWithWorkers } from "./worker_pool.ts";
 * const code = await serveWithWorkers(new URL(import.meta.url), {
 *   workers: 2,
 *   listen: { hostname: "127.0.0.1", port: 8080 },
 *   options: {},
 *   say: (message) => console.error(`demo: ${message}`),
 * });
 * Deno.exit(code);
 * ```
 */
export async function serveWithWorkers(
  module: URL,
  options: WorkerPoolOptions,
): Promise<number> {
  const { say } = options;
  const describe = options.describeError ?? String;
  const graceMs = options.graceMs ?? SHUTDOWN_GRACE_MS;
  const maxRestarts = options.maxRestarts ?? 5;
  const windowMs = options.restartWindowMs ?? 60_000;
  const loaded = await loadServeTls(options.tls);
  if (!loaded.ok) {
    say(loaded.message);
    return 1;
  }
  const { tls, secure } = loaded;
  let port: number;
  try {
    port = freePortOf(options.listen);
  } catch (error) {
    say(`cannot listen on ${listenUrlOf(options.listen, secure)}: ${describe(error)}`);
    return 1;
  }
  const listen = { hostname: options.listen.hostname, port };
  const board = InvalidationBoard.create();
  const writeTurn = SharedWriteTurn.create();
  const running: (Running | undefined)[] = new Array(options.workers).fill(undefined);
  const deaths: number[] = [];
  const gaveUp = Promise.withResolvers<void>();
  let stopping = false;

  const startMessage = (index: number, restart: boolean): StartMessage => ({
    type: "start",
    index,
    workers: options.workers,
    restart,
    listen,
    board: board.buffer,
    writeTurn: writeTurn.buffer,
    tagResponses: options.tagResponses ?? false,
    options: options.options,
    ...(options.metricBuffer ? { metrics: options.metricBuffer } : {}),
    ...(tls ? { tls } : {}),
  });

  const onDeath: OnDeath = (index, message) => {
    if (stopping) return;
    say(`worker ${index} died: ${message}`);
    writeTurn.releaseHeldBy(index + 1); // if it died writing, its siblings need not wait it out
    const now = performance.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0] <= now - windowMs) deaths.shift();
    if (deaths.length > maxRestarts) {
      say(`workers died ${deaths.length} times within ${windowMs / 1000} s; giving up`);
      gaveUp.resolve();
      return;
    }
    const replacement = spawn(module, startMessage(index, true), onDeath);
    running[index] = replacement;
    replacement.listening.then(
      () => say(`worker ${index} restarted`),
      (error: Error) => onDeath(index, error.message),
    );
  };

  const signals = onShutdownSignals({
    onForce: () => {
      say("second signal: exiting now");
      Deno.exit(1);
    },
  });
  const stopAll = async () => {
    stopping = true;
    await Promise.all(running.map((r) => r?.stop(graceMs)));
  };

  // The first opens alone (it creates the store's schema and token key), then the
  // others together; none listens before all have opened and warmed up, so the port
  // takes no connection while a sibling still starts beside it (that start-up's CPU
  // would slow the first requests down).
  const started = (async () => {
    running[0] = spawn(module, startMessage(0, false), onDeath);
    await running[0].opened;
    for (let i = 1; i < options.workers; i++) {
      running[i] = spawn(module, startMessage(i, false), onDeath);
    }
    await Promise.all(running.map((r) => r!.opened));
    for (const r of running) r!.listen();
    const [address] = await Promise.all(running.map((r) => r!.listening));
    return address;
  })();
  const first = await Promise.race([
    started.then((address) => ({ address }), (error: Error) => ({ error })),
    signals.stopped.then(() => ({ signal: true as const })),
  ]);
  if (!("address" in first)) {
    await stopAll();
    signals.dispose();
    if ("error" in first) {
      say(first.error.message);
      return 1;
    }
    return 0;
  }
  console.log(`listening on ${listenUrlOf(first.address, secure)}`);
  options.onListen?.(first.address);

  const outcome = await Promise.race([
    signals.stopped.then(() => "signal" as const),
    gaveUp.promise.then(() => "gave up" as const),
  ]);
  if (outcome === "signal") say("shutting down");
  await stopAll();
  signals.dispose();
  return outcome === "signal" ? 0 : 1;
}
