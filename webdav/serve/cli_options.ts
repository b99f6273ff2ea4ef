/**
 * The command line of `deno task serve` (webdav/main.ts): its `--help` text and
 * its parser.
 *
 * @module
 */

import { checkEndpointFlag } from "../../src/cli/endpoint_flag.ts";
import { checkRegionFlag, nonEmptyFlag, parseFlags } from "../../src/cli/flags.ts";
import {
  STORE_FLAGS,
  STORE_FLAGS_USAGE,
  storeLocationFromFlags,
} from "../../src/cli/store_flags.ts";
import type { StoreLocation } from "../../src/storage/store/store_backends.ts";
import { type ListenAddress, parseListenAddress } from "../../src/cli/listen_address.ts";
import { DEFAULT_MAX_CHUNK_LENGTH, validateJobId } from "../../src/storage/limits.ts";
import { parseByteSize, SIZE_SUFFIXES_TEXT } from "./byte_size.ts";
import { isLoopbackHost } from "./loopback.ts";
import { parseBaseUrl } from "../http/href.ts";
import { TrustedProxies } from "../http/public_origin.ts";
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  LIMIT_FLAGS,
  LIMITS_USAGE,
  limitsFromFlags,
} from "../../src/http/mod.ts";
import { TLS_FLAGS, TLS_USAGE, type TlsFiles, tlsFilesFromFlags } from "../../src/cli/tls_flags.ts";
import { parseWorkerCount, WORKERS_FLAG, workersUsage } from "../../src/workers/worker_flags.ts";
import {
  OBSERVABILITY_FLAGS,
  type ObservabilityOptions,
  observabilityUsage,
  parseObservabilityFlags,
} from "../../src/cli/observability_flags.ts";

export type { ListenAddress } from "../../src/cli/listen_address.ts";

/** Default listen address. */
export const DEFAULT_LISTEN = "127.0.0.1:8080";
/** Default data directory of the embedded store (relative to the working directory). */
export const DEFAULT_DATA_DIR = "backupfs-data";
/** Default job (namespace) served. */
export const DEFAULT_JOB = "default";
/** Smallest `--chunk-size` accepted. */
export const MIN_CHUNK_SIZE = 1024;

/** The `--help` text: every flag. */
export const USAGE = `Usage: deno task serve [options]

Serves a BackupFS over WebDAV (RFC 4918 class 1 and 2), mountable from Finder, Windows
Explorer, davfs2, GNOME and any WebDAV client. Without options: the embedded store in
./backupfs-data, job "default", on http://127.0.0.1:8080.

Options:
  --listen HOST:PORT     Address to listen on (default ${DEFAULT_LISTEN}; IPv6 as [::1]:8080;
                         port 0 lets the OS pick one). Anything but loopback requires
                         --user/--password or --credentials.
  --data DIR             Data directory of the embedded store (default ./${DEFAULT_DATA_DIR}).
                         Any number of \`deno task serve\` and \`deno task storage\` processes
                         may use one directory at once. WebDAV locks are kept in the store's
                         metadata, so they survive a restart and hold across processes.
  --job ID               Backup job (namespace) holding the file system (default "${DEFAULT_JOB}").
  --endpoint URL         Use a remote BackupStorage service at URL instead of the embedded
                         store, signing with the standard AWS credentials (AWS_ACCESS_KEY_ID /
                         AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, shared
                         credentials and config files, SSO, container and instance roles).
  --region REGION        Signing region of --endpoint (default AWS_REGION, AWS_DEFAULT_REGION,
                         or the profile's region).
  --user NAME            User name for HTTP Basic authentication (with --password).
  --password PW          Its password. Command lines are visible to other local users:
                         prefer --credentials.
  --credentials FILE     Users for HTTP Basic authentication: an htpasswd file (bcrypt,
                         SHA-256/512-crypt, APR1-MD5 or {SHA} entries as htpasswd writes them)
                         or plain "user:password" lines; '#' starts a comment line. Re-read
                         when it changes, without a restart. Keep it mode 0600.
  --read-only            Refuse every change (403).
  --chunk-size SIZE      Chunk size of new files (default 4MiB; ${MIN_CHUNK_SIZE} B to 64MiB).
  --cache-size SIZE      Memory for verified chunks shared by all files (default 256MiB).
                         SIZE is bytes with an optional suffix: ${SIZE_SUFFIXES_TEXT}.
  --upload-memory SIZE   Memory all uploads in progress may hold at once (default 256MiB);
                         an upload that finds none free waits, and after --body-timeout
                         is answered 503 with Retry-After.
${workersUsage(25, { budgets: ["--cache-size", "--upload-memory", "--max-connections"] })}
                         With --endpoint: 1 (the default; locks live in one process).
  --base-url PATH        Serve under this URL path, e.g. /dav/ behind a reverse proxy that
                         forwards /dav/ (default /): every href, lock root and link is under
                         it; anything else is 404.
  --trusted-proxy ADDR   A reverse proxy (IP address or CIDR range; repeat it or separate
                         with commas) whose Forwarded / X-Forwarded-Proto / X-Forwarded-Host
                         headers are believed: the origin clients used (for Destination and
                         the browser Origin check). From any other peer they are ignored.
  --depth-infinity MODE  PROPFIND Depth: infinity: "allow" (default; the subtree streamed
                         from one scan) or "refuse" (403 propfind-finite-depth).
${observabilityUsage(25)}
  --help                 Show this help and exit.

${STORE_FLAGS_USAGE}

${LIMITS_USAGE}

${TLS_USAGE}

Prints "listening on http://HOST:PORT" (https:// with TLS) on stdout once ready, then how
to mount it (on stderr). SIGINT or SIGTERM stops the server cleanly (exit 0). Invalid options
exit 2.
`;

/** Parsed command line of the WebDAV server. */
export interface ServeCliOptions {
  /** Address to listen on. */
  listen: ListenAddress;
  /** Absolute data directory of the embedded store (absent with `endpoint`). */
  dataDir?: string;
  /** Where the embedded store keeps metadata and chunks (absent with `endpoint`). */
  store?: StoreLocation;
  /** The job served. */
  job: string;
  /** Remote BackupStorage endpoint, when given. */
  endpoint?: string;
  /** Signing region for `endpoint`, when given. */
  region?: string;
  /** Basic-auth users (from `--user`/`--password`), when given. */
  users?: Map<string, string>;
  /** Basic-auth credentials file, when given. */
  credentialsFile?: string;
  /** Refuse every change. */
  readOnly: boolean;
  /** Chunk size of new files, when given. */
  chunkSize?: number;
  /** Chunk cache size, when given. */
  cacheBytes?: number;
  /** Memory budget of uploads in progress, when given. */
  uploadMemoryBytes?: number;
  /** Connection limits given on the command line. */
  limits: Partial<ConnectionLimits>;
  /** Worker threads (1: the main thread alone). */
  workers: number;
  /** Whether `--help` was asked. */
  help: boolean;
  /** `--tls-cert` and `--tls-key`, when given: serve HTTPS. */
  tls?: TlsFiles;
  /** The mount prefix from `--base-url`, normalized (`/dav`), when given and not `/`. */
  baseUrl?: string;
  /** `--trusted-proxy` entries (addresses and CIDR ranges), when given. */
  trustedProxies?: string[];
  /** `--depth-infinity`, when given. */
  depthInfinity?: "allow" | "refuse";
  /** `--access-log`, `--access-log-format` and `--metrics`, when any is given. */
  observability?: ObservabilityOptions;
}

function sizeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseByteSize(value);
  } catch (error) {
    throw new TypeError(`--${name}: ${(error as Error).message}`);
  }
}

/**
 * Parses the command line; throws `TypeError` with a readable message on
 * unknown flags, bad values, conflicting flags, or a non-loopback address
 * without authentication.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseServeCli } from "./cli_options.ts";
 * const options = parseServeCli(["--listen", "[::1]:8081", "--chunk-size", "1MiB"]);
 * assert.deepEqual(options.listen, { hostname: "::1", port: 8081 });
 * assert.equal(options.chunkSize, 1048576);
 * ```
 */
export function parseServeCli(args: string[]): ServeCliOptions {
  const values = parseFlags(args, {
    listen: { type: "string" },
    data: { type: "string" },
    job: { type: "string" },
    endpoint: { type: "string" },
    region: { type: "string" },
    user: { type: "string" },
    password: { type: "string" },
    credentials: { type: "string" },
    "read-only": { type: "boolean" },
    "chunk-size": { type: "string" },
    "cache-size": { type: "string" },
    "upload-memory": { type: "string" },
    ...STORE_FLAGS,
    ...LIMIT_FLAGS,
    ...WORKERS_FLAG,
    "base-url": { type: "string" },
    "trusted-proxy": { type: "string", multiple: true },
    "depth-infinity": { type: "string" },
    ...OBSERVABILITY_FLAGS,
    ...TLS_FLAGS,
    help: { type: "boolean" },
  });
  const help = values.help ?? false;
  const data = nonEmptyFlag("data", values.data);
  const endpoint = nonEmptyFlag("endpoint", values.endpoint);
  const credentialsFile = nonEmptyFlag("credentials", values.credentials);
  const job = values.job ?? DEFAULT_JOB;
  try {
    validateJobId(job);
  } catch {
    throw new TypeError(`invalid --job "${job}": 1-128 characters of A-Z a-z 0-9 . _ -`);
  }
  if (endpoint !== undefined) checkEndpointFlag(endpoint, values);
  const store = endpoint === undefined
    ? storeLocationFromFlags(values, data ?? DEFAULT_DATA_DIR)
    : undefined;
  if (values.region !== undefined) {
    if (endpoint === undefined) throw new TypeError("--region needs --endpoint");
    checkRegionFlag(values.region);
  }
  let users: Map<string, string> | undefined;
  if (values.user !== undefined || values.password !== undefined) {
    if (values.user === undefined) throw new TypeError("--password needs --user");
    if (values.password === undefined) throw new TypeError("--user needs --password");
    if (credentialsFile !== undefined) {
      throw new TypeError("--user/--password and --credentials exclude each other");
    }
    // deno-lint-ignore no-control-regex
    if (values.user === "" || /[:\x00-\x1f\x7f]/.test(values.user)) {
      throw new TypeError("--user must be non-empty, without ':' or control characters");
    }
    if (values.password === "") throw new TypeError("--password must not be empty");
    users = new Map([[values.user, values.password]]);
  }
  const chunkSize = sizeOption("chunk-size", values["chunk-size"]);
  if (
    chunkSize !== undefined && (chunkSize < MIN_CHUNK_SIZE || chunkSize > DEFAULT_MAX_CHUNK_LENGTH)
  ) {
    throw new TypeError(`--chunk-size must be between ${MIN_CHUNK_SIZE} B and 64MiB`);
  }
  const cacheBytes = sizeOption("cache-size", values["cache-size"]);
  const uploadMemoryBytes = sizeOption("upload-memory", values["upload-memory"]);
  if (uploadMemoryBytes !== undefined && uploadMemoryBytes < 1024 * 1024) {
    throw new TypeError("--upload-memory must be at least 1MiB");
  }
  const limits = limitsFromFlags(values);
  const workers = parseWorkerCount(values.workers, {
    // With --endpoint, locks live in the process: one worker unless asked (and then refused).
    ...(endpoint === undefined ? {} : { fallback: 1 }),
    maxConnections: limits.maxConnections ?? DEFAULT_CONNECTION_LIMITS.maxConnections,
  });
  if (endpoint !== undefined && workers > 1) {
    throw new TypeError(
      "--workers above 1 needs the embedded store: with --endpoint, WebDAV locks live in one process",
    );
  }
  const listen = parseListenAddress(values.listen ?? DEFAULT_LISTEN, { examplePort: 8080 });
  if (!help && !isLoopbackHost(listen.hostname) && !users && credentialsFile === undefined) {
    throw new TypeError(
      `refusing to listen on ${listen.hostname} without authentication: anyone on the network ` +
        `could read and change the files. Add --user NAME --password PW or --credentials FILE, ` +
        `or listen on 127.0.0.1`,
    );
  }
  const proxy = proxyOptions(values);
  const observability = parseObservabilityFlags(values);
  const tls = tlsFilesFromFlags(values);
  return {
    listen,
    ...(tls === undefined ? {} : { tls }),
    ...proxy,
    ...(observability.accessLog || observability.metrics ? { observability } : {}),
    ...(store === undefined ? { endpoint } : { dataDir: store.dataDir, store }),
    job,
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(users ? { users } : {}),
    ...(credentialsFile === undefined ? {} : { credentialsFile }),
    readOnly: values["read-only"] ?? false,
    ...(chunkSize === undefined ? {} : { chunkSize }),
    ...(cacheBytes === undefined ? {} : { cacheBytes }),
    ...(uploadMemoryBytes === undefined ? {} : { uploadMemoryBytes }),
    limits,
    workers,
    help,
  };
}

/** `--base-url`, `--trusted-proxy` and `--depth-infinity`, checked (TypeError on a bad value). */
function proxyOptions(
  values: { "base-url"?: string; "trusted-proxy"?: string; "depth-infinity"?: string },
): Pick<ServeCliOptions, "baseUrl" | "trustedProxies" | "depthInfinity"> {
  const base = values["base-url"] === undefined ? "" : parseBaseUrl(values["base-url"]);
  // parseArgs gives every value of a `multiple` flag.
  const proxies = values["trusted-proxy"] as unknown as string[] | undefined;
  const trusted = proxies === undefined ? [] : [...TrustedProxies.parse(proxies).entries];
  const depth = values["depth-infinity"];
  if (depth !== undefined && depth !== "allow" && depth !== "refuse") {
    throw new TypeError(`invalid --depth-infinity "${depth}": expected allow or refuse`);
  }
  return {
    ...(base === "" ? {} : { baseUrl: base }),
    ...(trusted.length === 0 ? {} : { trustedProxies: trusted }),
    ...(depth === undefined ? {} : { depthInfinity: depth }),
  };
}
