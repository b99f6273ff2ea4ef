// decodeRequestPath: a path without '%' skips the per-segment decoding; every
// answer must be the one the decoding gives the same path spelled with escapes.

import { assertEquals, assertThrows } from "../support/assert.ts";
import { decodeRequestPath } from "../../webdav/http/href.ts";
import { DavError } from "../../webdav/dav_error.ts";

/** `path` with its first letter or digit percent-encoded (the decoding path). */
function escaped(path: string): string {
  return path.replace(/[A-Za-z0-9]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    if (error instanceof DavError) return error.status;
    throw error;
  }
  return 0;
}

Deno.test("decodeRequestPath: a path without escapes is read as its escaped spelling is", () => {
  const paths = [
    "/",
    "/a",
    "/a/",
    "/s/f00001.bin",
    "/dir/sub/",
    "/a/./b",
    "/a/../b/",
    "/a//b",
    "/../a",
    "/a/b/..",
    "/~user/x-y_z.txt",
  ];
  for (const prefix of ["", "/dav"]) {
    for (const path of paths) {
      const plain = decodeRequestPath(`${prefix}${path}`, prefix);
      if (!/[A-Za-z0-9]/.test(path)) continue;
      assertEquals(decodeRequestPath(`${prefix}${escaped(path)}`, prefix), plain, path);
    }
  }
  assertEquals(decodeRequestPath("/s/f00001.bin", ""), {
    path: "/s/f00001.bin",
    trailingSlash: false,
  });
  assertEquals(decodeRequestPath("/dav/a/../b/", "/dav"), { path: "/b", trailingSlash: true });
  assertEquals(decodeRequestPath("/dav", "/dav"), { path: "/", trailingSlash: false });
});

Deno.test("decodeRequestPath: escapes are decoded; bad ones, NUL and other prefixes are refused", () => {
  assertEquals(decodeRequestPath("/a%20b/c%23d", ""), { path: "/a b/c#d", trailingSlash: false });
  assertEquals(decodeRequestPath("/%C3%A9t%C3%A9/", ""), { path: "/été", trailingSlash: true });
  assertEquals(status(() => decodeRequestPath("/a%zz", "")), 400);
  assertEquals(status(() => decodeRequestPath("/a%C3", "")), 400);
  assertEquals(status(() => decodeRequestPath("/a%00b", "")), 400);
  assertEquals(status(() => decodeRequestPath("/other/a", "/dav")), 404);
  assertEquals(status(() => decodeRequestPath("/davx/a", "/dav")), 404);
  assertThrows(() => decodeRequestPath("/a%00", ""), DavError);
});
