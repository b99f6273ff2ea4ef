/**
 * Garbage collection of the embedded store: expires abandoned uploads, drops
 * versions whose grace period is over, then deletes chunk files nothing
 * references.
 *
 * Race freedom: an ingest pins a digest before it decides whether to write the
 * file and keeps the pin until the record referencing it has committed. A file
 * is deleted only in one synchronous section that checks it is not pinned, that
 * no record references it, and unlinks it; nothing else runs in between. And a
 * reference is always dropped in a committed transaction before its file is
 * considered, so a crash never leaves a record naming a deleted file.
 *
 * @module
 */

import { type ChunkFiles, fromHex, toHex } from "./chunk_files.ts";
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
  /** Bytes of the files deleted. */
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
}

const EMPTY = new Uint8Array();

/**
 * Runs garbage collection passes over one store's database and files. Each pass
 * also sweeps one of the 256 fan-out directories for files no record references
 * (left by a crash between installing a file and committing its record), so the
 * whole tree is swept every 256 passes at a cost of 1/256 of it per pass.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkFiles } from "./chunk_files.ts";
 * import { GarbageCollector } from "./garbage_collector.ts";
 * import { MetadataDb } from "./metadata_db.ts";
 * const dir = await Deno.makeTempDir();
 * const files = await ChunkFiles.open(dir, { durable: false });
 * const db = MetadataDb.open(`${dir}/metadata.db`, { durable: false });
 * try {
 *   const gc = new GarbageCollector(db, files, { gracePeriodMs: 1000, now: Date.now });
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
  #files: ChunkFiles;
  #options: GarbageCollectorOptions;
  #batch: number;
  #sweepCursor = 0;

  constructor(db: MetadataDb, files: ChunkFiles, options: GarbageCollectorOptions) {
    this.#db = db;
    this.#files = files;
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
      // One synchronous section per batch: check pins and references, unlink.
      db.transaction(() => {
        for (const digest of digests) {
          const hex = toHex(digest);
          if (this.#files.isPinned(hex)) continue; // an ingest is using it; next pass
          if (!db.isReferenced(digest)) {
            // Kept in the database, in a file, or (after a change of the inline limit) both.
            for (const freed of [db.deleteInlineChunk(digest), this.#files.removeSync(hex)]) {
              if (freed >= 0) {
                report.chunksDeleted++;
                report.bytesFreed += freed;
              }
            }
          }
          db.deleteCandidate(digest);
        }
      });
      if (digests.length < this.#batch) break;
      await yieldTurn();
    }

    // 4. Sweep one fan-out directory for orphans a crash left behind.
    if (open()) {
      const names = await this.#files.listFanout(this.#sweepCursor);
      this.#sweepCursor = (this.#sweepCursor + 1) % 256;
      for (let i = 0; i < names.length && open(); i += this.#batch) {
        if (!(await settleDurable(db))) break;
        for (const hex of names.slice(i, i + this.#batch)) {
          if (this.#files.isPinned(hex) || db.isReferenced(fromHex(hex))) continue;
          const freed = this.#files.removeSync(hex);
          if (freed >= 0) {
            report.chunksDeleted++;
            report.bytesFreed += freed;
          }
        }
        await yieldTurn();
      }
    }
    return report;
  }

  /**
   * Sweeps all 256 fan-out directories now (the next 256 passes' share of step
   * 4); `isOpen` (default: always open) stops it early.
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
      const names = await this.#files.listFanout(index);
      if (!(await settleDurable(this.#db))) break;
      for (const hex of names) {
        if (this.#files.isPinned(hex) || this.#db.isReferenced(fromHex(hex))) continue;
        const freed = this.#files.removeSync(hex);
        if (freed >= 0) {
          report.chunksDeleted++;
          report.bytesFreed += freed;
        }
      }
    }
    return report;
  }
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
