/**
 * The skip-scan that lists one directory over `ListObjects`, which has no
 * delimiter.
 *
 * `ListObjects` runs from the directory's prefix; once a child directory `sub` is
 * seen (its marker `a/sub/` or any descendant `a/sub/…`), the scan restarts just
 * past every name under `a/sub/` (at `a/sub0`, `0` being the character after `/`),
 * so the cost grows with the number of children, not of descendants.
 *
 * Children come out with names in byte order (UTF-8, i.e. code point order). Scan
 * order is not quite that order: the directory `b` (seen at `a/b/…`) sorts before
 * the file `b.txt` (seen at `a/b.txt`, earlier in the scan, because `.` < `/`).
 * So a child whose name has a character below `/` is held back until the scan has
 * passed the place where such a directory would show up; when too many are held
 * (a pathological directory), one extra `ListObjects` settles the question.
 *
 * Names no normalized path can reach are not reported as children: the empty name
 * (from `a//x`), `.` and `..`.
 *
 * @module
 */

import type { BackupObject, ListObjectsInput, ListObjectsOutput } from "../storage/types.ts";
import { compareNames } from "./name_order.ts";

/**
 * One child of a directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ListedEntry } from "./directory_scan.ts";
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
 * Lists one page of objects of the job; the scan's caller supplies it (and counts
 * the calls).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ListObjectsPage } from "./directory_scan.ts";
 * const empty: ListObjectsPage = () => Promise.resolve({ ObjectList: [], $metadata: {} });
 * assert.deepEqual((await empty({ MaxResults: 1 })).ObjectList, []);
 * ```
 */
export type ListObjectsPage = (
  input: Omit<ListObjectsInput, "StorageJobId">,
  signal?: AbortSignal,
) => Promise<ListObjectsOutput>;

/**
 * Options of {@link scanDirectory}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DirectoryScanOptions, scanDirectory } from "./directory_scan.ts";
 * const object = { Name: "a/x", ObjectToken: "t", ObjectChecksum: "", ObjectChecksumAlgorithm: "SUMMARY" as const };
 * const options: DirectoryScanOptions = {
 *   listObjects: () => Promise.resolve({ ObjectList: [object], $metadata: {} }), // one page: a file "x"
 *   pageSize: 100,
 *   maxHeld: 1000,
 * };
 * const batches = await Array.fromAsync(scanDirectory("a/", options));
 * assert.deepEqual(batches.flat().map((e) => e.name), ["x"]);
 * ```
 */
export interface DirectoryScanOptions {
  /** Lists one page of objects. */
  listObjects: ListObjectsPage;
  /** `MaxResults` of each page, 1–100. */
  pageSize: number;
  /** Most children held back before a probe settles the first (≥ 1). */
  maxHeld: number;
  /** Aborts the scan. */
  signal?: AbortSignal | undefined;
  /** Only the children whose names sort after this one. */
  after?: string | undefined;
}

/**
 * The children of the directory whose objects start with `prefix` (`""` for the
 * root, else ending in `/`), names in byte order, in batches (one per page), by
 * skip-scan (see the module doc). A name that is both a file and a directory is
 * reported once, as a directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { scanDirectory } from "./directory_scan.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   for (const name of ["a/b.txt", "a/b/1", "a/b/2", "a/c"]) {
 *     await store.putObject({ BackupJobId: "job-1", ObjectName: name });
 *   }
 *   let calls = 0;
 *   const batches = scanDirectory("a/", {
 *     listObjects: (input, signal) => {
 *       calls++;
 *       return store.listObjects({ StorageJobId: "job-1", ...input }, signal ? { signal } : undefined);
 *     },
 *     pageSize: 2,
 *     maxHeld: 1000,
 *   });
 *   const names = (await Array.fromAsync(batches)).flat().map((e) => e.isDirectory ? `${e.name}/` : e.name);
 *   assert.deepEqual(names, ["b/", "b.txt", "c"]); // the directory b sorts before b.txt
 *   assert.equal(calls, 2); // the second page starts past everything under a/b/
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function scanDirectory(
  prefix: string,
  options: DirectoryScanOptions,
): AsyncGenerator<ListedEntry[]> {
  return new SkipScan(prefix, options).batches();
}

/**
 * Remembers a `NextToken` of a paginated listing; a token seen before would loop
 * forever, so it throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rememberNextToken } from "./directory_scan.ts";
 * const seen = new Set<string>();
 * rememberNextToken(seen, "page-2");
 * assert.throws(() => rememberNextToken(seen, "page-2"), /already returned/);
 * ```
 */
export function rememberNextToken(seen: Set<string>, token: string): void {
  if (seen.has(token)) {
    throw new Error("ListObjects returned a NextToken it had already returned");
  }
  seen.add(token);
}

const SLASH = 0x2f;
/** The character right after `/`: `prefix + "0"` is the first name past `prefix + "/…"`. */
const AFTER_SLASH = "0";

/** Whether no normalized path can reach a child of this name. */
function unreachable(name: string): boolean {
  return name === "" || name === "." || name === "..";
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

/** One skip-scan of one directory (see the module doc). */
class SkipScan {
  readonly #prefix: string;
  readonly #after: string | undefined;
  readonly #listObjects: ListObjectsPage;
  readonly #pageSize: number;
  readonly #maxHeld: number;
  readonly #signal: AbortSignal | undefined;
  /** Children not yet released, in name order. */
  readonly #held: Held[] = [];
  /** Child directories already reported (or held): entries under them are skipped. */
  readonly #directories = new Set<string>();
  /** Bounds a probe has settled: nothing under them is left unknown. */
  readonly #settled = new Set<string>();
  /** Children released and not yet yielded (yielded once per page: few async hops). */
  readonly #ready: ListedEntry[] = [];
  /** The last name the scan has passed. */
  #position: string;

  constructor(prefix: string, options: DirectoryScanOptions) {
    this.#prefix = prefix;
    this.#after = options.after;
    this.#listObjects = options.listObjects;
    this.#pageSize = options.pageSize;
    this.#maxHeld = options.maxHeld;
    this.#signal = options.signal;
    this.#position = options.after === undefined ? prefix : prefix + options.after;
  }

  async *batches(): AsyncGenerator<ListedEntry[]> {
    const prefix = this.#prefix;
    const after = this.#after;
    let request: Omit<ListObjectsInput, "StorageJobId"> = {
      MaxResults: this.#pageSize,
      ...(prefix === "" ? {} : { StartingObjectPrefix: prefix }),
      ...(after === undefined ? {} : { StartingObjectName: prefix + after }),
    };
    const tokens = new Set<string>();
    for (;;) {
      const page = await this.#listObjects(request, this.#signal);
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
          if (!unreachable(rest) && !this.#directories.has(rest)) {
            this.#hold({ name: rest, isFile: true, isDirectory: false, object });
          }
        } else {
          const childName = rest.slice(0, slash);
          if (!this.#directories.has(childName)) {
            this.#addDirectory(childName, slash === rest.length - 1 ? object : undefined);
          }
          endedUnder = childName;
        }
        this.#position = objectName;
        this.#release(false);
        if (this.#held.length > this.#maxHeld) {
          await this.#settle();
          this.#release(false);
        }
      }
      if (this.#ready.length > 0) yield this.#ready.splice(0);
      if (page.NextToken === undefined || page.NextToken === "") break;
      if (endedUnder !== undefined) {
        // Skip every remaining name under the child directory the page ended in.
        this.#position = prefix + endedUnder + AFTER_SLASH;
        this.#release(false);
        request = {
          MaxResults: this.#pageSize,
          StartingObjectName: this.#position,
          ...(prefix === "" ? {} : { StartingObjectPrefix: prefix }),
        };
      } else {
        rememberNextToken(tokens, page.NextToken);
        request = { MaxResults: this.#pageSize, NextToken: page.NextToken };
      }
    }
    this.#release(true);
    if (this.#ready.length > 0) yield this.#ready.splice(0);
  }

  #boundsOf(entry: ListedEntry): string[] {
    const childName = entry.name;
    const bounds: string[] = [];
    for (let i = 1; i < childName.length; i++) {
      if (childName.charCodeAt(i) < SLASH) bounds.push(this.#prefix + childName.slice(0, i) + "/");
    }
    if (entry.isFile) bounds.push(this.#prefix + childName + "/");
    return bounds;
  }

  #hold(entry: ListedEntry): void {
    const held = this.#held;
    let at = held.length;
    while (at > 0 && compareNames(held[at - 1].entry.name, entry.name) > 0) at--;
    const item = { entry, bounds: this.#boundsOf(entry) };
    if (at > 0 && held[at - 1].entry.name === entry.name) {
      held[at - 1] = item; // a directory replaces a same-named file: the directory wins
    } else {
      held.splice(at, 0, item);
    }
  }

  #addDirectory(childName: string, marker: BackupObject | undefined): void {
    this.#directories.add(childName);
    if (unreachable(childName)) return;
    const entry: ListedEntry = { name: childName, isFile: false, isDirectory: true };
    if (marker) entry.object = marker;
    this.#hold(entry);
  }

  /** The first bound of an item neither passed by the scan nor probed. */
  #unresolved(item: Held): string | undefined {
    const bounds = item.bounds;
    const position = this.#position;
    // Passing the largest bound passes them all.
    if (bounds.length === 0 || compareNames(position, bounds[0]) >= 0) return undefined;
    // The first bound is not passed (just compared); the others are compared in turn.
    if (!this.#settled.has(bounds[0])) return bounds[0];
    for (let i = 1; i < bounds.length; i++) {
      const bound = bounds[i];
      if (compareNames(position, bound) < 0 && !this.#settled.has(bound)) return bound;
    }
    return undefined;
  }

  /** Moves the held children that can go (all of them at the end) to the ready ones. */
  #release(all: boolean): void {
    const held = this.#held;
    let n = 0;
    while (n < held.length && (all || this.#unresolved(held[n]) === undefined)) n++;
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const entry = held[i].entry;
      if (this.#after === undefined || compareNames(entry.name, this.#after) > 0) {
        this.#ready.push(entry);
      }
    }
    held.splice(0, n);
  }

  /**
   * Too many children are held back: probe the unresolved bounds of the first one
   * (is there a directory of that name?), one `ListObjects` each, until few enough
   * remain; the children released go to the ready ones, in order.
   */
  async #settle(): Promise<void> {
    // Each round probes one new bound or releases at least the first child.
    while (this.#held.length > this.#maxHeld) {
      const bound = this.#unresolved(this.#held[0]);
      if (bound !== undefined) {
        const page = await this.#listObjects(
          { StartingObjectPrefix: bound, MaxResults: 1 },
          this.#signal,
        );
        const found = page.ObjectList[0];
        if (found !== undefined && found.Name.startsWith(bound)) {
          // bound is `prefix + child + "/"`: that child is a directory.
          this.#addDirectory(
            bound.slice(this.#prefix.length, -1),
            found.Name === bound ? found : undefined,
          );
        }
        this.#settled.add(bound);
      }
      this.#release(false);
    }
  }
}
