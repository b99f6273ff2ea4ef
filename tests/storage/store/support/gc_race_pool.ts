/**
 * The chunk pool the writers of gc_race_test.ts draw from: a few contents, most
 * above the inline limit (bytes in the chunk store), some below it (bytes in
 * the database), so both kinds race the collector.
 *
 * @module
 */

import { seededBytes } from "./store_fixtures.ts";

/** The job every writer uses. */
export const GC_RACE_JOB = "gc-race";
/** How many different chunk contents there are. */
export const POOL_SIZE = 10;

const cache = new Map<number, Uint8Array>();

/** The content of pool entry `index`: 70–88 KiB for most, 1–2 KiB for every third. */
export function poolChunk(index: number): Uint8Array {
  let bytes = cache.get(index);
  if (!bytes) {
    const length = index % 3 === 2 ? 1024 + index * 50 : 70 * 1024 + index * 2048;
    bytes = seededBytes(`gc-race-pool-${index}`, length);
    cache.set(index, bytes);
  }
  return bytes;
}
