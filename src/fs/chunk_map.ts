/**
 * The chunk map of one object version: which chunk holds which byte range, loaded
 * from `ListChunks` page by page, only as far as the readers need.
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { checksumToDigest, chunkChecksum } from "../storage/checksum.ts";
import { MAX_CHUNK_COUNT } from "../storage/limits.ts";
import type { Chunk } from "../storage/types.ts";

/**
 * Where one chunk sits in its object, and how to fetch and verify it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkChecksum } from "../storage/checksum.ts";
 * import type { ChunkLocation } from "./chunk_map.ts";
 * const first: ChunkLocation = {
 *   index: 0,
 *   offset: 0,
 *   length: 4,
 *   checksum: "iNQmb9TmM40TuEX88olXnSCciXgjuSF9o+Fhk28DFYk=",
 *   token: "opaque-chunk-token",
 * };
 * assert.equal(first.checksum, chunkChecksum(new TextEncoder().encode("abcd"))); // its 4 bytes
 * assert.equal(first.offset + first.length, 4); // the next chunk starts there
 * ```
 */
export interface ChunkLocation {
  /** Position of the chunk in the object, from 0. */
  index: number;
  /** Byte offset of the chunk's first byte in the object. */
  offset: number;
  /** Length of the chunk in bytes. */
  length: number;
  /** Base64 SHA-256 of the chunk's bytes (`SHA256`). */
  checksum: string;
  /** `ChunkToken` for `GetChunk`. */
  token: string;
}

/**
 * Options of {@link ChunkMap}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { ChunkMap, type ChunkMapOptions } from "./chunk_map.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "job-1", ObjectName: "empty.txt" });
 *   const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 *   const options: ChunkMapOptions = {
 *     jobId: "job-1",
 *     objectToken: object.ObjectToken,
 *     pageSize: 100,
 *   };
 *   const map = new ChunkMap(store, options);
 *   assert.equal(map.loadedCount, 0); // nothing loads until asked
 *   assert.equal(await map.size(), 0);
 *   assert.equal(map.complete, true);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface ChunkMapOptions {
  /** Job the object token belongs to. */
  jobId: string;
  /** Token of the object version to map. */
  objectToken: string;
  /** Aborts page loads in flight; the map stays usable for calls without it aborted. */
  signal?: AbortSignal;
  /** `MaxResults` of each `ListChunks` call, 1–100 (default: the service's default, 100). */
  pageSize?: number;
  /**
   * Start loading the next page in the background once a caller reaches the last
   * loaded chunk, so sequential readers rarely wait (default true).
   */
  readAhead?: boolean;
}

const EMPTY_CHECKSUM = chunkChecksum(new Uint8Array());

/**
 * The chunk map of one object version, loaded progressively from `ListChunks`.
 *
 * Pages load in order, one at a time; concurrent callers share the page load in
 * flight; a failed page load leaves the map as it was, so the next call retries it.
 * A page whose chunk indexes do not continue 0, 1, 2, … (or whose lengths or
 * checksums are malformed) is corrupt data: `Deno.errors.InvalidData`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkMap } from "./chunk_map.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { chunkChecksum } from "../storage/checksum.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const data = new TextEncoder().encode("hello");
 * await store.putObject({
 *   BackupJobId: "job-1",
 *   ObjectName: "a.txt",
 *   InlineChunk: data,
 *   InlineChunkLength: data.length,
 *   InlineChunkChecksum: chunkChecksum(data),
 * });
 * const [object] = (await store.listObjects({ StorageJobId: "job-1" })).ObjectList;
 * const map = new ChunkMap(store, { jobId: "job-1", objectToken: object.ObjectToken });
 * const chunk = await map.locate(3);
 * assert.deepEqual([chunk?.index, chunk?.offset, chunk?.length], [0, 0, 5]);
 * assert.equal(await map.size(), 5);
 * assert.equal(await map.locate(5), undefined); // past the end
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ChunkMap {
  #storage: BackupStorage;
  #jobId: string;
  #objectToken: string;
  #signal?: AbortSignal;
  #pageSize?: number;
  #readAhead: boolean;
  #chunks: ChunkLocation[] = [];
  /** Offset just past the last loaded chunk. */
  #end = 0;
  #nextToken?: string;
  #done = false;
  #seenTokens = new Set<string>();
  #loading?: Promise<void>;

  /** Makes a map of the version `options.objectToken`; nothing loads until asked. */
  constructor(storage: BackupStorage, options: ChunkMapOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#objectToken = options.objectToken;
    this.#signal = options.signal;
    this.#pageSize = options.pageSize;
    this.#readAhead = options.readAhead ?? true;
  }

  /** Chunks loaded so far (for tests and prefetch decisions). */
  get loadedCount(): number {
    return this.#chunks.length;
  }

  /** Whether every page has been loaded. */
  get complete(): boolean {
    return this.#done;
  }

  /**
   * The chunk holding byte `offset`, loading pages only as far as needed (a later
   * page is never awaited for an offset already mapped); `undefined` at or past
   * the end. Zero-length chunks hold no byte, so they are never returned.
   */
  async locate(offset: number): Promise<ChunkLocation | undefined> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`ChunkMap: offset must be a non-negative integer, got ${offset}`);
    }
    // Bounded: each round either returns or loads one more page, and pages end.
    for (;;) {
      if (offset < this.#end) {
        const found = this.#chunks[this.#firstEndingAfter(offset)];
        this.#maybeReadAhead(found.index);
        return found;
      }
      if (this.#done) return undefined;
      await this.#loadNextPage();
    }
  }

  /** The chunk at `index` (loading pages as needed), `undefined` past the end. */
  async chunk(index: number): Promise<ChunkLocation | undefined> {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new RangeError(`ChunkMap: index must be a non-negative integer, got ${index}`);
    }
    for (;;) {
      if (index < this.#chunks.length) {
        this.#maybeReadAhead(index);
        return this.#chunks[index];
      }
      if (this.#done) return undefined;
      await this.#loadNextPage();
    }
  }

  /** Total size in bytes; loads the whole map. */
  async size(): Promise<number> {
    while (!this.#done) await this.#loadNextPage();
    return this.#end;
  }

  /** Resolves once no page load is in flight (a failed load resolves it too). */
  async idle(): Promise<void> {
    while (this.#loading) await this.#loading.catch(() => {});
  }

  /** Index of the first loaded chunk ending after `offset`; requires `offset < #end`. */
  #firstEndingAfter(offset: number): number {
    let low = 0;
    let high = this.#chunks.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const chunk = this.#chunks[mid];
      if (chunk.offset + chunk.length > offset) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  #maybeReadAhead(index: number): void {
    if (!this.#readAhead || this.#done || this.#loading) return;
    if (index < this.#chunks.length - 1) return;
    if (this.#signal?.aborted) return;
    this.#loadNextPage().catch(() => {}); // a failed read-ahead is retried by the next caller
  }

  /** Loads the next page, or joins the load in flight. */
  #loadNextPage(): Promise<void> {
    if (this.#done) return Promise.resolve();
    this.#loading ??= this.#fetchPage().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #fetchPage(): Promise<void> {
    const token = this.#nextToken;
    const page = await this.#storage.listChunks(
      {
        StorageJobId: this.#jobId,
        ObjectToken: this.#objectToken,
        ...(this.#pageSize === undefined ? {} : { MaxResults: this.#pageSize }),
        ...(token === undefined ? {} : { NextToken: token }),
      },
      this.#signal ? { signal: this.#signal } : {},
    );
    // Validate the whole page before changing anything, so a bad page leaves the map intact.
    if (!Array.isArray(page?.ChunkList)) {
      throw new Deno.errors.InvalidData("ListChunks returned a page without a ChunkList");
    }
    const list: Chunk[] = page.ChunkList;
    const added: ChunkLocation[] = [];
    let end = this.#end;
    let index = this.#chunks.length;
    for (const chunk of list) {
      added.push(validate(chunk, index, end));
      end += chunk.Length;
      index++;
    }
    const next = page.NextToken === "" || page.NextToken === null ? undefined : page.NextToken;
    if (next !== undefined) {
      if (typeof next !== "string") {
        throw new Deno.errors.InvalidData("ListChunks returned a NextToken that is not a string");
      }
      if (this.#seenTokens.has(next)) {
        throw new Deno.errors.InvalidData(
          "ListChunks returned a NextToken it had already returned; stopping to avoid a loop",
        );
      }
    }
    // Another caller cannot have changed the map meanwhile: loads are serialized.
    for (const location of added) this.#chunks.push(location);
    this.#end = end;
    if (next === undefined) {
      this.#done = true;
      this.#nextToken = undefined;
    } else {
      this.#seenTokens.add(next);
      this.#nextToken = next;
    }
  }
}

function validate(chunk: Chunk, index: number, offset: number): ChunkLocation {
  if (chunk?.Index !== index) {
    throw new Deno.errors.InvalidData(
      `ListChunks returned chunk index ${chunk?.Index} where ${index} was expected`,
    );
  }
  if (index >= MAX_CHUNK_COUNT) {
    throw new Deno.errors.InvalidData(`ListChunks returned more than ${MAX_CHUNK_COUNT} chunks`);
  }
  const length = chunk.Length;
  if (!Number.isSafeInteger(length) || length < 0 || !Number.isSafeInteger(offset + length)) {
    throw new Deno.errors.InvalidData(`ListChunks returned an invalid length for chunk ${index}`);
  }
  if (typeof chunk.Checksum !== "string" || checksumToDigest(chunk.Checksum) === undefined) {
    throw new Deno.errors.InvalidData(`ListChunks returned an invalid checksum for chunk ${index}`);
  }
  if (length === 0 && chunk.Checksum !== EMPTY_CHECKSUM) {
    throw new Deno.errors.InvalidData(
      `ListChunks returned chunk ${index} with no bytes but the checksum of some`,
    );
  }
  if (typeof chunk.ChunkToken !== "string" || chunk.ChunkToken === "") {
    throw new Deno.errors.InvalidData(`ListChunks returned no ChunkToken for chunk ${index}`);
  }
  return { index, offset, length, checksum: chunk.Checksum, token: chunk.ChunkToken };
}
