/**
 * The store the store, BackupFS, conformance, crash and litmus suites open: on
 * the embedded default (SQLite and chunk files in the test's directory), or,
 * when `tests/support/engines/with_engines.ts` runs the suite, on PostgreSQL
 * and an S3 bucket, each store with a schema and a key prefix of its own. The
 * same tests run on both; a test that inspects the local files of the default
 * says so with {@link onLocalFiles}.
 *
 * @module
 */

import {
  EmbeddedStore,
  type EmbeddedStoreOptions,
} from "../../src/storage/store/embedded_store.ts";
import { openStore, type StoreLocation } from "../../src/storage/store/store_backends.ts";

/** The environment variable naming the engines: `sqlite-files` (default) or `postgres-s3`. */
export const ENGINES_ENV = "BACKUPFS_TEST_ENGINES";

/** The engines of this run. */
export const TEST_ENGINES: "sqlite-files" | "postgres-s3" = enginesOfRun();

function enginesOfRun(): "sqlite-files" | "postgres-s3" {
  // A child with no environment access (the crash test's) is on the default.
  const allowed = Deno.permissions.querySync({ name: "env", variable: ENGINES_ENV });
  if (allowed.state !== "granted") return "sqlite-files";
  return Deno.env.get(ENGINES_ENV) === "postgres-s3" ? "postgres-s3" : "sqlite-files";
}

/** Whether this run's stores keep SQLite and chunk files in their directory (the default). */
export const onLocalFiles: boolean = TEST_ENGINES === "sqlite-files";

let serial = 0;

/** A fresh name for one store's PostgreSQL schema and S3 prefix. */
function freshName(): string {
  return `t${Date.now().toString(36)}${(serial++).toString(36)}${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Where a fresh test store lives: `dir` alone by default; with the engines, a
 * new PostgreSQL schema (named in the URL's `options=-c search_path=…`, as libpq
 * takes it) and a new S3 prefix too: for a child process that opens the store
 * with `openStore` or the commands' flags, or for {@link openTestStore}.
 */
export async function testStoreLocation(dir: string): Promise<StoreLocation> {
  if (onLocalFiles) return { dataDir: dir };
  const name = freshName();
  const url = Deno.env.get("BACKUPFS_TEST_PG_URL")!;
  const { Client } = await import("../../deps/pg.ts");
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  return {
    dataDir: dir,
    metadata: `${url}?options=${encodeURIComponent(`-c search_path=${name}`)}`,
    chunks: {
      bucket: Deno.env.get("BACKUPFS_TEST_S3_BUCKET")!,
      prefix: `${name}/`,
      endpoint: Deno.env.get("BACKUPFS_TEST_S3_ENDPOINT")!,
      pathStyle: true,
    },
  };
}

/**
 * Opens an `EmbeddedStore` for a test in `dir` on this run's engines (see the
 * module doc); `close()` closes its metadata and chunk stores too.
 */
export async function openTestStore(
  dir: string,
  options?: EmbeddedStoreOptions,
): Promise<EmbeddedStore> {
  if (onLocalFiles) return await EmbeddedStore.open(dir, options);
  const opened = await openStore(await testStoreLocation(dir), options);
  const store = opened.store;
  let closing: Promise<void> | undefined;
  store.close = () => closing ??= opened.close();
  return store;
}
