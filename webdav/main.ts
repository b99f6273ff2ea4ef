/**
 * `deno task serve`, the main job: a BackupFS served over WebDAV.
 *
 * ```
 * deno task serve [--listen HOST:PORT] [--data DIR | --endpoint URL [--region REGION]]
 *                 [--job ID] [--user NAME --password PW | --credentials FILE]
 *                 [--read-only] [--chunk-size SIZE] [--cache-size SIZE] [--workers N]
 * ```
 *
 * Without options: the embedded store in `./backupfs-data`, job `default`,
 * WebDAV on `127.0.0.1:8080`. Prints exactly `listening on http://HOST:PORT` on
 * stdout once ready, then how to mount it on stderr. SIGINT or SIGTERM stops
 * accepting requests, closes the store and exits 0. Bad flags exit 2; a start-up
 * failure (data directory in use, address in use, storage unreachable) exits 1.
 *
 * With `--workers N` above 1 (the default on a machine with 3 cores or more), this
 * module is also each worker's: the main thread loads the users, then runs N Web
 * Workers of this module (src/workers/), each opening the store and serving on
 * the shared port; the one-process path below is then `openServer` in a worker.
 *
 * @module
 */

import { join } from "node:path";
import { BackupFS, DEFAULT_CHUNK_SIZE } from "../src/fs/mod.ts";
import type { BackupStorage } from "../src/storage/backup_storage.ts";
import { BackupStorageClient } from "../src/storage/client/mod.ts";
import { type OpenedStore, openStore } from "../src/storage/store/store_backends.ts";
import { dataDirectoryWarning } from "../src/storage/store/data_dir_mode.ts";
import {
  loadServeCredentials,
  serveAuthentication,
  type ServeUsers,
} from "./auth/serve_authentication.ts";
import { primeNativeHeap } from "../src/cli/native_heap.ts";
import { createWebDavApp, type WebDavOptions } from "./mod.ts";
import { LockTable } from "./locks/lock_table.ts";
import { type LockDocumentStore, SharedLockStore } from "./locks/store/shared_lock_store.ts";
import { parseServeCli, type ServeCliOptions, USAGE } from "./serve/cli_options.ts";
import { storeQuota } from "./serve/disk_quota.ts";
import { mountInstructions } from "./serve/mount_instructions.ts";
import { warmUp } from "./serve/warm_up.ts";
import { report } from "../src/cli/message_style.ts";
import { runCommand } from "../src/cli/run_command.ts";
import { serveUntilStopped } from "../src/cli/serve_loop.ts";
import { cleartextPasswordWarning } from "../src/cli/tls_flags.ts";
import { isLoopbackHost } from "./serve/loopback.ts";
import { DEFAULT_CHUNK_CACHE_BYTES } from "../src/fs/chunk_cache.ts";
import { DEFAULT_UPLOAD_MEMORY_BYTES } from "./app.ts";
import { serveWithWorkers } from "../src/workers/worker_pool.ts";
import { observeServer, startObservability } from "../src/metrics/observability.ts";
import { shareOf, workerLimits } from "../src/workers/worker_shares.ts";
import {
  inWorker,
  runWorker,
  type WorkerContext,
  type WorkerServer,
} from "../src/workers/worker_side.ts";

/** The storage behind the file system, and how to release it. */
interface OpenedStorage {
  storage: BackupStorage;
  close(): Promise<void>;
  quota?: WebDavOptions["quota"];
  description: string;
  /** With the embedded store: the WebDAV locks, kept in its metadata (shared by every server over it). */
  locks?: LockTable;
}

function fail(message: string): void {
  report("webdav", message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The options of a serving process or worker: the command line's, with the
 * credentials file as read at start.
 */
type ServeOptions = ServeCliOptions & ServeUsers;

async function openStorage(
  options: ServeCliOptions,
  context: WorkerContext,
): Promise<OpenedStorage | string> {
  if (options.endpoint !== undefined) {
    const client = new BackupStorageClient({
      endpoint: options.endpoint,
      ...(options.region === undefined ? {} : { region: options.region }),
    });
    try {
      // Fail fast on a wrong endpoint, region or credentials.
      await client.listObjects({ StorageJobId: options.job, MaxResults: 1 });
    } catch (error) {
      await client.close();
      return `cannot use the BackupStorage service at ${options.endpoint}: ${errorText(error)}`;
    }
    return {
      storage: client,
      close: () => client.close(),
      description: `the BackupStorage service at ${options.endpoint}`,
    };
  }
  const location = options.store!;
  const warning = await dataDirectoryWarning(location.dataDir);
  if (warning && firstStart(context)) fail(`warning: ${warning}`);
  let opened: OpenedStore;
  try {
    opened = await openStore(location, { backgroundCheckpoints: true });
  } catch (error) {
    return `cannot open the store in ${location.dataDir}: ${errorText(error)}`;
  }
  const store = opened.store;
  let locks: LockTable;
  try {
    locks = await sharedLocks(store.metadataStore, options.job, location.dataDir);
  } catch (error) {
    await opened.close();
    return `cannot read the WebDAV locks of job "${options.job}": ${errorText(error)}`;
  }
  return {
    storage: store,
    close: () => opened.close(),
    quota: storeQuota(store, { jobId: options.job, directory: store.directory }),
    description: `the embedded store (${opened.description})`,
    locks,
  };
}

/**
 * The lock table of `job` over the store's metadata, shared by every server over
 * the store; locks of an older version's `webdav-locks-JOB.json` in the data
 * directory are taken in the first time.
 */
async function sharedLocks(
  metadata: LockDocumentStore,
  job: string,
  dataDir: string,
): Promise<LockTable> {
  const store = await SharedLockStore.open(metadata, job, {
    importFile: join(dataDir, `webdav-locks-${job}.json`),
  });
  return new LockTable({ store });
}

/** Whether this is the one start that says what is served (the only one, or worker 0's first). */
function firstStart(context: WorkerContext): boolean {
  return context.index === 0 && !context.restart;
}

/**
 * Opens the storage and builds the file system and its WebDAV app: what one
 * process serves, or one worker among `context.workers` (which then takes its
 * share of the memory and connection budgets). Users are in `options.users` or
 * `options.credentials` (read by the main thread; each process or worker
 * reloads the file when it changes). A string is a start-up failure's message.
 */
async function openServer(
  options: ServeOptions,
  context: WorkerContext,
): Promise<WorkerServer | string> {
  const authenticate = serveAuthentication(options, context.index === 0 ? fail : undefined);
  const opened = await openStorage(options, context);
  if (typeof opened === "string") return opened;
  const observed = await observeServer(options.observability, {
    storage: opened.storage,
    jobId: options.job,
    say: fail,
  });
  if (typeof observed === "string") return await opened.close(), observed;
  const workers = context.workers;
  const fs = new BackupFS(observed.storage(opened.storage), {
    jobId: options.job,
    readOnly: options.readOnly,
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
    ...(workers === 1
      ? (options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes })
      : { cacheBytes: shareOf(options.cacheBytes ?? DEFAULT_CHUNK_CACHE_BYTES, workers) }),
  });
  const uploadMemoryBytes = workers === 1
    ? options.uploadMemoryBytes
    : shareOf(options.uploadMemoryBytes ?? DEFAULT_UPLOAD_MEMORY_BYTES, workers);
  // With the embedded store, locks live in its metadata: shared by every server
  // (and worker) over it, and they outlive restarts. With --endpoint, in this process only.
  const dav = createWebDavApp(fs, {
    readOnly: options.readOnly,
    ...(options.baseUrl === undefined ? {} : { prefix: options.baseUrl }),
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    ...(options.depthInfinity ? { depthInfinity: options.depthInfinity } : {}),
    ...(opened.locks ? { locks: opened.locks } : {}),
    ...(authenticate ? { authenticate } : {}),
    ...(opened.quota ? { quota: opened.quota } : {}),
    uploadMemory: {
      ...(uploadMemoryBytes === undefined ? {} : { totalBytes: uploadMemoryBytes }),
      // What one streamed upload holds: 4 chunks in flight, one filling, a read buffer.
      perUploadBytes: 5 * (options.chunkSize ?? DEFAULT_CHUNK_SIZE) + 1024 * 1024,
    },
  });

  // Before the first request (see warm_up.ts): about 0.35 s of CPU, once.
  await warmUp();
  if (firstStart(context)) {
    console.error(
      `webdav: serving job "${options.job}" of ${opened.description}` +
        `${options.readOnly ? ", read-only" : ""}${
          authenticate ? ", HTTP Basic authentication on" : ""
        }${workers > 1 ? `, ${workers} workers` : ""}`,
    );
  }
  return {
    fetch: dav.fetch,
    // The credentials' verifier worker, if started, would keep the process alive.
    close: () => observed.close().then(() => opened.close()).finally(() => authenticate?.close()),
    limits: workers === 1 ? options.limits : workerLimits(options.limits, workers),
    ...(observed.observer ? { observer: observed.observer } : {}),
  };
}

/** Loads the users, then serves in this process or with workers until stopped. */
async function serveWebDav(cli: ServeCliOptions): Promise<number> {
  await primeNativeHeap();
  let options: ServeOptions;
  try {
    const { credentialsFile: file, ...rest } = cli;
    const credentials = file === undefined ? undefined : await loadServeCredentials(file, fail);
    options = { ...rest, ...(credentials ? { credentials } : {}) };
  } catch (error) {
    fail(`cannot load --credentials: ${(error as Error).message}`);
    return 2;
  }
  const onListen = (address: { hostname: string; port: number }) => {
    console.error(mountInstructions(address, {
      auth: options.users !== undefined || options.credentials !== undefined,
      ...(options.baseUrl === undefined ? {} : { path: `${options.baseUrl}/` }),
      ...(options.tls === undefined ? {} : { secure: true }),
    }));
  };
  const clear = cleartextPasswordWarning({
    loopback: isLoopbackHost(options.listen.hostname),
    auth: options.users !== undefined || options.credentials !== undefined,
    tls: options.tls !== undefined,
  });
  if (clear !== undefined) fail(clear);
  const observing = await startObservability(options.observability, {
    workers: options.workers,
    say: fail,
  });
  if (typeof observing === "string") return fail(observing), 1;
  if (options.workers > 1) {
    return await serveWithWorkers(new URL(import.meta.url), {
      workers: options.workers,
      listen: options.listen,
      options,
      say: fail,
      onListen,
      describeError: errorText,
      tagResponses: Deno.env.get("BACKUPFS_WORKER_HEADER") === "1",
      ...(observing.metricBuffer ? { metricBuffer: observing.metricBuffer } : {}),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    }).finally(observing.stop);
  }
  const server = await openServer(options, { index: 0, workers: 1, restart: false });
  if (typeof server === "string") {
    fail(server);
    await observing.stop();
    return 1;
  }
  return await serveUntilStopped(server.fetch, {
    listen: options.listen,
    limits: options.limits,
    close: server.close,
    say: fail,
    onListen,
    describeError: errorText,
    ...(server.observer ? { observer: server.observer } : {}),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  }).finally(observing.stop);
}

/**
 * Runs the WebDAV server with the command line `args` until SIGINT or SIGTERM;
 * resolves with the exit code (0 after a clean stop, 1 on a start-up failure,
 * 2 on bad options).
 *
 * @example Not run as a test: it serves until a stop signal (tests/webdav/serve_*_test.ts run it)
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--listen", "127.0.0.1:8081", "--data", "/tmp/dav-data"]));
 * ```
 */
export function main(args: string[]): Promise<number> {
  return runCommand(args, { parse: parseServeCli, usage: USAGE, say: fail, run: serveWebDav });
}

if (import.meta.main) {
  if (inWorker()) runWorker(openServer, { say: fail, describeError: errorText });
  else Deno.exit(await main(Deno.args));
}
