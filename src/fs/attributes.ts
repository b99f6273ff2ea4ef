/**
 * File attributes in object metadata: the compact, versioned `MetadataString`
 * (size, times, mode, chunk size, content type; always ≤ 256 bytes) and the
 * `MetadataBlob` (a content type too long for the string, WebDAV dead properties,
 * extended attributes; ≤ 4 MiB).
 *
 * MetadataString format, version 1 — the tag `bfs1`, then space-separated fields,
 * each a one-letter key directly followed by its value:
 *
 * | key | value |
 * |-----|-------|
 * | `s` | size in bytes, base 36 (required) |
 * | `m` | mtime, ms since the epoch (required) |
 * | `b` | birthtime, ms since the epoch |
 * | `p` | mode, octal |
 * | `k` | chunk size in bytes, base 36 |
 * | `o` | (no value) the content type is in the MetadataBlob |
 * | `t` | content type: the rest of the string, spaces included (always last) |
 *
 * Times that are safe integers are written in base 36 (`-` for negatives); other
 * finite times as `~` followed by JavaScript's shortest round-trip decimal. Unknown
 * keys are skipped when decoding, so version 1 can gain fields; a different tag is
 * a foreign string. Example: `bfs1 s16 mloyw3v28 p644 k4zsow ttext/plain` (42 bytes, mtime
 * 1700000000000, mode 0o644, 8 MiB chunks, `text/plain`).
 *
 * MetadataBlob format, version 1 — the bytes `bfsb1\n` followed by UTF-8 JSON
 * `{"c": contentType, "p": {name: xml}, "x": {name: base64}}` (absent members left
 * out).
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "../storage/checksum.ts";
import { MAX_METADATA_BLOB_BYTES, MAX_METADATA_STRING_BYTES } from "../storage/limits.ts";

/**
 * What BackupFS keeps about a file in its `MetadataString`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   decodeMetadataString,
 *   encodeMetadataString,
 *   type FileAttributes,
 * } from "./attributes.ts";
 * const attrs: FileAttributes = {
 *   size: 1234,
 *   mtime: Date.parse("2024-05-01T12:00:00Z"),
 *   mode: 0o644,
 *   contentType: "text/plain; charset=utf-8",
 *   chunkSize: 8 * 1024 * 1024,
 * };
 * // They travel in the MetadataString and come back unchanged:
 * assert.deepEqual(decodeMetadataString(encodeMetadataString(attrs).metadataString), attrs);
 * ```
 */
export interface FileAttributes {
  /** Size in bytes: a safe integer ≥ 0. */
  size: number;
  /** Modification time, ms since the epoch (any finite number). */
  mtime: number;
  /** Creation time, ms since the epoch (WebDAV `Win32CreationTime`). */
  birthtime?: number;
  /** Permission bits, an integer from 0 to 0o7777, e.g. `0o644`. */
  mode?: number;
  /** Media type, e.g. `text/plain; charset=utf-8`. */
  contentType?: string;
  /** The writer's fixed chunk size in bytes (lets readers compute chunk indexes). */
  chunkSize?: number;
  /**
   * The content type did not fit the string and lives in the MetadataBlob. Set by
   * {@link decodeMetadataString}; kept by {@link encodeMetadataString} when there is
   * no `contentType`.
   */
  contentTypeInBlob?: true;
  /**
   * The version has no MetadataBlob, so its extended attributes are empty without
   * asking the store (field `n`; a string without it may or may not have a blob).
   */
  noBlob?: true;
}

/**
 * Extended attributes, kept in the `MetadataBlob`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   decodeMetadataBlob,
 *   encodeMetadataBlob,
 *   type ExtendedAttributes,
 * } from "./attributes.ts";
 * const extra: ExtendedAttributes = {
 *   properties: { "{urn:example}color": "<x:color xmlns:x=\"urn:example\">red</x:color>" },
 *   xattrs: { "user.origin": new TextEncoder().encode("camera") },
 * };
 * // They travel in the MetadataBlob and come back unchanged:
 * assert.deepEqual(decodeMetadataBlob(encodeMetadataBlob(extra)), extra);
 * ```
 */
export interface ExtendedAttributes {
  /** A content type too long for the MetadataString. */
  contentType?: string;
  /** WebDAV dead properties: key `{namespace}name` → XML text of the property value. */
  properties?: Record<string, string>;
  /** Extended attributes: name → bytes. */
  xattrs?: Record<string, Uint8Array>;
}

/**
 * Result of {@link encodeMetadataString}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeMetadataString, type EncodedMetadataString } from "./attributes.ts";
 * const encoded: EncodedMetadataString = encodeMetadataString({ size: 1, mtime: 0 });
 * assert.deepEqual(encoded, { metadataString: "bfs1 s1 m0", overflow: {} });
 * ```
 */
export interface EncodedMetadataString {
  /** The string to store as `MetadataString`. */
  metadataString: string;
  /** What did not fit and belongs in the MetadataBlob. */
  overflow: { contentType?: string };
}

const STRING_TAG = "bfs1";
const BLOB_MAGIC = "bfsb1\n";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
// What validateMetadataString refuses: C0 controls, DEL and C1 controls.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_MODE = 0o7777;

function encodeTime(value: number, field: string): string {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(`FileAttributes.${field} must be a finite number, got ${String(value)}`);
  }
  if (Object.is(value, -0)) return "-0";
  if (Number.isSafeInteger(value)) return value.toString(36);
  return "~" + String(value);
}

function decodeTime(text: string): number | undefined {
  if (text.startsWith("~")) {
    const rest = text.slice(1);
    if (!/^-?\d+(\.\d+)?(e[+-]\d+)?$/.test(rest)) return undefined;
    const value = Number(rest);
    return Number.isFinite(value) ? value : undefined;
  }
  return decodeInteger(text, true);
}

/** `[-]` then 1–11 base-36 digits (`0-9a-z`) as a safe integer, else `undefined`. */
function decodeInteger(text: string, signed: boolean): number | undefined {
  const negative = signed && text.charCodeAt(0) === 0x2d; // "-"
  const start = negative ? 1 : 0;
  const digits = text.length - start;
  if (digits < 1 || digits > 11) return undefined;
  // Exact while below 2^53: a larger value is refused below, as parseInt's would be.
  let value = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x61 && c <= 0x7a) digit = c - 0x61 + 10;
    else return undefined;
    value = value * 36 + digit;
  }
  if (negative) value = -value;
  return Number.isSafeInteger(value) ? value : undefined;
}

function encodeCount(value: number, field: string, min: number): string {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `FileAttributes.${field} must be a safe integer ≥ ${min}, got ${String(value)}`,
    );
  }
  return value.toString(36);
}

function fitsInString(text: string): boolean {
  return text.isWellFormed() && !CONTROL.test(text);
}

/**
 * Encodes file attributes as a `MetadataString`: versioned (`bfs1 …`), always at
 * most 256 bytes of UTF-8 and valid for `validateMetadataString` (no C0 control,
 * DEL or C1 control characters). A content type that does not fit (too long, or
 * with such control characters or lone surrogates) is left out of the string,
 * flagged with `o`, and returned in `overflow.contentType` for the caller to
 * store in the MetadataBlob.
 *
 * Throws `RangeError` when a field is out of range: `size` and `chunkSize` must be
 * safe integers (≥ 0 and ≥ 1), times finite, `mode` an integer from 0 to 0o7777.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeMetadataString } from "./attributes.ts";
 * const { metadataString, overflow } = encodeMetadataString({
 *   size: 42,
 *   mtime: 1_700_000_000_000,
 *   mode: 0o644,
 *   contentType: "text/plain",
 * });
 * assert.equal(metadataString, "bfs1 s16 mloyw3v28 p644 ttext/plain");
 * assert.deepEqual(overflow, {});
 *
 * // A content type too long for the string goes to the MetadataBlob:
 * const long = encodeMetadataString({ size: 0, mtime: 0, contentType: "x".repeat(300) });
 * assert.equal(long.metadataString, "bfs1 s0 m0 o");
 * assert.equal(long.overflow.contentType, "x".repeat(300));
 * ```
 */
export function encodeMetadataString(attrs: FileAttributes): EncodedMetadataString {
  if (attrs === null || typeof attrs !== "object") {
    throw new TypeError("encodeMetadataString needs a FileAttributes object");
  }
  const fields = [STRING_TAG, "s" + encodeCount(attrs.size, "size", 0)];
  fields.push("m" + encodeTime(attrs.mtime, "mtime"));
  if (attrs.birthtime !== undefined) fields.push("b" + encodeTime(attrs.birthtime, "birthtime"));
  if (attrs.mode !== undefined) {
    if (!Number.isInteger(attrs.mode) || attrs.mode < 0 || attrs.mode > MAX_MODE) {
      throw new RangeError(
        `FileAttributes.mode must be an integer from 0 to 0o7777, got ${String(attrs.mode)}`,
      );
    }
    fields.push("p" + attrs.mode.toString(8));
  }
  if (attrs.chunkSize !== undefined) {
    fields.push("k" + encodeCount(attrs.chunkSize, "chunkSize", 1));
  }
  if (attrs.noBlob) fields.push("n");
  const head = fields.join(" ");
  const contentType = attrs.contentType;
  if (contentType === undefined) {
    return { metadataString: attrs.contentTypeInBlob ? head + " o" : head, overflow: {} };
  }
  if (typeof contentType !== "string") {
    throw new RangeError(`FileAttributes.contentType must be a string, got ${typeof contentType}`);
  }
  const full = `${head} t${contentType}`;
  if (fitsInString(contentType) && encoder.encode(full).byteLength <= MAX_METADATA_STRING_BYTES) {
    return { metadataString: full, overflow: {} };
  }
  return { metadataString: head + " o", overflow: { contentType } };
}

/**
 * Decodes a `MetadataString` written by {@link encodeMetadataString}. Returns
 * `undefined` for a missing string, a foreign one (another tool's, or another
 * version of this format) or a malformed one, so the caller can fall back (size
 * from `ListChunks`, …). Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMetadataString } from "./attributes.ts";
 * assert.deepEqual(decodeMetadataString("bfs1 s16 mloyw3v28 p644 ttext/plain"), {
 *   size: 42,
 *   mtime: 1_700_000_000_000,
 *   mode: 0o644,
 *   contentType: "text/plain",
 * });
 * assert.equal(decodeMetadataString("written by another tool"), undefined);
 * ```
 */
export function decodeMetadataString(value: string | undefined): FileAttributes | undefined {
  if (typeof value !== "string" || !value.startsWith(STRING_TAG + " ")) return undefined;
  let size: number | undefined;
  let mtime: number | undefined;
  const attrs: Omit<FileAttributes, "size" | "mtime"> = {};
  // Keys seen: a bit per letter a–z (every key this module writes), a set for others.
  let seenLetters = 0;
  let seenOthers: Set<string> | undefined;
  let position = STRING_TAG.length + 1;
  while (position < value.length) {
    const key = value[position];
    const letter = value.charCodeAt(position) - 97;
    if (letter >= 0 && letter < 26) {
      if (seenLetters & (1 << letter)) return undefined;
      seenLetters |= 1 << letter;
    } else {
      seenOthers ??= new Set<string>();
      if (seenOthers.has(key)) return undefined;
      seenOthers.add(key);
    }
    if (key === "t") {
      attrs.contentType = value.slice(position + 1);
      break;
    }
    let end = value.indexOf(" ", position);
    if (end === -1) end = value.length;
    const text = value.slice(position + 1, end);
    position = end + 1;
    switch (key) {
      case "s":
        size = decodeInteger(text, false);
        if (size === undefined) return undefined;
        break;
      case "m":
        mtime = decodeTime(text);
        if (mtime === undefined) return undefined;
        break;
      case "b": {
        const birthtime = decodeTime(text);
        if (birthtime === undefined) return undefined;
        attrs.birthtime = birthtime;
        break;
      }
      case "p": {
        if (!/^[0-7]{1,4}$/.test(text)) return undefined;
        attrs.mode = parseInt(text, 8);
        break;
      }
      case "k": {
        const chunkSize = decodeInteger(text, false);
        if (chunkSize === undefined || chunkSize < 1) return undefined;
        attrs.chunkSize = chunkSize;
        break;
      }
      case "o":
        if (text !== "") return undefined;
        attrs.contentTypeInBlob = true;
        break;
      case "n":
        if (text !== "") return undefined;
        attrs.noBlob = true;
        break;
      case " ":
        return undefined; // two spaces in a row: not a string this module wrote
      default:
        break; // a field added later in version 1: skip it
    }
  }
  if (size === undefined || mtime === undefined) return undefined;
  // Built field by field (no spread, no delete: both cost per decoded string).
  const decoded: FileAttributes = { size, mtime };
  if (attrs.birthtime !== undefined) decoded.birthtime = attrs.birthtime;
  if (attrs.mode !== undefined) decoded.mode = attrs.mode;
  if (attrs.chunkSize !== undefined) decoded.chunkSize = attrs.chunkSize;
  if (attrs.contentType !== undefined) decoded.contentType = attrs.contentType;
  else if (attrs.contentTypeInBlob) decoded.contentTypeInBlob = true;
  if (attrs.noBlob) decoded.noBlob = true;
  return decoded;
}

/**
 * Extended attributes (dead properties, xattrs, an overlong content type) that do
 * not fit the 4 MiB `MetadataBlob`: thrown by {@link encodeMetadataBlob}, so by
 * `BackupFS.setExtendedAttributes` before anything is written. A `RangeError`, as
 * before; callers recognise it by its class (WebDAV answers 507 Insufficient
 * Storage).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeMetadataBlob, MetadataTooLargeError } from "./attributes.ts";
 * assert.throws(
 *   () => encodeMetadataBlob({ properties: { "{urn:x}big": "x".repeat(5 * 1024 * 1024) } }),
 *   (error) =>
 *     error instanceof MetadataTooLargeError && error instanceof RangeError &&
 *     error.limit === 4 * 1024 * 1024 && error.bytes > error.limit,
 * );
 * ```
 */
export class MetadataTooLargeError extends RangeError {
  /** Bytes the MetadataBlob would need. */
  readonly bytes: number;
  /** The limit: `MAX_METADATA_BLOB_BYTES`. */
  readonly limit: number;

  /** An error for extended attributes that need `bytes`, over `limit` (default `MAX_METADATA_BLOB_BYTES`). */
  constructor(bytes: number, limit?: number) {
    const max = limit ?? MAX_METADATA_BLOB_BYTES;
    super(
      `Extended attributes need ${bytes} bytes, more than the MetadataBlob limit of ${max} bytes (4 MiB)`,
    );
    this.name = "MetadataTooLargeError";
    this.bytes = bytes;
    this.limit = max;
  }
}

function isEmptyRecord(record: Record<string, unknown> | undefined): boolean {
  return record === undefined || Object.keys(record).length === 0;
}

/**
 * Encodes extended attributes as a `MetadataBlob` (`bfsb1\n` + UTF-8 JSON; xattr
 * bytes in base64). Empty attributes encode to `undefined`: store no blob. Throws
 * {@link MetadataTooLargeError} (a `RangeError`) when the result would exceed the
 * 4 MiB MetadataBlob limit, and
 * `TypeError` for a property value that is not a string or an xattr that is not a
 * `Uint8Array`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMetadataBlob, encodeMetadataBlob } from "./attributes.ts";
 * const blob = encodeMetadataBlob({ properties: { "{DAV:}displayname": "Holidays" } });
 * assert.equal(
 *   new TextDecoder().decode(blob),
 *   'bfsb1\n{"p":{"{DAV:}displayname":"Holidays"}}',
 * );
 * assert.deepEqual(decodeMetadataBlob(blob).properties, { "{DAV:}displayname": "Holidays" });
 * assert.equal(encodeMetadataBlob({}), undefined); // nothing to keep: store no blob
 * ```
 */
export function encodeMetadataBlob(attrs: ExtendedAttributes): Uint8Array | undefined {
  const json: { c?: string; p?: Record<string, string>; x?: Record<string, string> } = {};
  if (attrs.contentType !== undefined) {
    if (typeof attrs.contentType !== "string") {
      throw new TypeError("ExtendedAttributes.contentType must be a string");
    }
    json.c = attrs.contentType;
  }
  if (!isEmptyRecord(attrs.properties)) {
    const properties = Object.entries(attrs.properties!);
    for (const [name, value] of properties) {
      if (typeof value !== "string") {
        throw new TypeError(`Dead property ${JSON.stringify(name)} must have a string value`);
      }
    }
    json.p = Object.fromEntries(properties);
  }
  if (!isEmptyRecord(attrs.xattrs)) {
    const xattrs = Object.entries(attrs.xattrs!).map(([name, value]) => {
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`Extended attribute ${JSON.stringify(name)} must be a Uint8Array`);
      }
      return [name, encodeBase64(value)] as const;
    });
    json.x = Object.fromEntries(xattrs);
  }
  if (json.c === undefined && json.p === undefined && json.x === undefined) return undefined;
  const bytes = encoder.encode(BLOB_MAGIC + JSON.stringify(json));
  if (bytes.byteLength > MAX_METADATA_BLOB_BYTES) throw new MetadataTooLargeError(bytes.byteLength);
  return bytes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Decodes a `MetadataBlob` written by {@link encodeMetadataBlob}. Tolerant: a
 * missing, empty, foreign or corrupt blob gives `{}`, and entries of the wrong type
 * are dropped. Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMetadataBlob, encodeMetadataBlob } from "./attributes.ts";
 * const blob = encodeMetadataBlob({ xattrs: { "user.tag": new Uint8Array([1, 2]) } });
 * assert.deepEqual(decodeMetadataBlob(blob).xattrs, { "user.tag": new Uint8Array([1, 2]) });
 * assert.deepEqual(decodeMetadataBlob(new Uint8Array([0xff, 0x00])), {}); // foreign: empty
 * ```
 */
export function decodeMetadataBlob(bytes: Uint8Array | undefined): ExtendedAttributes {
  try {
    if (!(bytes instanceof Uint8Array) || bytes.byteLength <= BLOB_MAGIC.length) return {};
    const text = decoder.decode(bytes);
    if (!text.startsWith(BLOB_MAGIC)) return {};
    const json: unknown = JSON.parse(text.slice(BLOB_MAGIC.length));
    if (!isPlainObject(json)) return {};
    const result: ExtendedAttributes = {};
    if (typeof json.c === "string") result.contentType = json.c;
    if (isPlainObject(json.p)) {
      const entries = Object.entries(json.p).filter((e): e is [string, string] =>
        typeof e[1] === "string"
      );
      if (entries.length > 0) result.properties = Object.fromEntries(entries);
    }
    if (isPlainObject(json.x)) {
      const entries: [string, Uint8Array][] = [];
      for (const [name, value] of Object.entries(json.x)) {
        if (typeof value !== "string") continue;
        try {
          entries.push([name, decodeBase64(value)]);
        } catch {
          // not base64: drop this one entry
        }
      }
      if (entries.length > 0) result.xattrs = Object.fromEntries(entries);
    }
    return result;
  } catch {
    return {};
  }
}
