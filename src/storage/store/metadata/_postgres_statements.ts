/**
 * Every statement of `PostgresMetadataStore`, named so that npm:pg prepares each
 * once per connection (parse and plan once, then bind and execute). Each has the
 * semantics of the same operation in `sqlite_db.ts`; where SQLite needs several
 * statements, one statement does here (one round trip each).
 *
 * @module
 */

import { PUT_OBJECT_VERSION_FUNCTION } from "./_postgres_schema.ts";

/** A named statement: npm:pg prepares `text` under `name` on each connection. */
export interface Statement {
  /** The prepared statement's name (unique per text). */
  readonly name: string;
  /** Its SQL, with `$1`... parameters. */
  readonly text: string;
}

const VERSION_COLUMNS = "id, job, name, state, chunks_count, size, object_checksum, " +
  "metadata_string, meta_digest, meta_length, completed_at, retired_at";
const LISTED_COLUMNS = "id, name, chunks_count, object_checksum, metadata_string, completed_at";
const UPLOAD_COLUMNS =
  "upload_id, job, version_id, throw_on_duplicate, completed, object_checksum, expires_at";

function statement(name: string, text: string): Statement {
  return { name: `backupfs_${name}`, text: text.replace(/\s+/g, " ").trim() };
}

/**
 * The statements, by operation.
 *
 * @example Every statement has a distinct name
 * ```ts
 * import assert from "node:assert/strict";
 * import { STATEMENTS } from "./_postgres_statements.ts";
 * const names = Object.values(STATEMENTS).map((s) => s.name);
 * assert.equal(new Set(names).size, names.length);
 * assert.match(STATEMENTS.lockDigest.text, /pg_advisory_xact_lock/);
 * ```
 */
export const STATEMENTS = {
  // ------------------------------------------------------------------ jobs
  /** $1 job, $2 now. A no-op (no row lock, no write) when the job exists. */
  ensureJob: statement(
    "ensure_job",
    "INSERT INTO jobs (job, created_at) VALUES ($1, $2) ON CONFLICT (job) DO NOTHING",
  ),
  /** $1 job, $2 shard, $3 objects, $4 bytes. */
  addUsage: statement(
    "add_usage",
    `INSERT INTO job_usage AS u (job, shard, objects, bytes) VALUES ($1, $2, $3, $4)
     ON CONFLICT (job, shard) DO UPDATE
     SET objects = u.objects + excluded.objects, bytes = u.bytes + excluded.bytes`,
  ),
  /** $1 job. */
  usage: statement(
    "usage",
    `SELECT coalesce(sum(objects), 0)::bigint AS objects, coalesce(sum(bytes), 0)::bigint AS bytes
     FROM job_usage WHERE job = $1`,
  ),

  // -------------------------------------------------------------- versions
  /** $1 job ... $11 retired_at; returns id. */
  insertVersion: statement(
    "insert_version",
    `INSERT INTO versions (job, name, state, chunks_count, size, object_checksum,
       metadata_string, meta_digest, meta_length, completed_at, retired_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
  ),
  /** $1 chunks_count ... $7 completed_at, $8 id. */
  completeVersion: statement(
    "complete_version",
    `UPDATE versions SET state = 1, chunks_count = $1, size = $2, object_checksum = $3,
       metadata_string = $4, meta_digest = $5, meta_length = $6, completed_at = $7
     WHERE id = $8 AND state = 0`,
  ),
  /** $1 now, $2 id. */
  retireVersion: statement(
    "retire_version",
    "UPDATE versions SET state = 2, retired_at = $1 WHERE id = $2 AND state = 1",
  ),
  /** $1 id. */
  version: statement("version", `SELECT ${VERSION_COLUMNS} FROM versions WHERE id = $1`),
  /** $1 job, $2 name. */
  currentVersion: statement(
    "current_version",
    `SELECT ${VERSION_COLUMNS} FROM versions WHERE job = $1 AND name = $2 AND state = 1`,
  ),
  /** $1 job, $2 lower (inclusive), $3 upper, $4 limit. */
  listCurrentFrom: statement(
    "list_current_from",
    `SELECT ${LISTED_COLUMNS} FROM versions
     WHERE job = $1 AND state = 1 AND name >= $2 AND name < $3 ORDER BY name LIMIT $4`,
  ),
  /** $1 job, $2 lower (exclusive), $3 upper, $4 limit. */
  listCurrentAfter: statement(
    "list_current_after",
    `SELECT ${LISTED_COLUMNS} FROM versions
     WHERE job = $1 AND state = 1 AND name > $2 AND name < $3 ORDER BY name LIMIT $4`,
  ),
  /** $1 before, $2 limit. */
  retiredBefore: statement(
    "retired_before",
    `SELECT ${VERSION_COLUMNS} FROM versions WHERE state = 2 AND retired_at <= $1
     ORDER BY retired_at LIMIT $2`,
  ),
  /**
   * $1 id. Deletes the version and its chunk records and makes every digest they
   * named a candidate, in digest order (concurrent inserts of the same
   * candidates then wait for each other in one order, never in a cycle).
   */
  dropVersion: statement(
    "drop_version",
    `WITH dropped_chunks AS (DELETE FROM chunks WHERE version_id = $1 RETURNING digest),
       dropped_version AS (DELETE FROM versions WHERE id = $1 RETURNING meta_digest)
     INSERT INTO gc_candidates (digest)
     SELECT digest FROM (
       SELECT digest FROM dropped_chunks
       UNION SELECT meta_digest FROM dropped_version WHERE meta_digest IS NOT NULL
     ) AS named ORDER BY digest
     ON CONFLICT (digest) DO NOTHING`,
  ),

  // ---------------------------------------------------------------- chunks
  /**
   * $1 version_id, $2 idx, $3 digest, $4 length, $5 crc32 (or NULL). Inserts or
   * replaces; a replaced digest becomes a candidate.
   */
  putChunk: statement(
    "put_chunk",
    `WITH replaced AS (SELECT digest FROM chunks WHERE version_id = $1 AND idx = $2),
       stored AS (
         INSERT INTO chunks (version_id, idx, digest, length, crc32) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (version_id, idx) DO UPDATE
         SET digest = excluded.digest, length = excluded.length, crc32 = excluded.crc32
       )
     INSERT INTO gc_candidates (digest) SELECT digest FROM replaced
     ON CONFLICT (digest) DO NOTHING`,
  ),
  /** $1 version_id, $2 idx. */
  chunk: statement(
    "chunk",
    "SELECT idx, digest, length, crc32 FROM chunks WHERE version_id = $1 AND idx = $2",
  ),
  /** $1 version_id, $2 from, $3 limit. */
  listChunks: statement(
    "list_chunks",
    `SELECT idx, digest, length, crc32 FROM chunks WHERE version_id = $1 AND idx >= $2
     ORDER BY idx LIMIT $3`,
  ),

  // --------------------------------------------------------------- uploads
  /** $1 upload_id, $2 job, $3 version_id, $4 throw_on_duplicate, $5 expires_at. */
  insertUpload: statement(
    "insert_upload",
    `INSERT INTO uploads (upload_id, job, version_id, throw_on_duplicate, expires_at)
     VALUES ($1, $2, $3, $4, $5)`,
  ),
  /** $1 upload_id. */
  upload: statement("upload", `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE upload_id = $1`),
  /** $1 upload_id; the row stays locked until the transaction ends. */
  lockUpload: statement(
    "lock_upload",
    `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE upload_id = $1 FOR UPDATE`,
  ),
  /** $1 object_checksum, $2 upload_id. */
  markUploadCompleted: statement(
    "mark_upload_completed",
    "UPDATE uploads SET completed = 1, object_checksum = $1 WHERE upload_id = $2",
  ),
  /** $1 now, $2 limit. */
  expiredUploads: statement(
    "expired_uploads",
    `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2`,
  ),
  /** $1 upload_id. */
  deleteUpload: statement("delete_upload", "DELETE FROM uploads WHERE upload_id = $1"),

  // ---------------------------------------------------------- inline chunks
  /** $1 digest, $2 data. */
  putInlineChunk: statement(
    "put_inline_chunk",
    "INSERT INTO inline_chunks (digest, data) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING",
  ),
  /** $1 digest. */
  inlineChunk: statement("inline_chunk", "SELECT data FROM inline_chunks WHERE digest = $1"),
  /** No parameters. */
  inlineChunkStats: statement(
    "inline_chunk_stats",
    `SELECT count(*)::bigint AS inline, coalesce(sum(octet_length(data)), 0)::bigint AS bytes
     FROM inline_chunks`,
  ),
  /** $1 digest; returns the bytes freed (no row: none were kept). */
  deleteInlineChunk: statement(
    "delete_inline_chunk",
    "DELETE FROM inline_chunks WHERE digest = $1 RETURNING octet_length(data) AS length",
  ),

  // ---------------------------------------------------------- garbage
  /** $1 digest. */
  isReferenced: statement(
    "is_referenced",
    `SELECT EXISTS (SELECT 1 FROM chunks WHERE digest = $1)
       OR EXISTS (SELECT 1 FROM versions WHERE meta_digest = $1) AS referenced`,
  ),
  /** $1 digest. */
  addCandidate: statement(
    "add_candidate",
    "INSERT INTO gc_candidates (digest) VALUES ($1) ON CONFLICT (digest) DO NOTHING",
  ),
  /** $1 after, $2 limit. */
  candidates: statement(
    "candidates",
    "SELECT digest FROM gc_candidates WHERE digest > $1 ORDER BY digest LIMIT $2",
  ),
  /** $1 digest. */
  deleteCandidate: statement("delete_candidate", "DELETE FROM gc_candidates WHERE digest = $1"),

  // ---------------------------------------------------------- coordination
  /** $1 key: a bigint from the digest's first 8 bytes. */
  lockDigest: statement("lock_digest", "SELECT pg_advisory_xact_lock($1::bigint)"),
  /** $1 claim_id, $2 digest, $3 expires_at. */
  addClaim: statement(
    "add_claim",
    "INSERT INTO chunk_claims (claim_id, digest, expires_at) VALUES ($1, $2, $3)",
  ),
  /** $1 now. */
  dropExpiredClaims: statement(
    "drop_expired_claims",
    "DELETE FROM chunk_claims WHERE expires_at <= $1",
  ),
  /** $1 claim_id. */
  dropClaim: statement("drop_claim", "DELETE FROM chunk_claims WHERE claim_id = $1"),
  /** $1 digest, $2 now. */
  isClaimed: statement(
    "is_claimed",
    `SELECT EXISTS (SELECT 1 FROM chunk_claims WHERE digest = $1 AND expires_at > $2)
       AS claimed`,
  ),
  /** $1 digest. */
  deletion: statement(
    "deletion",
    "SELECT started_at FROM chunk_deletions WHERE digest = $1",
  ),
  /** $1 digest, $2 now. */
  addDeletion: statement(
    "add_deletion",
    `INSERT INTO chunk_deletions (digest, started_at) VALUES ($1, $2)
     ON CONFLICT (digest) DO UPDATE SET started_at = excluded.started_at`,
  ),
  /** $1 digest. */
  dropDeletion: statement("drop_deletion", "DELETE FROM chunk_deletions WHERE digest = $1"),
  /** $1 name, $2 holder, $3 expires_at, $4 now. */
  takeLease: statement(
    "take_lease",
    `INSERT INTO leases AS l (name, holder, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE l.holder = excluded.holder OR l.expires_at <= $4`,
  ),
  /** $1 name, $2 holder. */
  dropLease: statement("drop_lease", "DELETE FROM leases WHERE name = $1 AND holder = $2"),
  /** $1 name. */
  secret: statement("secret", "SELECT value FROM secrets WHERE name = $1"),
  /** $1 name, $2 value. */
  putSecret: statement(
    "put_secret",
    "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
  ),

  // ---------------------------------------------------------- a small PutObject
  /**
   * $1 job, $2 name, $3 now, $4 object_checksum, $5 metadata_string,
   * $6 throw_on_duplicate, $7 digest, $8 length, $9 inline data, $10 claim_id,
   * $11 lock key (as `lockDigest`'s), $12 usage shard, $13 durable, $14 crc32; returns
   * status, version_id, replaced_id, checksum. The whole transaction of
   * `MetadataStore.putObjectVersion`, in autocommit (see `_postgres_schema.ts`).
   */
  putObjectVersion: statement(
    "put_object_version",
    `SELECT status, version_id, replaced_id, checksum
     FROM ${PUT_OBJECT_VERSION_FUNCTION}(
       $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::bigint
     )`,
  ),

  // ---------------------------------------------------------- documents
  /** $1 name. */
  documentVersion: statement("document_version", "SELECT version FROM documents WHERE name = $1"),
  /** $1 name. */
  document: statement("document", "SELECT version, body FROM documents WHERE name = $1"),
  /** $1 name, $2 body: the first version, unless the document exists. */
  insertDocument: statement(
    "insert_document",
    "INSERT INTO documents (name, version, body) VALUES ($1, 1, $2) ON CONFLICT (name) DO NOTHING",
  ),
  /** $1 body, $2 name, $3 expected version: the next version, if it is still the expected one. */
  updateDocument: statement(
    "update_document",
    "UPDATE documents SET version = version + 1, body = $1 WHERE name = $2 AND version = $3",
  ),
} as const satisfies Record<string, Statement>;
