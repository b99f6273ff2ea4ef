/**
 * Directory listing and path lookup over `ListObjects`, which has no delimiter.
 *
 * A directory is listed by skip-scan: `ListObjects` from the directory's prefix;
 * once a child directory `sub` is seen (its marker `a/sub/` or any descendant
 * `a/sub/…`), the scan restarts just past every name under `a/sub/` (at `a/sub0`,
 * `0` being the character after `/`), so the cost grows with the number of
 * children, not of descendants.
 *
 * Children come out with names in byte order (UTF-8, i.e. code point order). Scan
 * order is not quite that order: the directory `b` (seen at `a/b/…`) sorts before
 * the file `b.txt` (seen at `a/b.txt`, earlier in the scan, because `.` < `/`).
 * So a child whose name has a character below `/` is held back until the scan has
 * passed the place where such a directory would show up; when too many are held
 * (a pathological directory), one extra `ListObjects` settles the question.
 *
 * Names no normalized path can reach are not reported as children: the empty name
 * (from `a//x`), `.` and `..`. `walk` and `hasChildren` still see their objects.
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { MAX_OBJECT_NAME_BYTES, utf8Length } from "../storage/limits.ts";
import type { BackupObject, ListObjectsInput, ListObjectsOutput } from "../storage/types.ts";
import { pathChanges } from "./metadata_cache.ts";
import { objectNameOf } from "./paths.ts";

/**
 * One child of a directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ListedEntry } from "./directory_lister.ts";
 * function describe(entry: ListedEntry): string {
 *   return entry.isDirectory ? `${entry.name}/` : `${entry.name} (${entry.object?.ChunksCount ?? 0} chunks)`;
 * }
 * assert.equal(describe({ name: "2024", isFile: false, isDirectory: true }), "2024/");
 * assert.equal(describe({ name: "a.txt", isFile: true, isDirectory: false }), "a.txt (0 chunks)");
 * ```
 */
export interface ListedEntry {
  /** The child's name (one path segment). */
  name: string;
  /** A file (an object without a trailing `/`). */
  isFile: boolean;
  /** A directory (implicit, or with a marker object). */
  isDirectory: boolean;
  /** The file's object, or the directory's marker object when it has one. */
  object?: BackupObject;
}

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

/**
 * Compares two strings in UTF-8 byte order (which is code point order; plain `<`
 * compares UTF-16 code units and puts U+E000–U+FFFF after astral characters).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareNames } from "./directory_lister.ts";
 * const names = ["b", "a", "\u{1F600}", "\uFF01"];
 * assert.deepEqual(names.sort(compareNames), ["a", "b", "\uFF01", "\u{1F600}"]);
 * assert.deepEqual(names.sort(), ["a", "b", "\u{1F600}", "\uFF01"]); // plain sort: UTF-16 order
 * ```
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

const SLASH = 0x2f;
/** The character right after `/`: `prefix + "0"` is the first name past `prefix + "/…"`. */
const AFTER_SLASH = "0";
/** Names one lookup lists at once: the file and the next name, which usually sorts past its directory. */
const LOOKUP_PAGE = 2;

/** A directory found by the first name under it: its marker when that name is the marker. */
function directoryFound(first: BackupObject, directoryPrefix: string): LookupResult {
  return first.Name === directoryPrefix
    ? { kind: "directory", marker: first }
    : { kind: "directory" };
}

/** A child not yet released, and what must be known before it can be. */
interface Held {
  entry: ListedEntry;
  /**
   * Marker names `prefix + d + "/"` of every directory `d` that would sort at or
   * before this child but show up later in the scan: each stem `d` of the name
   * followed by a character below `/`, and (for a file) the name itself. Largest
   * first. The child is released once the scan has passed or probed them all.
   */
  bounds: string[];
}

function unreachable(name: string): boolean {
  return name === "" || name === "." || name === "..";
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
  /** Listings in flight that others may join, by directory prefix. */
  readonly #flights = new Map<string, Flight>();
  #listCalls = 0;

  /** Makes a lister for one job. */
  constructor(storage: BackupStorage, options: DirectoryListerOptions) {
    this.#storage = storage;
    this.#jobId = options.jobId;
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

  async #listObjects(
    input: Omit<ListObjectsInput, "StorageJobId">,
    signal?: AbortSignal,
  ): Promise<ListObjectsOutput> {
    signal?.throwIfAborted();
    this.#listCalls++;
    return await this.#storage.listObjects(
      { StorageJobId: this.#jobId, ...input },
      signal ? { signal } : undefined,
    );
  }

  /**
   * Children of a directory, names in byte order, by skip-scan (see the module
   * doc). A name that is both a file `a/x` and a directory `a/x/…` is reported once,
   * as a directory. Listing a path that is a file or does not exist yields nothing:
   * use {@link lookup} to tell them apart.
   */
  async *list(directoryPath: string, options: ListOptions = {}): AsyncGenerator<ListedEntry> {
    const signal = options.signal;
    const name = objectNameOf(directoryPath);
    const prefix = name === "" ? "" : name + "/";
    if (utf8Length(prefix) > MAX_OBJECT_NAME_BYTES) return;
    if (!this.#share) {
      for await (const batch of this.#scan(prefix, signal, undefined)) yield* batch;
      return;
    }
    const path = name === "" ? "/" : `/${name}`;
    let flight = this.#flights.get(prefix);
    if (flight === undefined || !this.#joinable(flight, path)) {
      flight = new Flight(this.#scan(prefix, undefined, undefined), pathChanges.epoch);
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
          for await (const batch of this.#scan(prefix, signal, last)) yield* batch;
          return;
        }
        if (cursor.at < current.head) {
          const entry = current.entries[cursor.at - current.base];
          cursor.at++;
          last = entry.name;
          yield entry;
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
  #joinable(flight: Flight, path: string): boolean {
    return !flight.done && flight.base === 0 &&
      Date.now() - flight.startedAt <= this.#shareWindowMs &&
      !pathChanges.changedSince(path, flight.epoch);
  }

  /**
   * The skip-scan of one directory (see the module doc), in batches of children
   * (one per page); with `after`, only the children whose names sort after it.
   */
  async *#scan(
    prefix: string,
    signal: AbortSignal | undefined,
    after: string | undefined,
  ): AsyncGenerator<ListedEntry[]> {
    const held: Held[] = [];
    /** Child directories already reported (or held): entries under them are skipped. */
    const directories = new Set<string>();
    /** Bounds a probe has settled: nothing under them is left unknown. */
    const settled = new Set<string>();
    let position = after === undefined ? prefix : prefix + after;

    const boundsOf = (entry: ListedEntry): string[] => {
      const childName = entry.name;
      const bounds: string[] = [];
      for (let i = 1; i < childName.length; i++) {
        if (childName.charCodeAt(i) < SLASH) bounds.push(prefix + childName.slice(0, i) + "/");
      }
      if (entry.isFile) bounds.push(prefix + childName + "/");
      return bounds;
    };
    const hold = (entry: ListedEntry): void => {
      let at = held.length;
      while (at > 0 && compareNames(held[at - 1].entry.name, entry.name) > 0) at--;
      const item = { entry, bounds: boundsOf(entry) };
      if (at > 0 && held[at - 1].entry.name === entry.name) {
        held[at - 1] = item; // a directory replaces a same-named file: the directory wins
      } else {
        held.splice(at, 0, item);
      }
    };
    const addDirectory = (childName: string, marker: BackupObject | undefined): void => {
      directories.add(childName);
      if (unreachable(childName)) return;
      const entry: ListedEntry = { name: childName, isFile: false, isDirectory: true };
      if (marker) entry.object = marker;
      hold(entry);
    };
    /** The first bound of an item neither passed by the scan nor probed. */
    const unresolved = (item: Held): string | undefined => {
      const bounds = item.bounds;
      // Passing the largest bound passes them all.
      if (bounds.length === 0 || compareNames(position, bounds[0]) >= 0) return undefined;
      return bounds.find((b) => !settled.has(b) && compareNames(position, b) < 0);
    };
    const releasable = (item: Held): boolean => unresolved(item) === undefined;
    /** Children released and not yet yielded (yielded once per page: few async hops). */
    const ready: ListedEntry[] = [];
    const release = (all: boolean): void => {
      let n = 0;
      while (n < held.length && (all || releasable(held[n]))) n++;
      if (n === 0) return;
      for (let i = 0; i < n; i++) {
        const entry = held[i].entry;
        if (after === undefined || compareNames(entry.name, after) > 0) ready.push(entry);
      }
      held.splice(0, n);
    };

    let request: Omit<ListObjectsInput, "StorageJobId"> = {
      MaxResults: this.#pageSize,
      ...(prefix === "" ? {} : { StartingObjectPrefix: prefix }),
      ...(after === undefined ? {} : { StartingObjectName: prefix + after }),
    };
    const tokens = new Set<string>();
    for (;;) {
      const page = await this.#listObjects(request, signal);
      let endedUnder: string | undefined;
      for (const object of page.ObjectList) {
        const objectName = object.Name;
        if (!objectName.startsWith(prefix)) continue;
        const rest = objectName.slice(prefix.length);
        endedUnder = undefined;
        if (rest === "") continue; // the directory's own marker
        const slash = rest.indexOf("/");
        if (slash === -1) {
          // A same-named directory already reported wins over the file.
          if (!unreachable(rest) && !directories.has(rest)) {
            hold({ name: rest, isFile: true, isDirectory: false, object });
          }
        } else {
          const childName = rest.slice(0, slash);
          if (!directories.has(childName)) {
            addDirectory(childName, slash === rest.length - 1 ? object : undefined);
          }
          endedUnder = childName;
        }
        position = objectName;
        release(false);
        if (held.length > this.#maxHeld) {
          await this.#settle(prefix, held, {
            settled,
            addDirectory,
            unresolved,
            ready,
            after,
            signal,
          });
          release(false);
        }
      }
      if (ready.length > 0) yield ready.splice(0);
      if (page.NextToken === undefined || page.NextToken === "") break;
      if (endedUnder !== undefined) {
        // Skip every remaining name under the child directory the page ended in.
        position = prefix + endedUnder + AFTER_SLASH;
        release(false);
        request = {
          MaxResults: this.#pageSize,
          StartingObjectName: position,
          ...(prefix === "" ? {} : { StartingObjectPrefix: prefix }),
        };
      } else {
        if (tokens.has(page.NextToken)) {
          throw new Error("ListObjects returned a NextToken it had already returned");
        }
        tokens.add(page.NextToken);
        request = { MaxResults: this.#pageSize, NextToken: page.NextToken };
      }
    }
    release(true);
    if (ready.length > 0) yield ready.splice(0);
  }

  /**
   * Too many children are held back: probe the unresolved bounds of the first one
   * (is there a directory of that name?), one `ListObjects` each, until few enough
   * remain; the children released go to `state.ready`, in order.
   */
  async #settle(
    prefix: string,
    held: Held[],
    state: {
      settled: Set<string>;
      addDirectory: (name: string, marker: BackupObject | undefined) => void;
      unresolved: (item: Held) => string | undefined;
      ready: ListedEntry[];
      after: string | undefined;
      signal: AbortSignal | undefined;
    },
  ): Promise<void> {
    // Each round probes one new bound or releases at least the first child.
    while (held.length > this.#maxHeld) {
      const bound = state.unresolved(held[0]);
      if (bound !== undefined) {
        const page = await this.#listObjects(
          { StartingObjectPrefix: bound, MaxResults: 1 },
          state.signal,
        );
        const found = page.ObjectList[0];
        if (found !== undefined && found.Name.startsWith(bound)) {
          // bound is `prefix + child + "/"`: that child is a directory.
          state.addDirectory(
            bound.slice(prefix.length, -1),
            found.Name === bound ? found : undefined,
          );
        }
        state.settled.add(bound);
      }
      let n = 0;
      while (n < held.length && state.unresolved(held[n]) === undefined) n++;
      for (const item of held.splice(0, n)) {
        const after = state.after;
        if (after === undefined || compareNames(item.entry.name, after) > 0) {
          state.ready.push(item.entry);
        }
      }
    }
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
  async lookup(path: string, options: ListOptions = {}): Promise<LookupResult> {
    const name = objectNameOf(path);
    if (name === "") return { kind: "directory" };
    const signal = options.signal;
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
  async hasChildren(directoryPath: string, options: ListOptions = {}): Promise<boolean> {
    const name = objectNameOf(directoryPath);
    const prefix = name === "" ? "" : name + "/";
    if (utf8Length(prefix) > MAX_OBJECT_NAME_BYTES) return false;
    const page = await this.#listObjects(
      prefix === "" ? { MaxResults: 1 } : { StartingObjectPrefix: prefix, MaxResults: 2 },
      options.signal,
    );
    return page.ObjectList.some((o) => o.Name !== prefix && o.Name.startsWith(prefix));
  }

  /**
   * Every object under a directory, recursively, in byte order — the directory's
   * own marker included (first) — for recursive remove, copy and rename. For `/`,
   * every object of the job.
   */
  async *walk(directoryPath: string, options: ListOptions = {}): AsyncGenerator<BackupObject> {
    const name = objectNameOf(directoryPath);
    const prefix = name === "" ? "" : name + "/";
    if (utf8Length(prefix) > MAX_OBJECT_NAME_BYTES) return;
    let request: Omit<ListObjectsInput, "StorageJobId"> = {
      MaxResults: this.#pageSize,
      ...(prefix === "" ? {} : { StartingObjectPrefix: prefix }),
    };
    const tokens = new Set<string>();
    for (;;) {
      const page = await this.#listObjects(request, options.signal);
      for (const object of page.ObjectList) if (object.Name.startsWith(prefix)) yield object;
      const next = page.NextToken;
      if (next === undefined || next === "") return;
      if (tokens.has(next)) {
        throw new Error("ListObjects returned a NextToken it had already returned");
      }
      tokens.add(next);
      request = { MaxResults: this.#pageSize, NextToken: next };
    }
  }
}

/**
 * One scan of a directory shared by the listings that joined it: the entries not
 * yet read by every consumer (at most `maxShared` of them), pulled page by page by
 * whichever consumer needs the next one.
 */
class Flight {
  readonly startedAt = Date.now();
  /** The change-log epoch when the scan began. */
  readonly epoch: number;
  /** Entries from sequence number `base` on. */
  entries: ListedEntry[] = [];
  base = 0;
  done = false;
  failed = false;
  error: unknown;
  /** Each consumer's next sequence number. */
  readonly cursors = new Set<{ at: number }>();
  readonly #scan: AsyncGenerator<ListedEntry[]>;
  #pulling: Promise<void> | undefined;

  constructor(scan: AsyncGenerator<ListedEntry[]>, epoch: number) {
    this.#scan = scan;
    this.epoch = epoch;
  }

  /** Sequence number after the last entry pulled. */
  get head(): number {
    return this.base + this.entries.length;
  }

  /** Pulls the next batch (one pull at a time, shared by all who wait). */
  pull(maxShared: number, ended: () => void): Promise<void> {
    this.#pulling ??= this.#pull(maxShared, ended).finally(() => {
      this.#pulling = undefined;
    });
    return this.#pulling;
  }

  async #pull(maxShared: number, ended: () => void): Promise<void> {
    try {
      const next = await this.#scan.next();
      if (next.done) {
        this.done = true;
        ended();
        return;
      }
      this.entries.push(...next.value);
    } catch (error) {
      this.done = true;
      this.failed = true;
      this.error = error;
      ended();
      return;
    }
    // Drop what every consumer has read, and beyond `maxShared` what the slowest
    // have not (they continue on their own).
    let first = this.head;
    for (const cursor of this.cursors) first = Math.min(first, cursor.at);
    first = Math.max(first, this.head - maxShared);
    if (first > this.base) {
      this.entries.splice(0, first - this.base);
      this.base = first;
    }
  }

  /** A consumer is done with it; the last one stops the scan. */
  leave(cursor: { at: number }, ended: () => void): void {
    this.cursors.delete(cursor);
    if (this.cursors.size > 0 || this.done) return;
    this.done = true;
    ended();
    const pulling = this.#pulling ?? Promise.resolve();
    void pulling.then(() => this.#scan.return(undefined)).catch(() => {});
  }
}
