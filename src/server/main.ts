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
 * @module
 */

import { type OpenedStore, openStore } from "../storage/store/store_backends.ts";
import { dataDirectoryWarning } from "../storage/store/data_dir_mode.ts";
import { report } from "../cli/message_style.ts";
import { runCommand } from "../cli/run_command.ts";
import { serveUntilStopped } from "../cli/serve_loop.ts";
import { createStorageApp } from "./app.ts";
import { credentialsMessage, resolveCredentials } from "./cli_credentials.ts";
import { parseStorageCli, type StorageCliOptions, USAGE } from "./cli_options.ts";

function say(message: string): void {
  report("storage", message);
}

/** Opens the data directory, its credentials and its store, then serves until stopped. */
async function serveStorage(options: StorageCliOptions): Promise<number> {
  const warning = await dataDirectoryWarning(options.dataDir);
  if (warning) say(`warning: ${warning}`);
  // Private by default: created 0700 before the generated credentials go in it.
  await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  let credentials;
  try {
    credentials = await resolveCredentials({
      file: options.credentialsFile,
      dataDir: options.dataDir,
    });
  } catch (error) {
    say(`cannot load credentials: ${(error as Error).message}`);
    return 2;
  }
  say(credentialsMessage(credentials));

  let opened: OpenedStore;
  try {
    opened = await openStore(options.store);
  } catch (error) {
    say(`cannot open the store in ${options.dataDir}: ${(error as Error).message}`);
    return 1;
  }
  say(`store: ${opened.description}`);
  const app = createStorageApp(opened.store, {
    credentials: credentials.keys,
    region: options.region,
  });
  return await serveUntilStopped(app.fetch, {
    listen: options.listen,
    limits: options.limits,
    close: () => opened.close(),
    say,
  });
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

if (import.meta.main) Deno.exit(await main(Deno.args));
