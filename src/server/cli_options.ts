/**
 * The command line of `deno task storage` (src/server/main.ts): its `--help` text
 * and its parser.
 *
 * @module
 */

import { checkRegionFlag, nonEmptyFlag, parseFlags } from "../cli/flags.ts";
import { STORE_FLAGS, STORE_FLAGS_USAGE, storeLocationFromFlags } from "../cli/store_flags.ts";
import type { StoreLocation } from "../storage/store/store_backends.ts";
import { type ListenAddress, parseListenAddress } from "../cli/listen_address.ts";
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  LIMIT_FLAGS,
  LIMITS_USAGE,
  limitsFromFlags,
} from "../http/mod.ts";
import { TLS_FLAGS, TLS_USAGE, type TlsFiles, tlsFilesFromFlags } from "../cli/tls_flags.ts";
import { parseWorkerCount, WORKERS_FLAG, workersUsage } from "../workers/worker_flags.ts";
import {
  OBSERVABILITY_FLAGS,
  type ObservabilityOptions,
  observabilityUsage,
  parseObservabilityFlags,
} from "../cli/observability_flags.ts";

/** Default listen address. */
export const DEFAULT_STORAGE_LISTEN = "127.0.0.1:9000";
/** Default data directory of the embedded store (relative to the working directory). */
export const DEFAULT_STORAGE_DATA_DIR = "backupfs-data";

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
${workersUsage(24, { budgets: ["--max-connections"] })}
${observabilityUsage(24)}
  --help                Show this help and exit.

${STORE_FLAGS_USAGE}

${LIMITS_USAGE}

${TLS_USAGE}

Environment:
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
                        The accepted key pair (and session token) when --credentials is
                        not given. Without either, a key pair is generated once and kept
                        in DIR/credentials (mode 0600); its path and access key id are
                        printed, never the secret.

Prints "listening on http://HOST:PORT" (https:// with TLS) on stdout once ready. SIGINT or
SIGTERM stops the service cleanly (exit 0). Invalid options exit with code 2.
`;

/**
 * Parsed command line of the storage service.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStorageCli, type StorageCliOptions } from "./cli_options.ts";
 * const options: StorageCliOptions = parseStorageCli(["--region", "eu-west-1"]);
 * assert.equal(options.region, "eu-west-1");
 * assert.equal(options.credentialsFile, undefined);
 * ```
 */
export interface StorageCliOptions {
  /** Address to listen on. */
  listen: ListenAddress;
  /** Absolute data directory. */
  dataDir: string;
  /** Where the store keeps metadata and chunks. */
  store: StoreLocation;
  /** Credentials file, when given. */
  credentialsFile?: string;
  /** Required credential-scope region, when given. */
  region?: string;
  /** Connection limits given on the command line. */
  limits: Partial<ConnectionLimits>;
  /** Worker threads (1: the main thread alone). */
  workers: number;
  /** `--access-log`, `--access-log-format` and `--metrics`, when any is given. */
  observability?: ObservabilityOptions;
  /** Whether `--help` was asked. */
  help: boolean;
  /** `--tls-cert` and `--tls-key`, when given: serve HTTPS. */
  tls?: TlsFiles;
}

/**
 * Parses the command line; throws `TypeError` with a readable message on unknown
 * flags or bad values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStorageCli } from "./cli_options.ts";
 * assert.deepEqual(parseStorageCli(["--listen", "[::1]:9001"]).listen, { hostname: "::1", port: 9001 });
 * assert.throws(() => parseStorageCli(["--data="]), { message: "--data must not be empty" });
 * ```
 */
export function parseStorageCli(args: string[]): StorageCliOptions {
  const values = parseFlags(args, {
    listen: { type: "string" },
    data: { type: "string" },
    credentials: { type: "string" },
    region: { type: "string" },
    ...STORE_FLAGS,
    ...LIMIT_FLAGS,
    ...WORKERS_FLAG,
    ...OBSERVABILITY_FLAGS,
    ...TLS_FLAGS,
    help: { type: "boolean" },
  });
  const data = nonEmptyFlag("data", values.data);
  const credentialsFile = nonEmptyFlag("credentials", values.credentials);
  const region = values.region === undefined ? undefined : checkRegionFlag(values.region);
  const store = storeLocationFromFlags(values, data ?? DEFAULT_STORAGE_DATA_DIR);
  const limits = limitsFromFlags(values);
  const workers = parseWorkerCount(values.workers, {
    maxConnections: limits.maxConnections ?? DEFAULT_CONNECTION_LIMITS.maxConnections,
  });
  const observability = parseObservabilityFlags(values);
  const tls = tlsFilesFromFlags(values);
  return {
    ...(tls === undefined ? {} : { tls }),
    listen: parseListenAddress(values.listen ?? DEFAULT_STORAGE_LISTEN),
    dataDir: store.dataDir,
    store,
    credentialsFile,
    region,
    limits,
    workers,
    ...(observability.accessLog || observability.metrics ? { observability } : {}),
    help: values.help ?? false,
  };
}
