/**
 * Garbage collection of the embedded store: expires abandoned uploads, drops
 * versions whose grace period is over, then deletes chunk files nothing
 * references.
 *
 * Race freedom: an ingest pins a digest before it decides whether to store its
 * bytes and keeps the pin until the record referencing it has committed. Chunk
 * bytes are deleted only from one synchronous section that checks the digest is
 * not pinned and that no record references it, and starts the delete, which it
 * registers with the pins: an ingest pinning the digest later waits for that
 * delete to settle before storing the bytes again (see `ChunkPins`). And a
 * reference is always dropped in a committed transaction before its bytes are
 * considered, so a crash never leaves a record naming deleted bytes.
 *
 * @module
 */

import { toHex } from "./chunk_files.ts";
import { ChunkPins } from "./chunks/chunk_pins.ts";
import type { ChunkStore } from "./chunks/chunk_store.ts";
import { type MetadataDb, VersionState } from "./metadata_db.ts";

/**
 * What one garbage collection pass did.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { GarbageReport } from "./garbage_collector.ts";
 * function describe(report: GarbageReport): string {
 *   return `${report.chunksDeleted} chunk files (${report.bytesFreed} bytes) freed`;
 * }
 * const report = { expiredUploads: 0, expiredVersions: 1, chunksDeleted: 2, bytesFreed: 8 };
 * assert.equal(describe(report), "2 chunk files (8 bytes) freed");
 * ```
 */
export interface GarbageReport {
  /** Abandoned (never completed) uploads whose TTL ended and that were dropped. */
  expiredUploads: number;
  /** Superseded or deleted versions whose grace period ended and that were dropped. */
  expiredVersions: number;
  /** Chunks deleted, kept in files or in the database (including metadata blobs and files a crash orphaned). */
  chunksDeleted: number;
  /** Bytes of the chunks deleted. */
  bytesFreed: number;
}

/** Options of {@link GarbageCollector}. */
export interface GarbageCollectorOptions {
  /** How long a retired version stays readable, in ms. */
  gracePeriodMs: number;
  /** The clock (ms since the epoch). */
  now: () => number;
  /** Rows handled per transaction (default 256). */
  batchSize?: number;
  /** The pins the store's ingests hold (default: pins of its own, for a collector without a store). */
  pins?: ChunkPins;
}

const EMPTY = new Uint8Array();

/**
 * Runs garbage collection passes over one store's database and chunk store.
 * Each pass also sweeps one of the chunk store's 256 shards for chunks no record
 * references (left by a crash between storing the bytes and committing their
 * record), so the whole store is swept every 256 passes at a cost of 1/256 of it
 * per pass.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalChunkStore } from "./chunks/local_chunk_store.ts";
 * import { GarbageCollector } from "./garbage_collector.ts";
 * import { MetadataDb } from "./metadata_db.ts";
 * const dir = await Deno.makeTempDir();
 * const chunks = await LocalChunkStore.open(dir, { durable: false });
 * const db = MetadataDb.open(`${dir}/metadata.db`, { durable: false });
 * try {
 *   const gc = new GarbageCollector(db, chunks, { gracePeriodMs: 1000, now: Date.now });
 *   // An empty store has nothing to collect.
 *   assert.deepEqual(await gc.run(), {
 *     expiredUploads: 0,
 *     expiredVersions: 0,
 *     chunksDeleted: 0,
 *     bytesFreed: 0,
 *   });
 * } finally {
 *   db.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class GarbageCollector {
  #db: MetadataDb;
  #chunks: ChunkStore;
  #pins: ChunkPins;
  #options: GarbageCollectorOptions;
  #batch: number;
  #sweepCursor = 0;

  /** A collector of `db`'s garbage, deleting unreferenced chunk bytes from `chunks`. */
  constructor(db: MetadataDb, chunks: ChunkStore, options: GarbageCollectorOptions) {
    this.#db = db;
    this.#chunks = chunks;
    this.#pins = options.pins ?? new ChunkPins();
    this.#options = options;
    this.#batch = options.batchSize ?? 256;
  }

  /**
   * One pass. `isOpen` (default: always open) is checked between batches so a
   * closing store stops early.
   */
  async run(isOpen?: () => boolean): Promise<GarbageReport> {
    const open = isOpen ?? (() => true);
    const report: GarbageReport = {
      expiredUploads: 0,
      expiredVersions: 0,
      chunksDeleted: 0,
      bytesFreed: 0,
    };
    const db = this.#db;
    const now = this.#options.now();

    // 1. Uploads past their TTL: abandoned ones lose their pending version and chunks;
    //    completed ones are merely forgotten (their version lives on).
    while (open()) {
      const uploads = db.expiredUploads(now, this.#batch);
      if (uploads.length === 0) break;
      db.transaction(() => {
        for (const upload of uploads) {
          if (!upload.completed) {
            const version = db.version(upload.version_id);
            if (version?.state === VersionState.Pending) db.dropVersion(version.id);
            report.expiredUploads++;
          }
          db.deleteUpload(upload.upload_id);
        }
      });
      if (uploads.length < this.#batch) break;
      await yieldTurn();
    }

    // 2. Retired versions past the grace period.
    while (open()) {
      const versions = db.retiredBefore(now - this.#options.gracePeriodMs, this.#batch);
      if (versions.length === 0) break;
      db.transaction(() => {
        for (const version of versions) db.dropVersion(version.id);
      });
      report.expiredVersions += versions.length;
      if (versions.length < this.#batch) break;
      await yieldTurn();
    }

    // 3. Candidates: digests that lost a reference.
    let after: Uint8Array = EMPTY;
    while (open()) {
      const digests = db.candidates(after, this.#batch);
      if (digests.length === 0) break;
      after = digests[digests.length - 1];
      // A file goes only once the drop of its last reference is on disk.
      if (!(await settleDurable(db))) break;
      // One synchronous section per batch: check pins and references, start the deletes.
      const deletes: Deletion[] = [];
      db.transaction(() => {
        for (const digest of digests) {
          if (this.#pins.isPinned(toHex(digest))) continue; // an ingest is using it; next pass
          if (!db.isReferenced(digest)) {
            // Kept in the database, in the chunk store, or (after a change of the inline limit) both.
            count(report, db.deleteInlineChunk(digest));
            deletes.push(this.#deleteChunk(digest));
          }
          db.deleteCandidate(digest);
        }
      });
      // A delete that failed leaves its digest a candidate, for the next pass.
      await settleDeletes(deletes, report, (digest) => db.addCandidate(digest));
      if (digests.length < this.#batch) break;
      await yieldTurn();
    }

    // 4. Sweep one shard of the chunk store for orphans a crash left behind.
    if (open()) {
      const stored = await this.#chunks.list(this.#sweepCursor);
      this.#sweepCursor = (this.#sweepCursor + 1) % 256;
      for (let i = 0; i < stored.length && open(); i += this.#batch) {
        if (!(await settleDurable(db))) break;
        await settleDeletes(this.#deleteOrphans(stored.slice(i, i + this.#batch)), report);
        await yieldTurn();
      }
    }
    return report;
  }

  /**
   * Sweeps all 256 shards of the chunk store now (the next 256 passes' share of
   * step 4); `isOpen` (default: always open) stops it early.
   */
  async sweepAll(isOpen?: () => boolean): Promise<GarbageReport> {
    const open = isOpen ?? (() => true);
    const report: GarbageReport = {
      expiredUploads: 0,
      expiredVersions: 0,
      chunksDeleted: 0,
      bytesFreed: 0,
    };
    for (let index = 0; index < 256 && open(); index++) {
      const stored = await this.#chunks.list(index);
      if (!(await settleDurable(this.#db))) break;
      await settleDeletes(this.#deleteOrphans(stored), report);
    }
    return report;
  }

  /**
   * In one synchronous section: starts deleting each stored digest that is
   * neither pinned nor referenced.
   */
  #deleteOrphans(stored: Uint8Array[]): Deletion[] {
    const deletes: Deletion[] = [];
    for (const digest of stored) {
      if (this.#pins.isPinned(toHex(digest)) || this.#db.isReferenced(digest)) continue;
      deletes.push(this.#deleteChunk(digest));
    }
    return deletes;
  }

  /** Starts deleting a digest's bytes, registered with the pins so an ingest of it waits. */
  #deleteChunk(digest: Uint8Array): Deletion {
    const freed = this.#chunks.delete(digest);
    this.#pins.trackDeletion(toHex(digest), freed);
    return { digest, freed };
  }
}

/** A delete of chunk bytes in progress. */
interface Deletion {
  digest: Uint8Array;
  /** The bytes it frees, -1 when there were none. */
  freed: Promise<number>;
}

/** Counts one deleted chunk of `freed` bytes (-1: nothing was there). */
function count(report: GarbageReport, freed: number): void {
  if (freed >= 0) {
    report.chunksDeleted++;
    report.bytesFreed += freed;
  }
}

/**
 * Waits for deletes and counts them; a failed one is handed to `onFailure`, then
 * the first failure is thrown once all have settled.
 */
async function settleDeletes(
  deletes: Deletion[],
  report: GarbageReport,
  onFailure?: (digest: Uint8Array) => void,
): Promise<void> {
  const outcomes = await Promise.allSettled(deletes.map((d) => d.freed));
  let failure: PromiseRejectedResult | undefined;
  outcomes.forEach((outcome, i) => {
    if (outcome.status === "fulfilled") count(report, outcome.value);
    else {
      failure ??= outcome;
      onFailure?.(deletes[i].digest);
    }
  });
  if (failure) throw failure.reason;
}

/**
 * Flushes the database until every commit is on disk (a few tries: writers may
 * keep committing). Returns whether it is, checked synchronously at the end so
 * the caller's next synchronous section runs on durable state.
 */
async function settleDurable(db: MetadataDb): Promise<boolean> {
  for (let i = 0; i < 4 && !db.isDurable; i++) await db.flush();
  return db.isDurable;
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
