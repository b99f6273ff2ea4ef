/**
 * {@link PostgresMetadataStore}: the metadata seam on PostgreSQL, so that any
 * number of storage and serve processes, on any number of machines, share one
 * store (its chunk bytes in an S3-compatible bucket).
 *
 * **Transactions** run at READ COMMITTED on a pooled connection. The seam's
 * isolation comes from locks: {@link MetadataTransaction.lockUpload} is
 * `SELECT … FOR UPDATE`, {@link MetadataTransaction.lockDigest} a transaction
 * advisory lock keyed by the digest's first 8 bytes, and the partial unique
 * index `versions (job, name) WHERE state = 1` refuses a second current version
 * of a name. A transaction that loses a race (no row changed by
 * `completeVersion`/`retireVersion`, a unique violation, a deadlock, a
 * serialization failure) is rolled back and run again after a short random
 * backoff, at most `maxAttempts` times; then the caller gets a
 * `ServiceUnavailableException` to retry later.
 *
 * **Durability**: a commit waits for the server's `synchronous_commit` (on, by
 * default: the WAL is flushed) unless the transaction asks for `durable: false`,
 * which sets `synchronous_commit = off` for that transaction alone.
 *
 * **Round trips**: every statement is a named prepared statement (parsed and
 * planned once per connection), each operation is one statement, and a
 * transaction's connection pipelines: BEGIN and the writes whose results
 * nothing needs (`ensureJob`, `addUsage`, `putChunk`, `putInlineChunk`…) are
 * sent without waiting, and their answers are read with the next statement
 * that is waited for. A write's failure is thrown by the transaction's next
 * awaited call or by its commit, and fails the transaction as any other.
 * A small PutObject's transaction is one statement altogether:
 * {@link PostgresMetadataStore.putObjectVersion} calls a PL/pgSQL function (in
 * autocommit: no BEGIN, no COMMIT), one round trip.
 *
 * **Job usage counters** are sharded (see `_postgres_schema.ts`), so writers of
 * one job do not wait for each other's commits on one row.
 *
 * **An unreachable engine** (refused, dropped, shutting down, starting up,
 * timed out) is thrown as `ServiceUnavailableException`, naming the engine and
 * never a password; the pool replaces broken connections by itself, so the store
 * answers again once the server is back, without being reopened.
 *
 * **Connection settings**: a URL (`postgres://USER@HOST:PORT/DB`) or `""` to take
 * them from `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`. Without a
 * password in either, the password file is read as libpq reads it (option
 * `passwordFile`, else `PGPASSFILE`, else `~/.pgpass`, only when mode 0600).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  Client,
  type CustomTypesConfig,
  parseConnectionString,
  Pool,
  type PoolClient,
  type PoolConfig,
  type QueryResult,
  types,
} from "../../../../deps/pg.ts";
import { ServiceUnavailableException } from "../../errors.ts";
import type {
  ChunkRow,
  CompletionFacts,
  DeletionRow,
  ListedVersion,
  MetadataStore,
  MetadataTransaction,
  NameRange,
  PutObjectVersionInput,
  PutObjectVersionOutcome,
  StoredDocument,
  TextListedVersion,
  TransactionOptions,
  UploadRow,
  VersionRow,
} from "./metadata_store.ts";
import { TransactionConflict, versionColumns, withTextNames } from "./metadata_store.ts";
import { pgpassFileName, pgpassPassword } from "./_pgpass.ts";
import { isConnectionLost, isEngineUnavailable, isRetryableConflict } from "./_postgres_errors.ts";
import {
  CLAIM_LOST_SQLSTATE,
  migratePostgres,
  quoteIdentifier,
  USAGE_SHARDS,
} from "./_postgres_schema.ts";
import { type Statement, STATEMENTS as SQL } from "./_postgres_statements.ts";

/** Options of {@link PostgresMetadataStore.open}. */
export interface PostgresMetadataStoreOptions {
  /** Most connections this process opens (default 10). */
  maxConnections?: number;
  /** Bound on opening a connection, or waiting for a free one of the pool, in ms (default 10 000). */
  connectTimeoutMs?: number;
  /** Bound on one statement, lock waits included, in ms (default 30 000; the server cancels it). */
  statementTimeoutMs?: number;
  /**
   * Bound on a transaction left idle (its process hung between statements) in
   * ms, after which the server ends its session and frees its locks (default 60 000).
   */
  idleInTransactionTimeoutMs?: number;
  /** Most runs of a transaction that keeps losing races (default 10). */
  maxAttempts?: number;
  /**
   * The password file to read when neither the URL nor `PGPASSWORD` has a
   * password (default `PGPASSFILE`, else `~/.pgpass`).
   */
  passwordFile?: string;
  /**
   * A schema to keep the tables in (created when missing), so that several
   * stores can share one database; lower-case letters, digits and `_`. Default
   * none: the server's `search_path` (normally `public`).
   */
  schema?: string;
  /** `application_name` of the connections, seen in `pg_stat_activity` (default `"backupfs"`). */
  applicationName?: string;
}

const INT8_OID = 20;
const BYTEA_OID = 17;

/** bigint as a number (ids, sizes and times are far below 2^53). */
function parseInt8(text: string): number {
  return Number(text);
}

/** bytea (hex output) as a plain `Uint8Array` of its own. */
function parseBytea(text: string): Uint8Array {
  if (text.startsWith("\\x")) return Uint8Array.fromHex(text.slice(2));
  // The old "escape" output format: pg-types decodes it to a Buffer.
  const buffer = types.getTypeParser(BYTEA_OID, "text")(text) as Buffer;
  return new Uint8Array(buffer);
}

/** This store's type parsers (per pool: the process-wide ones stay as they are). */
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (format !== "binary") {
      if (oid === INT8_OID) return parseInt8;
      if (oid === BYTEA_OID) return parseBytea;
    }
    return types.getTypeParser(oid, format as "text");
  }) as CustomTypesConfig["getTypeParser"],
};

/** The advisory lock key of a digest: its first 8 bytes as a signed bigint (decimal). */
function digestLockKey(digest: Uint8Array): string {
  const bytes = new Uint8Array(8);
  bytes.set(digest.subarray(0, 8));
  return new DataView(bytes.buffer).getBigInt64(0).toString();
}

/** One run of a transaction: committed with its value, or a conflict to run it again after. */
type Attempted<T> = { committed: true; value: T } | { committed: false; conflict: unknown };

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The reads and writes of the seam over some way to run a statement: a pooled
 * client of one transaction, or the pool itself for reads outside one.
 */
abstract class PostgresOperations implements MetadataTransaction {
  /** The usage shard of this transaction: one row per job, so no two of ours can deadlock. */
  #shard?: number;

  /** Runs one named statement. */
  protected abstract query(statement: Statement, values: unknown[]): Promise<QueryResult>;

  /** Whether writes are allowed (inside a transaction only). */
  protected abstract readonly writable: boolean;

  /**
   * Sends a write whose result nothing needs, without waiting for it where the
   * connection pipelines (a transaction's does): its failure is thrown by the
   * transaction's next awaited statement or its commit.
   */
  protected send(statement: Statement, values: unknown[]): Promise<void> {
    return this.query(statement, values).then(() => {});
  }

  #write(statement: Statement, values: unknown[]): Promise<QueryResult> {
    if (!this.writable) return Promise.reject(new TypeError("A write needs a transaction"));
    return this.query(statement, values);
  }

  #writeBehind(statement: Statement, values: unknown[]): Promise<void> {
    if (!this.writable) return Promise.reject(new TypeError("A write needs a transaction"));
    return this.send(statement, values);
  }

  async #rows<T>(statement: Statement, values: unknown[]): Promise<T[]> {
    return (await this.query(statement, values)).rows as T[];
  }

  async #row<T>(statement: Statement, values: unknown[]): Promise<T | undefined> {
    return (await this.query(statement, values)).rows[0] as T | undefined;
  }

  async usage(job: string): Promise<{ objects: number; bytes: number }> {
    const row = (await this.#row<{ objects: number; bytes: number }>(SQL.usage, [job]))!;
    return { objects: row.objects, bytes: row.bytes };
  }
  version(id: number): Promise<VersionRow | undefined> {
    return this.#row<VersionRow>(SQL.version, [id]);
  }
  currentVersion(job: string, name: Uint8Array): Promise<VersionRow | undefined> {
    return this.#row<VersionRow>(SQL.currentVersion, [job, name]);
  }
  listCurrent(job: string, range: NameRange, limit: number): Promise<ListedVersion[]> {
    return this.#rows<ListedVersion>(
      range.inclusive ? SQL.listCurrentFrom : SQL.listCurrentAfter,
      [job, range.lower, range.upper, limit],
    );
  }
  async listCurrentText(
    job: string,
    range: NameRange,
    limit: number,
  ): Promise<TextListedVersion[]> {
    return withTextNames(await this.listCurrent(job, range, limit));
  }
  listChunks(versionId: number, from: number, limit: number): Promise<ChunkRow[]> {
    return this.#rows<ChunkRow>(SQL.listChunks, [versionId, from, limit]);
  }
  chunk(versionId: number, idx: number): Promise<ChunkRow | undefined> {
    return this.#row<ChunkRow>(SQL.chunk, [versionId, idx]);
  }
  upload(uploadId: string): Promise<UploadRow | undefined> {
    return this.#row<UploadRow>(SQL.upload, [uploadId]);
  }
  async inlineChunk(digest: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.#row<{ data: Uint8Array }>(SQL.inlineChunk, [digest]))?.data;
  }
  async inlineChunkStats(): Promise<{ inline: number; inlineBytes: number }> {
    const row = (await this.#row<{ inline: number; bytes: number }>(SQL.inlineChunkStats, []))!;
    return { inline: row.inline, inlineBytes: row.bytes };
  }
  async isReferenced(digest: Uint8Array): Promise<boolean> {
    return (await this.#row<{ referenced: boolean }>(SQL.isReferenced, [digest]))!.referenced;
  }
  expiredUploads(now: number, limit: number): Promise<UploadRow[]> {
    return this.#rows<UploadRow>(SQL.expiredUploads, [now, limit]);
  }
  retiredBefore(before: number, limit: number): Promise<VersionRow[]> {
    return this.#rows<VersionRow>(SQL.retiredBefore, [before, limit]);
  }
  async candidates(after: Uint8Array, limit: number): Promise<Uint8Array[]> {
    return (await this.#rows<{ digest: Uint8Array }>(SQL.candidates, [after, limit]))
      .map((row) => row.digest);
  }
  async documentVersion(name: string): Promise<number> {
    return (await this.#row<{ version: number }>(SQL.documentVersion, [name]))?.version ?? 0;
  }
  document(name: string): Promise<StoredDocument | undefined> {
    return this.#row<StoredDocument>(SQL.document, [name]);
  }

  async ensureJob(job: string, now: number): Promise<void> {
    await this.#writeBehind(SQL.ensureJob, [job, now]);
  }
  async addUsage(job: string, objects: number, bytes: number): Promise<void> {
    this.#shard ??= Math.floor(Math.random() * USAGE_SHARDS);
    await this.#writeBehind(SQL.addUsage, [job, this.#shard, objects, bytes]);
  }
  async insertVersion(row: Omit<VersionRow, "id">): Promise<number> {
    const result = await this.#write(SQL.insertVersion, versionColumns(row));
    return result.rows[0].id as number;
  }
  async completeVersion(id: number, facts: CompletionFacts): Promise<void> {
    const result = await this.#write(SQL.completeVersion, [
      facts.chunks_count,
      facts.size,
      facts.object_checksum,
      facts.metadata_string,
      facts.meta_digest,
      facts.meta_length,
      facts.completed_at,
      id,
    ]);
    if (result.rowCount === 0) throw new TransactionConflict(`version ${id} is no longer pending`);
  }
  async retireVersion(id: number, now: number): Promise<void> {
    const result = await this.#write(SQL.retireVersion, [now, id]);
    if (result.rowCount === 0) throw new TransactionConflict(`version ${id} is no longer current`);
  }
  async dropVersion(id: number): Promise<void> {
    await this.#writeBehind(SQL.dropVersion, [id]);
  }
  async putChunk(
    versionId: number,
    idx: number,
    digest: Uint8Array,
    length: number,
    crc32?: number | null,
  ): Promise<void> {
    await this.#writeBehind(SQL.putChunk, [versionId, idx, digest, length, crc32 ?? null]);
  }
  async insertUpload(row: Omit<UploadRow, "completed" | "object_checksum">): Promise<void> {
    await this.#writeBehind(SQL.insertUpload, [
      row.upload_id,
      row.job,
      row.version_id,
      row.throw_on_duplicate,
      row.expires_at,
    ]);
  }
  async lockUpload(uploadId: string): Promise<UploadRow | undefined> {
    return (await this.#write(SQL.lockUpload, [uploadId])).rows[0] as UploadRow | undefined;
  }
  async markUploadCompleted(uploadId: string, objectChecksum: string): Promise<void> {
    await this.#writeBehind(SQL.markUploadCompleted, [objectChecksum, uploadId]);
  }
  async deleteUpload(uploadId: string): Promise<void> {
    await this.#writeBehind(SQL.deleteUpload, [uploadId]);
  }
  async putInlineChunk(digest: Uint8Array, data: Uint8Array): Promise<void> {
    await this.#writeBehind(SQL.putInlineChunk, [digest, data]);
  }
  async deleteInlineChunk(digest: Uint8Array): Promise<number> {
    const row = (await this.#write(SQL.deleteInlineChunk, [digest])).rows[0];
    return row ? row.length as number : -1;
  }
  async addCandidate(digest: Uint8Array): Promise<void> {
    await this.#writeBehind(SQL.addCandidate, [digest]);
  }
  async deleteCandidate(digest: Uint8Array): Promise<void> {
    await this.#writeBehind(SQL.deleteCandidate, [digest]);
  }
  async lockDigest(digest: Uint8Array): Promise<void> {
    await this.#write(SQL.lockDigest, [digestLockKey(digest)]);
  }
  async addClaim(claimId: string, digest: Uint8Array, expiresAt: number): Promise<void> {
    await this.#writeBehind(SQL.addClaim, [claimId, digest, expiresAt]);
  }
  async dropExpiredClaims(now: number): Promise<number> {
    return (await this.#write(SQL.dropExpiredClaims, [now])).rowCount ?? 0;
  }
  async dropClaim(claimId: string): Promise<boolean> {
    return ((await this.#write(SQL.dropClaim, [claimId])).rowCount ?? 0) > 0;
  }
  async isClaimed(digest: Uint8Array, now: number): Promise<boolean> {
    return (await this.#write(SQL.isClaimed, [digest, now])).rows[0].claimed as boolean;
  }
  async deletion(digest: Uint8Array): Promise<DeletionRow | undefined> {
    return (await this.#write(SQL.deletion, [digest])).rows[0] as DeletionRow | undefined;
  }
  async addDeletion(digest: Uint8Array, now: number): Promise<void> {
    await this.#writeBehind(SQL.addDeletion, [digest, now]);
  }
  async dropDeletion(digest: Uint8Array): Promise<void> {
    await this.#writeBehind(SQL.dropDeletion, [digest]);
  }
  async takeLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const result = await this.#write(SQL.takeLease, [name, holder, now + ttlMs, now]);
    return (result.rowCount ?? 0) > 0;
  }
  async dropLease(name: string, holder: string): Promise<void> {
    await this.#writeBehind(SQL.dropLease, [name, holder]);
  }
  async secret(name: string): Promise<Uint8Array | undefined> {
    return (await this.#write(SQL.secret, [name])).rows[0]?.value as Uint8Array | undefined;
  }
  async putSecret(name: string, value: Uint8Array): Promise<Uint8Array> {
    await this.#write(SQL.putSecret, [name, value]);
    // A new statement, a new snapshot: sees a secret another transaction committed meanwhile.
    return (await this.secret(name))!;
  }
  async putDocument(name: string, body: string, expectedVersion: number): Promise<boolean> {
    const result = expectedVersion === 0
      ? await this.#write(SQL.insertDocument, [name, body])
      : await this.#write(SQL.updateDocument, [body, name, expectedVersion]);
    return (result.rowCount ?? 0) > 0;
  }
}

/**
 * The operations of one transaction, on the pooled client it checked out. The
 * connection pipelines: BEGIN and the writes whose results nothing needs go out
 * without waiting for their answers, so that a small PutObject (BEGIN, six
 * statements, COMMIT) costs three or four round trips rather than eight.
 * PostgreSQL runs a connection's statements in order, so a later statement
 * always sees an earlier one's effect; the first failure among the writes not
 * waited for is what the next awaited statement, or the commit, throws.
 */
class PostgresTransaction extends PostgresOperations {
  /** A transaction writes. */
  protected readonly writable = true;
  readonly #client: PoolClient;
  /** The first failure of a statement of this transaction. */
  #failure: unknown;
  /** Whether the connection failed or broke: the client goes, not back to the pool. */
  lost = false;
  /** Whether COMMIT was sent (after which a lost connection leaves the outcome unknown). */
  committing = false;

  constructor(client: PoolClient) {
    super();
    this.#client = client;
  }

  /** The connection broke while no statement was in flight (the client's "error" event). */
  connectionFailed(error: unknown): void {
    this.lost = true;
    this.#failure ??= error;
  }

  #failed(error: unknown): unknown {
    if (isConnectionLost(error)) this.lost = true;
    // A statement after a failed one fails too ("current transaction is aborted"):
    // the first failure is the one to report.
    this.#failure ??= error;
    return this.#failure;
  }

  protected async query(statement: Statement, values: unknown[]): Promise<QueryResult> {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      return await this.#client.query({ name: statement.name, text: statement.text, values });
    } catch (error) {
      throw this.#failed(error);
    }
  }

  protected override send(statement: Statement, values: unknown[]): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#client.query({ name: statement.name, text: statement.text, values })
      .catch((error) => this.#failed(error));
    return Promise.resolve();
  }

  /** BEGIN, READ COMMITTED, sent without waiting; not durable: the commit does not wait for the WAL flush. */
  begin(durable: boolean): void {
    this.#client.query(
      durable
        ? "BEGIN ISOLATION LEVEL READ COMMITTED"
        : "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = off",
    ).catch((error) => this.#failed(error));
  }

  /** COMMIT; throws the transaction's first failure, or when PostgreSQL rolled back instead. */
  async commit(): Promise<void> {
    // Nothing is sent on a connection known to be broken: the outcome stays known.
    if (this.#failure !== undefined) throw this.#failure;
    this.committing = true;
    let result: QueryResult;
    try {
      result = await this.#client.query("COMMIT");
    } catch (error) {
      // pg refuses, without sending, a statement on a connection it knows is broken.
      if (error instanceof Error && /is not queryable$/.test(error.message)) {
        this.committing = false;
      }
      throw this.#failed(error);
    }
    if (this.#failure !== undefined) throw this.#failure;
    if (result.command === "ROLLBACK") {
      throw new Error("The metadata transaction was rolled back: one of its statements failed");
    }
  }

  /** ROLLBACK; a failure leaves the connection lost. */
  async rollback(): Promise<void> {
    if (this.lost) return;
    try {
      await this.#client.query("ROLLBACK");
    } catch {
      // A connection that cannot roll back is not given back to the pool.
      this.lost = true;
    }
  }
}

/** Reads outside a transaction, each on any pooled connection. */
class PoolReads extends PostgresOperations {
  protected readonly writable = false;
  readonly #run: (statement: Statement, values: unknown[]) => Promise<QueryResult>;

  constructor(run: (statement: Statement, values: unknown[]) => Promise<QueryResult>) {
    super();
    this.#run = run;
  }

  protected query(statement: Statement, values: unknown[]): Promise<QueryResult> {
    return this.#run(statement, values);
  }
}

/**
 * Metadata in a PostgreSQL database, shared by every process that opens it. See
 * the module documentation for transactions, durability and errors.
 *
 * @example Two gateways over one database
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { PostgresMetadataStore } from "./postgres_metadata_store.ts";
 *
 * const url = "postgres://backupfs@db.internal:5432/backupfs"; // password from ~/.pgpass
 * const a = await PostgresMetadataStore.open(url);
 * const b = await PostgresMetadataStore.open(url, { maxConnections: 4 });
 * try {
 *   assert.equal(a.description, "PostgreSQL backupfs@db.internal:5432/backupfs");
 *   const secret = new Uint8Array(32).fill(7);
 *   await a.transaction((tx) => tx.putSecret("token", secret));
 *   // The first secret stored wins, for every gateway.
 *   assert.deepEqual(await b.transaction((tx) => tx.putSecret("token", new Uint8Array(32))), secret);
 * } finally {
 *   await a.close();
 *   await b.close();
 * }
 * ```
 *
 * (Not run by `--doc`, it needs a server: the conformance suite of
 * tests/storage/store/metadata/metadata_store_test.ts runs these calls on a
 * throwaway cluster.)
 */
export class PostgresMetadataStore implements MetadataStore {
  /** `PostgreSQL user@host:port/db` (and the schema, if one was asked for); never a password. */
  readonly description: string;
  readonly #reads: PoolReads;
  readonly #pool: Pool;
  readonly #maxAttempts: number;
  readonly #password?: string;
  /** Clients handed out before: a failure on one may be a connection gone stale. */
  readonly #seen = new WeakSet<PoolClient>();
  #closed = false;
  #closing?: Promise<void>;
  #running = 0;
  #drained?: PromiseWithResolvers<void>;

  private constructor(
    pool: Pool,
    description: string,
    maxAttempts: number,
    password: string | undefined,
  ) {
    this.#reads = new PoolReads((statement, values) => this.#read(statement, values));
    this.#pool = pool;
    this.description = description;
    this.#maxAttempts = maxAttempts;
    this.#password = password;
  }

  /**
   * Connects to `url` (`postgres://USER@HOST:PORT/DB`; `""` takes everything
   * from the `PG*` environment variables), creating or migrating the tables.
   * Throws `ServiceUnavailableException` when the server cannot be reached, and
   * an Error when its schema is newer than this code.
   */
  static async open(
    url: string,
    options?: PostgresMetadataStoreOptions,
  ): Promise<PostgresMetadataStore> {
    const connectTimeoutMs = options?.connectTimeoutMs ?? 10_000;
    const statementTimeoutMs = options?.statementTimeoutMs ?? 30_000;
    const schema = options?.schema;
    if (schema !== undefined) quoteIdentifier(schema);
    // The URL parsed here rather than by pg, which would let its empty password
    // override the password-file function below; what it names wins over these
    // defaults, as in pg, and what it leaves empty comes from the PG* variables.
    const { password: urlPassword, ...fromUrl } = url ? parseConnectionString(url) : {};
    const config: PoolConfig = {
      max: options?.maxConnections ?? 10,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: options?.idleInTransactionTimeoutMs ?? 60_000,
      // The client's own bound, for a server that stopped answering at all.
      query_timeout: statementTimeoutMs + connectTimeoutMs,
      keepAlive: true,
      // A transaction's writes go out without waiting for each other's answers.
      pipeline: true,
      application_name: options?.applicationName ?? "backupfs",
      ...Object.fromEntries(
        Object.entries(fromUrl).filter(([, value]) => value !== null && value !== ""),
      ),
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      ...(typeof urlPassword === "string" && urlPassword !== "" ? { password: urlPassword } : {}),
      types: TYPES,
    };
    // A client never connected: what pg makes of the URL and the environment.
    const probe = new Client(config);
    const target = {
      host: probe.host,
      port: probe.port,
      database: probe.database ?? "",
      user: probe.user ?? "",
    };
    const description = `PostgreSQL ${target.user}@${target.host}:${target.port}/` +
      `${target.database}${schema ? ` schema ${schema}` : ""}`;
    const password = typeof probe.password === "string" && probe.password !== ""
      ? probe.password
      : undefined;
    if (password === undefined) {
      const file = pgpassFileName({ passwordFile: options?.passwordFile });
      // Asked only when the server wants a password: libpq's rules, and never pg's
      // own deprecated password-file reading (which prints a notice).
      config.password = async () => (file && await pgpassPassword(file, target)) || "";
    }
    const pool = new Pool(config);
    // An idle client whose server went away reports here; the pool drops it and
    // connects anew when asked: nothing to do but not crash.
    pool.on("error", () => {});
    const store = new PostgresMetadataStore(
      pool,
      description,
      Math.max(1, options?.maxAttempts ?? 10),
      password,
    );
    try {
      const client = await store.#connect();
      let lost = false;
      const onError = () => lost = true;
      client.on("error", onError);
      try {
        await migratePostgres(client, { schema });
      } catch (error) {
        lost ||= isConnectionLost(error);
        throw error;
      } finally {
        client.off("error", onError);
        client.release(lost);
      }
    } catch (error) {
      await pool.end().catch(() => {});
      throw store.#engineError(error);
    }
    return store;
  }

  /** Object count and bytes of a job's current versions (zeros for an unknown job). */
  usage(job: string): Promise<{ objects: number; bytes: number }> {
    return this.#reads.usage(job);
  }
  /** A version by id. */
  version(id: number): Promise<VersionRow | undefined> {
    return this.#reads.version(id);
  }
  /** The current version of a name. */
  currentVersion(job: string, name: Uint8Array): Promise<VersionRow | undefined> {
    return this.#reads.currentVersion(job, name);
  }
  /** Current versions of a job in a name range, in byte order. */
  listCurrent(job: string, range: NameRange, limit: number): Promise<ListedVersion[]> {
    return this.#reads.listCurrent(job, range, limit);
  }
  /** {@link listCurrent} with each name as text (strict UTF-8). */
  listCurrentText(job: string, range: NameRange, limit: number): Promise<TextListedVersion[]> {
    return this.#reads.listCurrentText(job, range, limit);
  }
  /** A page of a version's chunks from index `from`, in index order. */
  listChunks(versionId: number, from: number, limit: number): Promise<ChunkRow[]> {
    return this.#reads.listChunks(versionId, from, limit);
  }
  /** One chunk of a version. */
  chunk(versionId: number, idx: number): Promise<ChunkRow | undefined> {
    return this.#reads.chunk(versionId, idx);
  }
  /** An upload by id. */
  upload(uploadId: string): Promise<UploadRow | undefined> {
    return this.#reads.upload(uploadId);
  }
  /** The bytes of a small chunk kept in the database. */
  inlineChunk(digest: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#reads.inlineChunk(digest);
  }
  /** How many small chunks are kept in the database, and their bytes. */
  inlineChunkStats(): Promise<{ inline: number; inlineBytes: number }> {
    return this.#reads.inlineChunkStats();
  }
  /** Whether a chunk record or a version's metadata blob references a digest. */
  isReferenced(digest: Uint8Array): Promise<boolean> {
    return this.#reads.isReferenced(digest);
  }
  /** Uploads whose TTL ended at or before `now`. */
  expiredUploads(now: number, limit: number): Promise<UploadRow[]> {
    return this.#reads.expiredUploads(now, limit);
  }
  /** Retired versions retired at or before `before`, oldest first. */
  retiredBefore(before: number, limit: number): Promise<VersionRow[]> {
    return this.#reads.retiredBefore(before, limit);
  }
  /** Garbage candidates after `after` (exclusive), in digest order. */
  candidates(after: Uint8Array, limit: number): Promise<Uint8Array[]> {
    return this.#reads.candidates(after, limit);
  }
  /** The version of a named document (0 when there is none). */
  documentVersion(name: string): Promise<number> {
    return this.#reads.documentVersion(name);
  }
  /** A named document and its version. */
  document(name: string): Promise<StoredDocument | undefined> {
    return this.#reads.document(name);
  }

  /**
   * Runs `fn` in one transaction and resolves with its result once committed
   * (durable unless `durable: false`); a conflict runs `fn` again, bounded.
   */
  transaction<T>(
    fn: (tx: MetadataTransaction) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    const durable = options?.durable ?? true;
    return this.#retrying(() => this.#attempt(fn, durable));
  }

  /**
   * A small PutObject's whole transaction in one statement, in autocommit: the
   * function `backupfs_put_object_version` of `_postgres_schema.ts` (one round
   * trip instead of three or four, and no BEGIN/COMMIT). A conflict (a second
   * current version, the replaced version retired meanwhile, a deadlock) runs
   * it again, bounded, as {@link transaction} does; it resolves once committed,
   * durable unless `durable: false`. See `MetadataStore.putObjectVersion`.
   */
  async putObjectVersion(
    input: PutObjectVersionInput,
    options?: TransactionOptions,
  ): Promise<PutObjectVersionOutcome> {
    const chunk = input.chunk;
    const values = [
      input.job,
      input.name,
      input.now,
      input.objectChecksum,
      input.metadataString,
      input.throwOnDuplicate,
      chunk?.digest ?? null,
      chunk?.length ?? null,
      chunk?.inline ?? null,
      chunk?.claimId ?? null,
      chunk ? digestLockKey(chunk.digest) : null,
      Math.floor(Math.random() * USAGE_SHARDS),
      options?.durable ?? true,
      chunk?.crc32 ?? null,
    ];
    let row: { status: string; version_id: number; replaced_id: number | null; checksum: string };
    try {
      row = (await this.#retrying(() => this.#autocommit(SQL.putObjectVersion, values))).rows[0];
    } catch (error) {
      if ((error as { code?: unknown })?.code === CLAIM_LOST_SQLSTATE) {
        return { status: "claim-lost" };
      }
      throw error;
    }
    if (row.status === "duplicate") return { status: "duplicate", checksum: row.checksum };
    return { status: "stored", versionId: row.version_id, replacedId: row.replaced_id };
  }

  /**
   * Runs `attempt` until it commits, at most `maxAttempts` times: a conflict
   * runs it again after a short random backoff; `close()` waits for it.
   */
  async #retrying<T>(attempt: () => Promise<Attempted<T>>): Promise<T> {
    if (this.#closed) throw this.#closedError();
    this.#running++;
    try {
      let conflict: unknown;
      for (let attempted = 1; attempted <= this.#maxAttempts; attempted++) {
        // A short random backoff, growing: racers that met once spread out.
        if (attempted > 1) await delay(Math.random() * Math.min(50, 2 ** attempted));
        const outcome = await attempt();
        if (outcome.committed) return outcome.value;
        conflict = outcome.conflict;
      }
      throw new ServiceUnavailableException(
        "The metadata changed under this request too many times; retry it",
        { cause: conflict },
      );
    } finally {
      if (--this.#running === 0) this.#drained?.resolve();
    }
  }

  /**
   * One run of a statement that is a transaction by itself (autocommit):
   * committed, or a conflict to run it again after. Its other errors are thrown
   * as they are (an unreachable engine as `ServiceUnavailableException`).
   */
  async #autocommit(statement: Statement, values: unknown[]): Promise<Attempted<QueryResult>> {
    const client = await this.#connect();
    let lost = false;
    const onError = () => lost = true;
    client.on("error", onError);
    try {
      const result = await client.query({ name: statement.name, text: statement.text, values });
      return { committed: true, value: result };
    } catch (error) {
      lost ||= isConnectionLost(error);
      if (lost) {
        // pg refuses, without sending, a statement on a connection it knows is
        // broken: nothing happened, run it on another. Otherwise the statement,
        // its own commit, may or may not have been committed.
        if (error instanceof Error && /is not queryable$/.test(error.message)) {
          return { committed: false, conflict: error };
        }
        throw new ServiceUnavailableException(
          `${this.description} went away during a commit, whose outcome is unknown`,
          { cause: error },
        );
      }
      if (isRetryableConflict(error)) return { committed: false, conflict: error };
      throw this.#engineError(error);
    } finally {
      client.off("error", onError);
      client.release(lost);
    }
  }

  /** One run of a transaction: committed, or a conflict to run it again after. */
  async #attempt<T>(
    fn: (tx: MetadataTransaction) => Promise<T>,
    durable: boolean,
  ): Promise<Attempted<T>> {
    const client = await this.#connect();
    const reused = this.#seen.has(client);
    this.#seen.add(client);
    const tx = new PostgresTransaction(client);
    // A connection that breaks while no statement is in flight reports here
    // (unheard, the process would crash); the next statement then fails.
    const onError = (error: Error) => tx.connectionFailed(error);
    client.on("error", onError);
    try {
      tx.begin(durable);
      const value = await fn(tx);
      await tx.commit();
      return { committed: true, value };
    } catch (error) {
      await tx.rollback();
      if (tx.lost) {
        // A pooled connection that went stale (the server restarted): nothing was
        // committed before COMMIT was sent, so run again on a fresh connection.
        if (reused && !tx.committing && isConnectionLost(error)) {
          return { committed: false, conflict: error };
        }
        if (tx.committing) {
          throw new ServiceUnavailableException(
            `${this.description} went away during a commit, whose outcome is unknown`,
            { cause: error },
          );
        }
        throw this.#engineError(error);
      }
      if (error instanceof TransactionConflict || isRetryableConflict(error)) {
        return { committed: false, conflict: error };
      }
      throw this.#engineError(error);
    } finally {
      client.off("error", onError);
      client.release(tx.lost);
    }
  }

  /** A pooled client; an unreachable server is a `ServiceUnavailableException`. */
  async #connect(): Promise<PoolClient> {
    if (this.#closed) throw this.#closedError();
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw this.#engineError(error);
    }
  }

  /** A read outside a transaction, on any pooled connection (run again once if it went stale). */
  async #read(statement: Statement, values: unknown[]): Promise<QueryResult> {
    if (this.#closed) throw this.#closedError();
    const query = { name: statement.name, text: statement.text, values };
    try {
      return await this.#pool.query(query);
    } catch (error) {
      if (!isConnectionLost(error) || this.#closed) throw this.#engineError(error);
    }
    try {
      return await this.#pool.query(query);
    } catch (error) {
      throw this.#engineError(error);
    }
  }

  /** An engine that cannot answer, as `ServiceUnavailableException`; other errors as they are. */
  #engineError(error: unknown): unknown {
    if (error instanceof ServiceUnavailableException || !isEngineUnavailable(error)) return error;
    let message = error instanceof Error ? error.message : String(error);
    if (error instanceof AggregateError && message === "") {
      message = error.errors.map((inner) => String(inner?.message ?? inner)).join("; ");
    }
    if (this.#password) message = message.replaceAll(this.#password, "***");
    return new ServiceUnavailableException(`${this.description} is unavailable: ${message}`, {
      cause: error,
    });
  }

  #closedError(): ServiceUnavailableException {
    return new ServiceUnavailableException(`The metadata store (${this.description}) is closed`);
  }

  /** Waits for this store's transactions to end, then closes its connections. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      if (this.#running > 0) {
        this.#drained = Promise.withResolvers<void>();
        await this.#drained.promise;
      }
      await this.#pool.end();
    })();
    return this.#closing;
  }
}
