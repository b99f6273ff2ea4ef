/**
 * Every member of a collection's subtree for PROPFIND `Depth: infinity`, from one
 * scan of the object names under its prefix (`ListObjects` pages in byte order),
 * not a listing per directory. Names in byte order make each directory's
 * descendants one contiguous run, so the directories being walked are a stack as
 * deep as the path, and a directory that exists only as a prefix of its
 * descendants (implicit) is reported when the run starts; an explicit one (a
 * marker object `dir/`) is its run's first name and brings its attributes.
 *
 * As BackupFS reads the tree: a name that is both a file `a/x` and a directory
 * `a/x/…` is the directory; names with an empty, `.` or `..` segment are not
 * reachable (their reachable ancestors still show). A file is held back until the
 * scan passes the place its same-named directory would be (`a/x/`, after names
 * such as `a/x.txt` that sort between); when more than `maxHeld` members wait, one
 * `ListObjects` call settles the first. Memory is bounded by `maxHeld`, a page and
 * the depth of the tree, whatever its size.
 *
 * @module
 */

import type { BackupFileInfo, BackupFS } from "../../src/fs/mod.ts";
import { directoryInfo } from "../../src/fs/file_info.ts";
import { compareNames } from "../../src/fs/name_order.ts";
import { directoryPrefixOf } from "../../src/fs/paths.ts";
import { PathResolver } from "../../src/fs/path_resolver.ts";
import { isLocalObjectLister } from "../../src/storage/backup_storage.ts";
import type { BackupObject, ListObjectsInput, ListObjectsOutput } from "../../src/storage/types.ts";

/** One member of a subtree. */
export interface SubtreeMember {
  /** Its BackupFS path. */
  path: string;
  /** Its name (the path's last segment). */
  name: string;
  /** Its info, as a directory listing gives it. */
  info: BackupFileInfo;
}

/** What a scan did, for tests and measurements (counted as it goes). */
export interface SubtreeCounters {
  /** Objects read from the listing pages. */
  objects: number;
  /** Members yielded. */
  yielded: number;
  /** Most members held back at once (waiting for a same-named directory to be ruled out). */
  mostHeld: number;
  /** `ListObjects` calls made (pages and probes). */
  calls: number;
}

/** Options of {@link subtreeBatches}. */
export interface SubtreeOptions {
  /** Most members held back before a probe settles the first (default 1000). */
  maxHeld?: number;
  /** `MaxResults` of each page, 1–100 (default 100). */
  pageSize?: number;
  /** Stops the scan. */
  signal?: AbortSignal;
  /** Counted as the scan goes. */
  counters?: SubtreeCounters;
}

/** Whether no normalized path can reach a segment of this name. */
function unreachable(segment: string): boolean {
  return segment === "" || segment === "." || segment === "..";
}

/** A member waiting for its turn: a file until its same-named directory is ruled out. */
interface Queued {
  member: SubtreeMember;
  /** For a file still undecided: its object name followed by `/`. */
  shadowPrefix?: string;
  /** A file found to be a directory's shadow: dropped. */
  dropped?: boolean;
}

/**
 * The members under the directory `directory` (not itself), a batch (never
 * empty) per listing page, in the order described in the module doc: object name
 * order, a file after the names that sort between it and `file/`. Nothing for a
 * file or a path with nothing under it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { subtreeBatches } from "./propfind_subtree.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "j" });
 *   await fs.mkdir("/docs/empty", { recursive: true });
 *   await fs.mkdir("/docs/a/b", { recursive: true });
 *   await fs.writeTextFile("/docs/a/b/c.txt", "c");
 *   await fs.writeTextFile("/docs/a.txt", "a");
 *   const members = (await Array.fromAsync(subtreeBatches(fs, "/docs"))).flat();
 *   assert.deepEqual(
 *     members.map((m) => `${m.path}${m.info.isDirectory ? "/" : ""}`),
 *     ["/docs/a.txt", "/docs/a/", "/docs/a/b/", "/docs/a/b/c.txt", "/docs/empty/"],
 *   );
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function* subtreeBatches(
  fs: BackupFS,
  directory: string,
  options?: SubtreeOptions,
): AsyncGenerator<SubtreeMember[]> {
  const counters = options?.counters ?? { objects: 0, yielded: 0, mostHeld: 0, calls: 0 };
  const maxHeld = Math.max(1, options?.maxHeld ?? 1000);
  const pageSize = options?.pageSize ?? 100;
  const signal = options?.signal;
  const storage = fs.storage;
  const jobId = fs.jobId;
  const paths = new PathResolver(storage, { jobId });
  const listObjects = (input: Omit<ListObjectsInput, "StorageJobId">) => {
    signal?.throwIfAborted();
    counters.calls++;
    return isLocalObjectLister(storage)
      ? storage.listObjectsLocally({ StorageJobId: jobId, ...input })
      : storage.listObjects({ StorageJobId: jobId, ...input }, signal ? { signal } : undefined);
  };
  let prefix: string;
  try {
    prefix = directoryPrefixOf(directory);
  } catch {
    return; // too long for anything to be under it
  }
  const base = directory === "/" ? "" : directory;

  /** The directories of the run the scan is in, outermost first (all reported). */
  const open: string[] = [];
  const queue: Queued[] = [];
  /** Members released, yielded once per page. */
  let ready: SubtreeMember[] = [];

  const release = () => {
    while (queue.length > 0 && queue[0].shadowPrefix === undefined) {
      const first = queue.shift()!;
      if (!first.dropped) ready.push(first.member);
    }
  };
  /** Decides every held file the scan has now passed the place of (`name` read). */
  const passed = (name: string) => {
    for (const queued of queue) {
      const shadow = queued.shadowPrefix;
      if (shadow === undefined || compareNames(name, shadow) < 0) continue;
      queued.dropped = name.startsWith(shadow);
      queued.shadowPrefix = undefined;
    }
  };
  const fileMember = async (object: BackupObject, path: string, name: string) => ({
    path,
    name,
    info: paths.listedFileInfo(object) ??
      await paths.fileInfoOf(object, { path, op: "propfind" }),
  });

  let request: Omit<ListObjectsInput, "StorageJobId"> = {
    MaxResults: pageSize,
    ...(prefix === "" ? {} : { StartingObjectPrefix: prefix }),
  };
  const tokens = new Set<string>();
  for (;;) {
    const page: ListObjectsOutput = await listObjects(request);
    for (const object of page.ObjectList) {
      const objectName = object.Name;
      if (!objectName.startsWith(prefix)) continue;
      counters.objects++;
      passed(objectName);
      const rest = objectName.slice(prefix.length);
      if (rest === "") continue; // the collection's own marker
      const segments = rest.split("/");
      const isMarker = objectName.endsWith("/");
      const last = segments.pop()!; // "" for a marker
      let reachable = segments.findIndex(unreachable);
      const truncated = reachable !== -1 || (!isMarker && unreachable(last));
      if (reachable === -1) reachable = segments.length;
      // The directories of this name: close the runs it left, open (report) the new ones.
      let common = 0;
      while (common < open.length && common < reachable && open[common] === segments[common]) {
        common++;
      }
      open.length = common;
      for (let i = common; i < reachable; i++) {
        open.push(segments[i]);
        const path = `${base}/${open.join("/")}`;
        const marker = isMarker && !truncated && i === reachable - 1 ? object : undefined;
        queue.push({ member: { path, name: segments[i], info: directoryInfo(marker) } });
      }
      if (!isMarker && !truncated) {
        const path = `${base}/${rest}`;
        queue.push({
          member: await fileMember(object, path, last),
          shadowPrefix: `${objectName}/`,
        });
      }
      counters.mostHeld = Math.max(counters.mostHeld, queue.length);
      release();
      while (queue.length > maxHeld) {
        // Too many wait for the first: one call tells whether its directory exists.
        const first = queue[0];
        const probe = await listObjects({
          StartingObjectPrefix: first.shadowPrefix!,
          MaxResults: 1,
        });
        first.dropped = probe.ObjectList.some((o) => o.Name.startsWith(first.shadowPrefix!));
        first.shadowPrefix = undefined;
        release();
      }
    }
    if (ready.length > 0) {
      counters.yielded += ready.length;
      const batch = ready;
      ready = [];
      yield batch;
    }
    const next = page.NextToken;
    if (next === undefined || next === "") break;
    if (tokens.has(next)) {
      throw new Error("ListObjects returned a NextToken it had already returned");
    }
    tokens.add(next);
    request = { MaxResults: pageSize, NextToken: next };
  }
  // Nothing follows: every file still held is a file.
  for (const queued of queue) queued.shadowPrefix = undefined;
  release();
  if (ready.length > 0) {
    counters.yielded += ready.length;
    yield ready;
  }
}
