/**
 * The PostgreSQL schema of the metadata seam: the tables of SQLite's migrations
 * 1–3 (`sqlite_db.ts`) with PostgreSQL types, and how a database is brought up
 * to date when several gateways start at once.
 *
 * Types: names and digests are `bytea`, which compares bytewise (then by length),
 * so `ORDER BY name` is the byte order SQLite gives BLOBs; ids are `bigint`
 * (`bigserial` for versions); times are `bigint` milliseconds since the epoch.
 * Text keys (`job`, upload and claim ids, lease and secret names) use the `C`
 * collation: they are only compared for equality, and `C` is the cheap one.
 *
 * Differences from SQLite:
 * - A job's counts of current objects and bytes are in `job_usage`, sharded:
 *   `(job, shard)` rows a transaction adds to (one shard of 16 picked at random
 *   per transaction) and `usage()` sums. One row per job would serialize every
 *   writer of the job on its row lock through each commit's fsync.
 * - `inline_chunks.data` is stored `EXTERNAL` (out of line, uncompressed):
 *   chunk bytes are compressed or random already.
 * - A small PutObject's transaction is also a PL/pgSQL function (migration 4,
 *   {@link PUT_OBJECT_VERSION_FUNCTION}), called in one round trip.
 *
 * Migrations are numbered in `schema_version` and applied under a session
 * advisory lock, so gateways starting together apply each once; a database whose
 * schema is newer than this code is refused.
 *
 * @module
 */

import type { QueryResult } from "../../../../deps/pg.ts";

/** What the migrations need of a connection: `query(text)`. */
export interface SchemaConnection {
  /** Runs one or more statements (simple protocol when there are no values). */
  query(text: string, values?: unknown[]): Promise<QueryResult>;
}

/** Number of shards of a job's usage counters (`job_usage.shard` is 0..15). */
export const USAGE_SHARDS = 16;

/**
 * Key of the advisory lock migrations run under, in the two-`integer` key space
 * (`pg_advisory_lock(int, int)`), which never meets the one-`bigint` key space
 * of `lockDigest`'s transaction locks.
 */
export const MIGRATION_LOCK: readonly [number, number] = [0x42465331, 1]; // "BFS1", 1

/**
 * The function of migration 4, `MetadataStore.putObjectVersion` in one
 * call: `SELECT status, version_id, replaced_id, checksum FROM
 * backupfs_put_object_version(...)`, status `stored` or `duplicate` (with the
 * current version's checksum). A lost claim is raised as
 * {@link CLAIM_LOST_SQLSTATE}, a version retired meanwhile as
 * `serialization_failure`, a second current version as `unique_violation`:
 * errors, so that the whole call is rolled back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PUT_OBJECT_VERSION_FUNCTION } from "./_postgres_schema.ts";
 * import { STATEMENTS } from "./_postgres_statements.ts";
 * assert.ok(STATEMENTS.putObjectVersion.text.includes(`FROM ${PUT_OBJECT_VERSION_FUNCTION}(`));
 * ```
 */
export const PUT_OBJECT_VERSION_FUNCTION = "backupfs_put_object_version";

/**
 * SQLSTATE of the error `backupfs_put_object_version` raises when the chunk's
 * claim is gone (class `BF`, no class of PostgreSQL's own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLAIM_LOST_SQLSTATE } from "./_postgres_schema.ts";
 * assert.match(CLAIM_LOST_SQLSTATE, /^[0-9A-Z]{5}$/);
 * ```
 */
export const CLAIM_LOST_SQLSTATE = "BFC01";

/**
 * The SQL creating `backupfs_put_object_version`: migration 4's (13 arguments), or
 * with `crc32` migration 5's, which takes the chunk's CRC-32 as a 14th.
 */
function putObjectVersionFunction(crc32: boolean): string {
  return `
  CREATE FUNCTION ${PUT_OBJECT_VERSION_FUNCTION}(
    p_job text, p_name bytea, p_now bigint, p_object_checksum text, p_metadata_string text,
    p_throw_on_duplicate boolean, p_digest bytea, p_length bigint, p_inline bytea,
    p_claim_id text, p_lock_key bigint, p_shard smallint, p_durable boolean,${
    crc32 ? " p_crc32 bigint," : ""
  }
    OUT status text, OUT version_id bigint, OUT replaced_id bigint, OUT checksum text
  ) LANGUAGE plpgsql AS $fn$
  DECLARE
    current_id bigint;
    current_size bigint;
    current_checksum text;
    new_id bigint;
    new_size bigint := coalesce(p_length, 0);
  BEGIN
    IF NOT p_durable THEN
      -- For this (implicit) transaction alone: its commit does not wait for the WAL flush.
      PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    INSERT INTO jobs (job, created_at) VALUES (p_job, p_now) ON CONFLICT (job) DO NOTHING;
    SELECT v.id, v.size, v.object_checksum INTO current_id, current_size, current_checksum
      FROM versions v WHERE v.job = p_job AND v.name = p_name AND v.state = 1;
    IF current_id IS NOT NULL THEN
      IF p_throw_on_duplicate THEN
        status := 'duplicate';
        checksum := current_checksum;
        RETURN;
      END IF;
      UPDATE versions SET state = 2, retired_at = p_now WHERE id = current_id AND state = 1;
      IF NOT FOUND THEN
        -- Retired by another writer since it was read: the caller runs this again.
        RAISE EXCEPTION 'version % is no longer current', current_id
          USING ERRCODE = 'serialization_failure';
      END IF;
    END IF;
    -- A second current version of the name fails here (unique_violation, 23505):
    -- everything is rolled back and the caller runs this again.
    INSERT INTO versions (job, name, state, chunks_count, size, object_checksum,
        metadata_string, completed_at)
      VALUES (p_job, p_name, 1, CASE WHEN p_digest IS NULL THEN 0 ELSE 1 END, new_size,
        p_object_checksum, p_metadata_string, p_now)
      RETURNING id INTO new_id;
    IF p_digest IS NOT NULL THEN
      PERFORM pg_advisory_xact_lock(p_lock_key);
      IF p_inline IS NOT NULL THEN
        INSERT INTO inline_chunks (digest, data) VALUES (p_digest, p_inline)
          ON CONFLICT (digest) DO NOTHING;
      END IF;
      IF p_claim_id IS NOT NULL THEN
        DELETE FROM chunk_claims WHERE claim_id = p_claim_id;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'the chunk''s claim expired before its record was written'
            USING ERRCODE = '${CLAIM_LOST_SQLSTATE}';
        END IF;
      END IF;
      INSERT INTO chunks (version_id, idx, digest, length${crc32 ? ", crc32" : ""})
        VALUES (new_id, 0, p_digest, p_length${crc32 ? ", p_crc32" : ""});
    END IF;
    INSERT INTO job_usage AS u (job, shard, objects, bytes)
      VALUES (p_job, p_shard, CASE WHEN current_id IS NULL THEN 1 ELSE 0 END,
        new_size - coalesce(current_size, 0))
      ON CONFLICT (job, shard) DO UPDATE
      SET objects = u.objects + excluded.objects, bytes = u.bytes + excluded.bytes;
    status := 'stored';
    version_id := new_id;
    replaced_id := current_id;
  END
  $fn$;
`;
}

const MIGRATIONS: readonly string[] = [
  // 1: initial schema (SQLite's 1, with the usage counters sharded)
  `
  CREATE TABLE jobs (
    job text COLLATE "C" PRIMARY KEY,
    created_at bigint NOT NULL
  );
  CREATE TABLE job_usage (
    job text COLLATE "C" NOT NULL,
    shard smallint NOT NULL CHECK (shard >= 0 AND shard < ${USAGE_SHARDS}),
    objects bigint NOT NULL DEFAULT 0,
    bytes bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (job, shard)
  );
  CREATE TABLE versions (
    id bigserial PRIMARY KEY,
    job text COLLATE "C" NOT NULL,
    name bytea NOT NULL,
    state smallint NOT NULL,
    chunks_count bigint,
    size bigint,
    object_checksum text,
    metadata_string text,
    meta_digest bytea,
    meta_length bigint,
    completed_at bigint,
    retired_at bigint
  );
  CREATE UNIQUE INDEX versions_current ON versions (job, name) WHERE state = 1;
  CREATE INDEX versions_retired ON versions (retired_at) WHERE state = 2;
  CREATE INDEX versions_meta ON versions (meta_digest) WHERE meta_digest IS NOT NULL;
  CREATE TABLE chunks (
    version_id bigint NOT NULL,
    idx bigint NOT NULL,
    digest bytea NOT NULL,
    length bigint NOT NULL,
    PRIMARY KEY (version_id, idx)
  );
  CREATE INDEX chunks_digest ON chunks (digest);
  CREATE TABLE uploads (
    upload_id text COLLATE "C" PRIMARY KEY,
    job text COLLATE "C" NOT NULL,
    version_id bigint NOT NULL,
    throw_on_duplicate smallint NOT NULL,
    completed smallint NOT NULL DEFAULT 0,
    object_checksum text,
    expires_at bigint NOT NULL
  );
  CREATE INDEX uploads_expiry ON uploads (expires_at);
  CREATE TABLE gc_candidates (digest bytea PRIMARY KEY);
  `,
  // 2: small chunks and metadata blobs kept in the database itself
  `
  CREATE TABLE inline_chunks (
    digest bytea PRIMARY KEY,
    data bytea NOT NULL
  );
  ALTER TABLE inline_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
  `,
  // 3: many processes over one store: claims, deletions in progress, leases, secrets,
  // small versioned documents (a job's WebDAV locks)
  `
  CREATE TABLE chunk_claims (
    claim_id text COLLATE "C" PRIMARY KEY,
    digest bytea NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX chunk_claims_digest ON chunk_claims (digest, expires_at);
  CREATE TABLE chunk_deletions (
    digest bytea PRIMARY KEY,
    started_at bigint NOT NULL
  );
  CREATE TABLE leases (
    name text COLLATE "C" PRIMARY KEY,
    holder text NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE TABLE secrets (
    name text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
  );
  CREATE TABLE documents (
    name text COLLATE "C" PRIMARY KEY,
    version bigint NOT NULL,
    body text NOT NULL
  );
  `,
  // 4: a small PutObject's transaction as one function call (one round trip, in
  // autocommit): `MetadataStore.putObjectVersion`, step by step as documented there
  putObjectVersionFunction(false),
  // 5: the CRC-32 of each chunk's bytes, recorded at write time (NULL for chunks
  // written before), and migration 4's function taking it (an overload: processes
  // still running the code before call the 13-argument one, which records NULL)
  `
  ALTER TABLE chunks ADD COLUMN crc32 bigint;
  ${putObjectVersionFunction(true)}
  `,
];

/** Version of the PostgreSQL schema this code writes. */
export const POSTGRES_SCHEMA_VERSION: number = MIGRATIONS.length;

/** Options of {@linkcode migratePostgres}. */
export interface MigratePostgresOptions {
  /**
   * The schema to create first when missing (the connection's `search_path`
   * must name it); default none: the tables go where `search_path` says.
   */
  schema?: string;
}

/**
 * Creates or migrates the metadata tables over `connection`, under an advisory
 * lock so that concurrent callers apply each migration once; returns the schema
 * version found before. Throws when the database's schema is newer than
 * {@linkcode POSTGRES_SCHEMA_VERSION}.
 *
 * @example Migrate a fresh database, then again (a no-op)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { Client } from "../../../../deps/pg.ts";
 * import { migratePostgres, POSTGRES_SCHEMA_VERSION } from "./_postgres_schema.ts";
 *
 * const client = new Client({ connectionString: "postgres://postgres@127.0.0.1:5432/meta" });
 * await client.connect();
 * assert.equal(await migratePostgres(client), 0);
 * assert.equal(await migratePostgres(client), POSTGRES_SCHEMA_VERSION);
 * await client.end();
 * ```
 *
 * (Not run by `--doc`, it needs a server: the "schema" step of
 * tests/storage/store/metadata/metadata_store_test.ts runs this.)
 */
export async function migratePostgres(
  connection: SchemaConnection,
  options?: MigratePostgresOptions,
): Promise<number> {
  const [classId, objectId] = MIGRATION_LOCK;
  await connection.query(`SELECT pg_advisory_lock(${classId}, ${objectId})`);
  try {
    if (options?.schema) {
      await connection.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
    }
    await connection.query(
      `CREATE TABLE IF NOT EXISTS schema_version (
         singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
         version integer NOT NULL
       )`,
    );
    const found = await connection.query("SELECT version FROM schema_version");
    const before = found.rows.length > 0 ? Number(found.rows[0].version) : 0;
    if (before > POSTGRES_SCHEMA_VERSION) {
      throw new Error(
        `The PostgreSQL metadata database has schema version ${before}; ` +
          `this code knows up to ${POSTGRES_SCHEMA_VERSION}`,
      );
    }
    for (let version = before; version < POSTGRES_SCHEMA_VERSION; version++) {
      await connection.query("BEGIN");
      try {
        await connection.query(MIGRATIONS[version]);
        await connection.query(
          `INSERT INTO schema_version (version) VALUES (${version + 1})
           ON CONFLICT (singleton) DO UPDATE SET version = excluded.version`,
        );
        await connection.query("COMMIT");
      } catch (error) {
        await connection.query("ROLLBACK").catch(() => {});
        throw error;
      }
    }
    return before;
  } finally {
    await connection.query(`SELECT pg_advisory_unlock(${classId}, ${objectId})`).catch(() => {});
  }
}

/**
 * A schema name as a quoted SQL identifier. Only lower-case letters, digits and
 * `_` (not first a digit), at most 63 bytes, so it is also a bare identifier in
 * `search_path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteIdentifier } from "./_postgres_schema.ts";
 * assert.equal(quoteIdentifier("backupfs"), '"backupfs"');
 * assert.throws(() => quoteIdentifier('x"; DROP TABLE versions; --'), /not a valid schema name/);
 * ```
 */
export function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new TypeError(
      `${JSON.stringify(name)} is not a valid schema name (lower-case letters, digits, _)`,
    );
  }
  return `"${name}"`;
}
