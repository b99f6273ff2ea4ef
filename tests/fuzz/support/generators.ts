// A small seeded PRNG and the input generators of the fuzz tests: random and
// mutated XML bodies, HTTP header values, request paths and JSON documents.
// Everything is derived from the PRNG, so a seed and a case number name one
// input exactly.

/** The fuzz seed: env `FUZZ_SEED` (decimal or 0x-hex), else a fixed default. */
export const DEFAULT_SEED = 0x5eed_f022;

/** A 32-bit integer from a string seed (`1234`, `0xbeef`); undefined when unset or invalid. */
export function parseSeed(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n >>> 0 : undefined;
}

/** Mixes two 32-bit integers (murmur3 finalizer of a combination). */
export function mix(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x27d4eb2f, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a string (FNV-1a), to derive one seed per target. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** sfc32: a small, fast, seedable PRNG. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** One generator of a weighted list, called. */
  weighted<T>(choices: ReadonlyArray<readonly [number, () => T]>): T {
    let total = 0;
    for (const [w] of choices) total += w;
    let r = this.float() * total;
    for (const [w, f] of choices) {
      r -= w;
      if (r < 0) return f();
    }
    return choices[choices.length - 1]![1]();
  }

  /** A length skewed towards small values, at most `max`. */
  size(max: number): number {
    const bucket = this.pick([4, 16, 64, 512, 4096, max]);
    return this.int(0, Math.min(bucket, max));
  }

  /** Random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** A string of `length` characters from `alphabet`. */
  stringOf(alphabet: string, length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.int(0, alphabet.length - 1)];
    return out;
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Characters that are interesting in headers, paths and XML. */
const ODD_CHARS = [
  "\u00e9",
  "\u00ff",
  "\u2028",
  "\u202e",
  "\ufeff",
  "\ufffd",
  "\u{1f600}",
  "\ud800",
  "\udfff",
  "\u0000",
  "\u0001",
  "\u007f",
  "\t",
  " ",
  '"',
  "'",
  "<",
  ">",
  "&",
  ";",
  ",",
  "=",
  "\\",
  "/",
  "%",
  "#",
  "?",
  ":",
  "(",
  ")",
  "[",
  "]",
  "*",
];

/** A random string: printable ASCII with odd characters mixed in. */
export function randomText(rng: Rng, max = 64): string {
  const length = rng.size(max);
  let out = "";
  for (let i = 0; i < length; i++) {
    out += rng.chance(0.15) ? rng.pick(ODD_CHARS) : String.fromCharCode(rng.int(0x20, 0x7e));
  }
  return out;
}

/**
 * A header value that HTTP/1.1 can carry: visible ASCII, spaces and tabs, and
 * obs-text bytes (sent as latin-1), never CR, LF or NUL; no leading or trailing
 * whitespace (it would be trimmed anyway).
 */
export function headerSafe(value: string): string {
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code === 0x09 || (code >= 0x20 && code <= 0x7e)) out += ch;
    else if (code >= 0x80 && code <= 0xff) out += ch;
    else {
      // Non-latin-1 characters go as their UTF-8 bytes, one latin-1 char each.
      for (const b of utf8(ch)) out += String.fromCharCode(b);
    }
  }
  // deno-lint-ignore no-control-regex
  return out.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "").trim();
}

/** Flips, inserts, deletes or duplicates a few bytes. */
export function mutateBytes(rng: Rng, input: Uint8Array, maxLength = 2 * 1024 * 1024): Uint8Array {
  let data = Array.from(input);
  const rounds = rng.int(1, 6);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(0, data.length);
    rng.weighted<void>([
      [3, () => {
        if (data.length > 0) data[Math.min(at, data.length - 1)] = rng.u32() & 0xff;
      }],
      [2, () => data.splice(at, 0, ...rng.bytes(rng.int(1, 8)))],
      [2, () => data.splice(at, rng.int(1, 16))],
      [1, () => {
        const end = Math.min(data.length, at + rng.int(1, 64));
        const piece = data.slice(at, end);
        const times = rng.int(1, 32);
        for (let i = 0; i < times && data.length < maxLength; i++) data.splice(at, 0, ...piece);
      }],
      [1, () => {
        data = data.slice(0, at);
      }],
      [1, () => data.splice(at, 0, ...rng.pick(BROKEN_UTF8))],
    ]);
  }
  return Uint8Array.from(data.slice(0, maxLength));
}

/** Byte sequences that are not well-formed UTF-8. */
export const BROKEN_UTF8: readonly number[][] = [
  [0xc3, 0x28],
  [0xff],
  [0xfe, 0xff],
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0xc0, 0xaf], // overlong "/"
  [0xe2, 0x82],
  [0x80],
  [0xf0, 0x9f, 0x98],
];

// ---------------------------------------------------------------- XML bodies

const DAV_PROPS = [
  "<D:displayname/>",
  "<D:getcontentlength/>",
  "<D:getlastmodified/>",
  "<D:resourcetype/>",
  "<D:getetag/>",
  "<D:lockdiscovery/>",
  "<D:supportedlock/>",
  "<D:quota-used-bytes/>",
  "<D:creationdate/>",
  '<Z:custom xmlns:Z="urn:z"/>',
  '<x:y xmlns:x="http://example.com/ns"/>',
  "<unqualified/>",
];

const NAMESPACES = [
  "DAV:",
  "urn:z",
  "http://example.com/ns",
  "",
  "dav:",
  "urn:\u00e9\u{1f600}",
  "http://www.w3.org/XML/1998/namespace",
  "http://www.w3.org/2000/xmlns/",
  "x",
  "a b",
];

/** A value for a dead property: text, nested elements, or both. */
function propertyValue(rng: Rng): string {
  return rng.weighted([
    [3, () => escapeXml(randomText(rng, 200))],
    [2, () => `<v:a xmlns:v="urn:v">${escapeXml(randomText(rng, 20))}<v:b x="1"/></v:a>`],
    [1, () => nested(rng.int(1, 64), "e", escapeXml(randomText(rng, 10)))],
    [1, () => `<![CDATA[${randomText(rng, 50).replaceAll("]]>", "")}]]>`],
  ]);
}

/** XML text escaping. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `depth` nested elements named `name` around `inner`. */
export function nested(depth: number, name: string, inner = ""): string {
  return `<${name}>`.repeat(depth) + inner + `</${name}>`.repeat(depth);
}

/** A valid PROPFIND body. */
export function propfindBody(rng: Rng): string {
  const decl = rng.chance(0.5) ? '<?xml version="1.0" encoding="utf-8"?>' : "";
  const inner = rng.weighted([
    [1, () => "<D:allprop/>"],
    [1, () => "<D:propname/>"],
    [1, () => `<D:allprop/><D:include>${rng.pick(DAV_PROPS)}</D:include>`],
    [3, () => {
      const count = rng.int(1, 8);
      let props = "";
      for (let i = 0; i < count; i++) props += rng.pick(DAV_PROPS);
      return `<D:prop>${props}</D:prop>`;
    }],
  ]);
  return `${decl}<D:propfind xmlns:D="DAV:">${inner}</D:propfind>`;
}

/** A valid PROPPATCH body. */
export function proppatchBody(rng: Rng): string {
  const count = rng.int(1, 5);
  let ops = "";
  for (let i = 0; i < count; i++) {
    const ns = rng.pick(["urn:z", "http://example.com/ns", "urn:other"]);
    const name = rng.pick(["color", "author", "x", "n\u00e9", "very-long-".repeat(10)]);
    if (rng.chance(0.7)) {
      ops += `<D:set><D:prop><p:${name} xmlns:p="${ns}"${rng.chance(0.2) ? ' xml:lang="fr"' : ""}>${
        propertyValue(rng)
      }</p:${name}></D:prop></D:set>`;
    } else {
      ops += `<D:remove><D:prop><p:${name} xmlns:p="${ns}"/></D:prop></D:remove>`;
    }
  }
  if (rng.chance(0.1)) ops += "<D:set><D:prop><D:getetag>x</D:getetag></D:prop></D:set>";
  return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:">${ops}</D:propertyupdate>`;
}

/** A valid LOCK body. */
export function lockinfoBody(rng: Rng): string {
  const scope = rng.pick(["<D:exclusive/>", "<D:shared/>"]);
  const owner = rng.weighted([
    [1, () => ""],
    [2, () => `<D:owner>${escapeXml(randomText(rng, 40))}</D:owner>`],
    [
      1,
      () =>
        `<D:owner><D:href>http://example.com/~${escapeXml(randomText(rng, 8))}</D:href></D:owner>`,
    ],
  ]);
  return `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope>${scope}</D:lockscope><D:locktype><D:write/></D:locktype>${owner}</D:lockinfo>`;
}

/** A body for a method: valid, mutated, structurally hostile or random. */
export function xmlBody(rng: Rng, method: string, maxBytes: number): Uint8Array {
  const valid = () =>
    method === "PROPPATCH"
      ? proppatchBody(rng)
      : method === "LOCK"
      ? lockinfoBody(rng)
      : propfindBody(rng);
  const root = method === "PROPPATCH"
    ? "propertyupdate"
    : method === "LOCK"
    ? "lockinfo"
    : "propfind";
  return rng.weighted<Uint8Array>([
    [4, () => utf8(valid())],
    [6, () => mutateBytes(rng, utf8(valid()), maxBytes)],
    [2, () => utf8(deepBody(rng, method, maxBytes))],
    [1, () => utf8(manyAttributes(rng, root, maxBytes))],
    [2, () => utf8(oddNamespaces(rng, root))],
    [1, () => brokenUtf8(rng, valid())],
    [1, () => utf8(hostileMarkup(rng, root))],
    [1, () => rng.bytes(rng.size(4096))],
    [1, () => new Uint8Array()],
  ]);
}

/** Deep nesting: in the root, in a dead property value, in an owner. */
function deepBody(rng: Rng, method: string, maxBytes: number): string {
  // Each level costs 7 bytes (`<e>` + `</e>`); stay under the body limit mostly.
  const depth = rng.pick([100, 1000, 10_000, rng.int(1, Math.floor(maxBytes / 7))]);
  const deep = nested(depth, rng.pick(["e", "D:e", "z:e"]), "x");
  if (method === "PROPPATCH") {
    return `<D:propertyupdate xmlns:D="DAV:" xmlns:z="urn:z"><D:set><D:prop><z:deep>${deep}</z:deep></D:prop></D:set></D:propertyupdate>`;
  }
  if (method === "LOCK") {
    return `<D:lockinfo xmlns:D="DAV:" xmlns:z="urn:z"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>${deep}</D:owner></D:lockinfo>`;
  }
  return `<D:propfind xmlns:D="DAV:" xmlns:z="urn:z"><D:prop>${deep}</D:prop></D:propfind>`;
}

function manyAttributes(rng: Rng, root: string, maxBytes: number): string {
  const count = rng.pick([100, 1000, 10_000, rng.int(1, Math.floor(maxBytes / 16))]);
  const distinct = rng.chance(0.8);
  let attributes = "";
  for (let i = 0; i < count; i++) {
    attributes += distinct
      ? (rng.chance(0.5) ? ` a${i}="${i}"` : ` xmlns:n${i}="urn:n${i}"`)
      : ' a="1"';
  }
  return `<D:${root} xmlns:D="DAV:"${attributes}><D:prop${attributes}><D:getetag/></D:prop></D:${root}>`;
}

function oddNamespaces(rng: Rng, root: string): string {
  const ns = rng.pick(NAMESPACES);
  return rng.pick([
    `<D:${root} xmlns:D="${ns}"><D:prop><D:getetag/></D:prop></D:${root}>`,
    `<${root} xmlns="DAV:"><prop><getetag xmlns=""/></prop></${root}>`,
    `<D:${root}><D:prop/></D:${root}>`, // unbound prefix
    `<D:${root} xmlns:D="DAV:" xmlns:D="urn:z"><D:allprop/></D:${root}>`,
    `<xmlns:${root} xmlns:xmlns="DAV:"/>`,
    `<D:${root} xmlns:D="DAV:" xmlns:xml="urn:x"><D:allprop/></D:${root}>`,
    `<D:${root} xmlns:D="DAV:"><D:prop><x:a xmlns:x="${ns}" x:b="1" xml:lang="${
      escapeXml(randomText(rng, 8))
    }"/></D:prop></D:${root}>`,
    `<D:${root} xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="${ns}">v</x:a></D:prop></D:set></D:${root}>`,
    `<:${root} xmlns:="DAV:"/>`,
    `<D:${root} xmlns:D="DAV:"><D:prop><D:a:b/></D:prop></D:${root}>`,
  ]);
}

function brokenUtf8(rng: Rng, valid: string): Uint8Array {
  const bytes = Array.from(utf8(valid));
  const at = rng.int(0, bytes.length);
  bytes.splice(at, 0, ...rng.pick(BROKEN_UTF8));
  if (rng.chance(0.3)) bytes.unshift(0xef, 0xbb, 0xbf);
  if (rng.chance(0.2)) bytes.unshift(0xff, 0xfe); // a UTF-16 BOM on UTF-8 bytes
  return Uint8Array.from(bytes);
}

function hostileMarkup(rng: Rng, root: string): string {
  return rng.pick([
    `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><D:${root} xmlns:D="DAV:">&lol2;</D:${root}>`,
    `<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>`,
    `<D:${root} xmlns:D="DAV:">&undefined;</D:${root}>`,
    `<D:${root} xmlns:D="DAV:"><![CDATA[${"]".repeat(rng.int(0, 10))}</D:${root}>`,
    `<?xml version="1.1" encoding="iso-8859-1"?><D:${root} xmlns:D="DAV:"/>`,
    `<?xml version="1.0" encoding="utf-16"?><D:${root} xmlns:D="DAV:"/>`,
    `<D:${root} xmlns:D="DAV:"/><D:${root} xmlns:D="DAV:"/>`,
    `<D:${root} xmlns:D="DAV:"><!-- ${"-".repeat(rng.int(0, 5))} --></D:${root}>`,
    `<?pi ${randomText(rng, 20)}?><D:${root} xmlns:D="DAV:"/>`,
    `<D:${root} xmlns:D="DAV:">&#0;&#xD800;&#x110000;&#99999999999;</D:${root}>`,
    `<D:${root} xmlns:D="DAV:" ${"a".repeat(rng.int(1, 70_000))}="1"/>`,
  ]);
}

// ------------------------------------------------------------------- Headers

/** A `Depth` header value. */
export function depthHeader(rng: Rng): string {
  return rng.pick([
    "0",
    "1",
    "infinity",
    "Infinity",
    " 1 ",
    "-1",
    "2",
    "00",
    "1,0",
    "0x1",
    "",
    "infinite",
    "9".repeat(rng.int(1, 400)),
    randomText(rng, 16),
  ]);
}

/** An `Overwrite` header value. */
export function overwriteHeader(rng: Rng): string {
  return rng.pick(["T", "F", "t", "f", "", "TF", "true", " T", "\u00e9", randomText(rng, 8)]);
}

/** A `Timeout` header value. */
export function timeoutHeader(rng: Rng): string {
  return rng.pick([
    "Infinite",
    "Second-600",
    "Second-0",
    "Second--1",
    "Second-" + "9".repeat(rng.int(1, 20)),
    "Second-" + "9".repeat(rng.int(300, 400)),
    "Second-1e9",
    "Second-4100000000",
    "second-60, Infinite",
    "Infinite, Second-4100000000",
    ",,,,",
    "Second-",
    "Extend-1",
    "Second-" + String(rng.u32()),
    Array.from({ length: rng.int(1, 2000) }, () => "Second-1").join(","),
    randomText(rng, 32),
  ]);
}

/** A `Range` header value. */
export function rangeHeader(rng: Rng): string {
  const num = () =>
    rng.pick([
      "0",
      "1",
      String(rng.int(0, 5000)),
      "9".repeat(rng.int(1, 400)),
      "-1",
      "1e3",
      "",
      " ",
      "0x10",
    ]);
  const spec = () => `${num()}-${num()}`;
  return rng.weighted([
    [4, () => `bytes=${Array.from({ length: rng.int(1, 5) }, spec).join(",")}`],
    [
      1,
      () =>
        `bytes=${
          Array.from({ length: rng.int(60, 3000) }, () => `${rng.int(0, 99)}-${rng.int(0, 999)}`)
            .join(",")
        }`,
    ],
    [1, () => `bytes=${",".repeat(rng.int(1, 5000))}0-1`],
    [
      1,
      () =>
        `bytes=${
          Array.from({ length: rng.int(2, 64) }, () => rng.pick(["0-", "-9999", "1-"])).join(",")
        }`,
    ],
    [1, () => `items=0-1`],
    [1, () => `bytes = -${num()}`],
    [1, () => `BYTES=${spec()}`],
    [1, () => "bytes=" + " ".repeat(rng.int(1, 10_000)) + "0-1"],
    [1, () => randomText(rng, 64)],
  ]);
}

/** An HTTP date, valid or not. */
export function httpDate(rng: Rng): string {
  return rng.pick([
    new Date(rng.int(0, 4_000_000_000) * 1000).toUTCString(),
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "Tue, 31 Feb 2026 25:61:61 GMT",
    "Sat, 01 Jan 275760 00:00:00 GMT",
    "-1",
    "0",
    "9".repeat(rng.int(1, 300)),
    randomText(rng, 30),
  ]);
}

/** An entity-tag list (`If-Match`, `If-None-Match`) or `If-Range` value. */
export function etagHeader(rng: Rng): string {
  const tag = () =>
    rng.pick(['"x"', 'W/"x"', '"', "", '"a,b"', `"${randomText(rng, 20).replaceAll('"', "")}"`]);
  return rng.weighted([
    [3, () => Array.from({ length: rng.int(1, 4) }, tag).join(rng.pick([",", ", ", " "]))],
    [1, () => "*"],
    [1, () => Array.from({ length: rng.int(100, 1500) }, tag).join(",")],
    [1, () => '"'.repeat(rng.int(1, 5000))],
    [1, () => " ,".repeat(rng.int(1, 5000))],
    [1, () => randomText(rng, 40)],
  ]);
}

/** An `If` header (RFC 4918 §10.4): valid lists, mutations, random grammar characters. */
export function ifHeader(rng: Rng, origin: string, tokens: readonly string[]): string {
  const token = () =>
    rng.pick([
      "<urn:uuid:00000000-0000-0000-0000-000000000000>",
      "<DAV:no-lock>",
      "<opaquelocktoken:x>",
      "<not a uri>",
      "<>",
      "<" + "a".repeat(rng.int(1, 3000)) + ":b>",
      ...(tokens.length > 0 ? [`<${rng.pick(tokens)}>`] : []),
    ]);
  const etag = () => rng.pick(['["x"]', '[W/"x"]', "[x]", '["', '[ "a" ]', "[]"]);
  const condition = () =>
    (rng.chance(0.3) ? rng.pick(["Not ", "not", "NOT\t", "Not"]) : "") +
    (rng.chance(0.6) ? token() : etag());
  const list = () =>
    `(${Array.from({ length: rng.int(0, 4) }, condition).join(rng.pick([" ", "", "  "]))})`;
  const tag = () =>
    rng.pick([
      `<${origin}/a.txt>`,
      `<${origin}/dir/>`,
      "<http://other.example/a>",
      "</a.txt>",
      "<%%%>",
      `<${origin}/%ff%00>`,
      `<${origin}/../../../etc/passwd>`,
    ]);
  const grammar = '()<>[]" \tNotW/:urn';
  return rng.weighted([
    [4, () => Array.from({ length: rng.int(1, 4) }, list).join(" ")],
    [3, () => Array.from({ length: rng.int(1, 3) }, () => `${tag()} ${list()}`).join(" ")],
    [2, () => rng.stringOf(grammar, rng.size(200))],
    [1, () => "(".repeat(rng.int(1, 20_000))],
    [1, () => list().repeat(rng.int(100, 1000)).slice(0, 60_000)],
    [1, () => `(${"Not ".repeat(rng.int(1, 5000))}<DAV:no-lock>)`],
    [1, () => randomText(rng, 100)],
  ]);
}

/** A `Destination` header value. */
export function destinationHeader(rng: Rng, origin: string, path: () => string): string {
  return rng.weighted([
    [4, () => origin + path()],
    [2, () => path()],
    [1, () => "http://other.example" + path()],
    [1, () => "::::not a uri"],
    [1, () => ""],
    [1, () => origin + "/" + "x".repeat(rng.int(1000, 20_000))],
    [1, () => `${origin.replace("http", "https")}/b`],
    [1, () => `http://[::1/a`],
    [1, () => `${origin}/a#frag`],
    [1, () => randomText(rng, 80)],
  ]);
}

/** An `Authorization` header for Basic auth. */
export function basicAuthorization(rng: Rng, user: string, password: string): string {
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
  return rng.weighted([
    [3, () => `Basic ${b64(utf8(`${user}:${password}`))}`],
    [2, () => `Basic ${b64(utf8(`${user}:${randomText(rng, 20)}`))}`],
    [1, () => `Basic ${b64(utf8(randomText(rng, 40)))}`],
    [1, () => `Basic ${b64(rng.bytes(rng.size(64)))}`],
    [1, () => `basic  ${b64(utf8(`${user}:${password}`))}  `],
    [1, () => `Basic ${b64(utf8(`${user}:${password}`)).replace(/=+$/, "")}`],
    [1, () => `Basic ${rng.stringOf("ABCabc012+/=-_.", rng.size(100))}`],
    [1, () => `Basic ${"A".repeat(rng.pick([8188, 8192, 8196, 20_000]))}`],
    [1, () => `Basic ${b64(utf8(":" + password))}`],
    [1, () => `Basic ${b64(Uint8Array.from([...utf8(user), 0x3a, ...rng.pick(BROKEN_UTF8)]))}`],
    [1, () => `Bearer ${randomText(rng, 20)}`],
    [1, () => "Basic"],
    [1, () => randomText(rng, 60)],
  ]);
}

// ---------------------------------------------------------------------- Paths

const SEGMENTS = [
  "a.txt",
  "dir",
  "b.txt",
  "new",
  "%C3%BC.txt",
  "..",
  ".",
  "%2e%2e",
  "%2E%2e%2F",
  "..%2f..%2f",
  "%00",
  "a%00b",
  "%",
  "%G1",
  "%e9",
  "%ff%fe",
  "%ed%a0%80",
  "%c0%af",
  "%2F",
  "%5C",
  "..\\..",
  "%20",
  "a b",
  "~",
  "%23",
  "%3F",
  "CON",
  "x".repeat(255),
];

/** A request path (with its leading `/`), percent-encoded as sent on the wire. */
export function requestPath(rng: Rng): string {
  return rng.weighted([
    [4, () => "/" + rng.pick(["a.txt", "dir/", "dir/b.txt", "%C3%BC.txt", "new.txt", "dir/new/"])],
    [6, () => {
      const count = rng.int(0, 6);
      const segments = Array.from({ length: count }, () => rng.pick(SEGMENTS));
      return "/" + segments.join(rng.chance(0.1) ? "//" : "/") + (rng.chance(0.3) ? "/" : "");
    }],
    [1, () => "/" + "a/".repeat(rng.int(1, 2000))],
    [1, () => "/" + "x".repeat(rng.pick([1024, 4096, 8000, 20_000]))],
    [1, () => "/" + "../".repeat(rng.int(1, 200)) + "etc/passwd"],
    [
      1,
      () =>
        "/" +
        Array.from({ length: rng.int(1, 40) }, () =>
          `%${rng.int(0, 255).toString(16).padStart(2, "0")}`).join(""),
    ],
    [1, () => "/" + encodeURIComponent(randomText(rng, 40).toWellFormed()).replaceAll("%2F", "/")],
  ]);
}

// ----------------------------------------------------------------------- JSON

/** A random JSON-ish document (valid JSON most of the time). */
export function randomJson(rng: Rng, depth = 0): unknown {
  return rng.weighted<unknown>([
    [2, () => rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53, 2 ** 53 + 2, 9_007_199_254_740_993])],
    [2, () => randomText(rng, 40)],
    [1, () => rng.chance(0.5)],
    [1, () => null],
    [
      depth < 4 ? 1 : 0,
      () => Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth + 1)),
    ],
    [depth < 4 ? 1 : 0, () => {
      const out: Record<string, unknown> = {};
      for (let i = 0, n = rng.int(0, 4); i < n; i++) {
        out[randomText(rng, 10)] = randomJson(rng, depth + 1);
      }
      return out;
    }],
  ]);
}
