/**
 * The members of a collection with their `stat`, for PROPFIND Depth 1 and the HTML
 * listing.
 *
 * @module
 */

import type { BackupFS } from "../../src/fs/backup_fs.ts";
import type { BackupFileInfo } from "../../src/fs/file_info.ts";
import { joinPath } from "../../src/fs/paths.ts";

/**
 * The entries of a directory with their `stat` (undefined when the entry vanished
 * meanwhile), in listing order, with at most `concurrency` stats in flight.
 *
 * @example
 * ```ts
 * import { BackupFS } from "../../src/fs/backup_fs.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { statEach } from "./members.ts";
 * const dir = await Deno.makeTempDir();
 * await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.writeTextFile("/a", "x");
 * for await (const [name, info] of statEach(fs, "/", 4)) console.log(name, info?.size); // a 1
 * ```
 */
export async function* statEach(
  fs: BackupFS,
  path: string,
  concurrency: number,
): AsyncGenerator<[string, BackupFileInfo | undefined]> {
  const pending: Promise<[string, BackupFileInfo | undefined]>[] = [];
  const stat = async (name: string): Promise<[string, BackupFileInfo | undefined]> => {
    try {
      return [name, await fs.stat(joinPath(path, name))];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [name, undefined];
      throw error;
    }
  };
  try {
    for await (const entry of fs.readDir(path)) {
      pending.push(stat(entry.name));
      if (pending.length >= concurrency) yield await pending.shift()!;
    }
    while (pending.length > 0) yield await pending.shift()!;
  } finally {
    // Settle what is still in flight so nothing rejects unobserved.
    await Promise.allSettled(pending);
  }
}
