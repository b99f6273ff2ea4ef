/**
 * {@link SqliteMetadataStore}: the default metadata engine, one SQLite file in
 * the data directory, shared by any number of processes on one machine.
 *
 * @module
 */

import { ServiceUnavailableException } from "../../errors.ts";
import type {
  ChunkRow,
  CompletionFacts,
  DeletionRow,
  ListedVersion,
  MetadataStore,
  MetadataTransaction,
  NameRange,
  StoredDocument,
  TextListedVersion,
  TransactionOptions,
  UploadRow,
  VersionRow,
} from "./metadata_store.ts";
import { TransactionConflict } from "./metadata_store.ts";
import { MetadataDb, type MetadataDbOptions } from "./sqlite_db.ts";
import { CommitGroups } from "./_commit_group.ts";
import { sharedWriteTurn } from "./shared_write_turn.ts";

/** Options of {@link SqliteMetadataStore.open}. */
export type SqliteMetadataStoreOptions = MetadataDbOptions;

/** Most times a transaction is run again after a conflict. */
const MAX_ATTEMPTS = 8;

/**
 * The reads and writes of SQLite, each answered synchronously under the hood.
 * The same object serves transactions and reads outside them.
 */
class SqliteOperations implements MetadataTransaction {
  protected db: MetadataDb;

  constructor(db: MetadataDb) {
    this.db = db;
  }

  usage(job: string): Promise<{ objects: number; bytes: number }> {
    return this.read(() => this.db.usage(job));
  }
  version(id: number): Promise<VersionRow | undefined> {
    return this.read(() => this.db.version(id));
  }
  currentVersion(job: string, name: Uint8Array): Promise<VersionRow | undefined> {
    return this.read(() => this.db.currentVersion(job, name));
  }
  listCurrent(job: string, range: NameRange, limit: number): Promise<ListedVersion[]> {
    return this.read(() => this.db.listCurrent(job, range, limit));
  }
  listCurrentText(job: string, range: NameRange, limit: number): Promise<TextListedVersion[]> {
    return this.read(() => this.db.listCurrentText(job, range, limit));
  }
  listChunks(versionId: number, from: number, limit: number): Promise<ChunkRow[]> {
    return this.read(() => this.db.listChunks(versionId, from, limit));
  }
  chunk(versionId: number, idx: number): Promise<ChunkRow | undefined> {
    return this.read(() => this.db.chunk(versionId, idx));
  }
  upload(uploadId: string): Promise<UploadRow | undefined> {
    return this.read(() => this.db.upload(uploadId));
  }
  inlineChunk(digest: Uint8Array): Promise<Uint8Array | undefined> {
    return this.read(() => this.db.inlineChunk(digest));
  }
  inlineChunkStats(): Promise<{ inline: number; inlineBytes: number }> {
    return this.read(() => this.db.inlineChunkStats());
  }
  isReferenced(digest: Uint8Array): Promise<boolean> {
    return this.read(() => this.db.isReferenced(digest));
  }
  expiredUploads(now: number, limit: number): Promise<UploadRow[]> {
    return this.read(() => this.db.expiredUploads(now, limit));
  }
  retiredBefore(before: number, limit: number): Promise<VersionRow[]> {
    return this.read(() => this.db.retiredBefore(before, limit));
  }
  candidates(after: Uint8Array, limit: number): Promise<Uint8Array[]> {
    return this.read(() => this.db.candidates(after, limit));
  }
  documentVersion(name: string): Promise<number> {
    return this.read(() => this.db.documentVersion(name));
  }
  document(name: string): Promise<StoredDocument | undefined> {
    return this.read(() => this.db.document(name));
  }

  ensureJob(job: string, now: number): Promise<void> {
    return this.write(() => this.db.ensureJob(job, now));
  }
  addUsage(job: string, objects: number, bytes: number): Promise<void> {
    return this.write(() => this.db.addUsage(job, objects, bytes));
  }
  insertVersion(row: Omit<VersionRow, "id">): Promise<number> {
    return this.write(() => this.db.insertVersion(row));
  }
  completeVersion(id: number, facts: CompletionFacts): Promise<void> {
    return this.write(() => {
      if (this.db.completeVersion(id, facts) === 0) {
        throw new TransactionConflict(`version ${id} is no longer pending`);
      }
    });
  }
  retireVersion(id: number, now: number): Promise<void> {
    return this.write(() => {
      if (this.db.retireVersion(id, now) === 0) {
        throw new TransactionConflict(`version ${id} is no longer current`);
      }
    });
  }
  dropVersion(id: number): Promise<void> {
    return this.write(() => this.db.dropVersion(id));
  }
  putChunk(
    versionId: number,
    idx: number,
    digest: Uint8Array,
    length: number,
    crc32?: number | null,
  ): Promise<void> {
    return this.write(() => this.db.putChunk(versionId, idx, digest, length, crc32 ?? null));
  }
  insertUpload(row: Omit<UploadRow, "completed" | "object_checksum">): Promise<void> {
    return this.write(() => this.db.insertUpload(row));
  }
  lockUpload(uploadId: string): Promise<UploadRow | undefined> {
    // Write transactions are serialized: reading is locking.
    return this.write(() => this.db.upload(uploadId));
  }
  markUploadCompleted(uploadId: string, objectChecksum: string): Promise<void> {
    return this.write(() => this.db.markUploadCompleted(uploadId, objectChecksum));
  }
  deleteUpload(uploadId: string): Promise<void> {
    return this.write(() => this.db.deleteUpload(uploadId));
  }
  putInlineChunk(digest: Uint8Array, data: Uint8Array): Promise<void> {
    return this.write(() => this.db.putInlineChunk(digest, data));
  }
  deleteInlineChunk(digest: Uint8Array): Promise<number> {
    return this.write(() => this.db.deleteInlineChunk(digest));
  }
  addCandidate(digest: Uint8Array): Promise<void> {
    return this.write(() => this.db.addCandidate(digest));
  }
  deleteCandidate(digest: Uint8Array): Promise<void> {
    return this.write(() => this.db.deleteCandidate(digest));
  }
  lockDigest(_digest: Uint8Array): Promise<void> {
    // Write transactions are serialized: every digest is locked already.
    return this.write(() => {});
  }
  addClaim(claimId: string, digest: Uint8Array, expiresAt: number): Promise<void> {
    return this.write(() => this.db.addClaim(claimId, digest, expiresAt));
  }
  dropClaim(claimId: string): Promise<boolean> {
    return this.write(() => this.db.dropClaim(claimId));
  }
  isClaimed(digest: Uint8Array, now: number): Promise<boolean> {
    return this.write(() => this.db.isClaimed(digest, now));
  }
  deletion(digest: Uint8Array): Promise<DeletionRow | undefined> {
    return this.write(() => this.db.deletion(digest));
  }
  addDeletion(digest: Uint8Array, now: number): Promise<void> {
    return this.write(() => this.db.addDeletion(digest, now));
  }
  dropDeletion(digest: Uint8Array): Promise<void> {
    return this.write(() => this.db.dropDeletion(digest));
  }
  takeLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    return this.write(() => this.db.takeLease(name, holder, now, ttlMs));
  }
  dropLease(name: string, holder: string): Promise<void> {
    return this.write(() => this.db.dropLease(name, holder));
  }
  secret(name: string): Promise<Uint8Array | undefined> {
    return this.write(() => this.db.secret(name));
  }
  putSecret(name: string, value: Uint8Array): Promise<Uint8Array> {
    return this.write(() => this.db.putSecret(name, value));
  }
  putDocument(name: string, body: string, expectedVersion: number): Promise<boolean> {
    return this.write(() => this.db.putDocument(name, body, expectedVersion));
  }
  dropExpiredClaims(now: number): Promise<number> {
    return this.write(() => this.db.dropExpiredClaims(now));
  }

  /** A read; the store's own waits for a transaction of this process to end. */
  protected read<T>(fn: () => T): Promise<T> {
    return settle(fn);
  }

  /** A write; only a transaction allows them. */
  protected write<T>(fn: () => T): Promise<T> {
    return settle(fn);
  }
}

/** The result of `fn` as a promise, its exception as a rejection. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The transaction open in this process, over any connection: two connections of
 * one process to one file must take turns too, or a `BEGIN IMMEDIATE` of one
 * would block the thread that has to commit the other's (for the busy timeout).
 */
const openInProcess: { tx?: Promise<void> } = {};

/**
 * Metadata in a SQLite file. Transactions of this process run one at a time (a
 * transaction's function awaits only SQLite calls, answered at once, so each
 * holds the database's write lock for microseconds); transactions of other
 * processes over the same file wait for SQLite's write lock. A read outside a
 * transaction waits while one of this process is open, so it never sees
 * uncommitted rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteMetadataStore } from "./sqlite_metadata_store.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const a = SqliteMetadataStore.open(`${dir}/metadata.db`, { durable: false });
 *   // A second process (here a second connection) opens the same file.
 *   const b = SqliteMetadataStore.open(`${dir}/metadata.db`, { durable: false });
 *   try {
 *     const secret = new Uint8Array(32).fill(7);
 *     await a.transaction((tx) => tx.putSecret("token", secret));
 *     // The first secret stored wins, for every process.
 *     const other = await b.transaction((tx) => tx.putSecret("token", new Uint8Array(32)));
 *     assert.deepEqual(other, secret);
 *   } finally {
 *     await a.close();
 *     await b.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class SqliteMetadataStore extends SqliteOperations implements MetadataStore {
  /** The database file. */
  readonly description: string;
  #closed = false;
  #tx: SqliteOperations;
  #groups: CommitGroups;

  private constructor(db: MetadataDb, path: string) {
    super(db);
    this.description = `SQLite ${path}`;
    this.#tx = new SqliteOperations(db);
    this.#groups = new CommitGroups({
      db,
      tx: this.#tx,
      turn: () => this.#turn(),
      alone: (fn) => this.#alone(fn, undefined, false),
      mapError: busyAsUnavailable,
    });
  }

  /** Opens (creating or migrating) the database at `path`. */
  static open(path: string, options?: SqliteMetadataStoreOptions): SqliteMetadataStore {
    return new SqliteMetadataStore(MetadataDb.open(path, options), path);
  }

  /** The SQLite engine underneath (for maintenance and tests). */
  get database(): MetadataDb {
    return this.db;
  }

  /**
   * Runs `fn` in a transaction. A durable one that arrives while a sync of the
   * WAL is under way joins the group committed once that sync ends (see
   * `_commit_group.ts`); any other runs at once, on its own.
   */
  transaction<T>(
    fn: (tx: MetadataTransaction) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    if ((options?.durable ?? true) && !this.#closed) {
      const sync = this.db.syncInProgress;
      if (sync) return this.#groups.join(fn, sync);
    }
    return this.#alone(fn, options);
  }

  /** This process's turn to write: resolves to its release; rejects once closed. */
  async #turn(): Promise<() => void> {
    while (openInProcess.tx) await openInProcess.tx;
    if (this.#closed) throw new ServiceUnavailableException("The metadata store is closed");
    const done = Promise.withResolvers<void>();
    openInProcess.tx = done.promise;
    // Then the sibling workers' turn, if shared: waiting for it does not block this
    // thread as a BEGIN IMMEDIATE against their open transaction would.
    const shared = sharedWriteTurn();
    const releaseShared = shared ? await shared.acquire() : undefined;
    return () => {
      releaseShared?.();
      openInProcess.tx = undefined;
      done.resolve();
    };
  }

  /**
   * A transaction on its own: `BEGIN IMMEDIATE` … `COMMIT`, run again after a
   * conflict. With `mayJoin`, a durable one that finds a sync under way once its
   * turn came joins the next group instead.
   */
  async #alone<T>(
    fn: (tx: MetadataTransaction) => Promise<T>,
    options?: TransactionOptions,
    mayJoin = true,
  ): Promise<T> {
    const durable = options?.durable ?? true;
    for (let attempt = 1;; attempt++) {
      const release = await this.#turn();
      const sync = durable && mayJoin && attempt === 1 ? this.db.syncInProgress : undefined;
      if (sync) {
        // A sync started while it waited for its turn (the one of the group that
        // just committed): it would wait for the next anyway, so it joins the next group.
        release();
        return await this.#groups.join(fn, sync);
      }
      let result: T;
      try {
        this.db.begin();
        try {
          result = await fn(this.#tx);
          this.db.commit();
        } catch (error) {
          this.db.rollback();
          throw error;
        }
      } catch (error) {
        if (error instanceof TransactionConflict && attempt < MAX_ATTEMPTS) continue;
        if (error instanceof TransactionConflict) {
          throw new ServiceUnavailableException(
            "The metadata changed under this request too many times; retry it",
          );
        }
        throw busyAsUnavailable(error);
      } finally {
        release();
      }
      if (durable) await this.db.flush();
      return result;
    }
  }

  /** Waits for any transaction of this process, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A group gathered before: it runs (and fails as closed) before the database closes.
    await this.#groups.idle;
    while (openInProcess.tx) await openInProcess.tx;
    await this.db.stopCheckpointer();
    this.db.close();
  }

  protected override read<T>(fn: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new ServiceUnavailableException("The metadata store is closed"));
    }
    if (!openInProcess.tx) return super.read(fn);
    return (async () => {
      while (openInProcess.tx) await openInProcess.tx;
      return fn();
    })();
  }

  protected override write<T>(_fn: () => T): Promise<T> {
    return Promise.reject(new TypeError("A write needs a transaction"));
  }
}

/** SQLite's "database is locked" after the busy timeout: another process held it too long. */
function busyAsUnavailable(error: unknown): unknown {
  if (error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message)) {
    return new ServiceUnavailableException(
      "The metadata database stayed locked by another process; retry",
    );
  }
  return error;
}
