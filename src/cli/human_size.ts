/**
 * A byte count for people, in binary units: what the WebDAV browser's listing
 * and the `backupfs` tools' progress and summaries show.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * A size for people: `512 B`, `1.5 KiB`, `3.2 MiB`… (one decimal from KiB on).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSize } from "./human_size.ts";
 * assert.equal(formatSize(512), "512 B");
 * assert.equal(formatSize(1536), "1.5 KiB");
 * assert.equal(formatSize(5 * 1024 ** 3), "5.0 GiB");
 * assert.equal(formatSize(2 * 1024 ** 5), "2.0 PiB");
 * ```
 */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
