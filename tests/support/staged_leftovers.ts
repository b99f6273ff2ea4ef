/**
 * What a store's `tmp/` holds besides the empty files its chunk stores keep
 * ready for the next chunks (see `src/storage/store/chunks/_staging_pool.ts`):
 * the names of files with bytes, plus a note when there are more empty ones
 * than `stores` chunk stores keep ready. Empty means nothing was left behind.
 *
 * @module
 */

import { DEFAULT_STAGED_AHEAD } from "../../src/storage/store/chunks/_staging_pool.ts";

/** Leftovers in `directory` (a store's `tmp/`) of `stores` chunk stores (default 1). */
export async function stagedLeftovers(directory: string, stores = 1): Promise<string[]> {
  const written: string[] = [];
  let empty = 0;
  try {
    for await (const entry of Deno.readDir(directory)) {
      const info = await Deno.lstat(`${directory}/${entry.name}`).catch(() => undefined);
      if (info === undefined) continue; // taken and removed meanwhile
      if (info.isFile && info.size === 0 && entry.name.endsWith(".part")) empty++;
      else written.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const ready = stores * DEFAULT_STAGED_AHEAD;
  if (empty > ready) written.push(`${empty} empty staged files (at most ${ready} kept ready)`);
  return written;
}
