/**
 * Directory listing and path lookup over `ListObjects`, which has no delimiter:
 * a directory is listed by skip-scan (see `directory_scan.ts`), concurrent
 * listings of one directory share one scan (see `listing_flight.ts`), and a path
 * is looked up with usually one call.
 *
 * Names no normalized path can reach are not reported as children: the empty name
 * (from `a//x`), `.` and `..`. `walk` and `hasChildren` still see their objects.
 *
 * @module
 */

import { type BackupStorage, isLocalObjectLister } from "../storage/backup_storage.ts";
import { MAX_OBJECT_NAME_BYTES, utf8Length } from "../storage/limits.ts";
import type { BackupObject, ListObjectsInput, ListObjectsOutput } from "../storage/types.ts";
import { type ListedEntry, rememberNextToken, scanDirectory } from "./directory_scan.ts";
import { ListingFlight } from "./listing_flight.ts";
import { pathChanges } from "./metadata_cache.ts";
import { compareNames } from "./name_order.ts";
import { objectNameOf } from "./paths.ts";

export type { ListedEntry } from "./directory_scan.ts";

/**
 * What a path is, as {@link DirectoryLister.lookup} finds it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LookupResult } from "./directory_lister.ts";
 * function kind(result: LookupResult): string {
 *   return result === undefined ? "missing" : result.kind;
 * }
 * assert.equal(kind(undefined), "missing");
 * assert.equal(kind({ kind: "directory" }), "directory"); // an implicit directory: no marker
 * ```
 */
export type LookupResult =
  | { kind: "file"; object: BackupObject }
  | { kind: "directory"; marker?: BackupObject }
  | undefined;

/**
 * Options of {@link DirectoryLister}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { DirectoryLister, type DirectoryListerOptions } from "./directory_lister.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const options: DirectoryListerOptions = { jobId: "job-1", pageSize: 100 };
 *   assert.equal(new DirectoryLister(store, options).listCalls, 0); // nothing listed yet
 *   assert.throws(() => new DirectoryLister(store, { jobId: "job-1", pageSize: 500 }), RangeError);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface DirectoryListerOptions {
  /** The job whose namespace is the filesystem. */
  jobId: string;
  /** `MaxResults` of each `ListObjects` call, 1–100 (default 100). */
  pageSize?: number;
  /**
   * Most children held back while waiting to learn whether a directory sorts
   * before them (default 1000); beyond it, an extra `ListObjects` settles it.
   */
  maxHeld?: number;
  /**
   * Concurrent listings of one directory share one scan (default true): a listing
   * joins one in flight when that one started at most `shareWindowMs` ago, has not
   * yet dropped any entry, and nothing under the directory changed since it began
   * (as far as this process knows: see `pathChanges` in `metadata_cache.ts`).
   */
  share?: boolean;
  /** How long after its start a listing can be joined, in ms (default 1000). */
  shareWindowMs?: number;
  /**
   * Most entries a shared listing keeps for the consumers behind the first
   * (default 4096); one left further behind continues on a scan of its own.
   */
  maxShared?: number;
}

/**
 * Options of the listing calls.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { DirectoryLister, type ListOptions } from "./directory_lister.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const lister = new DirectoryLister(store, { jobId: "job-1" });
 *   const options: ListOptions = { signal: AbortSignal.abort(new Error("stop")) };
 *   await assert.rejects(lister.lookup("/a.txt", options), { message: "stop" });
 *   assert.equal(lister.listCalls, 0); // an aborted signal stops it before any call
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface ListOptions {
  /** Aborts the listing. */
  signal?: AbortSignal;
}

/** Names one lookup lists at once: the file and the next name, which usually sorts past its directory. */
const LOOKUP_PAGE = 2;

/** A directory found by the first name under it: its marker when that name is the marker. */
function directoryFound(first: BackupObject, directoryPrefix: string): LookupResult {
  return first.Name === directoryPrefix
    ? { kind: "directory", marker: first }
    : { kind: "directory" };
}

/**
 * The prefix of every object under a directory (`""` for the root), or `undefined`
 * when it is too long for anything to be under it.
 */
function listingPrefixOf(directoryPath: string): string | undefined {
  const name = objectNameOf(directoryPath);
  const prefix = name === "" ? "" : name + "/";
  return utf8Length(prefix) > MAX_OBJECT_NAME_BYTES ? undefined : prefix;
}

/**
 * Lists directories and looks up paths of one job, counting its `ListObjects` calls.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { DirectoryLister } from "./directory_lister.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   for (const name of ["photos/cat.jpg", "photos/2024/a.jpg", "photos/2024/b.jpg"]) {
 *     await store.putObject({ BackupJobId: "job-1", ObjectName: name });
 *   }
 *   const lister = new DirectoryLister(store, { jobId: "job-1" });
 *   const names: string[] = [];
 *   for await (const entry of lister.list("/photos")) {
 *     names.push(entry.isDirectory ? `${entry.name}/` : entry.name);
 *   }
 *   assert.deepEqual(names, ["2024/", "cat.jpg"]); // an implicit directory, then a file
 *   assert.equal((await lister.lookup("/photos/cat.jpg"))?.kind, "file");
 *   assert.equal((await lister.lookup("/photos/2024"))?.kind, "directory");
 *   assert.equal(await lister.lookup("/photos/dog.jpg"), undefined);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class DirectoryLister {
  readonly #storage: BackupStorage;
  readonly #jobId: string;
  readonly #pageSize: number;
  readonly #maxHeld: number;
  readonly #share: boolean;
  readonly #shareWindowMs: number;
  readonly #maxShared: number;
  /** The store's in-process listing, when it has one (tokens signed only when read). */
  readonly #local:
    | ((
      input: Omit<ListObjectsInput, "CreatedBefore" | "CreatedAfter">,
    ) => Promise<ListObjectsOutput>)
    | undefined;
  /** Listings in flight that others may join, by directory prefix. */
  readonly #flights = new Map<string, ListingFlight>();
  #listCalls = 0;

  /** Makes a lister for one job. */
  constructor(storage: BackupStorage, options: DirectoryListerOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
    this.#local = isLocalObjectLister(storage)
      ? (input) => storage.listObjectsLocally(input)
      : undefined;
    this.#pageSize = options.pageSize ?? 100;
    this.#maxHeld = options.maxHeld ?? 1000;
    this.#share = options.share ?? true;
    this.#shareWindowMs = options.shareWindowMs ?? 1000;
    this.#maxShared = options.maxShared ?? 4096;
    if (!Number.isInteger(this.#maxShared) || this.#maxShared < 1) {
      throw new RangeError("maxShared must be an integer ≥ 1");
    }
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1 || this.#pageSize > 100) {
      throw new RangeError("pageSize must be an integer from 1 to 100");
    }
    if (!Number.isInteger(this.#maxHeld) || this.#maxHeld < 1) {
      throw new RangeError("maxHeld must be an integer ≥ 1");
    }
  }

  /** `ListObjects` calls made so far by this lister. */
  get listCalls(): number {
    return this.#listCalls;
  }

  /** One `ListObjects` call of this job, counted. */
  readonly #listObjects = async (
    input: Omit<ListObjectsInput, "StorageJobId">,
    signal?: AbortSignal,
  ): Promise<ListObjectsOutput> => {
    signal?.throwIfAborted();
    this.#listCalls++;
    // In-process: the same page, each object's token signed only if it is read.
    if (this.#local) return await this.#local({ StorageJobId: this.#jobId, ...input });
    return await this.#storage.listObjects(
      { StorageJobId: this.#jobId, ...input },
      signal ? { signal } : undefined,
    );
  };

  /** The skip-scan of the directory `prefix`; with `after`, only children sorting after it. */
  #scan(
    prefix: string,
    signal: AbortSignal | undefined,
    after: string | undefined,
  ): AsyncGenerator<ListedEntry[]> {
    return scanDirectory(prefix, {
      listObjects: this.#listObjects,
      pageSize: this.#pageSize,
      maxHeld: this.#maxHeld,
      signal,
      after,
    });
  }

  /**
   * Children of a directory, names in byte order, by skip-scan (see
   * `directory_scan.ts`). A name that is both a file `a/x` and a directory `a/x/…` is reported once,
   * as a directory. Listing a path that is a file or does not exist yields nothing:
   * use {@link lookup} to tell them apart.
   */
  async *list(directoryPath: string, options?: ListOptions): AsyncGenerator<ListedEntry> {
    for await (const batch of this.listBatches(directoryPath, options)) yield* batch;
  }

  /**
   * The children {@link list} yields, a batch (a page's worth, never empty) at a
   * time: one async step per batch, not per child.
   */
  async *listBatches(
    directoryPath: string,
    options?: ListOptions,
  ): AsyncGenerator<ListedEntry[]> {
    const signal = options?.signal;
    const prefix = listingPrefixOf(directoryPath);
    if (prefix === undefined) return;
    if (!this.#share) {
      yield* this.#scan(prefix, signal, undefined);
      return;
    }
    const path = prefix === "" ? "/" : `/${prefix.slice(0, -1)}`;
    let flight = this.#flights.get(prefix);
    if (flight === undefined || !this.#joinable(flight, path)) {
      flight = new ListingFlight(this.#scan(prefix, undefined, undefined), pathChanges.epoch);
      this.#flights.set(prefix, flight);
    }
    const current = flight;
    const cursor = { at: 0 };
    current.cursors.add(cursor);
    let last: string | undefined;
    try {
      for (;;) {
        signal?.throwIfAborted();
        if (cursor.at < current.base) {
          // Left too far behind: the rest on a scan of its own, after the last name.
          current.cursors.delete(cursor);
          yield* this.#scan(prefix, signal, last);
          return;
        }
        if (cursor.at < current.head) {
          const batch = current.entries.slice(cursor.at - current.base);
          cursor.at = current.head;
          last = batch[batch.length - 1].name;
          yield batch;
          continue;
        }
        if (current.done) {
          if (current.failed) throw current.error;
          return;
        }
        await current.pull(this.#maxShared, () => {
          if (this.#flights.get(prefix) === current) this.#flights.delete(prefix);
        });
      }
    } finally {
      current.leave(cursor, () => {
        if (this.#flights.get(prefix) === current) this.#flights.delete(prefix);
      });
    }
  }

  /** Whether a listing of `path` may join `flight`. */
  #joinable(flight: ListingFlight, path: string): boolean {
    return !flight.done && flight.base === 0 &&
      Date.now() - flight.startedAt <= this.#shareWindowMs &&
      !pathChanges.changedSince(path, flight.epoch);
  }

  /**
   * What a path is: a file (with its object), a directory (with its marker object
   * when it has one), or `undefined` when nothing is there. `/` is always a
   * directory. A directory wins over a same-named file. Usually one `ListObjects`
   * call: from the name itself, among the names with that prefix, the file sorts
   * first, then names continuing with a byte below `/` (`a.txt.bak` after `a.txt`),
   * then the directory's own names. Only when such siblings fill the page does a
   * second call probe the directory.
   */
  async lookup(path: string, options?: ListOptions): Promise<LookupResult> {
    const name = objectNameOf(path);
    if (name === "") return { kind: "directory" };
    const signal = options?.signal;
    const directoryPrefix = name + "/";
    const page = await this.#listObjects(
      { StartingObjectName: name, StartingObjectPrefix: name, MaxResults: LOOKUP_PAGE },
      signal,
    );
    let file: BackupObject | undefined;
    for (const object of page.ObjectList) {
      if (object.Name === name) file = object;
      else if (object.Name.startsWith(directoryPrefix)) {
        return directoryFound(object, directoryPrefix);
      }
    }
    const last = page.ObjectList.at(-1);
    const passedDirectory = page.NextToken === undefined || page.NextToken === "" ||
      (last !== undefined && compareNames(last.Name, directoryPrefix) > 0);
    if (!passedDirectory && utf8Length(directoryPrefix) <= MAX_OBJECT_NAME_BYTES) {
      const directoryPage = await this.#listObjects(
        { StartingObjectPrefix: directoryPrefix, MaxResults: 1 },
        signal,
      );
      const inside = directoryPage.ObjectList[0];
      if (inside !== undefined && inside.Name.startsWith(directoryPrefix)) {
        return directoryFound(inside, directoryPrefix);
      }
    }
    return file ? { kind: "file", object: file } : undefined;
  }

  /** Whether a directory has any object under it besides its own marker (1 `ListObjects` call). */
  async hasChildren(directoryPath: string, options?: ListOptions): Promise<boolean> {
    const prefix = listingPrefixOf(directoryPath);
    if (prefix === undefined) return false;
    const page = await this.#listObjects(
      prefix === "" ? { MaxResults: 1 } : { StartingObjectPrefix: prefix, MaxResults: 2 },
      options?.signal,
    );
    return page.ObjectList.some((o) => o.Name !== prefix && o.Name.startsWith(prefix));
  }

  /**
   * Every object under a directory, recursively, in byte order — the directory's
   * own marker included (first) — for recursive remove, copy and rename. For `/`,
   * every object of the job.
   */
  async *walk(directoryPath: string, options?: ListOptions): AsyncGenerator<BackupObject> {
    const prefix = listingPrefixOf(directoryPath);
    if (prefix === undefined) return;
    let request: Omit<ListObjectsInput, "StorageJobId"> = {
      MaxResults: this.#pageSize,
      ...(prefix === "" ? {} : { StartingObjectPrefix: prefix }),
    };
    const tokens = new Set<string>();
    for (;;) {
      const page = await this.#listObjects(request, options?.signal);
      for (const object of page.ObjectList) if (object.Name.startsWith(prefix)) yield object;
      const next = page.NextToken;
      if (next === undefined || next === "") return;
      rememberNextToken(tokens, next);
      request = { MaxResults: this.#pageSize, NextToken: next };
    }
  }
}
