/**
 * `deno task storage`: serves the BackupStorage API over HTTP from an embedded
 * store, every request SigV4-verified.
 *
 * ```
 * deno task storage [--listen HOST:PORT] [--data DIR] [--credentials FILE] [--region REGION]
 * ```
 *
 * Prints exactly one line `listening on http://HOST:PORT` on stdout once ready;
 * everything else goes to stderr. SIGINT or SIGTERM stops accepting requests,
 * closes the store and exits 0. Bad flags exit 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { EmbeddedStore } from "../storage/store/mod.ts";
import { dataDirectoryWarning } from "../storage/store/data_dir_mode.ts";
import { createStorageApp } from "./app.ts";
import { resolveCredentials } from "./cli_credentials.ts";
import { type ListenAddress, listenUrl, parseListenAddress } from "./listen_address.ts";
import {
  type ConnectionLimits,
  type HttpServerHandle,
  LIMIT_FLAGS,
  LIMITS_USAGE,
  limitsFromFlags,
  serveHttp,
} from "../http/mod.ts";
import { onShutdownSignals } from "../cli/shutdown_signals.ts";
import { gracefulStop } from "../cli/graceful_stop.ts";
import { report, styleMessage } from "../cli/message_style.ts";

function say(message: string): void {
  report("storage", message);
}

/** The `--help` text: every flag and environment variable. */
export const USAGE = `Usage: deno task storage [options]

Serves the BackupStorage API (2018-04-10, rest-json, SigV4 signing name
"backup-storage") over HTTP from an embedded store.

Options:
  --listen HOST:PORT    Address to listen on (default 127.0.0.1:9000; IPv6 as [::1]:9000;
                        port 0 lets the OS pick one).
  --data DIR            Data directory of the embedded store (default ./backupfs-data).
  --credentials FILE    AWS-style INI credentials file; every profile's
                        aws_access_key_id / aws_secret_access_key pair (with an optional
                        aws_session_token) is accepted.
  --region REGION       Accept only signatures scoped to this region (default: any).
  --help                Show this help and exit.

${LIMITS_USAGE}

Environment:
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
                        The accepted key pair (and session token) when --credentials is
                        not given. Without either, a key pair is generated once and kept
                        in DIR/credentials (mode 0600); its path and access key id are
                        printed, never the secret.

Prints "listening on http://HOST:PORT" on stdout once ready. SIGINT or SIGTERM stops the
service cleanly (exit 0). Invalid options exit with code 2.
`;

/** Parsed command line of the storage service. */
export interface StorageCliOptions {
  /** Address to listen on. */
  listen: ListenAddress;
  /** Absolute data directory. */
  dataDir: string;
  /** Credentials file, when given. */
  credentialsFile?: string;
  /** Required credential-scope region, when given. */
  region?: string;
  /** Connection limits given on the command line. */
  limits: Partial<ConnectionLimits>;
  /** Whether `--help` was asked. */
  help: boolean;
}

/**
 * Parses the command line; throws `TypeError` with a readable message on unknown
 * flags or bad values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCli } from "./main.ts";
 * assert.deepEqual(parseCli(["--listen", "[::1]:9001"]).listen, { hostname: "::1", port: 9001 });
 * ```
 */
export function parseCli(args: string[]): StorageCliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        listen: { type: "string" },
        data: { type: "string" },
        credentials: { type: "string" },
        region: { type: "string" },
        ...LIMIT_FLAGS,
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
  if (values.data === "") throw new TypeError("--data must not be empty");
  if (values.credentials === "") throw new TypeError("--credentials must not be empty");
  if (values.region !== undefined && !/^[a-z0-9-]{1,64}$/.test(values.region)) {
    throw new TypeError(`invalid --region "${values.region}"`);
  }
  return {
    listen: parseListenAddress(values.listen ?? "127.0.0.1:9000"),
    dataDir: resolve(values.data ?? "backupfs-data"),
    credentialsFile: values.credentials,
    region: values.region,
    limits: limitsFromFlags(values),
    help: values.help ?? false,
  };
}

async function main(args: string[]): Promise<number> {
  let options: StorageCliOptions;
  try {
    options = parseCli(args);
  } catch (error) {
    say(`${styleMessage((error as Error).message)} (try --help)`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }

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
  if (credentials.source === "generated") {
    const [id] = credentials.keys.keys();
    say(`credentials in ${credentials.path} (access key id ${id})`);
  } else {
    say(
      `accepting ${credentials.keys.size} access key(s) from ${
        credentials.source === "env" ? "the environment" : credentials.path
      }`,
    );
  }

  let store: EmbeddedStore;
  try {
    store = await EmbeddedStore.open(options.dataDir);
  } catch (error) {
    say(`cannot open the store in ${options.dataDir}: ${(error as Error).message}`);
    return 1;
  }
  const app = createStorageApp(store, { credentials: credentials.keys, region: options.region });
  // Listening before "listening on" is printed: a stop right after it is clean.
  // A repeat within 2 s is the same Ctrl-C (deno task forwards it); a later one forces.
  const signals = onShutdownSignals({
    onForce: () => {
      say("second signal: exiting now");
      Deno.exit(1);
    },
  });
  let server: HttpServerHandle;
  try {
    server = await serveHttp(app.fetch, {
      hostname: options.listen.hostname,
      port: options.listen.port,
      limits: options.limits,
      onListen: (address) => console.log(`listening on ${listenUrl(address)}`),
    });
  } catch (error) {
    signals.dispose();
    await store.close();
    say(`cannot listen on ${listenUrl(options.listen)}: ${error}`);
    return 1;
  }
  await signals.stopped;
  await gracefulStop({ server, close: () => store.close(), say });
  signals.dispose();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
