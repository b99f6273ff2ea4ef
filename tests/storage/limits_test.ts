// utf8Length counts what TextEncoder writes, without encoding.

import { assertEquals } from "../support/assert.ts";
import { utf8Length } from "../../src/storage/limits.ts";

Deno.test("utf8Length is the length of TextEncoder's bytes, lone surrogates included", () => {
  const encoder = new TextEncoder();
  const cases = [
    "",
    "plain/ascii.txt",
    "é",
    "中文",
    "\u007f\u0080\u07ff\u0800\uffff",
    "😀",
    "a\uD800b",
    "\uDC00",
    "x\uD800",
    "\uD800\uD800\uDC00",
    "\uD83D\uDE00\uD83D",
  ];
  // Random UTF-16 units: surrogates, pairs and lone ones, at every boundary (seeded).
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < 2000; i++) {
    let text = "";
    for (let j = 0; j < 1 + (i % 9); j++) text += String.fromCharCode(next() % 0x10000);
    cases.push(text);
  }
  for (const text of cases) {
    assertEquals(utf8Length(text), encoder.encode(text).byteLength, JSON.stringify(text));
  }
});
