/**
 * `deno task serve`, the main job: a BackupFS served over WebDAV.
 *
 * ```
 * deno task serve [--listen HOST:PORT] [--data DIR | --endpoint URL [--region REGION]]
 *                 [--job ID] [--user NAME --password PW | --credentials FILE]
 *                 [--read-only] [--chunk-size SIZE] [--cache-size SIZE]
 * ```
 *
 * Without options: the embedded store in `./backupfs-data`, job `default`,
 * WebDAV on `127.0.0.1:8080`. Prints exactly `listening on http://HOST:PORT` on
 * stdout once ready, then how to mount it on stderr. SIGINT or SIGTERM stops
 * accepting requests, closes the store and exits 0. Bad flags exit 2; a start-up
 * failure (data directory in use, address in use, storage unreachable) exits 1.
 *
 * @module
 */

import { join } from "node:path";
import { BackupFS, DEFAULT_CHUNK_SIZE } from "../src/fs/mod.ts";
import type { BackupStorage } from "../src/storage/backup_storage.ts";
import { BackupStorageClient } from "../src/storage/client/mod.ts";
import { type OpenedStore, openStore } from "../src/storage/store/store_backends.ts";
import { dataDirectoryWarning } from "../src/storage/store/data_dir_mode.ts";
import { type AuthenticateHook, createBasicAuth } from "./auth/basic_auth.ts";
import { loadCredentials } from "./auth/credentials_file.ts";
import { createWebDavApp, type WebDavOptions } from "./mod.ts";
import { LockTable } from "./locks/lock_table.ts";
import { type LockDocumentStore, SharedLockStore } from "./locks/store/shared_lock_store.ts";
import { parseServeCli, type ServeCliOptions, USAGE } from "./serve/cli_options.ts";
import { storeQuota } from "./serve/disk_quota.ts";
import { mountInstructions } from "./serve/mount_instructions.ts";
import { report } from "../src/cli/message_style.ts";
import { runCommand } from "../src/cli/run_command.ts";
import { serveUntilStopped } from "../src/cli/serve_loop.ts";

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

async function loadUsers(options: ServeCliOptions): Promise<Map<string, string> | undefined> {
  if (options.users) return options.users;
  if (options.credentialsFile === undefined) return undefined;
  const users = await loadCredentials(options.credentialsFile);
  if (Deno.build.os !== "windows") {
    const mode = (await Deno.stat(options.credentialsFile)).mode ?? 0;
    if (mode & 0o077) {
      fail(
        `warning: ${options.credentialsFile} is readable by other users (mode ${
          (mode & 0o777).toString(8)
        }); chmod 600 it`,
      );
    }
  }
  return users;
}

async function openStorage(options: ServeCliOptions): Promise<OpenedStorage | string> {
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
  if (warning) fail(`warning: ${warning}`);
  let opened: OpenedStore;
  try {
    opened = await openStore(location);
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

/** Opens the storage, builds the file system and its WebDAV app, then serves until stopped. */
async function serveWebDav(options: ServeCliOptions): Promise<number> {
  let authenticate: AuthenticateHook | undefined;
  try {
    const users = await loadUsers(options);
    if (users) authenticate = createBasicAuth(users);
  } catch (error) {
    fail(`cannot load --credentials: ${(error as Error).message}`);
    return 2;
  }

  const opened = await openStorage(options);
  if (typeof opened === "string") {
    fail(opened);
    return 1;
  }
  const fs = new BackupFS(opened.storage, {
    jobId: options.job,
    readOnly: options.readOnly,
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
    ...(options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes }),
  });
  // With the embedded store, locks live in its metadata: shared by every server
  // over it, and they outlive restarts. With --endpoint, in this process only.
  const dav = createWebDavApp(fs, {
    readOnly: options.readOnly,
    ...(opened.locks ? { locks: opened.locks } : {}),
    ...(authenticate ? { authenticate } : {}),
    ...(opened.quota ? { quota: opened.quota } : {}),
    uploadMemory: {
      ...(options.uploadMemoryBytes === undefined ? {} : { totalBytes: options.uploadMemoryBytes }),
      // What one streamed upload holds: 4 chunks in flight, one filling, a read buffer.
      perUploadBytes: 5 * (options.chunkSize ?? DEFAULT_CHUNK_SIZE) + 1024 * 1024,
    },
  });

  console.error(
    `webdav: serving job "${options.job}" of ${opened.description}` +
      `${options.readOnly ? ", read-only" : ""}${
        authenticate ? ", HTTP Basic authentication on" : ""
      }`,
  );
  return await serveUntilStopped(dav.fetch, {
    listen: options.listen,
    limits: options.limits,
    close: () => opened.close(),
    say: fail,
    onListen: (address) => {
      console.error(mountInstructions(address, { auth: authenticate !== undefined }));
    },
    describeError: errorText,
  });
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

if (import.meta.main) Deno.exit(await main(Deno.args));
