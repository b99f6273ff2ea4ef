/**
 * The work of `backupfs scrub`: every chunk of every object of a job read
 * through the BackupStorage API (`ListObjects` → `ListChunks` → `GetChunk`,
 * from the store's disk or the service, never from a cache), its length and
 * SHA-256 checked, and each object's `SUMMARY` checksum recomputed from its
 * chunks' digests. A damaged chunk is reported with every file that uses it
 * (chunks are deduplicated: one bad chunk may belong to many files).
 *
 * Memory stays bounded: objects and chunks are streamed page by page; what is
 * kept is the damaged chunks with their users, and a bounded set of recently
 * verified digests (so a chunk shared by many files is read once while it is
 * remembered).
 *
 * @module
 */

import type { BackupStorage } from "../../storage/backup_storage.ts";
import { checksumToDigest, ChunkHasher, SummaryHasher } from "../../storage/checksum.ts";
import { ResourceNotFoundException } from "../../storage/errors.ts";
import { listAllChunks, listAllObjects } from "../../storage/paginate.ts";
import type { BackupObject, Chunk } from "../../storage/types.ts";
import type { TokenBucket } from "./_token_bucket.ts";

/**
 * Where a damaged chunk is used: a job, a BackupFS path, the chunk's index in that file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ChunkUse } from "./_scrubber.ts";
 * const use: ChunkUse = { job: "default", path: "/docs/a.bin", index: 0 };
 * assert.equal(use.path, "/docs/a.bin");
 * ```
 */
export interface ChunkUse {
  /** The job. */
  job: string;
  /** The BackupFS path of the file (`/` + the object name). */
  path: string;
  /** The chunk's index in the file. */
  index: number;
}

/**
 * A chunk that failed its check, with what is wrong and every file using it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DamagedChunk } from "./_scrubber.ts";
 * const chunk: DamagedChunk = {
 *   checksum: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
 *   length: 3,
 *   reason: "its bytes do not match its SHA-256",
 *   uses: [{ job: "default", path: "/a", index: 0 }, { job: "default", path: "/b", index: 2 }],
 * };
 * assert.equal(chunk.uses.length, 2);
 * ```
 */
export interface DamagedChunk {
  /** Its SHA-256 (base64), as listed. */
  checksum: string;
  /** Its length, as listed. */
  length: number;
  /** What is wrong (its bytes do not match, it is missing, it could not be read). */
  reason: string;
  /** Every file found using it. */
  uses: ChunkUse[];
}

/**
 * An object whose own record is inconsistent (its `SUMMARY`, its chunk list).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DamagedObject } from "./_scrubber.ts";
 * const object: DamagedObject = { job: "default", path: "/a", reason: "its SUMMARY differs" };
 * assert.equal(object.job, "default");
 * ```
 */
export interface DamagedObject {
  /** The job. */
  job: string;
  /** The BackupFS path. */
  path: string;
  /** What is wrong. */
  reason: string;
}

/**
 * What a scrub counted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ScrubTotals } from "./_scrubber.ts";
 * const totals: ScrubTotals = { jobs: 1, objects: 2, chunks: 2, chunksRead: 1, bytes: 9, changed: 0 };
 * assert.ok(totals.chunksRead <= totals.chunks);
 * ```
 */
export interface ScrubTotals {
  /** Jobs scrubbed. */
  jobs: number;
  /** Objects checked. */
  objects: number;
  /** Chunk references checked (a chunk used by two files counts twice). */
  chunks: number;
  /** Chunks read (a chunk verified moments ago is not read again). */
  chunksRead: number;
  /** Bytes read and hashed. */
  bytes: number;
  /** Objects replaced or removed while the scrub ran (live traffic), not checked. */
  changed: number;
}

/**
 * Options of {@link Scrubber}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ScrubberOptions } from "./_scrubber.ts";
 * const said: string[] = [];
 * const options: ScrubberOptions = { rememberGood: 1000, onDamage: (m) => said.push(m) };
 * assert.equal(options.rememberGood, 1000);
 * ```
 */
export interface ScrubberOptions {
  /** Limits the bytes read per second. */
  rate?: TokenBucket;
  /** Distinct good digests remembered to skip re-reading shared chunks (default 65,536). */
  rememberGood?: number;
  /** Called as each object starts (e.g. a progress line). */
  onObject?: (job: string, path: string) => void;
  /** Called with the bytes of each piece read. */
  onBytes?: (bytes: number) => void;
  /** Called when a damaged chunk or object is first found. */
  onDamage?: (message: string) => void;
}

/** Why a chunk failed, or `changed` when its version went away while the scrub ran. */
type ChunkVerdict = undefined | "changed" | string;

/**
 * Scrubs jobs one after the other, accumulating totals and damage.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS, EmbeddedStore } from "../../../mod.ts";
 * import { Scrubber } from "./_scrubber.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "j" });
 *   await fs.writeFile("/a.bin", new Uint8Array(200_000).fill(7));
 *   await fs.writeFile("/b.bin", new Uint8Array(200_000).fill(7)); // the same chunk
 *   const scrubber = new Scrubber(store);
 *   await scrubber.scrubJob("j");
 *   assert.equal(scrubber.totals.objects, 2);
 *   assert.equal(scrubber.totals.chunks, 2);
 *   assert.equal(scrubber.totals.chunksRead, 1); // shared: read once
 *   assert.equal(scrubber.damagedChunks.length, 0);
 *   assert.equal(scrubber.clean, true);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class Scrubber {
  /** What was counted so far. */
  readonly totals: ScrubTotals = {
    jobs: 0,
    objects: 0,
    chunks: 0,
    chunksRead: 0,
    bytes: 0,
    changed: 0,
  };
  /** Objects whose record is inconsistent. */
  readonly damagedObjects: DamagedObject[] = [];
  #storage: BackupStorage;
  #options: ScrubberOptions;
  #damaged = new Map<string, DamagedChunk>();
  #good = new Map<string, true>();
  #rememberGood: number;

  /** A scrubber reading through `storage`. */
  constructor(storage: BackupStorage, options?: ScrubberOptions) {
    this.#storage = storage;
    this.#options = options ?? {};
    this.#rememberGood = options?.rememberGood ?? 65_536;
  }

  /** The damaged chunks found so far, each with every file found using it. */
  get damagedChunks(): DamagedChunk[] {
    return [...this.#damaged.values()];
  }

  /** Whether nothing damaged or unreadable was found. */
  get clean(): boolean {
    return this.#damaged.size === 0 && this.damagedObjects.length === 0;
  }

  /** Scrubs every object of `job`. */
  async scrubJob(job: string): Promise<void> {
    this.totals.jobs++;
    for await (const object of listAllObjects(this.#storage, { StorageJobId: job })) {
      await this.#scrubObject(job, object);
    }
  }

  async #scrubObject(job: string, object: BackupObject): Promise<void> {
    const path = `/${object.Name}`;
    this.#options.onObject?.(job, path);
    const summary = new SummaryHasher();
    let expected = 0;
    let problem: string | undefined;
    try {
      for await (
        const chunk of listAllChunks(this.#storage, {
          StorageJobId: job,
          ObjectToken: object.ObjectToken,
        })
      ) {
        const digest = checksumToDigest(chunk.Checksum);
        if (chunk.Index !== expected) {
          problem ??= `its chunk list skips from index ${expected} to ${chunk.Index}`;
        }
        expected = chunk.Index + 1;
        if (digest === undefined || chunk.ChecksumAlgorithm !== "SHA256") {
          problem ??= `chunk ${chunk.Index} has no valid SHA-256 checksum`;
          continue;
        }
        summary.add(digest);
        this.totals.chunks++;
        const verdict = await this.#checkChunk(job, chunk);
        if (verdict === "changed") {
          if (await this.#stillCurrent(job, object)) {
            this.#damage(chunk, "missing: the store has no bytes for it", { job, path });
            continue;
          }
          this.totals.changed++;
          return;
        }
        if (verdict !== undefined) this.#damage(chunk, verdict, { job, path });
      }
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        this.totals.changed++; // replaced or removed while we listed it
        return;
      }
      throw error;
    }
    this.totals.objects++;
    if (object.ChunksCount !== undefined && object.ChunksCount !== summary.count && !problem) {
      problem = `it lists ${summary.count} chunks, its record says ${object.ChunksCount}`;
    }
    if (
      problem === undefined && object.ObjectChecksumAlgorithm === "SUMMARY" &&
      summary.checksum() !== object.ObjectChecksum
    ) {
      problem = "its SUMMARY checksum does not match its chunks' digests";
    }
    if (problem !== undefined) {
      this.damagedObjects.push({ job, path, reason: problem });
      this.#options.onDamage?.(`damaged object ${path} (job "${job}"): ${problem}`);
    }
  }

  /** Records a damaged chunk's use (the first use also says why). */
  #damage(chunk: Chunk, reason: string, use: Omit<ChunkUse, "index">): void {
    let damaged = this.#damaged.get(chunk.Checksum);
    if (!damaged) {
      damaged = { checksum: chunk.Checksum, length: chunk.Length, reason, uses: [] };
      this.#damaged.set(chunk.Checksum, damaged);
      this.#options.onDamage?.(
        `damaged chunk ${chunk.Checksum} (${chunk.Length} bytes) in ${use.path}: ${reason}`,
      );
    }
    damaged.uses.push({ ...use, index: chunk.Index });
  }

  /** Reads and checks one chunk (once while it is remembered as good or damaged). */
  async #checkChunk(job: string, chunk: Chunk): Promise<ChunkVerdict> {
    const known = this.#damaged.get(chunk.Checksum);
    if (known) return known.reason;
    if (this.#good.has(chunk.Checksum)) return undefined;
    const verdict = await this.#readChunk(job, chunk);
    if (verdict === undefined) {
      this.#good.set(chunk.Checksum, true);
      if (this.#good.size > this.#rememberGood) {
        this.#good.delete(this.#good.keys().next().value!);
      }
    }
    return verdict;
  }

  async #readChunk(job: string, chunk: Chunk): Promise<ChunkVerdict> {
    this.totals.chunksRead++;
    let data: ReadableStream<Uint8Array>;
    try {
      data = (await this.#storage.getChunk({ StorageJobId: job, ChunkToken: chunk.ChunkToken }))
        .Data;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return "changed";
      return `could not be read: ${(error as Error).message}`;
    }
    const hasher = new ChunkHasher();
    try {
      for await (const piece of data) {
        await this.#options.rate?.take(piece.byteLength);
        hasher.update(piece);
        this.totals.bytes += piece.byteLength;
        this.#options.onBytes?.(piece.byteLength);
      }
    } catch (error) {
      return `could not be read: ${(error as Error).message}`;
    }
    if (hasher.length !== chunk.Length) {
      return `it holds ${hasher.length} bytes, not the ${chunk.Length} recorded`;
    }
    if (hasher.checksum() !== chunk.Checksum) return "its bytes do not match its SHA-256";
    return undefined;
  }

  /** Whether the version listed is still the object's current one. */
  async #stillCurrent(job: string, object: BackupObject): Promise<boolean> {
    const page = await this.#storage.listObjects({
      StorageJobId: job,
      StartingObjectName: object.Name,
      MaxResults: 1,
    });
    const current = page.ObjectList[0];
    return current?.Name === object.Name && current.ObjectToken === object.ObjectToken;
  }
}
