/**
 * What the file tools and `scrub` work on, written once: a data directory (the
 * embedded store, `--data DIR` and the store flags of `store_flags.ts`) or any
 * BackupStorage service (`--endpoint URL [--region R]`, signed with the AWS
 * credential chain), and the job(s) in it.
 *
 * @module
 */

import { join } from "node:path";
import { BackupFS } from "../../fs/mod.ts";
import type { BackupStorage } from "../../storage/backup_storage.ts";
import { BackupStorageClient } from "../../storage/client/mod.ts";
import { validateJobId } from "../../storage/limits.ts";
import { openStore, type StoreLocation } from "../../storage/store/store_backends.ts";
import { checkEndpointFlag } from "../endpoint_flag.ts";
import { checkRegionFlag, nonEmptyFlag } from "../flags.ts";
import { STORE_FLAGS, storeLocationFromFlags } from "../store_flags.ts";

/** Default data directory, the same as `serve` and `storage` use. */
const DEFAULT_DATA_DIR = "backupfs-data";
/** Default job. */
const DEFAULT_JOB = "default";

/**
 * The `parseArgs` definitions of the target flags, to spread into a subcommand's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TARGET_FLAGS } from "./_target.ts";
 * assert.equal(TARGET_FLAGS.endpoint.type, "string");
 * assert.equal(TARGET_FLAGS.chunks.type, "string"); // the store flags too
 * ```
 */
export const TARGET_FLAGS = {
  data: { type: "string" },
  endpoint: { type: "string" },
  region: { type: "string" },
  ...STORE_FLAGS,
} as const;

/**
 * The `--help` lines of the target flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TARGET_USAGE } from "./_target.ts";
 * assert.match(TARGET_USAGE, /--endpoint URL/);
 * ```
 */
export const TARGET_USAGE = `Where (default: the embedded store in ./${DEFAULT_DATA_DIR}):
  --data DIR            Data directory of the embedded store (the same as serve's and
                        storage's; safe while they run on it).
  --metadata URL, --chunks s3://BUCKET/PREFIX, --s3-endpoint URL, --s3-region R,
  --s3-addressing path|virtual
                        The store's metadata and chunks elsewhere, as for serve.
  --endpoint URL        A BackupStorage service instead (e.g. deno task storage), signed
                        with the standard AWS credentials (environment, profiles, shared
                        files, SSO, roles).
  --region REGION       Signing region of --endpoint (default: the AWS chain's).`;

/**
 * Where the target is: an embedded store's location, or a service's endpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TargetLocation } from "./_target.ts";
 * const target: TargetLocation = { kind: "endpoint", endpoint: "http://127.0.0.1:9000" };
 * assert.equal(target.kind, "endpoint");
 * ```
 */
export type TargetLocation =
  | { kind: "store"; location: StoreLocation }
  | { kind: "endpoint"; endpoint: string; region?: string };

/**
 * The flag values {@link targetFromFlags} reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TargetFlagValues } from "./_target.ts";
 * const values: TargetFlagValues = { data: "/srv/backupfs" };
 * assert.equal(values.endpoint, undefined);
 * ```
 */
export type TargetFlagValues = {
  data?: string;
  endpoint?: string;
  region?: string;
  metadata?: string;
  chunks?: string;
  "s3-endpoint"?: string;
  "s3-region"?: string;
  "s3-addressing"?: string;
};

/**
 * The target the flags name. Throws `TypeError` on a bad value or on flags that
 * exclude each other (`--data` or a store flag with `--endpoint`; `--region`
 * without it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { targetFromFlags } from "./_target.ts";
 * assert.deepEqual(targetFromFlags({ endpoint: "http://127.0.0.1:9000", region: "eu-west-1" }), {
 *   kind: "endpoint",
 *   endpoint: "http://127.0.0.1:9000",
 *   region: "eu-west-1",
 * });
 * const local = targetFromFlags({ data: "/srv/backupfs" });
 * assert.equal(local.kind === "store" && local.location.dataDir, "/srv/backupfs");
 * assert.throws(() => targetFromFlags({ data: "d", endpoint: "http://x" }), /exclude each other/);
 * assert.throws(() => targetFromFlags({ region: "eu-west-1" }), /--region needs --endpoint/);
 * ```
 */
export function targetFromFlags(values: TargetFlagValues): TargetLocation {
  const data = nonEmptyFlag("data", values.data);
  const endpoint = nonEmptyFlag("endpoint", values.endpoint);
  if (endpoint === undefined) {
    if (values.region !== undefined) throw new TypeError("--region needs --endpoint");
    return { kind: "store", location: storeLocationFromFlags(values, data ?? DEFAULT_DATA_DIR) };
  }
  return {
    kind: "endpoint",
    endpoint: checkEndpointFlag(endpoint, values),
    ...(values.region === undefined ? {} : { region: checkRegionFlag(values.region) }),
  };
}

/**
 * A `--job` value checked: 1–128 characters of `A-Z a-z 0-9 . _ -`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkJobFlag } from "./_target.ts";
 * assert.equal(checkJobFlag(undefined), "default");
 * assert.equal(checkJobFlag("photos-2026"), "photos-2026");
 * assert.throws(() => checkJobFlag("a/b"), /invalid --job "a\/b"/);
 * ```
 */
export function checkJobFlag(value: string | undefined): string {
  const job = value ?? DEFAULT_JOB;
  try {
    validateJobId(job);
  } catch {
    throw new TypeError(`invalid --job "${job}": 1-128 characters of A-Z a-z 0-9 . _ -`);
  }
  return job;
}

/**
 * An opened target: its storage, what it is (for messages) and how to close it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OpenedTarget } from "./_target.ts";
 * const close = (target: OpenedTarget) => target.close();
 * assert.equal(typeof close, "function");
 * ```
 */
export interface OpenedTarget {
  /** The storage: the embedded store, or a client of the service. */
  storage: BackupStorage;
  /** What it is, for messages (no secret). */
  description: string;
  /** The data directory's metadata database, when it is the default SQLite one. */
  sqlitePath?: string;
  /** Closes it (the store's files, or the client's connections). */
  close(): Promise<void>;
}

/**
 * Options of {@link openTarget}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OpenTargetOptions } from "./_target.ts";
 * const options: OpenTargetOptions = { create: true }; // put may start a new store
 * assert.equal(options.create, true);
 * ```
 */
export interface OpenTargetOptions {
  /** Whether a data directory without a store may be created (`put`); otherwise it is an error. */
  create?: boolean;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Opens a target: the embedded store (no garbage collection timer: a tool
 * leaves that to the servers) or a client of the service, checked with one
 * `ListObjects` so that a wrong endpoint, region or credentials fail at once.
 * Throws an `Error` with a readable message on failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openTarget } from "./_target.ts";
 * const dataDir = await Deno.makeTempDir();
 * try {
 *   await assert.rejects(
 *     openTarget({ kind: "store", location: { dataDir: `${dataDir}/none` } }, "default"),
 *     /no store in/,
 *   );
 *   const target = await openTarget({ kind: "store", location: { dataDir } }, "default", {
 *     create: true,
 *   });
 *   assert.match(target.description, /embedded store/);
 *   await target.close();
 * } finally {
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export async function openTarget(
  target: TargetLocation,
  job: string,
  options?: OpenTargetOptions,
): Promise<OpenedTarget> {
  if (target.kind === "endpoint") {
    const client = new BackupStorageClient({
      endpoint: target.endpoint,
      ...(target.region === undefined ? {} : { region: target.region }),
    });
    try {
      await client.listObjects({ StorageJobId: job, MaxResults: 1 });
    } catch (error) {
      await client.close();
      const name = error instanceof Error ? `${error.name}: ` : "";
      throw new Error(
        `cannot use the BackupStorage service at ${target.endpoint}: ${name}${errorText(error)}`,
      );
    }
    return {
      storage: client,
      description: `the BackupStorage service at ${target.endpoint}`,
      close: () => client.close(),
    };
  }
  const location = target.location;
  const sqlitePath = location.metadata === undefined
    ? join(location.dataDir, "metadata.db")
    : undefined;
  if (!options?.create && sqlitePath !== undefined && !await exists(sqlitePath)) {
    throw new Error(`no store in ${location.dataDir} (it has no metadata.db)`);
  }
  try {
    const opened = await openStore(location, { gcIntervalMs: 0 });
    return {
      storage: opened.store,
      description: `the embedded store (${opened.description})`,
      ...(sqlitePath === undefined ? {} : { sqlitePath }),
      close: () => opened.close(),
    };
  } catch (error) {
    throw new Error(`cannot open the store in ${location.dataDir}: ${errorText(error)}`);
  }
}

/**
 * A BackupFS over an opened target's job (a small chunk cache: a tool reads
 * each chunk once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileSystemOf, openTarget } from "./_target.ts";
 * const dataDir = await Deno.makeTempDir();
 * try {
 *   const target = await openTarget({ kind: "store", location: { dataDir } }, "j", { create: true });
 *   const fs = fileSystemOf(target, "j");
 *   await fs.writeTextFile("/a.txt", "hi");
 *   assert.equal(await fs.readTextFile("/a.txt"), "hi");
 *   await target.close();
 * } finally {
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export function fileSystemOf(target: OpenedTarget, job: string): BackupFS {
  return new BackupFS(target.storage, { jobId: job, cacheBytes: 64 * 1024 * 1024 });
}
