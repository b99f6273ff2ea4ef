/**
 * The SQLite engine of the metadata seam (`node:sqlite`): schema, migrations
 * (numbered by `PRAGMA user_version`) and prepared statements, all synchronous.
 * `SqliteMetadataStore` puts the asynchronous `MetadataStore` face on it.
 *
 * Tables:
 * - `versions`: every version of every object; `state` is pending (an upload's
 *   version, invisible), current (listed) or retired (superseded or deleted,
 *   readable by token through the grace period). Names are BLOBs of UTF-8, so
 *   SQLite orders them bytewise and a prefix is an index range.
 * - `chunks`: (version, index) → digest and length; an upload's chunks belong to
 *   its pending version, so completing an upload copies nothing.
 * - `uploads`: upload id → its version, remembered until the upload's TTL so a
 *   repeated `NotifyObjectComplete` is answered again.
 * - `jobs`: object count and bytes of each job's current versions.
 * - `gc_candidates`: digests that lost a reference and may be garbage.
 * - `inline_chunks`: small chunks' bytes, by digest.
 * - `chunk_claims`, `chunk_deletions`, `leases`, `secrets`: the coordination of
 *   many processes over one store (see `metadata_store.ts`) and the tokens' key.
 * - `documents`: small named documents with a version (a job's WebDAV locks).
 *
 * The database runs in WAL mode with `synchronous=NORMAL`: a commit is atomic
 * and consistent when it returns (enough for `kill -9`), and {@link MetadataDb.flush}
 * makes it durable against power loss by fdatasyncing the WAL file off the event
 * loop, one sync shared by every commit before it (group commit). `node:sqlite`
 * is synchronous, so a `synchronous=FULL` commit would stall the whole process for
 * an fsync. (Measured on a 2-core VM: an fdatasync handed to the runtime's thread
 * pool took 306–318 µs against 199–200 µs on the event loop, but cost the loop 30
 * µs of CPU instead of 60–65 µs, and commits could join it meanwhile. Syncing on the
 * loop took curl's 2,000 PUTs of 4 KiB over 4 connections from 1,554–1,751 files/s
 * down to 1,189–1,246.) This way the store acknowledges a write only after
 * `flush()`, and the garbage collector deletes bytes only once its record of the
 * deletion, and every commit before it, is durable. Any number of processes may
 * open one database: SQLite serializes their write transactions (`BEGIN
 * IMMEDIATE`, waiting up to the busy timeout for another's to end), and a sync of
 * the shared WAL file covers every commit written before it, whoever wrote it.
 *
 * @module
 */

import {
  BACKSTOP_PAGES,
  DEFAULT_AUTOCHECKPOINT_PAGES,
  WalCheckpointer,
} from "./wal_checkpointer.ts";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type {
  ChunkRow,
  CompletionFacts,
  DeletionRow,
  ListedVersion,
  NameRange,
  StoredDocument,
  TextListedVersion,
  UploadRow,
  VersionRow,
} from "./metadata_store.ts";

import { versionColumns } from "./metadata_store.ts";
export { VersionState } from "./metadata_store.ts";
export type { ChunkRow, ListedVersion, UploadRow, VersionRow } from "./metadata_store.ts";

/**
 * A `LIMIT` bound to a parameter, written so that SQLite compiles its statement
 * once. Since 3.46, a bare `LIMIT ?` lets the query planner read the bound value,
 * and SQLite then compiles the statement again each time a value is bound to it:
 * measured with 3.53 (Deno 2.9's), a lookup that finds nothing cost 10.7 µs against
 * 1.6 µs in a loop, and far more inside a busy server, whose caches the compiler
 * misses. `?+0` is the same number to SQLite's `LIMIT`, but not a parameter the
 * planner reads.
 */
const BOUND_LIMIT = "?+0";

const LISTED_COLUMNS = "id, name, chunks_count, object_checksum, metadata_string, completed_at";
/** {@link LISTED_COLUMNS} with the name as text, in the order of {@link TextRow}. */
const TEXT_LISTED_COLUMNS = "id, CASE WHEN instr(name, x'00') = 0 THEN CAST(name AS TEXT) END, " +
  "chunks_count, object_checksum, metadata_string, completed_at";
/** A row of {@link TEXT_LISTED_COLUMNS}, as an array (no text for a name with a NUL byte). */
type TextRow = [
  number,
  string | null,
  number | null,
  string | null,
  string | null,
  number | null,
];

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Options of {@link MetadataDb.open}. */
export interface MetadataDbOptions {
  /** Whether {@link MetadataDb.flush} fdatasyncs the WAL (default true). */
  durable?: boolean;
  /** How long to wait for a lock held by someone else, in ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * Whether WAL checkpoints move to a worker once this connection has made
   * {@link CHECKPOINTER_AFTER_COMMITS} commits (default true; see
   * `wal_checkpointer.ts`). Until then, and without it, SQLite checkpoints
   * automatically inside a `COMMIT`.
   */
  backgroundCheckpoint?: boolean;
  /**
   * Commits after which checkpoints move to the worker by themselves (default
   * {@link CHECKPOINTER_AFTER_COMMITS}; `Infinity`: only once
   * {@link MetadataDb.startCheckpointer} asks).
   */
  checkpointerAfterCommits?: number;
}

/** Jobs a connection remembers as existing (it forgets them all past this many). */
const MAX_KNOWN_JOBS = 10_000;

/** Commits after which a connection hands its checkpoints to a worker (a busy store, not a short-lived one). */
export const CHECKPOINTER_AFTER_COMMITS = 256;

const MIGRATIONS: readonly string[] = [
  // 1: initial schema
  `
  CREATE TABLE jobs (
    job TEXT PRIMARY KEY,
    objects INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    name BLOB NOT NULL,
    state INTEGER NOT NULL,
    chunks_count INTEGER,
    size INTEGER,
    object_checksum TEXT,
    metadata_string TEXT,
    meta_digest BLOB,
    meta_length INTEGER,
    completed_at INTEGER,
    retired_at INTEGER
  );
  CREATE UNIQUE INDEX versions_current ON versions (job, name) WHERE state = 1;
  CREATE INDEX versions_retired ON versions (retired_at) WHERE state = 2;
  CREATE INDEX versions_meta ON versions (meta_digest) WHERE meta_digest IS NOT NULL;
  CREATE TABLE chunks (
    version_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    digest BLOB NOT NULL,
    length INTEGER NOT NULL,
    PRIMARY KEY (version_id, idx)
  ) WITHOUT ROWID;
  CREATE INDEX chunks_digest ON chunks (digest);
  CREATE TABLE uploads (
    upload_id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    throw_on_duplicate INTEGER NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    object_checksum TEXT,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX uploads_expiry ON uploads (expires_at);
  CREATE TABLE gc_candidates (digest BLOB PRIMARY KEY) WITHOUT ROWID;
  `,
  // 2: small chunks and metadata blobs kept in the database itself, content-addressed
  // like the files (a file per small chunk cost two fsyncs and a rename per write).
  `
  CREATE TABLE inline_chunks (
    digest BLOB NOT NULL UNIQUE,
    data BLOB NOT NULL
  );
  `,
  // 3: many processes over one store: writers' claims on chunk digests, chunk
  // deletions in progress, named leases (one collector at a time), named secrets.
  `
  CREATE TABLE chunk_claims (
    claim_id TEXT PRIMARY KEY,
    digest BLOB NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX chunk_claims_digest ON chunk_claims (digest, expires_at);
  CREATE TABLE chunk_deletions (
    digest BLOB PRIMARY KEY,
    started_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE documents (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: the CRC-32 of each chunk's bytes, recorded at write time (NULL for chunks
  // written before): what the store checks when it reads a chunk back from local disk.
  `
  ALTER TABLE chunks ADD COLUMN crc32 INTEGER;
  `,
];

/** Version of the schema this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Makes the database file and its `-wal` / `-shm` companions mode 0600 (SQLite
 * creates them with the process umask, typically 0644); missing ones are skipped.
 */
function privateFiles(path: string): void {
  if (Deno.build.os === "windows") return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if (((Deno.statSync(file).mode ?? 0) & 0o777) !== 0o600) Deno.chmodSync(file, 0o600);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/**
 * The metadata database of one data directory, with its prepared statements.
 * Every method is synchronous; a transaction never spans an `await`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MetadataDb } from "./sqlite_db.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const db = MetadataDb.open(`${dir}/metadata.db`, { durable: false });
 *   try {
 *     db.ensureJob("job-1", Date.now());
 *     assert.deepEqual(db.usage("job-1"), { objects: 0, bytes: 0 });
 *   } finally {
 *     db.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class MetadataDb {
  #db: DatabaseSync;
  #cache = new Map<string, StatementSync>();
  #depth = 0;
  #walPath: string;
  #wal?: Deno.FsFile;
  #closed = false;
  #durable: boolean;
  /** Commits made, and how many of them a finished flush covers. */
  #commits = 0;
  #durableCommits = 0;
  #syncing?: { run: Promise<void>; settled: Promise<void>; covers: number };
  #queued?: Promise<void>;
  /** fdatasyncs of the WAL this connection made. */
  #walSyncs = 0;
  /**
   * Jobs whose row this connection saw committed: their `ensureJob` needs no
   * statement, since a job's row is never deleted. `#jobsInTransaction`: those
   * ensured in the open transaction, known once it commits.
   */
  #knownJobs = new Set<string>();
  #jobsInTransaction = new Set<string>();
  readonly #path: string;
  /** Whether checkpoints may still move to a worker (not yet tried, not disabled). */
  #checkpointerWanted: boolean;
  #checkpointerStarting?: Promise<void>;
  #checkpointer?: WalCheckpointer;
  readonly #checkpointerAfterCommits: number;

  private constructor(
    db: DatabaseSync,
    path: string,
    options: { durable: boolean; backgroundCheckpoint: boolean; checkpointerAfterCommits: number },
  ) {
    this.#db = db;
    this.#path = path;
    this.#walPath = `${path}-wal`;
    this.#durable = options.durable;
    this.#checkpointerWanted = options.backgroundCheckpoint;
    this.#checkpointerAfterCommits = options.checkpointerAfterCommits;
  }

  /** Opens (creating or migrating) the database at `path`. */
  static open(path: string, options?: MetadataDbOptions): MetadataDb {
    const after = options?.checkpointerAfterCommits;
    if (after !== undefined && !(after >= 0)) {
      throw new RangeError("checkpointerAfterCommits must be a number >= 0 (Infinity: when asked)");
    }
    const db = new DatabaseSync(path);
    try {
      privateFiles(path);
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(options?.busyTimeoutMs ?? 5000)}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = OFF");
      // Migrate under the write lock: a second opener waits for the first to finish.
      db.exec("BEGIN EXCLUSIVE");
      try {
        const version = Number(
          (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
        );
        if (version > SCHEMA_VERSION) {
          throw new Error(
            `The metadata database has schema version ${version}; this code knows up to ${SCHEMA_VERSION}`,
          );
        }
        for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
        db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
      // The WAL (and shared-memory file, when SQLite makes one) exist by now.
      privateFiles(path);
    } catch (error) {
      db.close();
      if (error instanceof Error && /locked|busy/i.test(error.message)) {
        throw new Error(`The store at ${path} is in use by another process or store`, {
          cause: error,
        });
      }
      throw error;
    }
    return new MetadataDb(db, path, {
      durable: options?.durable ?? true,
      backgroundCheckpoint: options?.backgroundCheckpoint ?? true,
      checkpointerAfterCommits: options?.checkpointerAfterCommits ?? CHECKPOINTER_AFTER_COMMITS,
    });
  }

  /** Whether every commit so far is known to be on disk. */
  get isDurable(): boolean {
    return this.#durableCommits === this.#commits;
  }

  /**
   * How many times this connection fdatasynced the WAL: fewer than its durable
   * commits when commits shared a sync.
   */
  get walSyncs(): number {
    return this.#walSyncs;
  }

  /** How many transactions this connection committed (one per `COMMIT`). */
  get commitCount(): number {
    return this.#commits;
  }

  /** Whether a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#db.isTransaction;
  }

  /**
   * While a sync of the WAL is under way (or about to start): a promise that
   * settles, never rejecting, when it ends; `undefined` when there is none.
   */
  get syncInProgress(): Promise<void> | undefined {
    const current = this.#syncing?.run ?? this.#queued;
    return current?.then(() => {}, () => {});
  }

  /**
   * Resolves once every transaction committed before the call is on disk (a no-op
   * when not durable). Concurrent callers share syncs: while one fdatasync runs,
   * later callers wait for the single next one, which covers them all.
   */
  flush(): Promise<void> {
    const target = this.#commits;
    if (this.#durableCommits >= target) return Promise.resolve();
    // A sync already under way that started after our commits covers them.
    if (this.#syncing && this.#syncing.covers >= target) return this.#syncing.run;
    if (!this.#queued) {
      const previous = this.#syncing?.settled ?? Promise.resolve();
      this.#queued = previous.then(() => {
        this.#queued = undefined;
        return this.#sync();
      });
    }
    return this.#queued;
  }

  /** One fdatasync of the WAL, covering every commit made before it starts. */
  #sync(): Promise<void> {
    const covers = this.#commits;
    const run = this.#syncWal().then(() => {
      this.#durableCommits = Math.max(this.#durableCommits, covers);
    });
    const settled = run.then(() => {}, () => {}).then(() => {
      if (this.#syncing?.run === run) this.#syncing = undefined;
    });
    this.#syncing = { run, settled, covers };
    return run;
  }

  async #syncWal(): Promise<void> {
    if (!this.#durable) return;
    // Opened once: while any connection has the database open, SQLite keeps its
    // WAL file and rewrites it in place after each checkpoint.
    if (!this.#wal) {
      try {
        this.#wal = await Deno.open(this.#walPath, { read: true, write: true });
      } catch (error) {
        // No WAL file: everything committed was checkpointed (and synced) already.
        if (error instanceof Deno.errors.NotFound) return;
        throw error;
      }
      if (this.#closed) {
        this.#wal.close();
        this.#wal = undefined;
        return;
      }
    }
    this.#walSyncs++;
    await this.#wal.syncData();
  }

  /** The worker checkpointing this database's WAL, once it runs (see `wal_checkpointer.ts`). */
  get checkpointer(): WalCheckpointer | undefined {
    return this.#checkpointer;
  }

  /**
   * Hands checkpoints to the worker now rather than after
   * {@link CHECKPOINTER_AFTER_COMMITS} commits (unless this connection was opened
   * without background checkpoints, or the worker already runs or was tried). A
   * long-running server calls it once it opened its store: starting the worker
   * holds the calling thread for tens of milliseconds, better spent before the
   * first request than in the middle of a busy moment. Resolves once the worker
   * runs, or failed to start (SQLite's own checkpoints then go on).
   */
  async startCheckpointer(): Promise<void> {
    if (this.#checkpointerWanted && !this.#closed) {
      this.#checkpointerWanted = false;
      this.#checkpointerStarting = this.#startCheckpointer();
    }
    await this.#checkpointerStarting;
  }

  /** After each commit: hands checkpoints to a worker once the store proves busy. */
  #committed(): void {
    this.#commits++;
    if (this.#jobsInTransaction.size > 0) {
      if (this.#knownJobs.size >= MAX_KNOWN_JOBS) this.#knownJobs.clear();
      for (const job of this.#jobsInTransaction) this.#knownJobs.add(job);
      this.#jobsInTransaction.clear();
    }
    if (this.#checkpointer !== undefined) this.#checkpointer.noteCommit();
    else if (this.#checkpointerWanted && this.#commits >= this.#checkpointerAfterCommits) {
      this.#checkpointerWanted = false;
      this.#checkpointerStarting = this.#startCheckpointer();
    }
  }

  async #startCheckpointer(): Promise<void> {
    let checkpointer: WalCheckpointer;
    try {
      checkpointer = await WalCheckpointer.start(this.#path, {
        onFailure: () => {
          // SQLite checkpoints inside COMMIT again, at its usual threshold.
          this.#checkpointer = undefined;
          if (!this.#closed) {
            this.#db.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
          }
        },
      });
    } catch {
      return; // No worker (e.g. a runtime without them): SQLite's own checkpoints go on.
    }
    if (this.#closed) {
      await checkpointer.stop();
      return;
    }
    this.#checkpointer = checkpointer;
    this.#db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  }

  /** Stops the checkpointing worker, if any, letting a checkpoint under way finish. */
  async stopCheckpointer(): Promise<void> {
    this.#checkpointerWanted = false;
    await this.#checkpointerStarting;
    const checkpointer = this.#checkpointer;
    this.#checkpointer = undefined;
    if (checkpointer === undefined) return;
    await checkpointer.stop();
    if (!this.#closed) {
      this.#db.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    }
  }

  /** Closes the database (ending the checkpointing worker at once, if it still runs). */
  close(): void {
    this.#checkpointerWanted = false;
    this.#checkpointer?.terminate();
    this.#checkpointer = undefined;
    this.#closed = true;
    this.#wal?.close();
    this.#wal = undefined;
    this.#cache.clear();
    this.#db.close();
  }

  /** Starts a write transaction (waiting up to the busy timeout for another process's). */
  begin(): void {
    this.#control("BEGIN IMMEDIATE");
    this.#depth++;
  }

  /** Commits the transaction {@link begin} started. */
  commit(): void {
    try {
      this.#control("COMMIT");
      this.#committed();
    } finally {
      this.#depth--;
    }
  }

  /** Rolls back the transaction {@link begin} started. */
  rollback(): void {
    this.#jobsInTransaction.clear();
    try {
      if (this.#db.isTransaction) this.#control("ROLLBACK");
    } finally {
      this.#depth--;
    }
  }

  /** Marks a point of the open transaction that {@link rollbackToSavepoint} returns to. */
  savepoint(): void {
    this.#control("SAVEPOINT member");
  }

  /** Keeps what was done since the last {@link savepoint} (as part of the transaction). */
  releaseSavepoint(): void {
    this.#control("RELEASE member");
  }

  /** Undoes what was done since the last {@link savepoint}, and forgets it. */
  rollbackToSavepoint(): void {
    // Whatever the member ensured may be undone: nothing of this transaction is known.
    this.#jobsInTransaction.clear();
    this.#control("ROLLBACK TO member");
    this.#control("RELEASE member");
  }

  /** Runs `fn` in one immediate transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    this.#control("BEGIN IMMEDIATE");
    this.#depth++;
    try {
      const result = fn();
      this.#control("COMMIT");
      this.#committed();
      return result;
    } catch (error) {
      this.#jobsInTransaction.clear();
      this.#control("ROLLBACK");
      throw error;
    } finally {
      this.#depth--;
    }
  }

  /**
   * Runs a transaction's control statement (`BEGIN`, `COMMIT`, a savepoint's…)
   * prepared once: `exec` would compile it at every call.
   */
  #control(sql: string): void {
    this.#stmt(sql).run();
  }

  /** The prepared statement of `sql`, cached; with `arrays`, its rows come as arrays. */
  #stmt(sql: string, options?: { arrays: boolean }): StatementSync {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      if (options?.arrays) {
        // In node:sqlite (and Deno's) since Node 24; not yet in every type definition.
        (stmt as StatementSync & { setReturnArrays(enabled: boolean): void }).setReturnArrays(true);
      }
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  #get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.#stmt(sql).get(...params) as T | undefined;
  }

  #all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.#stmt(sql).all(...params) as T[];
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#stmt(sql).run(...params).changes);
  }

  // ------------------------------------------------------------------ jobs

  /**
   * Creates a job's row if it has none. A row is never deleted, so once this
   * connection has committed a transaction that ensured it, it is not asked again.
   */
  ensureJob(job: string, now: number): void {
    if (this.#knownJobs.has(job)) return;
    this.#run("INSERT OR IGNORE INTO jobs (job, created_at) VALUES (?, ?)", job, now);
    this.#jobsInTransaction.add(job);
  }

  /** Adds to a job's counters of current objects and bytes. */
  addUsage(job: string, objects: number, bytes: number): void {
    this.#run(
      "UPDATE jobs SET objects = objects + ?, bytes = bytes + ? WHERE job = ?",
      objects,
      bytes,
      job,
    );
  }

  /** Object count and bytes of a job's current versions (zeros for an unknown job). */
  usage(job: string): { objects: number; bytes: number } {
    const row = this.#get<{ objects: number; bytes: number }>(
      "SELECT objects, bytes FROM jobs WHERE job = ?",
      job,
    );
    return { objects: row?.objects ?? 0, bytes: row?.bytes ?? 0 };
  }

  // -------------------------------------------------------------- versions

  /** Inserts a version and returns its id. */
  insertVersion(row: Omit<VersionRow, "id">): number {
    const result = this.#stmt(
      `INSERT INTO versions (job, name, state, chunks_count, size, object_checksum,
         metadata_string, meta_digest, meta_length, completed_at, retired_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...versionColumns(row));
    return Number(result.lastInsertRowid);
  }

  /** Turns a pending version into the current one, with its completion facts; rows changed. */
  completeVersion(
    id: number,
    facts: CompletionFacts,
  ): number {
    return this.#run(
      `UPDATE versions SET state = 1, chunks_count = ?, size = ?, object_checksum = ?,
         metadata_string = ?, meta_digest = ?, meta_length = ?, completed_at = ?
       WHERE id = ? AND state = 0`,
      facts.chunks_count,
      facts.size,
      facts.object_checksum,
      facts.metadata_string,
      facts.meta_digest,
      facts.meta_length,
      facts.completed_at,
      id,
    );
  }

  /** A version by id, or `undefined`. */
  version(id: number): VersionRow | undefined {
    return this.#get<VersionRow>("SELECT * FROM versions WHERE id = ?", id);
  }

  /** The id and size of a name's current version, if any. */
  currentVersionFacts(
    job: string,
    name: Uint8Array,
  ): Pick<VersionRow, "id" | "size"> | undefined {
    return this.#get<Pick<VersionRow, "id" | "size">>(
      "SELECT id, size FROM versions WHERE job = ? AND name = ? AND state = 1",
      job,
      name,
    );
  }

  /** The current version of a name, or `undefined`. */
  currentVersion(job: string, name: Uint8Array): VersionRow | undefined {
    return this.#get<VersionRow>(
      "SELECT * FROM versions WHERE job = ? AND name = ? AND state = 1",
      job,
      name,
    );
  }

  /** Retires a current version (superseded or deleted) at `now`; rows changed. */
  retireVersion(id: number, now: number): number {
    return this.#run(
      "UPDATE versions SET state = 2, retired_at = ? WHERE id = ? AND state = 1",
      now,
      id,
    );
  }

  /**
   * Current versions of a job with `lower <(=) name < upper`, in byte order.
   * `inclusive` chooses `>=` or `>` for the lower bound.
   */
  listCurrent(
    job: string,
    range: NameRange,
    limit: number,
  ): ListedVersion[] {
    // Only the columns a listing shows: node:sqlite builds every column of every row.
    const sql = range.inclusive
      ? `SELECT ${LISTED_COLUMNS} FROM versions
         WHERE job = ? AND state = 1 AND name >= ? AND name < ? ORDER BY name LIMIT ${BOUND_LIMIT}`
      : `SELECT ${LISTED_COLUMNS} FROM versions
         WHERE job = ? AND state = 1 AND name > ? AND name < ? ORDER BY name LIMIT ${BOUND_LIMIT}`;
    return this.#all<ListedVersion>(sql, job, range.lower, range.upper, limit);
  }

  /**
   * {@link listCurrent} with names as text: SQLite reads the bytes as UTF-8 and
   * rows come as arrays, which saves node:sqlite a byte array and an object per
   * row (about half the cost of a listing of 2,000 names). SQLite does not check
   * the bytes, and its text ends at a NUL byte: a name with a NUL byte, or whose
   * text holds U+FFFD (a replacement, or that character itself), is read again as
   * bytes and decoded strictly (a name that is not UTF-8 throws `TypeError`, as
   * decoding the bytes would).
   */
  listCurrentText(job: string, range: NameRange, limit: number): TextListedVersion[] {
    const sql = range.inclusive
      ? `SELECT ${TEXT_LISTED_COLUMNS} FROM versions
         WHERE job = ? AND state = 1 AND name >= ? AND name < ? ORDER BY name LIMIT ${BOUND_LIMIT}`
      : `SELECT ${TEXT_LISTED_COLUMNS} FROM versions
         WHERE job = ? AND state = 1 AND name > ? AND name < ? ORDER BY name LIMIT ${BOUND_LIMIT}`;
    const stmt = this.#stmt(sql, { arrays: true });
    const rows = stmt.all(job, range.lower, range.upper, limit) as unknown as TextRow[];
    const listed: TextListedVersion[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [id, text, chunks, checksum, metadata, completed] = rows[i];
      const name = text === null || text.includes("\uFFFD") ? this.#strictName(id) : text;
      listed[i] = {
        id,
        name,
        chunks_count: chunks,
        object_checksum: checksum,
        metadata_string: metadata,
        completed_at: completed,
      };
    }
    return listed;
  }

  /** A version's name decoded from its bytes, strictly. */
  #strictName(id: number): string {
    const row = this.#get<{ name: Uint8Array }>("SELECT name FROM versions WHERE id = ?", id);
    return strictUtf8.decode(row!.name);
  }

  /** Retired versions whose retirement is at or before `before`, oldest first. */
  retiredBefore(before: number, limit: number): VersionRow[] {
    return this.#all<VersionRow>(
      `SELECT * FROM versions WHERE state = 2 AND retired_at <= ?
       ORDER BY retired_at LIMIT ${BOUND_LIMIT}`,
      before,
      limit,
    );
  }

  /**
   * Deletes a version and its chunk records, making every digest it referenced
   * a garbage candidate.
   */
  dropVersion(id: number): void {
    this.#run(
      "INSERT OR IGNORE INTO gc_candidates (digest) SELECT digest FROM chunks WHERE version_id = ?",
      id,
    );
    this.#run(
      `INSERT OR IGNORE INTO gc_candidates (digest)
       SELECT meta_digest FROM versions WHERE id = ? AND meta_digest IS NOT NULL`,
      id,
    );
    this.#run("DELETE FROM chunks WHERE version_id = ?", id);
    this.#run("DELETE FROM versions WHERE id = ?", id);
  }

  // ---------------------------------------------------------------- chunks

  /** Records chunk `idx` of a version known to have none at that index yet. */
  insertChunk(
    versionId: number,
    idx: number,
    digest: Uint8Array,
    length: number,
    crc32: number | null = null,
  ): void {
    this.#insertChunk("", versionId, idx, digest, length, crc32);
  }

  /** Records chunk `idx` of a version, replacing any earlier one (which becomes a candidate). */
  putChunk(
    versionId: number,
    idx: number,
    digest: Uint8Array,
    length: number,
    crc32: number | null = null,
  ): void {
    // Usually a new index (a new version's chunk): one statement, no look first.
    const onTaken = " ON CONFLICT (version_id, idx) DO NOTHING";
    if (this.#insertChunk(onTaken, versionId, idx, digest, length, crc32) === 1) return;
    const old = this.#get<{ digest: Uint8Array }>(
      "SELECT digest FROM chunks WHERE version_id = ? AND idx = ?",
      versionId,
      idx,
    )!;
    this.#run(
      "UPDATE chunks SET digest = ?, length = ?, crc32 = ? WHERE version_id = ? AND idx = ?",
      digest,
      length,
      crc32,
      versionId,
      idx,
    );
    this.addCandidate(old.digest);
  }

  /** Inserts a chunk record; `conflict` is appended (an `ON CONFLICT` clause or nothing). */
  #insertChunk(
    conflict: string,
    versionId: number,
    idx: number,
    digest: Uint8Array,
    length: number,
    crc32: number | null,
  ): number {
    return this.#run(
      `INSERT INTO chunks (version_id, idx, digest, length, crc32) VALUES (?, ?, ?, ?, ?)${conflict}`,
      versionId,
      idx,
      digest,
      length,
      crc32,
    );
  }

  /** A chunk record, or `undefined`. */
  chunk(versionId: number, idx: number): ChunkRow | undefined {
    return this.#get<ChunkRow>(
      "SELECT idx, digest, length, crc32 FROM chunks WHERE version_id = ? AND idx = ?",
      versionId,
      idx,
    );
  }

  /** A page of a version's chunks from index `from`, in index order. */
  listChunks(versionId: number, from: number, limit: number): ChunkRow[] {
    return this.#all<ChunkRow>(
      `SELECT idx, digest, length, crc32 FROM chunks WHERE version_id = ? AND idx >= ?
       ORDER BY idx LIMIT ${BOUND_LIMIT}`,
      versionId,
      from,
      limit,
    );
  }

  /** Iterates over all of a version's chunks in index order. */
  iterateChunks(versionId: number): Iterable<ChunkRow> {
    return this.#stmt(
      "SELECT idx, digest, length, crc32 FROM chunks WHERE version_id = ? ORDER BY idx",
    ).iterate(versionId) as Iterable<ChunkRow>;
  }

  // --------------------------------------------------------------- uploads

  /** Records a new upload of a pending version. */
  insertUpload(row: Omit<UploadRow, "completed" | "object_checksum">): void {
    this.#run(
      `INSERT INTO uploads (upload_id, job, version_id, throw_on_duplicate, expires_at)
       VALUES (?, ?, ?, ?, ?)`,
      row.upload_id,
      row.job,
      row.version_id,
      row.throw_on_duplicate,
      row.expires_at,
    );
  }

  /** An upload by id, or `undefined`. */
  upload(uploadId: string): UploadRow | undefined {
    return this.#get<UploadRow>("SELECT * FROM uploads WHERE upload_id = ?", uploadId);
  }

  /** Marks an upload completed with its object checksum. */
  markUploadCompleted(uploadId: string, objectChecksum: string): void {
    this.#run(
      "UPDATE uploads SET completed = 1, object_checksum = ? WHERE upload_id = ?",
      objectChecksum,
      uploadId,
    );
  }

  /** Uploads whose TTL ended at or before `now`. */
  expiredUploads(now: number, limit: number): UploadRow[] {
    return this.#all<UploadRow>(
      `SELECT * FROM uploads WHERE expires_at <= ? ORDER BY expires_at LIMIT ${BOUND_LIMIT}`,
      now,
      limit,
    );
  }

  /** Forgets an upload (not its version). */
  deleteUpload(uploadId: string): void {
    this.#run("DELETE FROM uploads WHERE upload_id = ?", uploadId);
  }

  // ---------------------------------------------------------- inline chunks

  /** Keeps the bytes of a small chunk under their digest (no-op when already kept). */
  putInlineChunk(digest: Uint8Array, data: Uint8Array): void {
    this.#run("INSERT OR IGNORE INTO inline_chunks (digest, data) VALUES (?, ?)", digest, data);
  }

  /** The bytes kept under a digest, or `undefined`. */
  inlineChunk(digest: Uint8Array): Uint8Array | undefined {
    return this.#get<{ data: Uint8Array }>(
      "SELECT data FROM inline_chunks WHERE digest = ?",
      digest,
    )?.data;
  }

  /** How many small chunks are kept, and their bytes. */
  inlineChunkStats(): { inline: number; inlineBytes: number } {
    const row = this.#get<{ n: number; bytes: number | null }>(
      "SELECT count(*) AS n, sum(length(data)) AS bytes FROM inline_chunks",
    )!;
    return { inline: Number(row.n), inlineBytes: Number(row.bytes ?? 0) };
  }

  /** Forgets the bytes kept under a digest; returns how many bytes that freed (-1 if none). */
  deleteInlineChunk(digest: Uint8Array): number {
    const row = this.#get<{ length: number }>(
      "SELECT length(data) AS length FROM inline_chunks WHERE digest = ?",
      digest,
    );
    if (!row) return -1;
    this.#run("DELETE FROM inline_chunks WHERE digest = ?", digest);
    return row.length;
  }

  // ---------------------------------------------------------- garbage

  /** Whether any chunk record or version's metadata blob references a digest. */
  isReferenced(digest: Uint8Array): boolean {
    return this.#get("SELECT 1 FROM chunks WHERE digest = ? LIMIT 1", digest) !== undefined ||
      this.#get(
          "SELECT 1 FROM versions WHERE meta_digest = ? AND meta_digest IS NOT NULL LIMIT 1",
          digest,
        ) !== undefined;
  }

  /** Marks a digest as possibly unreferenced. */
  addCandidate(digest: Uint8Array): void {
    this.#run("INSERT OR IGNORE INTO gc_candidates (digest) VALUES (?)", digest);
  }

  /** Garbage candidates after `after` (exclusive), in digest order. */
  candidates(after: Uint8Array, limit: number): Uint8Array[] {
    return this.#all<{ digest: Uint8Array }>(
      `SELECT digest FROM gc_candidates WHERE digest > ? ORDER BY digest LIMIT ${BOUND_LIMIT}`,
      after,
      limit,
    ).map((row) => row.digest);
  }

  /** Removes a garbage candidate. */
  deleteCandidate(digest: Uint8Array): void {
    this.#run("DELETE FROM gc_candidates WHERE digest = ?", digest);
  }

  // ---------------------------------------------------------- coordination

  /** Records a writer's claim on a digest, live until `expiresAt`. */
  addClaim(claimId: string, digest: Uint8Array, expiresAt: number): void {
    this.#run(
      "INSERT INTO chunk_claims (claim_id, digest, expires_at) VALUES (?, ?, ?)",
      claimId,
      digest,
      expiresAt,
    );
  }

  /** Removes a claim; whether it was there. */
  dropClaim(claimId: string): boolean {
    return this.#run("DELETE FROM chunk_claims WHERE claim_id = ?", claimId) > 0;
  }

  /** Whether a claim on a digest is live at `now`. */
  isClaimed(digest: Uint8Array, now: number): boolean {
    return this.#get(
      "SELECT 1 FROM chunk_claims WHERE digest = ? AND expires_at > ? LIMIT 1",
      digest,
      now,
    ) !== undefined;
  }

  /** Forgets claims that expired at or before `now` (their writers died). */
  dropExpiredClaims(now: number): number {
    return this.#run("DELETE FROM chunk_claims WHERE expires_at <= ?", now);
  }

  /** The deletion of a digest's bytes in progress, if any. */
  deletion(digest: Uint8Array): DeletionRow | undefined {
    return this.#get<DeletionRow>(
      "SELECT started_at FROM chunk_deletions WHERE digest = ?",
      digest,
    );
  }

  /** Records that a digest's bytes are being deleted. */
  addDeletion(digest: Uint8Array, now: number): void {
    this.#run(
      "INSERT OR REPLACE INTO chunk_deletions (digest, started_at) VALUES (?, ?)",
      digest,
      now,
    );
  }

  /** Forgets a deletion. */
  dropDeletion(digest: Uint8Array): void {
    this.#run("DELETE FROM chunk_deletions WHERE digest = ?", digest);
  }

  /** Takes or renews a named lease; whether `holder` has it now. */
  takeLease(name: string, holder: string, now: number, ttlMs: number): boolean {
    return this.#run(
      `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
      name,
      holder,
      now + ttlMs,
      now,
    ) > 0;
  }

  /** Gives up a lease `holder` has. */
  dropLease(name: string, holder: string): void {
    this.#run("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder);
  }

  /** A named secret. */
  secret(name: string): Uint8Array | undefined {
    return this.#get<{ value: Uint8Array }>("SELECT value FROM secrets WHERE name = ?", name)
      ?.value;
  }

  /** Stores a named secret unless one is there; returns the one stored. */
  putSecret(name: string, value: Uint8Array): Uint8Array {
    this.#run("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)", name, value);
    return this.secret(name)!;
  }

  /** The version of a named document, 0 when there is none. */
  documentVersion(name: string): number {
    return this.#get<{ version: number }>("SELECT version FROM documents WHERE name = ?", name)
      ?.version ?? 0;
  }

  /** A named document and its version. */
  document(name: string): StoredDocument | undefined {
    return this.#get<StoredDocument>("SELECT version, body FROM documents WHERE name = ?", name);
  }

  /** Writes a document if its version is still `expectedVersion`; whether it did. */
  putDocument(name: string, body: string, expectedVersion: number): boolean {
    if (expectedVersion === 0) {
      return this.#run(
        "INSERT OR IGNORE INTO documents (name, version, body) VALUES (?, 1, ?)",
        name,
        body,
      ) > 0;
    }
    return this.#run(
      "UPDATE documents SET version = version + 1, body = ? WHERE name = ? AND version = ?",
      body,
      name,
      expectedVersion,
    ) > 0;
  }

  /** The query plan of a statement (for tests that an access path uses an index). */
  explain(sql: string, ...params: SQLInputValue[]): string[] {
    return (this.#db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
      .map((row) => row.detail);
  }
}
