/**
 * Walking a BackupFS tree depth-first, names in byte order, one directory
 * listing open per level (memory grows with the depth, not the size).
 *
 * @module
 */

import type { BackupFileInfo, BackupFS } from "../../fs/mod.ts";
import { joinPath } from "../../fs/mod.ts";

/**
 * One entry of a walk: its BackupFS path, its path relative to the walk's root
 * (`a/b.txt`) and its info.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WalkEntry } from "./_walk.ts";
 * const entry: WalkEntry = {
 *   name: "a.txt",
 *   path: "/docs/a.txt",
 *   relative: "a.txt",
 *   info: { isFile: true, isDirectory: false, isSymlink: false, size: 1, mtime: null,
 *     atime: null, birthtime: null, mode: 0o644 },
 * };
 * assert.equal(entry.relative, "a.txt");
 * ```
 */
export interface WalkEntry {
  /** Its name in its directory, as listed. */
  name: string;
  /** The BackupFS path. */
  path: string;
  /** The path below the walk's root, `/`-separated. */
  relative: string;
  /** Its info, from the listing. */
  info: BackupFileInfo;
}

/**
 * Options of {@link walk}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WalkOptions } from "./_walk.ts";
 * const options: WalkOptions = { postOrder: true }; // du: a directory after its contents
 * assert.equal(options.recursive, undefined);
 * ```
 */
export interface WalkOptions {
  /** Descend into subdirectories (default true). */
  recursive?: boolean;
  /** Yield each directory after its contents instead of before (for sizes). */
  postOrder?: boolean;
}

/**
 * The entries under a directory (not the directory itself), depth-first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS, EmbeddedStore } from "../../../mod.ts";
 * import { walk } from "./_walk.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const fs = new BackupFS(store, { jobId: "j" });
 *   await fs.mkdir("/d/e", { recursive: true });
 *   await fs.writeTextFile("/d/a.txt", "a");
 *   await fs.writeTextFile("/d/e/b.txt", "b");
 *   const seen = [];
 *   for await (const entry of walk(fs, "/d")) seen.push(entry.relative);
 *   assert.deepEqual(seen, ["a.txt", "e", "e/b.txt"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function* walk(
  fs: BackupFS,
  directory: string,
  options?: WalkOptions,
): AsyncGenerator<WalkEntry> {
  yield* walkBelow(fs, directory, "", options ?? {});
}

async function* walkBelow(
  fs: BackupFS,
  directory: string,
  prefix: string,
  options: WalkOptions,
): AsyncGenerator<WalkEntry> {
  for await (const batch of fs.readDirInfoBatches(directory)) {
    for (const { name, info } of batch) {
      const entry = { name, path: joinPath(directory, name), relative: prefix + name, info };
      // BackupFS lists single names only; a name that is not one is never descended into.
      const single = name !== "" && name !== "." && name !== ".." && !name.includes("/");
      if (!info.isDirectory || options.recursive === false || !single) {
        yield entry;
        continue;
      }
      if (!options.postOrder) yield entry;
      yield* walkBelow(fs, entry.path, `${entry.relative}/`, options);
      if (options.postOrder) yield entry;
    }
  }
}
