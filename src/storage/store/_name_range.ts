/**
 * Byte ranges of object names, shared by the store's `ListObjects` and its
 * in-process listing: the bound above every name and a prefix's upper bound.
 *
 * @module
 */

/** Above every UTF-8 name: 0xFF never occurs in UTF-8. Compared by identity. */
export const NO_UPPER: Uint8Array = new Uint8Array([0xff]);

/** The smallest byte string greater than every string with this prefix. */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array {
  let end = prefix.byteLength;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return NO_UPPER;
  const upper = prefix.slice(0, end);
  upper[end - 1]++;
  return upper;
}
