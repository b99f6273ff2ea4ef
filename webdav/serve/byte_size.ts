/**
 * Byte sizes on the command line: `65536`, `64KiB`, `4MiB`, `1.5GiB`, `2G`.
 *
 * @module
 */

/** The suffixes accepted (any case), each a power of 1024; `--help` lists these. */
export const SIZE_SUFFIXES: readonly string[] = [
  "B",
  "K",
  "KiB",
  "M",
  "MiB",
  "G",
  "GiB",
  "T",
  "TiB",
];

/** How `--help` and the error messages name the suffixes. */
export const SIZE_SUFFIXES_TEXT = `${SIZE_SUFFIXES.join(", ")} (powers of 1024, any case)`;

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a byte count with an optional binary suffix (`B`, `K`/`KiB`, `M`/`MiB`,
 * `G`/`GiB`, `T`/`TiB`, case-insensitive; a fraction is allowed with a suffix
 * and rounded down). Throws `TypeError` with a readable message otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseByteSize } from "./byte_size.ts";
 * assert.equal(parseByteSize("4MiB"), 4194304);
 * assert.equal(parseByteSize("512"), 512);
 * assert.equal(parseByteSize("1.5k"), 1536);
 * ```
 */
export function parseByteSize(text: string): number {
  const match = /^(\d{1,16})(?:\.(\d{1,6}))?\s*([A-Za-z]*)$/.exec(text.trim());
  const unit = match ? UNITS[match[3].toLowerCase()] : undefined;
  if (!match || unit === undefined || (match[2] !== undefined && unit === 1)) {
    throw new TypeError(
      `invalid size "${text}": expected bytes with an optional suffix ${SIZE_SUFFIXES_TEXT}`,
    );
  }
  const value = Math.floor(Number(`${match[1]}.${match[2] ?? "0"}`) * unit);
  if (!Number.isSafeInteger(value)) throw new TypeError(`size "${text}" is too large`);
  return value;
}
