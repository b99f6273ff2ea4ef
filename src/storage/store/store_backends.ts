/**
 * Where a store keeps its metadata and its chunk bytes, as the commands' flags
 * name them: `--metadata postgres://USER@HOST:PORT/DB` (default: SQLite in the
 * data directory) and `--chunks s3://BUCKET/PREFIX` (default: files in the data
 * directory), and {@link openStore} to open an `EmbeddedStore` over them.
 *
 * @module
 */

import type { ChunkStore } from "./chunks/chunk_store.ts";
import { join } from "node:path";
import { removeStaleStaging } from "./chunks/local_chunk_store.ts";
import { S3ChunkStore } from "./chunks/s3_chunk_store.ts";
import { EmbeddedStore, type EmbeddedStoreOptions } from "./embedded_store.ts";
import type { MetadataStore } from "./metadata/metadata_store.ts";

/**
 * Where the metadata and the chunk bytes of a store live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { StoreLocation } from "./store_backends.ts";
 * const location: StoreLocation = {
 *   dataDir: "/var/lib/backupfs",
 *   chunks: { bucket: "backups", prefix: "chunks/", endpoint: "http://127.0.0.1:7480" },
 * };
 * assert.equal(location.metadata, undefined); // SQLite in the data directory
 * ```
 */
export interface StoreLocation {
  /** The data directory: SQLite and chunk files when not elsewhere, staging, local state. */
  dataDir: string;
  /** A PostgreSQL URL (`postgres://USER@HOST:PORT/DB`, no password); absent: SQLite. */
  metadata?: string;
  /** An S3-compatible bucket; absent: files under the data directory. */
  chunks?: S3Location;
  /** Chunk files under the data directory written past the page cache (default false). */
  directWrites?: boolean;
}

/** An S3-compatible bucket and where in it. */
export interface S3Location {
  /** The bucket. */
  bucket: string;
  /** Prepended to every key (`""` or ending in `/`). */
  prefix: string;
  /** The service's URL, for a store other than AWS S3. */
  endpoint?: string;
  /** The region (default: the AWS chain's). */
  region?: string;
  /** Whether the bucket goes in the path rather than the host name (default: with an endpoint). */
  pathStyle?: boolean;
}

/**
 * Parses `s3://BUCKET/PREFIX` (the prefix optional; a `/` is added to a
 * non-empty one that lacks it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseChunksUrl } from "./store_backends.ts";
 * assert.deepEqual(parseChunksUrl("s3://backups/team-a"), { bucket: "backups", prefix: "team-a/" });
 * assert.deepEqual(parseChunksUrl("s3://backups"), { bucket: "backups", prefix: "" });
 * assert.throws(() => parseChunksUrl("https://backups"), TypeError);
 * ```
 */
export function parseChunksUrl(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) {
    throw new TypeError(
      `invalid chunks location "${url}": expected s3://BUCKET/PREFIX (a DNS-style bucket name)`,
    );
  }
  let prefix = match[2] ?? "";
  if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
  if (prefix.startsWith("/") || prefix.includes("//")) {
    throw new TypeError(`invalid chunks location "${url}": the prefix has an empty segment`);
  }
  return { bucket: match[1], prefix };
}

/**
 * Checks a PostgreSQL URL for `--metadata`: `postgres://` or `postgresql://`,
 * and no password in it (a command line is visible to every user of the
 * machine: the password comes from `PGPASSWORD` or a password file).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkMetadataUrl } from "./store_backends.ts";
 * assert.equal(checkMetadataUrl("postgres://backupfs@db:5432/backupfs"), "postgres://backupfs@db:5432/backupfs");
 * assert.throws(() => checkMetadataUrl("postgres://u:hunter2@db/x"), /password/);
 * assert.throws(() => checkMetadataUrl("mysql://db/x"), TypeError);
 * ```
 */
export function checkMetadataUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`invalid metadata location: expected postgres://USER@HOST:PORT/DB`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new TypeError(`invalid metadata location: expected postgres://USER@HOST:PORT/DB`);
  }
  if (parsed.password !== "") {
    throw new TypeError(
      "the metadata URL must not hold a password: set PGPASSWORD or use a password file " +
        "(~/.pgpass or PGPASSFILE)",
    );
  }
  return url;
}

/** Options of {@link openStore}: the store's own, less the backends a location chooses. */
export type OpenStoreOptions = Omit<EmbeddedStoreOptions, "metadataStore" | "chunkStore">;

/** A store opened over its location; {@link OpenedStore.close} closes the backends too. */
export interface OpenedStore {
  /** The store. */
  store: EmbeddedStore;
  /** What it runs on, for logs (no password). */
  description: string;
  /** Closes the store, then its metadata and chunk stores. */
  close(): Promise<void>;
}

/**
 * Opens an `EmbeddedStore` at a location: PostgreSQL and an S3 bucket when
 * named, SQLite and files in the data directory otherwise. PostgreSQL's driver
 * is loaded only when it is used.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openStore } from "./store_backends.ts";
 * const dataDir = await Deno.makeTempDir();
 * try {
 *   const opened = await openStore({ dataDir }, {
 *     gcIntervalMs: 0,
 *     durable: false,
 *     backgroundCheckpoints: true, // as servers open it
 *   });
 *   assert.match(opened.description, /SQLite .*metadata\.db, chunk files in /);
 *   // WAL checkpoints run in their worker from the start.
 *   const { SqliteMetadataStore } = await import("./metadata/sqlite_metadata_store.ts");
 *   assert.ok(opened.store.metadataStore instanceof SqliteMetadataStore);
 *   const database = opened.store.metadataStore.database;
 *   await database.startCheckpointer(); // the start already under way, awaited
 *   assert.notEqual(database.checkpointer, undefined); // long before 256 commits
 *   assert.ok(database.commitCount < 256);
 *   await opened.close();
 * } finally {
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export async function openStore(
  location: StoreLocation,
  options?: OpenStoreOptions,
): Promise<OpenedStore> {
  let metadataStore: MetadataStore | undefined;
  let chunkStore: (ChunkStore & { close?(): Promise<void> }) | undefined;
  const closeBackends = async () => {
    await metadataStore?.close().catch(() => {});
    await chunkStore?.close?.().catch(() => {});
  };
  try {
    if (location.metadata !== undefined) {
      const { PostgresMetadataStore } = await import("./metadata/postgres_metadata_store.ts");
      metadataStore = await PostgresMetadataStore.open(checkMetadataUrl(location.metadata));
    }
    if (location.chunks) {
      const chunks = location.chunks;
      // Staged in the data directory (not a temporary directory a killed process
      // would leave behind), where the next start removes stale leftovers.
      const stagingDirectory = join(location.dataDir, "tmp");
      await Deno.mkdir(stagingDirectory, { recursive: true, mode: 0o700 });
      await removeStaleStaging(stagingDirectory);
      chunkStore = new S3ChunkStore(chunks.bucket, {
        stagingDirectory,
        prefix: chunks.prefix,
        ...(chunks.endpoint === undefined ? {} : { endpoint: chunks.endpoint }),
        ...(chunks.region === undefined ? {} : { region: chunks.region }),
        forcePathStyle: chunks.pathStyle ?? chunks.endpoint !== undefined,
      });
    }
    const store = await EmbeddedStore.open(location.dataDir, {
      ...(location.directWrites ? { directWrites: true } : {}),
      ...options,
      ...(metadataStore ? { metadataStore } : {}),
      ...(chunkStore ? { chunkStore } : {}),
    });
    const description = [
      metadataStore?.description ?? `SQLite ${store.directory}/metadata.db`,
      location.chunks
        ? `chunks in s3://${location.chunks.bucket}/${location.chunks.prefix}` +
          (location.chunks.endpoint ? ` at ${location.chunks.endpoint}` : "")
        : `chunk files in ${store.directory}/chunks`,
    ].join(", ");
    // Bound now: a caller may wrap `store.close` to close all of it.
    const closeStore = store.close.bind(store);
    return {
      store,
      description,
      close: async () => {
        try {
          await closeStore();
        } finally {
          await closeBackends();
        }
      },
    };
  } catch (error) {
    await closeBackends();
    throw error;
  }
}
