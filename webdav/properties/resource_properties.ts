/**
 * The live properties every resource has from its `stat` (RFC 4918 §15):
 * `resourcetype`, `getcontentlength`, `getlastmodified`, `getetag`,
 * `getcontenttype`, `creationdate`, `displayname` — never from file bytes.
 *
 * @module
 */

import { mime } from "../../deps/mime.ts";
import { baseName } from "../../src/fs/mod.ts";
import { quoteEtag } from "../http/conditional.ts";
import { dav } from "../xml/names.ts";
import { escapeText } from "../xml/write.ts";
import { createdOf, httpTime, isoTime, modifiedOf } from "./_times.ts";
import type { DavResource, LivePropertyDefinition } from "./live_property.ts";

/**
 * The content type a file is served with: the stored one, else by extension,
 * else `application/octet-stream`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentTypeOf } from "./resource_properties.ts";
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 1, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * assert.equal(contentTypeOf({ path: "/a.txt", info }), "text/plain; charset=utf-8");
 * assert.equal(contentTypeOf({ path: "/a.png", info }), "image/png");
 * assert.equal(contentTypeOf({ path: "/a", info }), "application/octet-stream");
 * assert.equal(contentTypeOf({ path: "/a", info: { ...info, contentType: "text/csv" } }), "text/csv; charset=utf-8");
 * ```
 */
export function contentTypeOf(resource: DavResource): string {
  const type = resource.info.contentType ?? mime.getType(resource.path) ??
    "application/octet-stream";
  // Text without a declared charset is taken as UTF-8 (as rclone and most servers
  // do); browsers would otherwise guess windows-1252 and garble non-ASCII text.
  return /^text\//i.test(type) && !/;\s*charset=/i.test(type) ? `${type}; charset=utf-8` : type;
}

/** Escaped `getcontenttype` values by stored type (few distinct types; bounded). */
const contentTypeXml = new Map<string, string>();
const MAX_CONTENT_TYPES = 256;

/**
 * A file's `getcontenttype` value as escaped XML text ({@link contentTypeOf},
 * escaped once per distinct stored type).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentTypeValue } from "./resource_properties.ts";
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 1, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * assert.equal(contentTypeValue({ path: "/a", info: { ...info, contentType: "a/b&c" } }), "a/b&amp;c");
 * ```
 */
export function contentTypeValue(resource: DavResource): string {
  const stored = resource.info.contentType;
  if (stored === undefined) return escapeText(contentTypeOf(resource));
  let xml = contentTypeXml.get(stored);
  if (xml === undefined) {
    xml = escapeText(contentTypeOf(resource));
    if (contentTypeXml.size >= MAX_CONTENT_TYPES) contentTypeXml.clear();
    contentTypeXml.set(stored, xml);
  }
  return xml;
}

/**
 * The `stat`-based live properties, in the order `allprop` reports them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RESOURCE_PROPERTIES } from "./resource_properties.ts";
 * assert.deepEqual(RESOURCE_PROPERTIES.map((p) => p.name), [
 *   "{DAV:}resourcetype",
 *   "{DAV:}getcontentlength",
 *   "{DAV:}getlastmodified",
 *   "{DAV:}getetag",
 *   "{DAV:}getcontenttype",
 *   "{DAV:}creationdate",
 *   "{DAV:}displayname",
 * ]);
 * ```
 */
export const RESOURCE_PROPERTIES: readonly LivePropertyDefinition[] = [
  {
    name: dav("resourcetype"),
    get: (r) => r.info.isDirectory ? "<D:collection/>" : "",
    allprop: true,
    protected: true,
  },
  {
    name: dav("getcontentlength"),
    get: (r) => r.info.isFile ? String(r.info.size) : undefined,
    allprop: true,
    protected: true,
    appliesTo: "file",
  },
  {
    name: dav("getlastmodified"),
    get: (r) => httpTime(modifiedOf(r)),
    allprop: true,
    protected: false,
  },
  {
    name: dav("getetag"),
    get: (r) => r.info.isFile ? escapeText(quoteEtag(r.info.etag) ?? "") || undefined : undefined,
    allprop: true,
    protected: true,
    appliesTo: "file",
  },
  {
    name: dav("getcontenttype"),
    get: (r) => r.info.isFile ? contentTypeValue(r) : undefined,
    allprop: true,
    protected: true,
    appliesTo: "file",
  },
  {
    name: dav("creationdate"),
    get: (r) => {
      const date = createdOf(r);
      return date ? isoTime(date) : undefined;
    },
    allprop: true,
    protected: true,
  },
  {
    name: dav("displayname"),
    get: (r) => escapeText(r.name ?? baseName(r.path)) || undefined,
    allprop: true,
    protected: false,
    deadOverrides: true,
  },
];
