import {
  decodeMetadataBlob,
  decodeMetadataString,
  encodeMetadataBlob,
  encodeMetadataString,
  type ExtendedAttributes,
  type FileAttributes,
} from "../../src/fs/attributes.ts";
import {
  MAX_METADATA_BLOB_BYTES,
  utf8Length,
  validateMetadataString,
} from "../../src/storage/limits.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";

/** A small seeded PRNG (mulberry32), so a failing case can be reproduced. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  "a",
  "Z",
  "0",
  " ",
  ";",
  "=",
  "/",
  "+",
  "-",
  ".",
  '"',
  "é",
  "ß",
  "日",
  "本",
  "😀",
  "\u{10FFFF}",
  "\uFF01",
  "~",
  "t",
  "s",
];

function randomText(next: () => number, maxLength: number): string {
  const length = Math.floor(next() * (maxLength + 1));
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return text;
}

function randomTime(next: () => number): number {
  const pick = Math.floor(next() * 9);
  switch (pick) {
    case 0:
      return 0;
    case 1:
      return -0;
    case 2:
      return -Math.floor(next() * 1e13);
    case 3:
      return Number.MAX_SAFE_INTEGER;
    case 4:
      return Number.MIN_SAFE_INTEGER;
    case 5:
      return (next() - 0.5) * 1e15; // fractional milliseconds
    case 6:
      return Number.MAX_VALUE * (next() < 0.5 ? -1 : 1);
    case 7:
      return Number.MIN_VALUE;
    default:
      return Math.floor(next() * 4e12);
  }
}

function randomAttributes(next: () => number): FileAttributes {
  const sizes = [0, 1, Number.MAX_SAFE_INTEGER, Math.floor(next() * Number.MAX_SAFE_INTEGER)];
  const attrs: FileAttributes = {
    size: sizes[Math.floor(next() * sizes.length)],
    mtime: randomTime(next),
  };
  if (next() < 0.5) attrs.birthtime = randomTime(next);
  if (next() < 0.5) attrs.mode = Math.floor(next() * 0o10000);
  if (next() < 0.5) attrs.chunkSize = 1 + Math.floor(next() * (Number.MAX_SAFE_INTEGER - 1));
  if (next() < 0.7) attrs.contentType = randomText(next, next() < 0.3 ? 400 : 60);
  return attrs;
}

Deno.test("MetadataString: a known value encodes compactly and decodes exactly", () => {
  const attrs: FileAttributes = {
    size: 42,
    mtime: 1_700_000_000_000,
    mode: 0o644,
    contentType: "text/plain; charset=utf-8",
    chunkSize: 8 * 1024 * 1024,
    birthtime: 1_600_000_000_000,
  };
  const { metadataString, overflow } = encodeMetadataString(attrs);
  assert(metadataString.startsWith("bfs1 "));
  assertEquals(overflow, {});
  assertEquals(decodeMetadataString(metadataString), attrs);
  assertEquals(encodeMetadataString({ size: 0, mtime: 0 }).metadataString, "bfs1 s0 m0");
  assertEquals(decodeMetadataString("bfs1 s0 m0"), { size: 0, mtime: 0 });
  // An empty content type is kept as such.
  assertEquals(
    decodeMetadataString(
      encodeMetadataString({ size: 1, mtime: 2, contentType: "" }).metadataString,
    ),
    {
      size: 1,
      mtime: 2,
      contentType: "",
    },
  );
});

Deno.test("MetadataString: random attributes always give a valid string ≤ 256 bytes that round-trips", () => {
  const next = random(20240501);
  let overflowed = 0;
  for (let i = 0; i < 5000; i++) {
    const attrs = randomAttributes(next);
    const { metadataString, overflow } = encodeMetadataString(attrs);
    validateMetadataString(metadataString); // throws when invalid
    assert(utf8Length(metadataString) <= 256, `case ${i}: ${utf8Length(metadataString)} bytes`);
    const decoded = decodeMetadataString(metadataString);
    assert(decoded !== undefined, `case ${i} did not decode: ${metadataString}`);
    if (overflow.contentType !== undefined) {
      overflowed++;
      assertEquals(overflow.contentType, attrs.contentType);
      assertEquals(decoded.contentTypeInBlob, true);
      const { contentType: _, ...rest } = attrs;
      assertEquals({ ...decoded, contentTypeInBlob: undefined }, {
        ...rest,
        contentTypeInBlob: undefined,
      });
    } else {
      assertEquals(decoded, attrs, `case ${i}: ${metadataString}`);
    }
  }
  assert(overflowed > 100, `only ${overflowed} long content types were tried`);
});

Deno.test("MetadataString: a content type that cannot be stored goes to the overflow", () => {
  const long = "application/vnd." + "ü".repeat(200);
  const a = encodeMetadataString({ size: 1, mtime: 1, contentType: long });
  assertEquals(a.overflow, { contentType: long });
  assertEquals(decodeMetadataString(a.metadataString), {
    size: 1,
    mtime: 1,
    contentTypeInBlob: true,
  });
  // Control characters and lone surrogates cannot go in a MetadataString.
  for (const odd of ["text/plain\nX-Injected: 1", "text/\u0000", "bad\uD800"]) {
    const b = encodeMetadataString({ size: 1, mtime: 1, contentType: odd });
    assertEquals(b.overflow, { contentType: odd });
    validateMetadataString(b.metadataString);
  }
  // The flag survives a re-encode of decoded attributes.
  const again = encodeMetadataString(decodeMetadataString(a.metadataString)!);
  assertEquals(again.metadataString, a.metadataString);
  // The longest content type that fits stays in the string.
  const head = encodeMetadataString({ size: 1, mtime: 1 }).metadataString;
  const fits = "x".repeat(256 - utf8Length(head) - 2);
  const c = encodeMetadataString({ size: 1, mtime: 1, contentType: fits });
  assertEquals(c.overflow, {});
  assertEquals(utf8Length(c.metadataString), 256);
  assertEquals(encodeMetadataString({ size: 1, mtime: 1, contentType: fits + "x" }).overflow, {
    contentType: fits + "x",
  });
});

Deno.test("MetadataString: out-of-range attributes are RangeErrors naming the field", () => {
  assertThrows(() => encodeMetadataString({ size: -1, mtime: 0 }), RangeError, "size");
  assertThrows(() => encodeMetadataString({ size: 1.5, mtime: 0 }), RangeError, "size");
  assertThrows(() => encodeMetadataString({ size: 2 ** 53, mtime: 0 }), RangeError, "size");
  assertThrows(() => encodeMetadataString({ size: 0, mtime: NaN }), RangeError, "mtime");
  assertThrows(() => encodeMetadataString({ size: 0, mtime: Infinity }), RangeError, "mtime");
  assertThrows(
    () => encodeMetadataString({ size: 0, mtime: 0, birthtime: NaN }),
    RangeError,
    "birthtime",
  );
  assertThrows(
    () => encodeMetadataString({ size: 0, mtime: 0, mode: 0o10000 }),
    RangeError,
    "mode",
  );
  assertThrows(() => encodeMetadataString({ size: 0, mtime: 0, mode: -1 }), RangeError, "mode");
  assertThrows(
    () => encodeMetadataString({ size: 0, mtime: 0, chunkSize: 0 }),
    RangeError,
    "chunkSize",
  );
});

Deno.test("MetadataString: foreign, other-version and malformed strings decode to undefined", () => {
  const foreign = [
    undefined,
    "",
    "v1;size=42",
    "bfs1",
    "bfs1 ",
    "bfs2 s1 m1",
    "BFS1 s1 m1",
    "bfs1 s1", // no mtime
    "bfs1 m1", // no size
    "bfs1 s-1 m1",
    "bfs1 sZZ m1",
    "bfs1 s1 m1 s2", // a duplicate field
    "bfs1 s1  m1", // two spaces
    "bfs1 s1 m1 p8",
    "bfs1 s1 m1 p77777",
    "bfs1 s1 m1 k0",
    "bfs1 s1 m~abc",
    "bfs1 s1 m~Infinity",
    "bfs1 s1 m1 ox",
    "bfs1 szzzzzzzzzzzz m1", // beyond 2^53
    "bfs1 s1 m1 b",
  ];
  for (const value of foreign) {
    assertEquals(decodeMetadataString(value), undefined, JSON.stringify(value));
  }
  // Unknown keys of version 1 are skipped (forward compatibility).
  assertEquals(decodeMetadataString("bfs1 s1 m2 zfuture tx/y"), {
    size: 1,
    mtime: 2,
    contentType: "x/y",
  });
});

Deno.test("MetadataString: random garbage never throws", () => {
  const next = random(7);
  const pieces = [
    "bfs1 ",
    "s",
    "m",
    "b",
    "p",
    "k",
    "o",
    "t",
    " ",
    "~",
    "-",
    "1",
    "z",
    ".",
    "e+",
    "\uD800",
    "\0",
  ];
  for (let i = 0; i < 20000; i++) {
    let text = next() < 0.8 ? "bfs1 " : "";
    const n = Math.floor(next() * 20);
    for (let j = 0; j < n; j++) text += pieces[Math.floor(next() * pieces.length)];
    const decoded = decodeMetadataString(text);
    if (decoded !== undefined) {
      assert(Number.isSafeInteger(decoded.size) && decoded.size >= 0, text);
      assert(Number.isFinite(decoded.mtime), text);
    }
  }
  // deno-lint-ignore no-explicit-any
  assertEquals(decodeMetadataString(42 as any), undefined);
});

Deno.test("MetadataBlob: round trip of content type, dead properties and xattrs", () => {
  const attrs: ExtendedAttributes = {
    contentType: "application/x-" + "long".repeat(100) + "; ü=1",
    properties: {
      "{DAV:}displayname": "Holidays 2024 ☀",
      "{urn:example}color": '<x:color xmlns:x="urn:example">red &amp; blue</x:color>',
      ["__proto__"]: "not a prototype",
    },
    xattrs: {
      "user.origin": new TextEncoder().encode("camera"),
      "user.binary": new Uint8Array([0, 255, 1, 254]),
      "user.empty": new Uint8Array(0),
    },
  };
  const blob = encodeMetadataBlob(attrs);
  assert(blob !== undefined);
  const decoded = decodeMetadataBlob(blob);
  assertEquals(decoded, attrs);
  assertEquals(Object.getPrototypeOf(decoded.properties), Object.prototype);
  assertEquals(decoded.properties!["__proto__"], "not a prototype");
  assertEquals(decodeMetadataBlob(encodeMetadataBlob({ contentType: "a/b" })), {
    contentType: "a/b",
  });
});

Deno.test("MetadataBlob: empty attributes need no blob", () => {
  assertEquals(encodeMetadataBlob({}), undefined);
  assertEquals(encodeMetadataBlob({ properties: {}, xattrs: {} }), undefined);
  assertEquals(decodeMetadataBlob(undefined), {});
  assertEquals(decodeMetadataBlob(new Uint8Array(0)), {});
});

Deno.test("MetadataBlob: more than 4 MiB is a RangeError naming the limit", () => {
  const big = new Uint8Array(3.2 * 1024 * 1024); // base64 grows it past 4 MiB
  assertThrows(
    () => encodeMetadataBlob({ xattrs: { "user.big": big } }),
    RangeError,
    String(MAX_METADATA_BLOB_BYTES),
  );
  const fits = encodeMetadataBlob({
    xattrs: { "user.big": new Uint8Array(3 * 1024 * 1024 - 100) },
  });
  assert(fits !== undefined && fits.byteLength <= MAX_METADATA_BLOB_BYTES);
});

Deno.test("MetadataBlob: wrong types are refused on encode", () => {
  // deno-lint-ignore no-explicit-any
  assertThrows(() => encodeMetadataBlob({ properties: { a: 1 as any } }), TypeError, "string");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => encodeMetadataBlob({ xattrs: { a: "text" as any } }), TypeError, "Uint8Array");
});

Deno.test("MetadataBlob: foreign, corrupt and random bytes decode to {} (or the valid part) without throwing", () => {
  const text = (s: string) => new TextEncoder().encode(s);
  assertEquals(decodeMetadataBlob(text("bfsb1\n{not json")), {});
  assertEquals(decodeMetadataBlob(text("bfsb1\n[1,2]")), {});
  assertEquals(decodeMetadataBlob(text("bfsb1\nnull")), {});
  assertEquals(decodeMetadataBlob(text('{"c":"a/b"}')), {}); // no magic: foreign
  assertEquals(decodeMetadataBlob(text('bfsb2\n{"c":"a/b"}')), {});
  assertEquals(decodeMetadataBlob(new Uint8Array([0x62, 0x66, 0x73, 0x62, 0x31, 0x0a, 0xff])), {});
  // Entries of the wrong type are dropped, the rest is kept.
  assertEquals(
    decodeMetadataBlob(
      text('bfsb1\n{"c":5,"p":{"a":"x","b":3},"x":{"k":"AQI=","bad":"%%%","n":1}}'),
    ),
    { properties: { a: "x" }, xattrs: { k: new Uint8Array([1, 2]) } },
  );
  const next = random(99);
  const valid = encodeMetadataBlob({ contentType: "x/y", properties: { "{a}b": "<c/>" } })!;
  for (let i = 0; i < 3000; i++) {
    let bytes: Uint8Array;
    if (next() < 0.5) {
      bytes = new Uint8Array(Math.floor(next() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(next() * 256);
    } else {
      bytes = valid.slice(0, Math.floor(next() * (valid.length + 1)));
      if (bytes.length > 0) bytes[Math.floor(next() * bytes.length)] ^= 1 << Math.floor(next() * 8);
    }
    const decoded = decodeMetadataBlob(bytes);
    assert(typeof decoded === "object" && decoded !== null);
  }
});
