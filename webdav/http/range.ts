/**
 * RFC 7233 byte ranges: parsing `Range: bytes=…` against a size, and `If-Range`.
 *
 * @module
 */

import { parseStrictHttpDate } from "./conditional.ts";

/** One satisfiable range, `end` exclusive. */
export interface ByteRange {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
}

/** The outcome of a `Range` header. */
export type RangeRequest =
  | { kind: "full" }
  | { kind: "unsatisfiable" }
  | { kind: "ranges"; ranges: ByteRange[] };

/** More ranges than this in one request: the header is ignored (full answer). */
export const MAX_RANGES = 64;

/**
 * Parses a `Range` header for a representation of `size` bytes. A missing,
 * malformed or non-`bytes` header, or one with too many ranges, means the full
 * representation; ranges that cannot be satisfied are dropped, and if none is
 * left the request is unsatisfiable (416). Overlapping ranges are merged (then
 * in ascending order), so an answer never repeats bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRange } from "./range.ts";
 * assert.deepEqual(parseRange("bytes=0-9,-5", 100), {
 *   kind: "ranges",
 *   ranges: [{ start: 0, end: 10 }, { start: 95, end: 100 }],
 * });
 * assert.deepEqual(parseRange("bytes=200-", 100), { kind: "unsatisfiable" });
 * assert.deepEqual(parseRange("bytes=0-,0-", 100), { kind: "ranges", ranges: [{ start: 0, end: 100 }] });
 * ```
 */
export function parseRange(header: string | null, size: number): RangeRequest {
  if (header === null) return { kind: "full" };
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!match) return { kind: "full" };
  const specs = match[1]!.split(",").map((spec) => spec.trim()).filter((spec) => spec !== "");
  if (specs.length === 0 || specs.length > MAX_RANGES) return { kind: "full" };
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const parts = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (!parts || (parts[1] === "" && parts[2] === "")) return { kind: "full" };
    if (parts[1] === "") {
      const suffix = Number(parts[2]);
      if (suffix === 0 || size === 0) continue;
      ranges.push({ start: Math.max(0, size - suffix), end: size });
      continue;
    }
    const start = Number(parts[1]);
    const last = parts[2] === "" ? size - 1 : Number(parts[2]);
    if (parts[2] !== "" && last < start) return { kind: "full" };
    if (start >= size) continue;
    ranges.push({ start, end: Math.min(last, size - 1) + 1 });
  }
  if (ranges.length === 0) return { kind: "unsatisfiable" };
  return { kind: "ranges", ranges: coalesce(ranges) };
}

/**
 * Ranges as given when none overlaps; otherwise sorted, with overlapping and
 * adjacent ones merged (RFC 7233 §4.1 lets a server coalesce regardless of the
 * order asked; §6.1: overlapping ranges would repeat data, `bytes=0-,0-,…` the
 * whole file once per range).
 */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  if (ranges.length < 2) return ranges;
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  if (sorted.every((r, i) => i === 0 || r.start >= sorted[i - 1]!.end)) return ranges;
  const merged: ByteRange[] = [{ ...sorted[0]! }];
  for (const range of sorted.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/**
 * Whether an `If-Range` header lets the ranges apply: a strong ETag equal to the
 * current one, or a date equal to the last modification (to the second). Absent
 * header: true.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ifRangeAllows } from "./range.ts";
 * assert.equal(ifRangeAllows('"a"', { etag: '"a"' }), true);
 * assert.equal(ifRangeAllows('W/"a"', { etag: '"a"' }), false);
 * ```
 */
export function ifRangeAllows(
  header: string | null,
  state: { etag?: string | undefined; lastModified?: Date | null | undefined },
): boolean {
  if (header === null) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith("W/")) {
    return !value.startsWith("W/") && state.etag !== undefined && value === state.etag;
  }
  const date = parseStrictHttpDate(value);
  if (!date || !state.lastModified) return false;
  return Math.floor(date.getTime() / 1000) === Math.floor(state.lastModified.getTime() / 1000);
}
