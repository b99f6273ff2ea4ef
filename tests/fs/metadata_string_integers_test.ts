// decodeMetadataString's base-36 integers (read by a loop since issue #12, not a
// regular expression and parseInt): the same values and the same refusals.

import { decodeMetadataString, encodeMetadataString } from "../../src/fs/attributes.ts";
import { assertEquals } from "../support/assert.ts";

const decodeSize = (text: string) => decodeMetadataString(`bfs1 s${text} m0`)?.size;
const decodeMtime = (text: string) => decodeMetadataString(`bfs1 s0 m${text}`)?.mtime;

Deno.test("sizes and times in base 36: every safe integer, nothing else", () => {
  const max = Number.MAX_SAFE_INTEGER.toString(36);
  assertEquals(decodeSize(max), Number.MAX_SAFE_INTEGER);
  assertEquals(decodeSize((Number.MAX_SAFE_INTEGER + 1).toString(36)), undefined);
  assertEquals(decodeSize("zzzzzzzzzzz"), undefined); // 11 digits, beyond 2^53
  assertEquals(decodeSize("0"), 0);
  assertEquals(decodeSize("00000000001"), 1);
  assertEquals(decodeSize("000000000001"), undefined); // 12 digits
  for (const bad of ["", "-1", "A", "1.5", "1_0", "+1", "é"]) {
    assertEquals(decodeSize(bad), undefined, JSON.stringify(bad));
  }
  assertEquals(decodeMtime("-1"), -1);
  assertEquals(Object.is(decodeMtime("-0"), -0), true);
  assertEquals(decodeMtime("-"), undefined);
  assertEquals(decodeMtime("--1"), undefined);
  assertEquals(decodeMtime("-" + max), -Number.MAX_SAFE_INTEGER);
  for (const value of [0, 1, 35, 36, 1_700_000_000_000, -1_700_000_000_000, 2 ** 52 + 7]) {
    const { metadataString } = encodeMetadataString({ size: Math.abs(value), mtime: value });
    const decoded = decodeMetadataString(metadataString);
    assertEquals([decoded?.size, decoded?.mtime], [Math.abs(value), value]);
  }
});
