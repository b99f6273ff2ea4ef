/**
 * The members of a collection with their `stat`, for PROPFIND Depth 1 and the HTML
 * listing.
 *
 * @module
 */

import type { BackupFileInfo, BackupFS } from "../../src/fs/mod.ts";

/**
 * The entries of a directory with their `stat`, in listing order, built from the
 * listing itself (`BackupFS.readDirInfo`: no lookup per member). The info is never
 * undefined now; the type keeps room for callers that handle a vanished entry, and
 * `concurrency` is kept for compatibility and unused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { statEach } from "./members.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.writeTextFile("/a", "x");
 * await fs.mkdir("/d");
 * const members: [string, boolean | undefined][] = [];
 * for await (const [name, info] of statEach(fs, "/", 4)) members.push([name, info?.isFile]);
 * assert.deepEqual(members.sort(), [["a", true], ["d", false]]);
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function* statEach(
  fs: BackupFS,
  path: string,
  _concurrency: number,
): AsyncGenerator<[string, BackupFileInfo | undefined]> {
  // The listing carries each member's attributes: no lookup per member.
  for await (const { name, info } of fs.readDirInfo(path)) yield [name, info];
}
