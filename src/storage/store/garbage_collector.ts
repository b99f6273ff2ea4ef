/**
 * Garbage collection of the embedded store: expires abandoned uploads, drops
 * versions whose grace period is over, then deletes chunk bytes nothing
 * references.
 *
 * Race freedom, across processes (see `metadata/metadata_store.ts`): one
 * collector runs at a time, holding a lease in the metadata store that expires
 * when its holder dies. It deletes a digest's bytes only after a transaction
 * that, under the digest's lock, found no reference and no live writer's claim
 * on it and recorded the deletion in progress; writers wait for that record to
 * go before they claim the digest again. That transaction is durable before any
 * byte is deleted, and a reference is always dropped in a committed transaction
 * before its bytes are considered, so a crash never leaves a record naming
 * deleted bytes.
 *
 * @module
 */

import { countMetric } from "../../metrics/metric_values.ts";
import { SLOT } from "../../metrics/metric_layout.ts";
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import type { ChunkStore } from "./chunks/chunk_store.ts";
import { type MetadataStore, VersionState } from "./metadata/metadata_store.ts";

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
  /** How long the collector's lease lasts without renewal, in ms (default 60 000). */
  leaseTtlMs?: number;
}

const EMPTY = new Uint8Array();
/** Name of the collector's lease in the metadata store. */
const LEASE = "garbage-collector";

/**
 * Runs garbage collection passes over one store's metadata and chunk store,
 * one collector at a time across every process sharing them. Each pass also
 * sweeps one of the chunk store's 256 shards for chunks no record references
 * (left by a crash between storing the bytes and committing their record), so
 * the whole store is swept every 256 passes at a cost of 1/256 of it per pass.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalChunkStore } from "./chunks/local_chunk_store.ts";
 * import { GarbageCollector } from "./garbage_collector.ts";
 * import { SqliteMetadataStore } from "./metadata/sqlite_metadata_store.ts";
 * const dir = await Deno.makeTempDir();
 * const chunks = await LocalChunkStore.open(dir, { durable: false });
 * const metadata = SqliteMetadataStore.open(`${dir}/metadata.db`, { durable: false });
 * try {
 *   const gc = new GarbageCollector(metadata, chunks, { gracePeriodMs: 1000, now: Date.now });
 *   // An empty store has nothing to collect.
 *   assert.deepEqual(await gc.run(), {
 *     expiredUploads: 0,
 *     expiredVersions: 0,
 *     chunksDeleted: 0,
 *     bytesFreed: 0,
 *   });
 *   await gc.release();
 * } finally {
 *   await metadata.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class GarbageCollector {
  #metadata: MetadataStore;
  #chunks: ChunkStore;
  #options: GarbageCollectorOptions;
  #batch: number;
  #leaseTtl: number;
  #holder = Buffer.from(randomBytes(12)).toString("base64url");
  #sweepCursor = Math.floor(Math.random() * 256);

  /** A collector of `metadata`'s garbage, deleting unreferenced chunk bytes from `chunks`. */
  constructor(metadata: MetadataStore, chunks: ChunkStore, options: GarbageCollectorOptions) {
    this.#metadata = metadata;
    this.#chunks = chunks;
    this.#options = options;
    this.#batch = options.batchSize ?? 256;
    this.#leaseTtl = options.leaseTtlMs ?? 60_000;
  }

  /**
   * One pass, if this collector holds (or can take) the lease; another
   * process's collector holding it makes the pass a no-op. `isOpen` (default:
   * always open) is checked between batches so a closing store stops early.
   */
  async run(isOpen?: () => boolean): Promise<GarbageReport> {
    const report = emptyReport();
    const open = () => (isOpen?.() ?? true);
    if (!(await this.#renewLease())) return report;
    countMetric(SLOT.gcRuns); // a pass of the collector holding the lease
    const metadata = this.#metadata;
    const now = this.#options.now();

    // 1. Uploads past their TTL: abandoned ones lose their pending version and chunks;
    //    completed ones are merely forgotten (their version lives on).
    while (open() && (await this.#renewLease())) {
      const uploads = await metadata.expiredUploads(now, this.#batch);
      if (uploads.length === 0) break;
      report.expiredUploads += await metadata.transaction(async (tx) => {
        let expired = 0;
        for (const listed of uploads) {
          // Read again under its lock: it may have completed since it was listed.
          const upload = await tx.lockUpload(listed.upload_id);
          if (!upload) continue;
          if (!upload.completed) {
            const version = await tx.version(upload.version_id);
            if (version?.state === VersionState.Pending) await tx.dropVersion(version.id);
            expired++;
          }
          await tx.deleteUpload(upload.upload_id);
        }
        return expired;
      });
      if (uploads.length < this.#batch) break;
      await yieldTurn();
    }

    // 2. Retired versions past the grace period.
    while (open() && (await this.#renewLease())) {
      const versions = await metadata.retiredBefore(
        now - this.#options.gracePeriodMs,
        this.#batch,
      );
      if (versions.length === 0) break;
      await metadata.transaction(async (tx) => {
        for (const version of versions) await tx.dropVersion(version.id);
      });
      report.expiredVersions += versions.length;
      if (versions.length < this.#batch) break;
      await yieldTurn();
    }

    // 3. Candidates: digests that lost a reference. Claims of writers that died
    //    first: their bytes, if stored, are orphans the sweep (4) finds.
    await metadata.transaction((tx) => tx.dropExpiredClaims(now), { durable: false });
    let after: Uint8Array = EMPTY;
    while (open() && (await this.#renewLease())) {
      const digests = await metadata.candidates(after, this.#batch);
      if (digests.length === 0) break;
      after = digests[digests.length - 1];
      await this.#delete(digests, report, { candidates: true });
      if (digests.length < this.#batch) break;
      await yieldTurn();
    }

    // 4. Sweep one shard of the chunk store for orphans a crash left behind.
    if (open() && (await this.#renewLease())) {
      const stored = await this.#chunks.list(this.#sweepCursor);
      this.#sweepCursor = (this.#sweepCursor + 1) % 256;
      for (let i = 0; i < stored.length && open(); i += this.#batch) {
        if (!(await this.#renewLease())) break;
        await this.#delete(stored.slice(i, i + this.#batch), report, { candidates: false });
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
    const open = () => (isOpen?.() ?? true);
    const report = emptyReport();
    if (!(await this.#renewLease())) return report;
    // Listed 16 shards at a time: over a bucket, each listing is a round trip.
    for (let first = 0; first < 256 && open(); first += SHARDS_AT_ONCE) {
      if (!(await this.#renewLease())) break;
      const listed = await listShards(this.#chunks, { from: first, count: SHARDS_AT_ONCE });
      for (const stored of listed) {
        for (let i = 0; i < stored.length && open(); i += this.#batch) {
          await this.#delete(stored.slice(i, i + this.#batch), report, { candidates: false });
        }
      }
    }
    return report;
  }

  /** Gives up the lease, so another process's collector need not wait for it to expire. */
  async release(): Promise<void> {
    await this.#metadata.transaction((tx) => tx.dropLease(LEASE, this.#holder), {
      durable: false,
    });
  }

  /** Takes or renews the lease; whether this collector holds it. */
  #renewLease(): Promise<boolean> {
    const now = this.#options.now();
    return this.#metadata.transaction(
      (tx) => tx.takeLease(LEASE, this.#holder, now, this.#leaseTtl),
      { durable: false },
    );
  }

  /**
   * Deletes the bytes of those digests (sorted) that nothing references or claims:
   * candidates (whose rows go, unless claimed) or digests found in the chunk
   * store by a sweep (for which a deletion in progress means another collector's).
   */
  async #delete(
    digests: Uint8Array[],
    report: GarbageReport,
    options: { candidates: boolean },
  ): Promise<void> {
    const now = this.#options.now();
    const sorted = [...digests].sort(Buffer.compare);
    // Durable before any byte goes: the deletions recorded, and every drop of a
    // reference committed before them.
    const doomed = await this.#metadata.transaction(async (tx) => {
      const chosen: Uint8Array[] = [];
      let inlineFreed = 0;
      let inlineDeleted = 0;
      for (const digest of sorted) {
        await tx.lockDigest(digest);
        if (await tx.isReferenced(digest)) {
          if (options.candidates) await tx.deleteCandidate(digest);
          continue;
        }
        // A writer is bringing these bytes: its record or its failure decides.
        if (await tx.isClaimed(digest, now)) continue;
        if (!options.candidates && (await tx.deletion(digest))) continue;
        // Kept in the database, in the chunk store, or (after a change of the inline limit) both.
        const freed = await tx.deleteInlineChunk(digest);
        if (freed >= 0) {
          inlineDeleted++;
          inlineFreed += freed;
        }
        await tx.addDeletion(digest, now);
        if (options.candidates) await tx.deleteCandidate(digest);
        chosen.push(digest);
      }
      return { chosen, inlineDeleted, inlineFreed };
    });
    report.chunksDeleted += doomed.inlineDeleted;
    report.bytesFreed += doomed.inlineFreed;
    if (doomed.chosen.length === 0) return;
    const outcomes = await Promise.allSettled(
      doomed.chosen.map((digest) => this.#chunks.delete(digest)),
    );
    let failure: PromiseRejectedResult | undefined;
    await this.#metadata.transaction(async (tx) => {
      for (let i = 0; i < outcomes.length; i++) {
        const digest = doomed.chosen[i];
        const outcome = outcomes[i];
        await tx.dropDeletion(digest);
        if (outcome.status === "rejected") {
          // Left a candidate, for the next pass.
          failure ??= outcome;
          await tx.addCandidate(digest);
        }
      }
    }, { durable: false });
    for (const outcome of outcomes) {
      if (outcome.status === "fulfilled") count(report, outcome.value);
    }
    if (failure) throw failure.reason;
  }
}

/** Shards listed at once by a whole sweep. */
const SHARDS_AT_ONCE = 16;

/**
 * The digests of shards `from` to `from + count - 1` (default: all 256) of a
 * chunk store, listed 16 at a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listShards } from "./garbage_collector.ts";
 * import { LocalChunkStore } from "./chunks/local_chunk_store.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const shards = await listShards(await LocalChunkStore.open(dir, { durable: false }));
 *   assert.equal(shards.length, 256);
 *   assert.equal(shards.flat().length, 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function listShards(
  chunks: ChunkStore,
  options?: { from?: number; count?: number },
): Promise<Uint8Array[][]> {
  const from = options?.from ?? 0;
  const end = Math.min(256, from + (options?.count ?? 256));
  const listed: Uint8Array[][] = [];
  for (let first = from; first < end; first += SHARDS_AT_ONCE) {
    const last = Math.min(end, first + SHARDS_AT_ONCE);
    const indexes = Array.from({ length: last - first }, (_, i) => first + i);
    listed.push(...await Promise.all(indexes.map((index) => chunks.list(index))));
  }
  return listed;
}

function emptyReport(): GarbageReport {
  return { expiredUploads: 0, expiredVersions: 0, chunksDeleted: 0, bytesFreed: 0 };
}

/** Counts one deleted chunk of `freed` bytes (-1: nothing was there). */
function count(report: GarbageReport, freed: number): void {
  if (freed >= 0) {
    report.chunksDeleted++;
    report.bytesFreed += freed;
  }
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
