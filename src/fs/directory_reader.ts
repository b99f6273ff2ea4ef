/**
 * Reading a directory of a BackupFS: its entries, or its entries with their info,
 * from one listing. The listing runs first: any child proves the path is a
 * directory, so only an empty listing needs the lookup that tells an empty
 * directory from a file or nothing. A listing that ran to its end also leaves its
 * child names in the resolver's cache, so lookups of absent children cost nothing;
 * and a listing of up to 4,096 children with their infos leaves those too, so
 * that listing it again within the cache's TTL (a file manager's refresh, a client
 * polling a folder) asks the storage nothing. Writes through this file system
 * drop the listings they change, as they drop cached lookups.
 *
 * @module
 */

import type { BackupDirEntry, BackupFileInfo } from "./file_info.ts";
import { directoryInfo } from "./file_info.ts";
import { fromStorageError, notADirectory, notFound } from "./fs_errors.ts";
import type { ListedEntry } from "./directory_lister.ts";
import type { PathResolver, ResolvedPath } from "./path_resolver.ts";

/**
 * The entries of the directory at the normalized path `p`, names in byte order;
 * `NotFound` or `NotADirectory` (after an empty listing) when it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import { readDirectoryEntries } from "./directory_reader.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.mkdir("/docs/a", { recursive: true });
 *   await fs.writeTextFile("/docs/b.txt", "b");
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const names = [];
 *   for await (const entry of readDirectoryEntries(paths, "/docs")) names.push(entry.name);
 *   assert.deepEqual(names, ["a", "b.txt"]);
 *   await assert.rejects(Array.fromAsync(readDirectoryEntries(paths, "/docs/b.txt")), Deno.errors.NotADirectory);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function* readDirectoryEntries(
  paths: PathResolver,
  p: string,
): AsyncGenerator<BackupDirEntry> {
  for await (const { entry } of listedChildren(paths, p)) {
    yield {
      name: entry.name,
      isFile: entry.isFile,
      isDirectory: entry.isDirectory,
      isSymlink: false,
    };
  }
}

/**
 * The entries of the directory at the normalized path `p` with their info, names in
 * byte order, built from the listing itself: no lookup per entry (only an object
 * another tool wrote, without BackupFS attributes, costs a chunk listing for its
 * size). Each entry's info is also cached, so a lookup of it right after is free.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import { readDirectoryInfo } from "./directory_reader.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await new BackupFS(store, { jobId: "home" }).writeTextFile("/a.txt", "hello");
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const entries = await Array.fromAsync(readDirectoryInfo(paths, "/"));
 *   assert.deepEqual(entries.map((e) => [e.name, e.info.size]), [["a.txt", 5]]);
 *   const calls = paths.lister.listCalls;
 *   assert.equal((await paths.lookupPath("/a.txt", "stat"))?.info.size, 5);
 *   assert.equal(paths.lister.listCalls, calls); // primed by the listing
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function* readDirectoryInfo(
  paths: PathResolver,
  p: string,
): AsyncGenerator<{ name: string; info: BackupFileInfo }> {
  for await (const batch of readDirectoryInfoBatches(paths, p)) yield* batch;
}

/** Options of {@link readDirectoryInfoBatches} and `BackupFS.readDirInfoBatches`. */
export interface ReadDirInfoOptions {
  /**
   * Which entries' infos are cached, so that a `stat` (or a read of extended
   * attributes) of one right after costs no lookup: all (`true`, the default),
   * none (`false`), or only those that may have extended attributes
   * (`"extended-attributes"`: what a WebDAV PROPFIND reads next, for their dead
   * properties). A caller that needs little beyond the listing caches less: the
   * cached entries outlive the listing, and measured on a PROPFIND Depth 1 of
   * 2,000 files, caching them all made it about twice as slow (median 9 against
   * 20 ms, slowest tenth 19–33 against 41–49 ms, in-process).
   */
  primeStatCache?: boolean | "extended-attributes";
}

/**
 * The entries {@link readDirectoryInfo} yields, a batch (never empty) at a time:
 * one async step per batch of the listing, not per entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupFS } from "./backup_fs.ts";
 * import { readDirectoryInfoBatches } from "./directory_reader.ts";
 * import { PathResolver } from "./path_resolver.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.writeTextFile("/a.txt", "hello");
 *   await fs.mkdir("/b");
 *   const paths = new PathResolver(store, { jobId: "home" });
 *   const batches = await Array.fromAsync(readDirectoryInfoBatches(paths, "/"));
 *   assert.deepEqual(batches.flat().map((e) => [e.name, e.info.isFile]), [["a.txt", true], ["b", false]]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function* readDirectoryInfoBatches(
  paths: PathResolver,
  p: string,
  options?: ReadDirInfoOptions,
): AsyncGenerator<{ name: string; info: BackupFileInfo }[]> {
  const base = p === "/" ? "/" : `${p}/`;
  const prime = options?.primeStatCache ?? true;
  const primes = (resolved: ResolvedPath) =>
    prime === true ||
    (prime === "extended-attributes" && resolved.info.hasExtendedAttributes !== false);
  const cached = paths.cache.getListing(p)?.children;
  if (cached !== undefined) {
    const epoch = paths.cache.epoch;
    for (let start = 0; start < cached.length; start += CACHED_BATCH) {
      const batch = cached.slice(start, start + CACHED_BATCH);
      for (const { name, resolved } of batch) {
        if (primes(resolved)) paths.cache.set(base + name, resolved, { epoch });
      }
      yield batch.map(({ name, resolved }) => ({ name, info: resolved.info }));
    }
    return;
  }
  /** The children with what they resolve to, while the directory is small enough to keep them. */
  let children: { name: string; resolved: ResolvedPath }[] | undefined = [];
  try {
    for await (const { entries, epoch } of listedBatches(paths, p, () => children)) {
      const batch: { name: string; info: BackupFileInfo }[] = [];
      for (const entry of entries) {
        const child = base + entry.name;
        let resolved: ResolvedPath;
        if (entry.isDirectory) {
          resolved = {
            kind: "directory",
            ...(entry.object ? { marker: entry.object } : {}),
            info: directoryInfo(entry.object),
          };
        } else if (entry.object) {
          const object = entry.object;
          // Decoded from the listing; only an object another tool wrote waits (ListChunks).
          const info = paths.listedFileInfo(object) ??
            await paths.fileInfoOf(object, { path: child, op: "readdir" });
          resolved = { kind: "file", object, info };
        } else {
          // Not expected from the lister; look it up rather than guess.
          const looked = await paths.lookupPath(child, "readdir");
          if (looked) {
            batch.push({ name: entry.name, info: looked.info });
            children?.push({ name: entry.name, resolved: looked });
          }
          continue;
        }
        if (primes(resolved)) paths.cache.set(child, resolved, { epoch });
        batch.push({ name: entry.name, info: resolved.info });
        children?.push({ name: entry.name, resolved });
      }
      if (children !== undefined && children.length > MAX_CACHED_CHILDREN) children = undefined;
      if (batch.length > 0) yield batch;
    }
  } catch (error) {
    throw fromStorageError(error, "readdir", p);
  }
}

/**
 * The children of `p` as the lister gives them, with the cache epoch the listing
 * began at; at the end, {@link listingEnded}.
 */
async function* listedChildren(
  paths: PathResolver,
  p: string,
): AsyncGenerator<{ entry: ListedEntry; epoch: number }> {
  for await (const { entries, epoch } of listedBatches(paths, p)) {
    for (const entry of entries) yield { entry, epoch };
  }
}

/**
 * The children of `p` as the lister gives them, a batch at a time, with the cache
 * epoch the listing began at; at the end, {@link listingEnded}, which also keeps
 * what `children` then returns (the consumer's resolved children, every one of
 * them and at most {@link MAX_CACHED_CHILDREN}, or `undefined`).
 */
async function* listedBatches(
  paths: PathResolver,
  p: string,
  children?: () => readonly { name: string; resolved: ResolvedPath }[] | undefined,
): AsyncGenerator<{ entries: ListedEntry[]; epoch: number }> {
  const epoch = paths.cache.epoch;
  const names = new ChildNames();
  let any = false;
  try {
    for await (const entries of paths.lister.listBatches(p)) {
      any = true;
      for (const entry of entries) names.add(entry.name);
      yield { entries, epoch };
    }
  } catch (error) {
    throw fromStorageError(error, "readdir", p);
  }
  await listingEnded(paths, p, { any, names, epoch, children: children?.() });
}

/**
 * After a listing ran to its end: an empty one must be a directory (else
 * NotFound or NotADirectory); then its child names are remembered (unless it
 * changed meanwhile).
 */
async function listingEnded(
  paths: PathResolver,
  p: string,
  listing: {
    any: boolean;
    names: ChildNames;
    epoch: number;
    children: readonly { name: string; resolved: ResolvedPath }[] | undefined;
  },
): Promise<void> {
  if (!listing.any) {
    const resolved = await paths.lookupPath(p, "readdir");
    if (!resolved) throw notFound("readdir", p);
    if (resolved.kind !== "directory") throw notADirectory("readdir", p);
  }
  if (!listing.names.overflowed) {
    const children = listing.children;
    paths.cache.setListing(p, {
      names: listing.names.seen,
      ...(children === undefined ? {} : { children }),
    }, { epoch: listing.epoch });
  }
}

/** Children handed out at once from a cached listing. */
const CACHED_BATCH = 100;

/**
 * Most child names remembered for one listed directory; a bigger one is not
 * remembered. With the cache's 100 listings at most, that bounds the memory
 * (~400,000 names).
 */
const MAX_LISTED_NAMES = 4096;

/**
 * Most children whose infos a cached listing keeps (the cache also bounds them in
 * all: see `path_resolver.ts`). A bigger directory keeps only its names.
 */
const MAX_CACHED_CHILDREN = MAX_LISTED_NAMES;

/** The child names seen by a listing, up to {@link MAX_LISTED_NAMES}. */
class ChildNames {
  readonly seen = new Set<string>();
  overflowed = false;

  add(name: string): void {
    if (this.overflowed) return;
    if (this.seen.size >= MAX_LISTED_NAMES) {
      this.overflowed = true;
      this.seen.clear();
    } else {
      this.seen.add(name);
    }
  }
}
