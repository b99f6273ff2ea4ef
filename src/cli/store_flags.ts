/**
 * The flags both commands share to say where a store keeps its metadata and
 * chunks (`--metadata`, `--chunks`, `--s3-endpoint`, `--s3-region`,
 * `--s3-addressing`), their `--help` text, and their parsing into a
 * `StoreLocation`.
 *
 * @module
 */

import { resolve } from "node:path";
import {
  checkMetadataUrl,
  parseChunksUrl,
  type StoreLocation,
} from "../storage/store/store_backends.ts";
import { checkRegionFlag, type FlagValues, nonEmptyFlag } from "./flags.ts";

/**
 * The flag definitions, to spread into a command's `parseFlags` call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STORE_FLAGS } from "./store_flags.ts";
 * assert.equal(STORE_FLAGS.metadata.type, "string");
 * ```
 */
export const STORE_FLAGS = {
  metadata: { type: "string" },
  chunks: { type: "string" },
  "s3-endpoint": { type: "string" },
  "s3-region": { type: "string" },
  "s3-addressing": { type: "string" },
  "direct-writes": { type: "boolean" },
} as const;

/** The `--help` lines of {@link STORE_FLAGS}. */
export const STORE_FLAGS_USAGE = `Where the store lives (default: everything in the data directory):
  --metadata URL        Metadata in PostgreSQL: postgres://USER@HOST:PORT/DB. The password
                        comes from PGPASSWORD or a password file (~/.pgpass, PGPASSFILE),
                        never the URL; PGHOST, PGPORT, PGUSER, PGDATABASE fill what the
                        URL leaves out. Default: SQLite in DIR/metadata.db.
  --chunks s3://BUCKET/PREFIX
                        Chunk bytes in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO,
                        R2...), credentials from the standard AWS chain (AWS_PROFILE,
                        AWS_ACCESS_KEY_ID..., ~/.aws). Default: files in DIR/chunks.
  --s3-endpoint URL     The bucket's service, for a store other than AWS S3.
  --s3-region REGION    The bucket's region (default: the AWS chain's).
  --s3-addressing path|virtual
                        Bucket in the URL path (default with --s3-endpoint) or in the
                        host name (default for AWS S3).
  --direct-writes       Write chunk files past the page cache (O_DIRECT), where the file
                        system allows it: less CPU per byte of big uploads, but the first
                        read of what was written comes from the disk. Not with --chunks.
Any number of processes may serve one store at once: the same --metadata and --chunks
(or the same --data DIR on one machine).`;

/**
 * The store location the flags name, with the data directory (`dataDir`,
 * resolved against the working directory). Throws `TypeError` on a bad value
 * or an S3 flag without `--chunks`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storeLocationFromFlags } from "./store_flags.ts";
 * const location = storeLocationFromFlags({
 *   chunks: "s3://backups/team",
 *   "s3-endpoint": "http://127.0.0.1:7480",
 * }, "/srv/backupfs");
 * assert.deepEqual(location.chunks, {
 *   bucket: "backups",
 *   prefix: "team/",
 *   endpoint: "http://127.0.0.1:7480",
 *   pathStyle: true,
 * });
 * assert.throws(() => storeLocationFromFlags({ "s3-region": "eu-west-1" }, "/d"), /--chunks/);
 * ```
 */
export function storeLocationFromFlags(
  values: FlagValues<typeof STORE_FLAGS>,
  dataDir: string,
): StoreLocation {
  const location: StoreLocation = { dataDir: resolve(dataDir) };
  const metadata = nonEmptyFlag("metadata", values.metadata);
  if (metadata !== undefined) location.metadata = checkMetadataUrl(metadata);
  if (values["direct-writes"]) location.directWrites = true;
  const chunks = nonEmptyFlag("chunks", values.chunks);
  const endpoint = nonEmptyFlag("s3-endpoint", values["s3-endpoint"]);
  const region = values["s3-region"];
  const addressing = values["s3-addressing"];
  if (chunks !== undefined && values["direct-writes"]) {
    throw new TypeError("--direct-writes is for chunk files in the data directory, not --chunks");
  }
  if (chunks === undefined) {
    for (
      const [flag, value] of [["s3-endpoint", endpoint], ["s3-region", region], [
        "s3-addressing",
        addressing,
      ]]
    ) {
      if (value !== undefined) throw new TypeError(`--${flag} needs --chunks s3://BUCKET/PREFIX`);
    }
    return location;
  }
  const { bucket, prefix } = parseChunksUrl(chunks);
  location.chunks = { bucket, prefix };
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new TypeError(`invalid --s3-endpoint "${endpoint}": expected an http(s):// URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`invalid --s3-endpoint "${endpoint}": expected an http(s):// URL`);
    }
    if (url.username || url.password) {
      throw new TypeError("--s3-endpoint must not hold credentials; use the AWS credential chain");
    }
    location.chunks.endpoint = endpoint;
  }
  if (region !== undefined) location.chunks.region = checkRegionFlag(region);
  if (addressing !== undefined && addressing !== "path" && addressing !== "virtual") {
    throw new TypeError(`invalid --s3-addressing "${addressing}": expected path or virtual`);
  }
  location.chunks.pathStyle = addressing === undefined
    ? endpoint !== undefined
    : addressing === "path";
  return location;
}
