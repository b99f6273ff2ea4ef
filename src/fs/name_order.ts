/**
 * The order of object names and path segments: UTF-8 byte order, which is the
 * order `ListObjects` returns names in (and code point order).
 *
 * @module
 */

/**
 * Compares two strings in UTF-8 byte order (which is code point order; plain `<`
 * compares UTF-16 code units and puts U+E000–U+FFFF after astral characters).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareNames } from "./name_order.ts";
 * const names = ["b", "a", "\u{1F600}", "\uFF01"];
 * assert.deepEqual(names.sort(compareNames), ["a", "b", "\uFF01", "\u{1F600}"]);
 * assert.deepEqual(names.sort(), ["a", "b", "\u{1F600}", "\uFF01"]); // plain sort: UTF-16 order
 * ```
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 code unit's rank in code point order: surrogates go above U+FFFF. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
