/**
 * The metadata seam of the embedded store: what it needs from a database that
 * keeps objects, versions, uploads, chunk references, small chunks' bytes, the
 * tokens' key, and the coordination rows (claims, deletions in progress, leases)
 * that let any number of processes share one store. SQLite
 * (`SqliteMetadataStore`, the default, in the data directory) and PostgreSQL
 * (`PostgresMetadataStore`) implement it.
 *
 * The seam is a transaction: {@link MetadataStore.transaction} runs a function
 * with a {@link MetadataTransaction} whose reads and writes commit together or
 * not at all. The store's semantics (what a completion checks, which version is
 * current) live in `EmbeddedStore`, written once over these primitives; an
 * engine supplies atomicity, isolation and durability.
 *
 * **Isolation.** Inside a transaction an engine guarantees, for the rows a
 * transaction locks ({@link MetadataTransaction.lockUpload},
 * {@link MetadataTransaction.lockDigest}) and for the unique current version of
 * a name, that no other transaction interleaves: SQLite serializes every write
 * transaction; PostgreSQL takes row and advisory locks, and a unique index
 * refuses a second current version. A conflict the engine detects (a unique
 * violation, a serialization failure, a deadlock, {@link TransactionConflict})
 * rolls the transaction back and runs the function again, so the function must
 * have no effect outside the transaction and must await nothing but the
 * transaction's methods.
 *
 * **Durability.** A transaction resolves once its commit is durable (unless
 * `durable: false` is asked for a commit whose loss is harmless), so the store
 * acknowledges a write only after it is on disk.
 *
 * **Fast paths.** An engine whose round trips cost more than its work may offer
 * one operation as a whole, in one call, instead of the transaction the store
 * would run: {@link MetadataStore.putObjectVersion}, a small `PutObject`'s write.
 * It has exactly the semantics of the transaction it stands for (described on
 * the method), is atomic, and resolves once durable; the store uses it when it
 * is there and runs the transaction itself otherwise.
 *
 * **Chunk coordination across processes.** Chunk bytes are shared by content, so
 * a collector in one process must never delete bytes that a writer in another is
 * about to reference. The protocol, over rows of this database:
 * - a writer takes a *claim* on a digest (refused while a *deletion* of it is in
 *   progress) before it relies on the bytes being in the chunk store, and swaps
 *   the claim for a reference in the transaction that records it;
 * - the collector deletes bytes only for a digest with no reference and no live
 *   claim, after recording the deletion in progress; it removes that record once
 *   the bytes are gone;
 * - both take {@link MetadataTransaction.lockDigest} first, so the checks and the
 *   writes of one digest never interleave.
 *
 * @module
 */

/**
 * State of a version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VersionState } from "./metadata_store.ts";
 * assert.equal(VersionState.Current, 1);
 * ```
 */
export const VersionState = {
  /** An upload in progress; invisible to readers. */
  Pending: 0,
  /** The object's current version; listed. */
  Current: 1,
  /** Superseded or deleted; readable by token until the grace period ends. */
  Retired: 2,
} as const;

/** A version: one immutable state of an object. */
export interface VersionRow {
  /** Unique id, never reused. */
  id: number;
  /** The job (`BackupJobId`). */
  job: string;
  /** The object name as UTF-8 bytes (ordered bytewise). */
  name: Uint8Array;
  /** One of {@link VersionState}. */
  state: number;
  /** Chunks of a completed version. */
  chunks_count: number | null;
  /** Sum of the chunks' lengths. */
  size: number | null;
  /** The SUMMARY checksum. */
  object_checksum: string | null;
  /** `MetadataString`. */
  metadata_string: string | null;
  /** SHA-256 of the metadata blob, if any. */
  meta_digest: Uint8Array | null;
  /** Length of the metadata blob. */
  meta_length: number | null;
  /** When it was completed, in ms since the epoch. */
  completed_at: number | null;
  /** When it was superseded or deleted. */
  retired_at: number | null;
}

/**
 * The row of a new pending (invisible) version of a name: an upload's, before
 * its completion fills in the facts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pendingVersion, VersionState } from "./metadata_store.ts";
 * const row = pendingVersion("job-1", new TextEncoder().encode("a.txt"));
 * assert.equal(row.state, VersionState.Pending);
 * assert.equal(row.completed_at, null);
 * ```
 */
export function pendingVersion(job: string, name: Uint8Array): Omit<VersionRow, "id"> {
  return {
    job,
    name,
    state: VersionState.Pending,
    chunks_count: null,
    size: null,
    object_checksum: null,
    metadata_string: null,
    meta_digest: null,
    meta_length: null,
    completed_at: null,
    retired_at: null,
  };
}

/**
 * The columns of a new version in the order both engines' `INSERT INTO versions`
 * names them: job, name, state, chunks_count, size, object_checksum,
 * metadata_string, meta_digest, meta_length, completed_at, retired_at.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { versionColumns, VersionState } from "./metadata_store.ts";
 * const values = versionColumns({
 *   job: "j",
 *   name: new Uint8Array([97]),
 *   state: VersionState.Pending,
 *   chunks_count: null,
 *   size: null,
 *   object_checksum: null,
 *   metadata_string: null,
 *   meta_digest: null,
 *   meta_length: null,
 *   completed_at: null,
 *   retired_at: null,
 * });
 * assert.equal(values.length, 11);
 * assert.equal(values[0], "j");
 * ```
 */
export function versionColumns(
  row: Omit<VersionRow, "id">,
): [
  string,
  Uint8Array,
  number,
  number | null,
  number | null,
  string | null,
  string | null,
  Uint8Array | null,
  number | null,
  number | null,
  number | null,
] {
  return [
    row.job,
    row.name,
    row.state,
    row.chunks_count,
    row.size,
    row.object_checksum,
    row.metadata_string,
    row.meta_digest,
    row.meta_length,
    row.completed_at,
    row.retired_at,
  ];
}

/** An upload (`StartObject`), remembered until its TTL so a repeated completion is answered again. */
export interface UploadRow {
  /** The `UploadId`. */
  upload_id: string;
  /** The job. */
  job: string;
  /** Its pending version. */
  version_id: number;
  /** 1 when `ThrowOnDuplicate` was asked. */
  throw_on_duplicate: number;
  /** 1 once completed. */
  completed: number;
  /** The completion's SUMMARY checksum. */
  object_checksum: string | null;
  /** End of its TTL, in ms since the epoch. */
  expires_at: number;
}

/** One chunk of a version. */
export interface ChunkRow {
  /** Chunk index. */
  idx: number;
  /** SHA-256 of its bytes. */
  digest: Uint8Array;
  /** Its length in bytes. */
  length: number;
  /**
   * CRC-32 (`node:zlib` `crc32`, unsigned) of its bytes, computed at write time from
   * the very bytes whose SHA-256 was checked; `null` for chunks written before it
   * was recorded. Lets the store check bytes it reads back from its own local disk
   * cheaply; SHA-256 stays the content address and what crosses the network.
   */
  crc32: number | null;
}

/** The columns of a version that a listing shows. */
export type ListedVersion = Pick<
  VersionRow,
  "id" | "name" | "chunks_count" | "object_checksum" | "metadata_string" | "completed_at"
>;

/**
 * A listed version with its name as text: what a listing of paths needs, without
 * a byte array per name (see {@link MetadataReader.listCurrentText}).
 */
export type TextListedVersion = Omit<ListedVersion, "name"> & {
  /** The object name, decoded as UTF-8. */
  name: string;
};

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Rows of `listCurrent` with their names decoded (strict UTF-8: a name that is
 * not valid UTF-8 throws `TypeError`): `listCurrentText` of an engine that cannot
 * decode on its side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withTextNames } from "./metadata_store.ts";
 * const row = { id: 1, chunks_count: 1, object_checksum: "x", metadata_string: null, completed_at: 2 };
 * const bytes = new TextEncoder().encode("dir/é.txt");
 * assert.deepEqual(withTextNames([{ ...row, name: bytes }]), [{ ...row, name: "dir/é.txt" }]);
 * assert.throws(() => withTextNames([{ ...row, name: new Uint8Array([0xff]) }]), TypeError);
 * ```
 */
export function withTextNames(rows: ListedVersion[]): TextListedVersion[] {
  return rows.map((row) => ({ ...row, name: strictUtf8.decode(row.name) }));
}

/** The facts a completion writes on a pending version. */
export type CompletionFacts = Pick<
  VersionRow,
  | "chunks_count"
  | "size"
  | "object_checksum"
  | "metadata_string"
  | "meta_digest"
  | "meta_length"
  | "completed_at"
>;

/** A range of names: `lower <(=) name < upper`, bytewise. */
export interface NameRange {
  /** The lower bound. */
  lower: Uint8Array;
  /** Whether the lower bound itself is in the range. */
  inclusive: boolean;
  /** The upper bound (exclusive). */
  upper: Uint8Array;
}

/** A chunk-bytes deletion in progress. */
export interface DeletionRow {
  /** When the collector recorded it, in ms since the epoch. */
  started_at: number;
}

/** Reads, inside a transaction or outside one. */
export interface MetadataReader {
  /** Object count and bytes of a job's current versions (zeros for an unknown job). */
  usage(job: string): Promise<{ objects: number; bytes: number }>;
  /** A version by id. */
  version(id: number): Promise<VersionRow | undefined>;
  /** The current version of a name. */
  currentVersion(job: string, name: Uint8Array): Promise<VersionRow | undefined>;
  /** Current versions of a job in a name range, in byte order. */
  listCurrent(job: string, range: NameRange, limit: number): Promise<ListedVersion[]>;
  /**
   * {@link listCurrent} with each name as text (strict UTF-8: a name that is not
   * rejects with `TypeError`), which an engine may decode more cheaply than a
   * caller could from bytes (a listing of thousands of paths).
   */
  listCurrentText(job: string, range: NameRange, limit: number): Promise<TextListedVersion[]>;
  /** A page of a version's chunks from index `from`, in index order. */
  listChunks(versionId: number, from: number, limit: number): Promise<ChunkRow[]>;
  /** One chunk of a version. */
  chunk(versionId: number, idx: number): Promise<ChunkRow | undefined>;
  /** An upload by id. */
  upload(uploadId: string): Promise<UploadRow | undefined>;
  /** The bytes of a small chunk kept in the database. */
  inlineChunk(digest: Uint8Array): Promise<Uint8Array | undefined>;
  /** How many small chunks are kept in the database, and their bytes. */
  inlineChunkStats(): Promise<{ inline: number; inlineBytes: number }>;
  /** Whether a chunk record or a version's metadata blob references a digest. */
  isReferenced(digest: Uint8Array): Promise<boolean>;
  /** Uploads whose TTL ended at or before `now`. */
  expiredUploads(now: number, limit: number): Promise<UploadRow[]>;
  /** Retired versions retired at or before `before`, oldest first. */
  retiredBefore(before: number, limit: number): Promise<VersionRow[]>;
  /** Garbage candidates after `after` (exclusive), in digest order. */
  candidates(after: Uint8Array, limit: number): Promise<Uint8Array[]>;
  /** The version of a named document (0 when there is none): cheap, to see whether it changed. */
  documentVersion(name: string): Promise<number>;
  /** A named document (e.g. a job's WebDAV locks) and its version. */
  document(name: string): Promise<StoredDocument | undefined>;
}

/** A named document kept in the metadata store. */
export interface StoredDocument {
  /** Starts at 1 and grows by one with every write. */
  version: number;
  /** The document's text. */
  body: string;
}

/** Reads and writes of one transaction. */
export interface MetadataTransaction extends MetadataReader {
  /** Creates a job's row if it has none. */
  ensureJob(job: string, now: number): Promise<void>;
  /** Adds to a job's counts of current objects and bytes. */
  addUsage(job: string, objects: number, bytes: number): Promise<void>;
  /** Inserts a version; returns its id. */
  insertVersion(row: Omit<VersionRow, "id">): Promise<number>;
  /** Turns a pending version into the current one (a conflict if it is not pending). */
  completeVersion(id: number, facts: CompletionFacts): Promise<void>;
  /** Retires a current version at `now` (a conflict if it is not current). */
  retireVersion(id: number, now: number): Promise<void>;
  /** Deletes a version and its chunk records; every digest they named becomes a candidate. */
  dropVersion(id: number): Promise<void>;
  /**
   * Records chunk `idx` of a version, replacing an earlier one (which becomes a
   * candidate), with the CRC-32 of its bytes when known (see `ChunkRow.crc32`).
   */
  putChunk(
    versionId: number,
    idx: number,
    digest: Uint8Array,
    length: number,
    crc32?: number | null,
  ): Promise<void>;
  /** Records a new upload. */
  insertUpload(row: Omit<UploadRow, "completed" | "object_checksum">): Promise<void>;
  /** An upload, locked until the transaction ends (completion and chunks of it serialize). */
  lockUpload(uploadId: string): Promise<UploadRow | undefined>;
  /** Marks an upload completed with its checksum. */
  markUploadCompleted(uploadId: string, objectChecksum: string): Promise<void>;
  /** Forgets an upload (not its version). */
  deleteUpload(uploadId: string): Promise<void>;
  /** Keeps a small chunk's bytes under their digest (no-op when kept already). */
  putInlineChunk(digest: Uint8Array, data: Uint8Array): Promise<void>;
  /** Forgets a small chunk's bytes; the bytes freed, -1 when none were kept. */
  deleteInlineChunk(digest: Uint8Array): Promise<number>;
  /** Marks a digest as possibly unreferenced. */
  addCandidate(digest: Uint8Array): Promise<void>;
  /** Removes a garbage candidate. */
  deleteCandidate(digest: Uint8Array): Promise<void>;
  /** Serializes this transaction with every other that locks the same digest. */
  lockDigest(digest: Uint8Array): Promise<void>;
  /** Records a writer's claim on a digest, live until `expiresAt`. */
  addClaim(claimId: string, digest: Uint8Array, expiresAt: number): Promise<void>;
  /** Removes a claim; whether it was there. */
  dropClaim(claimId: string): Promise<boolean>;
  /** Whether a claim on a digest is live at `now`. */
  isClaimed(digest: Uint8Array, now: number): Promise<boolean>;
  /** The deletion of a digest's bytes in progress, if any. */
  deletion(digest: Uint8Array): Promise<DeletionRow | undefined>;
  /** Records that a digest's bytes are being deleted. */
  addDeletion(digest: Uint8Array, now: number): Promise<void>;
  /** Forgets a deletion (done, or abandoned by a collector that died). */
  dropDeletion(digest: Uint8Array): Promise<void>;
  /**
   * Takes or renews a named lease for `holder` until `now + ttlMs`: true when it
   * is free, expired, or already `holder`'s.
   */
  takeLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Gives up a lease `holder` has. */
  dropLease(name: string, holder: string): Promise<void>;
  /** A named secret of the store. */
  secret(name: string): Promise<Uint8Array | undefined>;
  /** Stores a named secret unless one is there; returns the one stored. */
  putSecret(name: string, value: Uint8Array): Promise<Uint8Array>;
  /**
   * Writes a named document if its version is still `expectedVersion` (0: it
   * does not exist yet); whether it did. The new version is `expectedVersion + 1`.
   */
  putDocument(name: string, body: string, expectedVersion: number): Promise<boolean>;
  /** Forgets claims that expired at or before `now` (their writers died); how many. */
  dropExpiredClaims(now: number): Promise<number>;
}

/** The one chunk of a small object written by {@link MetadataStore.putObjectVersion}. */
export interface PutObjectChunk {
  /** SHA-256 of its bytes. */
  digest: Uint8Array;
  /** Its length in bytes (> 0): the version's size. */
  length: number;
  /** Its bytes, for a small chunk kept in the database. */
  inline?: Uint8Array;
  /** CRC-32 of its bytes (see `ChunkRow.crc32`), when known. */
  crc32?: number;
  /** The writer's claim on the digest, for bytes put in the chunk store; swapped for the reference. */
  claimId?: string;
}

/**
 * A small object's new current version: what {@link MetadataStore.putObjectVersion} writes.
 *
 * @example A 5-byte object kept in the database
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import type { PutObjectVersionInput } from "./metadata_store.ts";
 * const bytes = new TextEncoder().encode("hello");
 * const input: PutObjectVersionInput = {
 *   job: "job-1",
 *   name: new TextEncoder().encode("notes/a.txt"),
 *   now: Date.now(),
 *   objectChecksum: "…", // the SUMMARY of the chunk's checksum
 *   metadataString: null,
 *   throwOnDuplicate: false,
 *   chunk: {
 *     digest: new Uint8Array(createHash("sha256").update(bytes).digest()),
 *     length: bytes.byteLength,
 *     inline: bytes,
 *   },
 * };
 * assert.equal(input.chunk?.digest.byteLength, 32);
 * ```
 */
export interface PutObjectVersionInput {
  /** The job (created if it has no row). */
  job: string;
  /** The object name as UTF-8 bytes. */
  name: Uint8Array;
  /** When: the job's creation, the new version's `completed_at`, the replaced one's `retired_at`. */
  now: number;
  /** The SUMMARY checksum. */
  objectChecksum: string;
  /** `MetadataString`, if any. */
  metadataString: string | null;
  /** Whether a current version of the name refuses the write rather than being replaced. */
  throwOnDuplicate: boolean;
  /** Its chunk (chunk 0); none for an empty object. */
  chunk?: PutObjectChunk;
}

/**
 * What {@link MetadataStore.putObjectVersion} did.
 *
 * @example The store's answer to each outcome
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PutObjectVersionOutcome } from "./metadata_store.ts";
 * const answer = (outcome: PutObjectVersionOutcome) =>
 *   outcome.status === "stored"
 *     ? 200
 *     : outcome.status === "duplicate"
 *     ? 409 // DataAlreadyExistsException, with outcome.checksum
 *     : 503; // ServiceUnavailableException: retry
 * assert.equal(answer({ status: "stored", versionId: 7, replacedId: null }), 200);
 * assert.equal(answer({ status: "duplicate", checksum: "…" }), 409);
 * assert.equal(answer({ status: "claim-lost" }), 503);
 * ```
 */
export type PutObjectVersionOutcome =
  | {
    /** The version is current (committed, durable unless asked otherwise). */
    status: "stored";
    /** Its id. */
    versionId: number;
    /** The version it replaced, now retired (null: the name had none). */
    replacedId: number | null;
  }
  | {
    /** `throwOnDuplicate` and the name has a current version: nothing was written. */
    status: "duplicate";
    /** The current version's SUMMARY checksum. */
    checksum: string | null;
  }
  | {
    /**
     * The chunk's claim was gone (it expired, and the collector may have deleted
     * the bytes): nothing was written; the request is to be retried.
     */
    status: "claim-lost";
  };

/** Options of {@link MetadataStore.transaction}. */
export interface TransactionOptions {
  /**
   * Whether the transaction resolves only once its commit is durable (default
   * true). `false` suits a commit whose loss in a crash is harmless.
   */
  durable?: boolean;
}

/**
 * A metadata database: the seam between the embedded store and SQLite or
 * PostgreSQL. See the module documentation for the contract.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MetadataStore } from "./metadata_store.ts";
 * import { SqliteMetadataStore } from "./sqlite_metadata_store.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const metadata: MetadataStore = SqliteMetadataStore.open(`${dir}/metadata.db`, {
 *     durable: false,
 *   });
 *   try {
 *     await metadata.transaction(async (tx) => {
 *       await tx.ensureJob("job-1", Date.now());
 *       await tx.addUsage("job-1", 1, 10);
 *     });
 *     assert.deepEqual(await metadata.usage("job-1"), { objects: 1, bytes: 10 });
 *   } finally {
 *     await metadata.close();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface MetadataStore extends MetadataReader {
  /** What it is, for logs: an engine and a place, never a password. */
  readonly description: string;
  /**
   * Runs `fn` in one transaction and resolves with its result once committed
   * (durable unless asked otherwise). A conflict runs `fn` again (a bounded
   * number of times); an error of `fn` rolls back and is thrown. An unreachable
   * engine is thrown as `ServiceUnavailableException`.
   */
  transaction<T>(
    fn: (tx: MetadataTransaction) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T>;
  /**
   * Optional, for an engine where it saves round trips (PostgreSQL): writes a
   * small object's new current version in one atomic call, with the semantics of
   * this transaction, which the store runs itself when the method is missing
   * (`EmbeddedStore.putObject`):
   *
   * 1. `ensureJob(job, now)`; read the name's current version;
   * 2. if there is one: with `throwOnDuplicate`, stop with `duplicate` and its
   *    checksum, writing nothing; else `retireVersion(current, now)`;
   * 3. `insertVersion` in state Current (`chunks_count` 1 with a chunk, else 0;
   *    `size` the chunk's length or 0; the checksum, the metadata string,
   *    `completed_at = now`; no metadata blob);
   * 4. with a chunk: `lockDigest(digest)`, then `putInlineChunk` for inline
   *    bytes, then `dropClaim(claimId)` for a claim: a claim that is gone stops
   *    it with `claim-lost`, writing nothing; then `putChunk(version, 0, digest,
   *    length, crc32)`;
   * 5. `addUsage(job, current ? 0 : 1, size - (current?.size ?? 0))`.
   *
   * Conflicts (a second current version refused by the engine, a replaced
   * version retired by another writer meanwhile, a deadlock) run it again, as a
   * transaction's would; it resolves once committed and durable (unless
   * `durable: false`). An unreachable engine is a `ServiceUnavailableException`.
   *
   * @example
   * ```ts ignore
   * import assert from "node:assert/strict";
   * import type { MetadataStore } from "./metadata_store.ts";
   * declare const metadata: MetadataStore; // a PostgresMetadataStore
   * const outcome = await metadata.putObjectVersion!({
   *   job: "job-1",
   *   name: new TextEncoder().encode("a"),
   *   now: Date.now(),
   *   objectChecksum: "…",
   *   metadataString: null,
   *   throwOnDuplicate: false,
   * });
   * assert.equal(outcome.status, "stored");
   * ```
   *
   * (Not run by `--doc`, it needs PostgreSQL:
   * tests/storage/store/metadata/put_object_version_test.ts runs it.)
   */
  putObjectVersion?(
    input: PutObjectVersionInput,
    options?: TransactionOptions,
  ): Promise<PutObjectVersionOutcome>;
  /** Closes the connection(s). */
  close(): Promise<void>;
}

/**
 * Thrown inside a transaction when a row changed under it (another process won a
 * race): the transaction is rolled back and run again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransactionConflict } from "./metadata_store.ts";
 * const conflict = new TransactionConflict("version 7 is no longer current");
 * assert.ok(conflict instanceof Error);
 * assert.equal(conflict.name, "TransactionConflict");
 * ```
 */
export class TransactionConflict extends Error {
  /** A conflict described by `message`. */
  constructor(message: string) {
    super(message);
    this.name = "TransactionConflict";
  }
}
