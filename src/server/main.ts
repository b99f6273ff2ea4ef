/**
 * `deno task storage`: serves the BackupStorage API over HTTP from an embedded
 * store, every request SigV4-verified.
 *
 * ```
 * deno task storage [--listen HOST:PORT] [--data DIR] [--credentials FILE] [--region REGION]
 *                   [--metadata postgres://USER@HOST:PORT/DB]
 *                   [--chunks s3://BUCKET/PREFIX [--s3-endpoint URL] [--s3-region R]]
 * ```
 *
 * Prints exactly one line `listening on http://HOST:PORT` on stdout once ready;
 * everything else goes to stderr. SIGINT or SIGTERM stops accepting requests,
 * closes the store and exits 0. Bad flags exit 2.
 *
 * The command line is `cli_options.ts`; parsing, `--help` and the serve loop are
 * shared with `deno task serve` (src/cli/).
 *
 * With `--workers N` above 1 (the default on a machine with 3 cores or more), this
 * module is also each worker's: the main thread resolves the credentials (a
 * generated key pair is made once), then runs N Web Workers of this module
 * (src/workers/), each opening the store and serving on the shared port.
 *
 * @module
 */

import { type OpenedStore, openStore } from "../storage/store/store_backends.ts";
import { dataDirectoryWarning } from "../storage/store/data_dir_mode.ts";
import { report } from "../cli/message_style.ts";
import { primeNativeHeap } from "../cli/native_heap.ts";
import { runCommand } from "../cli/run_command.ts";
import { serveUntilStopped } from "../cli/serve_loop.ts";
import { serveWithWorkers } from "../workers/worker_pool.ts";
import { observeServer, startObservability } from "../metrics/observability.ts";
import { workerLimits } from "../workers/worker_shares.ts";
import {
  inWorker,
  runWorker,
  type WorkerContext,
  type WorkerServer,
} from "../workers/worker_side.ts";
import type { AccessKeyEntry } from "./sigv4_verify.ts";
import { createStorageApp } from "./app.ts";
import { credentialsMessage, resolveCredentials } from "./cli_credentials.ts";
import { parseStorageCli, type StorageCliOptions, USAGE } from "./cli_options.ts";

function say(message: string): void {
  report("storage", message);
}

/** What one process or worker serves with: the options and the accepted keys. */
interface StorageServerOptions extends StorageCliOptions {
  keys: Map<string, AccessKeyEntry>;
}

/**
 * Opens the store and builds the service: what one process serves, or one
 * worker among `context.workers` (with its share of the connections). A string
 * is a start-up failure's message.
 */
async function openServer(
  options: StorageServerOptions,
  context: WorkerContext,
): Promise<WorkerServer | string> {
  let opened: OpenedStore;
  try {
    opened = await openStore(options.store, { backgroundCheckpoints: true });
  } catch (error) {
    return `cannot open the store in ${options.dataDir}: ${(error as Error).message}`;
  }
  if (context.index === 0 && !context.restart) {
    say(
      `store: ${opened.description}${context.workers > 1 ? `, ${context.workers} workers` : ""}`,
    );
  }
  const observed = await observeServer(options.observability, {
    storage: opened.store,
    jobId: "backupfs-health",
    say,
  });
  if (typeof observed === "string") return await opened.close(), observed;
  const app = createStorageApp(observed.storage(opened.store), {
    credentials: options.keys,
    region: options.region,
  });
  return {
    fetch: app.fetch,
    close: () => observed.close().then(() => opened.close()),
    limits: context.workers === 1 ? options.limits : workerLimits(options.limits, context.workers),
    ...(observed.observer ? { observer: observed.observer } : {}),
  };
}

/** Opens the data directory and its credentials, then serves (here or in workers) until stopped. */
async function serveStorage(cli: StorageCliOptions): Promise<number> {
  await primeNativeHeap();
  const warning = await dataDirectoryWarning(cli.dataDir);
  if (warning) say(`warning: ${warning}`);
  // Private by default: created 0700 before the generated credentials go in it.
  await Deno.mkdir(cli.dataDir, { recursive: true, mode: 0o700 });
  let credentials;
  try {
    credentials = await resolveCredentials({
      file: cli.credentialsFile,
      dataDir: cli.dataDir,
    });
  } catch (error) {
    say(`cannot load credentials: ${(error as Error).message}`);
    return 2;
  }
  say(credentialsMessage(credentials));
  const options: StorageServerOptions = { ...cli, keys: credentials.keys };
  const observing = await startObservability(options.observability, {
    workers: options.workers,
    say,
  });
  if (typeof observing === "string") return say(observing), 1;
  if (options.workers > 1) {
    return await serveWithWorkers(new URL(import.meta.url), {
      workers: options.workers,
      listen: options.listen,
      options,
      say,
      tagResponses: Deno.env.get("BACKUPFS_WORKER_HEADER") === "1",
      ...(observing.metricBuffer ? { metricBuffer: observing.metricBuffer } : {}),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    }).finally(observing.stop);
  }
  const server = await openServer(options, { index: 0, workers: 1, restart: false });
  if (typeof server === "string") {
    say(server);
    await observing.stop();
    return 1;
  }
  return await serveUntilStopped(server.fetch, {
    listen: options.listen,
    limits: options.limits,
    close: server.close,
    say,
    ...(server.observer ? { observer: server.observer } : {}),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  }).finally(observing.stop);
}

/**
 * Runs the storage service with the command line `args` until SIGINT or SIGTERM;
 * resolves with the exit code (0 after a clean stop, 1 on a start-up failure,
 * 2 on bad options or credentials).
 *
 * @example Not run as a test: it serves until a stop signal (tests/server/cli_test.ts runs it)
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--listen", "127.0.0.1:9001", "--data", "/tmp/storage-data"]));
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, { parse: parseStorageCli, usage: USAGE, say, run: serveStorage });
}

if (import.meta.main) {
  if (inWorker()) runWorker(openServer, { say });
  else Deno.exit(await main(Deno.args));
}
