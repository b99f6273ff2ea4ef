/**
 * A short-lived cache of what paths are (stat results, negative lookups) and,
 * optionally, of directory listings. Entries expire after a TTL (default 1 s), so
 * changes made by other writers show up quickly; this BackupFS's own writes keep
 * the cache exact by invalidating what they change.
 *
 * Several workers of one server (threads of one process, see src/workers/) keep
 * each other's caches exact through a shared {@link PathChangeRecord}: when
 * {@link pathChanges} is {@link ChangeLog.share shared}, every invalidation is
 * noted there before the write answers, and an entry is used only while nothing
 * that covers its path was noted since its lookup started.
 *
 * Keys are canonical paths (see `normalizePath` in `paths.ts`).
 *
 * @module
 */

/**
 * Stands for a cached negative lookup: the path was looked up and nothing was there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MetadataCache, MISSING } from "./metadata_cache.ts";
 * const cache = new MetadataCache<{ size: number }>();
 * cache.set("/gone", MISSING);
 * assert.equal(cache.get("/gone"), MISSING); // known to be absent
 * assert.equal(cache.get("/unknown"), undefined); // not known either way
 * ```
 */
export const MISSING: unique symbol = Symbol("MISSING");

/**
 * Options of {@link MetadataCache}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MetadataCache, type MetadataCacheOptions } from "./metadata_cache.ts";
 * let now = 0;
 * const options: MetadataCacheOptions = { ttlMs: 500, maxEntries: 1000, now: () => now };
 * const cache = new MetadataCache<number>(options);
 * cache.set("/a", 1);
 * now = 499;
 * assert.equal(cache.get("/a"), 1);
 * now = 500; // the TTL has passed
 * assert.equal(cache.get("/a"), undefined);
 * ```
 */
export interface MetadataCacheOptions<L = unknown> {
  /** How long an entry stays valid, in ms (default 1000; 0 caches nothing). */
  ttlMs?: number;
  /**
   * Most path entries kept (default 10000). The least recently used go first, as
   * a second-chance clock: the oldest entry goes unless it was read since it was
   * last passed over; then it moves behind the newest, unmarked.
   */
  maxEntries?: number;
  /** Most directory listings kept, least recently used first (default 100). */
  maxListings?: number;
  /**
   * What a listing weighs (default 1 each): the least recently used go first while
   * the listings kept weigh more than {@link maxListingWeight} in all.
   */
  listingWeight?: (listing: L) => number;
  /** Most the listings kept may weigh in all (default: no bound but {@link maxListings}). */
  maxListingWeight?: number;
  /** Clock in ms (default `Date.now`); tests pass a fake one. */
  now?: () => number;
  /**
   * Where invalidations are noted (default {@link pathChanges}, the process's).
   * When it is {@link ChangeLog.shared shared}, entries are also checked against it.
   */
  changes?: ChangeLog;
}

/**
 * Options of {@link MetadataCache.set} and {@link MetadataCache.setListing}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MetadataCache } from "./metadata_cache.ts";
 * const cache = new MetadataCache<string>();
 * const epoch = cache.epoch; // before the lookup starts
 * const value = "looked up";
 * cache.set("/a", value, { epoch }); // nothing changed meanwhile: kept
 * assert.equal(cache.get("/a"), value);
 * cache.invalidate("/a"); // a write while a second lookup runs
 * cache.set("/a", "stale", { epoch }); // that lookup started before it: dropped
 * assert.equal(cache.get("/a"), undefined);
 * ```
 */
export interface CacheSetOptions {
  /**
   * The cache's {@link MetadataCache.epoch} read before the lookup that produced
   * the value started. When anything that covers the path was invalidated since,
   * the value may be stale and is not stored.
   */
  epoch?: number;
}

/**
 * What {@link ChangeLog} records, and what a record shared by several workers
 * (`InvalidationBoard` in src/workers/) provides: a counter that grows with every
 * change, and whether a path changed after a value of it was read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChangeLog, type PathChangeRecord } from "./metadata_cache.ts";
 * const record: PathChangeRecord = new ChangeLog();
 * const epoch = record.epoch;
 * record.note("/a");
 * assert.equal(record.changedSince("/a", epoch), true);
 * ```
 */
export interface PathChangeRecord {
  /** Grows with every change noted (it may wrap around: compare with `changedSince`). */
  readonly epoch: number;
  /** `path` (a canonical path) changed now. */
  note(path: string): void;
  /** Every path changed now. */
  noteEverything(): void;
  /** Whether `path` changed after `epoch` was read. */
  changedSince(path: string, epoch: number): boolean;
}

/**
 * A record of which paths were invalidated when, by every {@link MetadataCache} of
 * the process: what a listing in flight needs to know before another listing may
 * share it (see `DirectoryLister`). Conservative: a change noted by any cache
 * counts for every lister, and when the record is full it counts as a change of
 * every path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChangeLog } from "./metadata_cache.ts";
 * const log = new ChangeLog();
 * const epoch = log.epoch; // a listing of /a starts
 * log.note("/a"); // a write under /a
 * assert.equal(log.changedSince("/a", epoch), true);
 * assert.equal(log.changedSince("/b", epoch), false);
 * log.noteEverything();
 * assert.equal(log.changedSince("/b", epoch), true);
 * ```
 */
export class ChangeLog implements PathChangeRecord {
  readonly #maxPaths: number;
  readonly #at = new Map<string, number>();
  #everythingAt = 0;
  #epoch = 0;
  #shared: PathChangeRecord | undefined;

  /** A log that remembers up to `maxPaths` paths (default 10,000). */
  constructor(maxPaths = 10_000) {
    this.#maxPaths = Math.max(1, maxPaths);
  }

  /**
   * From now on, notes changes in `record` and answers from it (`undefined`: this
   * log's own memory again): how the workers of one server share their changes.
   * A {@link MetadataCache} over a shared log checks each entry against it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ChangeLog, MetadataCache } from "./metadata_cache.ts";
   * const shared = new ChangeLog(); // stands for a board in shared memory
   * const [mine, theirs] = [new ChangeLog(), new ChangeLog()];
   * mine.share(shared);
   * theirs.share(shared);
   * const cache = new MetadataCache<number>({ changes: mine });
   * cache.set("/a.txt", 1);
   * new MetadataCache<number>({ changes: theirs }).invalidate("/a.txt"); // another worker writes
   * assert.equal(cache.get("/a.txt"), undefined); // seen at once, not after the TTL
   * ```
   */
  share(record: PathChangeRecord | undefined): void {
    this.#shared = record;
  }

  /** Whether changes are noted in a shared record (see {@link share}). */
  get shared(): boolean {
    return this.#shared !== undefined;
  }

  /** Grows with every change noted. */
  get epoch(): number {
    return this.#shared ? this.#shared.epoch : this.#epoch;
  }

  /** `path` (a canonical path) changed now. */
  note(path: string): void {
    if (this.#shared) return this.#shared.note(path);
    this.#epoch++;
    // Set in place: nothing reads the order (a full log is cleared whole), and a
    // delete and set of the same key at every change (a folder's path at every
    // file written in it) made V8's map churn, ~2 µs each.
    this.#at.set(path, this.#epoch);
    if (this.#at.size > this.#maxPaths) this.noteEverything();
  }

  /** Every path changed now. */
  noteEverything(): void {
    if (this.#shared) return this.#shared.noteEverything();
    this.#epoch++;
    this.#at.clear();
    this.#everythingAt = this.#epoch;
  }

  /** Whether `path` changed after `epoch` was read. */
  changedSince(path: string, epoch: number): boolean {
    if (this.#shared) return this.#shared.changedSince(path, epoch);
    if (epoch < this.#everythingAt) return true;
    const at = this.#at.get(path);
    return at !== undefined && epoch < at;
  }
}

/**
 * The process-wide {@link ChangeLog} every {@link MetadataCache} writes its
 * invalidations to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MetadataCache, pathChanges } from "./metadata_cache.ts";
 * const epoch = pathChanges.epoch;
 * new MetadataCache().invalidate("/a/b.txt");
 * assert.equal(pathChanges.changedSince("/a", epoch), true); // the parent's listing changed
 * assert.equal(pathChanges.changedSince("/c", epoch), false);
 * ```
 */
export const pathChanges: ChangeLog = new ChangeLog();

/**
 * In a shared change log, a path's own entry changed under `ENTRY_KEY + path`,
 * something was added under it (its negative entry is wrong) under
 * `MISSING_KEY + path`; the plain path is its listing (as the listers read it).
 */
const ENTRY_KEY = "\u0000entry:";
const MISSING_KEY = "\u0000missing:";

/** What a cached value is: a path's entry, a negative entry, a directory's listing. */
type EntryKind = "entry" | "missing" | "listing";

interface Entry<V> {
  value: V;
  expires: number;
  /** With a shared change log: its epoch when the value's lookup started. */
  since?: number;
  /** A path entry read since it was last passed over for eviction (second chance). */
  used?: boolean;
}

/**
 * A TTL + LRU cache of path metadata (`T`, or {@link MISSING} for a negative
 * lookup) and of directory listings (`L`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MetadataCache, MISSING } from "./metadata_cache.ts";
 * const cache = new MetadataCache<{ size: number }>({ ttlMs: 1000 });
 * cache.set("/a/b.txt", { size: 3 });
 * cache.set("/a/new.txt", MISSING);
 * assert.deepEqual(cache.get("/a/b.txt"), { size: 3 });
 * cache.invalidate("/a/new.txt"); // a write creates it: forget the negative entry
 * assert.equal(cache.get("/a/new.txt"), undefined); // not cached
 * ```
 */
export class MetadataCache<T, L = unknown> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxListings: number;
  readonly #now: () => number;
  readonly #changes: ChangeLog;
  readonly #entries = new Map<string, Entry<T | typeof MISSING>>();
  readonly #listings: WeightedMap<Entry<L>>;
  readonly #maxListingWeight: number;
  /** Epoch of the last invalidation of each path (bounded; see #noteInvalidated). */
  readonly #invalidatedAt = new Map<string, number>();
  /** Epoch of the last invalidation that covered every path (invalidateTree, clear). */
  #everythingAt = 0;
  #epoch = 0;

  /** Makes an empty cache. */
  constructor(options?: MetadataCacheOptions<L>) {
    this.#ttlMs = options?.ttlMs ?? 1000;
    const weigh = options?.listingWeight;
    this.#listings = new WeightedMap(weigh ? (entry) => weigh(entry.value) : () => 1);
    this.#maxListingWeight = options?.maxListingWeight ?? Infinity;
    if (!(this.#maxListingWeight >= 0)) throw new RangeError("maxListingWeight must be ≥ 0");
    this.#maxEntries = options?.maxEntries ?? 10_000;
    this.#maxListings = options?.maxListings ?? 100;
    this.#now = options?.now ?? Date.now;
    this.#changes = options?.changes ?? pathChanges;
    if (!(this.#ttlMs >= 0)) throw new RangeError("ttlMs must be ≥ 0");
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 0) {
      throw new RangeError("maxEntries must be an integer ≥ 0");
    }
    if (!Number.isInteger(this.#maxListings) || this.#maxListings < 0) {
      throw new RangeError("maxListings must be an integer ≥ 0");
    }
  }

  /** Number of path entries held (expired ones included until touched). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A counter that grows with every invalidation. Read it before a lookup and pass
   * it to {@link set} so a lookup that raced with a write cannot store a stale value.
   */
  get epoch(): number {
    // Shared: the shared record's, which every invalidation (here or in another worker) grows.
    return this.#changes.shared ? this.#changes.epoch : this.#epoch;
  }

  /**
   * The cached value of a path: a `T`, {@link MISSING} (cached negative lookup), or
   * `undefined` when nothing valid is cached.
   */
  get(path: string): T | undefined | typeof MISSING {
    return this.#read(this.#entries, path, "entry");
  }

  /** Caches a path's value (or {@link MISSING}) for the TTL. */
  set(path: string, value: T | typeof MISSING, options?: CacheSetOptions): void {
    if (this.#stale(path, options?.epoch, value === MISSING ? "missing" : "entry")) return;
    this.#write(this.#entries, path, value, { max: this.#maxEntries, epoch: options?.epoch });
  }

  /** The cached listing of a directory, or `undefined`. */
  getListing(directoryPath: string): L | undefined {
    return this.#read(this.#listings, directoryPath, "listing");
  }

  /** Caches a directory's listing for the TTL. */
  setListing(directoryPath: string, listing: L, options?: CacheSetOptions): void {
    if (this.#stale(directoryPath, options?.epoch, "listing")) return;
    this.#write(this.#listings, directoryPath, listing, {
      max: this.#maxListings,
      epoch: options?.epoch,
    });
  }

  /**
   * Forgets what a write to `path` may change: the path's own entry and listing,
   * and the entries and listings of all its ancestors (the parent's listing gains
   * or loses a child; an implicit directory may appear or vanish).
   */
  invalidate(path: string): void {
    this.#epoch++;
    for (const key of selfAndAncestors(path)) {
      this.#entries.delete(key);
      this.#listings.delete(key);
      this.#noteInvalidated(key, "entry");
    }
  }

  /**
   * After this file system ADDED something at `path` (a new or rewritten file, a new
   * directory): drops the path itself, and of its ancestors only negative entries
   * and listings — adding cannot stop an ancestor from being a directory, so their
   * positive entries stay (a writer creating many files in one directory does not
   * look the directory up again for each).
   */
  invalidateAdded(path: string): void {
    this.#epoch++;
    for (const key of selfAndAncestors(path)) {
      if (key === path || this.#entries.get(key)?.value === MISSING) this.#entries.delete(key);
      this.#listings.delete(key);
      this.#noteInvalidated(key, key === path ? "entry" : "missing");
    }
  }

  /**
   * Forgets `path`, everything under it, and its ancestors: for rename and removal
   * of directories.
   */
  invalidateTree(path: string): void {
    this.invalidate(path);
    const prefix = path.endsWith("/") ? path : path + "/";
    for (const map of [this.#entries, this.#listings] as Map<string, unknown>[]) {
      for (const key of map.keys()) if (key.startsWith(prefix)) map.delete(key);
    }
    // Paths under the tree are too many to note one by one: every value looked up
    // before now is suspect.
    this.#everythingAt = this.#epoch;
    this.#invalidatedAt.clear();
    this.#changes.noteEverything();
  }

  /** Forgets everything. */
  clear(): void {
    this.#epoch++;
    this.#entries.clear();
    this.#listings.clear();
    this.#invalidatedAt.clear();
    this.#everythingAt = this.#epoch;
    this.#changes.noteEverything();
  }

  #stale(path: string, epoch: number | undefined, kind: EntryKind): boolean {
    if (epoch === undefined) return false;
    // Shared: every invalidation, this cache's included, is noted in the shared record.
    if (this.#changes.shared) return this.#changedShared(path, epoch, kind);
    if (epoch < this.#everythingAt) return true;
    const at = this.#invalidatedAt.get(path);
    return at !== undefined && epoch < at;
  }

  /** Whether what `kind` of cached value of `path` depends on was noted in the shared record after `epoch`. */
  #changedShared(path: string, epoch: number, kind: EntryKind): boolean {
    const changes = this.#changes;
    if (kind === "listing") return changes.changedSince(path, epoch);
    return changes.changedSince(ENTRY_KEY + path, epoch) ||
      (kind === "missing" && changes.changedSince(MISSING_KEY + path, epoch));
  }

  /**
   * Notes an invalidation of `path`: its listing (the path itself, as the change
   * log's other readers mean it) and, in a shared record, its entry (`"entry"`)
   * or only a negative entry of it (`"missing"`: something was added under it).
   */
  #noteInvalidated(path: string, entry: "entry" | "missing"): void {
    this.#changes.note(path);
    if (this.#changes.shared) {
      this.#changes.note((entry === "entry" ? ENTRY_KEY : MISSING_KEY) + path);
    }
    this.#invalidatedAt.set(path, this.#epoch); // in place, as ChangeLog.note
    if (this.#invalidatedAt.size > Math.max(this.#maxEntries, 64)) {
      // Bound the bookkeeping: forgetting it means treating everything as invalidated now.
      this.#invalidatedAt.clear();
      this.#everythingAt = this.#epoch;
    }
  }

  #read<V>(map: Map<string, Entry<V>>, key: string, kind: EntryKind): V | undefined {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (
      this.#now() >= entry.expires ||
      (entry.since !== undefined &&
        this.#changedShared(key, entry.since, entry.value === MISSING ? "missing" : kind))
    ) {
      map.delete(key);
      return undefined;
    }
    if (map === this.#entries) {
      // Path entries: marked, not moved (a folder's entry is read at every file
      // written in it); eviction gives a marked entry a second chance.
      entry.used = true;
    } else {
      // Listings: the most recently used goes last.
      map.delete(key);
      map.set(key, entry);
    }
    return entry.value;
  }

  #write<V>(
    map: Map<string, Entry<V>>,
    key: string,
    value: V,
    options: { max: number; epoch: number | undefined },
  ): void {
    const max = options.max;
    if (this.#ttlMs === 0 || max === 0) return;
    map.delete(key);
    const entry: Entry<V> = { value, expires: this.#now() + this.#ttlMs };
    // Shared: valid only while nothing covering the path changes (in any worker).
    if (this.#changes.shared) entry.since = options.epoch ?? this.#changes.epoch;
    const weighed = map instanceof WeightedMap ? map : undefined;
    // A value heavier than all may weigh is not kept (nor does it push the others out).
    if (weighed !== undefined && weighed.weigh(entry) > this.#maxListingWeight) return;
    map.set(key, entry);
    const heavy = () => weighed !== undefined && weighed.weight > this.#maxListingWeight;
    // The least recently used go first: the oldest listing; the oldest path entry
    // not read since it was last passed over (one that was goes last, unmarked).
    // Bounded: a second pass over the entries finds them all unmarked.
    for (let i = 0; i <= 2 * map.size && (map.size > max || (map.size > 0 && heavy())); i++) {
      const [oldest, old] = map.entries().next().value!;
      map.delete(oldest);
      if (old.used && map === this.#entries) {
        old.used = false;
        map.set(oldest, old);
      }
    }
  }
}

/** A map that keeps the sum of its values' weights through every change. */
class WeightedMap<V> extends Map<string, V> {
  /** The values' weights in all. */
  weight = 0;
  readonly #weigh: (value: V) => number;

  constructor(weigh: (value: V) => number) {
    super();
    this.#weigh = weigh;
  }

  /** What `value` weighs. */
  weigh(value: V): number {
    return this.#weigh(value);
  }

  override set(key: string, value: V): this {
    this.delete(key);
    super.set(key, value);
    this.weight += this.#weigh(value);
    return this;
  }

  override delete(key: string): boolean {
    if (!super.has(key)) return false;
    this.weight -= this.#weigh(super.get(key)!);
    return super.delete(key);
  }

  override clear(): void {
    super.clear();
    this.weight = 0;
  }
}

function* selfAndAncestors(path: string): Generator<string> {
  yield path;
  let current = path;
  for (let i = 0; i < 4096; i++) {
    const slash = current.lastIndexOf("/");
    if (slash < 0 || current === "/") return;
    current = slash === 0 ? "/" : current.slice(0, slash);
    yield current;
  }
}
