import {
  baseName,
  directoryPrefixOf,
  joinPath,
  normalizePath,
  objectNameOf,
  parentOf,
} from "../../src/fs/paths.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";

Deno.test("normalizePath: table of inputs and canonical forms", () => {
  const table: [string, string][] = [
    ["/", "/"],
    ["", "/"],
    [".", "/"],
    ["..", "/"],
    ["/..", "/"],
    ["/../..", "/"],
    ["a", "/a"],
    ["/a/", "/a"],
    ["/a/b.txt", "/a/b.txt"],
    ["a//b/./c/..", "/a/b"],
    ["//a///b//", "/a/b"],
    ["../../etc/passwd", "/etc/passwd"],
    ["/a/../../etc/passwd", "/etc/passwd"],
    ["/a/b/../../..", "/"],
    ["/a/./././b", "/a/b"],
    ["/a/.../b", "/a/.../b"], // "..." is an ordinary name
    ["/a/..b/.c", "/a/..b/.c"],
    ["/dir\\name", "/dir\\name"], // a backslash is a name character
    ["\\..\\etc", "/\\..\\etc"],
    ["/a\\../b", "/a\\../b"],
    ["/ünïcödé/日本語/😀.txt", "/ünïcödé/日本語/😀.txt"],
    ["/a b/ c /", "/a b/ c "],
    ["/a\nb", "/a\nb"],
  ];
  for (const [input, expected] of table) {
    assertEquals(normalizePath(input), expected, `normalizePath(${JSON.stringify(input)})`);
    // Canonical forms are fixed points.
    assertEquals(normalizePath(expected), expected);
  }
});

Deno.test("normalizePath: paths already canonical and the rest agree with a segment-by-segment reference", () => {
  // The reference: split on "/", drop empty and "." segments, ".." pops (never past the root).
  const reference = (path: string) => {
    const kept: string[] = [];
    for (const segment of path.split("/")) {
      if (segment === "..") kept.pop();
      else if (segment !== "" && segment !== ".") kept.push(segment);
    }
    return "/" + kept.join("/");
  };
  const pieces = ["a", "b.txt", ".", "..", "...", "", ".a", "a.", "é", "\\", " ", "..b"];
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    const segments = Array.from({ length: 1 + next(5) }, () => pieces[next(pieces.length)]);
    const path = (next(4) === 0 ? "" : "/") + segments.join("/") + (next(4) === 0 ? "/" : "");
    const expected = reference(path);
    assertEquals(normalizePath(path), expected, `normalizePath(${JSON.stringify(path)})`);
    assertEquals(normalizePath(expected), expected);
  }
  // A canonical path is returned unchanged.
  const canonical = "/docs/2026/report.final.pdf";
  assertEquals(normalizePath(canonical), canonical);
});

Deno.test("normalizePath: NUL, lone surrogates, over-long names and non-strings are TypeErrors", () => {
  assertThrows(() => normalizePath("/a\0b"), TypeError, "NUL");
  assertThrows(() => normalizePath("\0"), TypeError, "NUL");
  assertThrows(() => normalizePath("/a/\uD800"), TypeError, "well-formed");
  assertThrows(() => normalizePath("/" + "x".repeat(1025)), TypeError, "1024");
  assertThrows(() => normalizePath("/" + "é".repeat(513)), TypeError, "1026 bytes");
  // @ts-expect-error: a number is not a path
  assertThrows(() => normalizePath(42), TypeError, "string");
  // Exactly 1024 bytes is fine; a ".." that removes the excess makes it fine too.
  const max = "/" + "x".repeat(1024);
  assertEquals(normalizePath(max), max);
  assertEquals(normalizePath("/a/" + "x".repeat(1100) + "/.."), "/a");
  // A lone surrogate removed by ".." leaves a well-formed result.
  assertEquals(normalizePath("/\uD800/../b"), "/b");
});

Deno.test("objectNameOf and directoryPrefixOf", () => {
  assertEquals(objectNameOf("/a/b.txt"), "a/b.txt");
  assertEquals(objectNameOf("/"), "");
  assertEquals(objectNameOf("a/./b/"), "a/b");
  assertEquals(directoryPrefixOf("/a/dir"), "a/dir/");
  assertEquals(directoryPrefixOf("/a/dir/"), "a/dir/");
  assertEquals(directoryPrefixOf("/"), "");
  assertEquals(directoryPrefixOf("/.."), "");
  assertEquals(directoryPrefixOf("/" + "x".repeat(1023)), "x".repeat(1023) + "/");
  assertThrows(() => directoryPrefixOf("/" + "x".repeat(1024)), TypeError, "marker");
});

Deno.test("parentOf, baseName and joinPath", () => {
  assertEquals(parentOf("/a/b"), "/a");
  assertEquals(parentOf("/a"), "/");
  assertEquals(parentOf("/"), "/");
  assertEquals(parentOf("a/b/c/"), "/a/b");
  assertEquals(parentOf("/a/b/.."), "/");
  assertEquals(baseName("/a/b"), "b");
  assertEquals(baseName("/a/b.txt/"), "b.txt");
  assertEquals(baseName("/"), "");
  assertEquals(baseName("/x\\y"), "x\\y");
  assertEquals(joinPath("/a", "b.txt"), "/a/b.txt");
  assertEquals(joinPath("/", "x"), "/x");
  assertEquals(joinPath("/a/b", "../c"), "/a/c");
  assertEquals(joinPath("/a", "../../../x"), "/x");
  assertEquals(joinPath("/a", "/b"), "/a/b");
  assertEquals(joinPath("a", ""), "/a");
  assertThrows(() => joinPath("/a", "b\0"), TypeError, "NUL");
});
