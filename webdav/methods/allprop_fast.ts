/**
 * The fast path of PROPFIND `allprop` (no `include`) for a resource without dead
 * properties that no lock covers, the common member of a big listing: its
 * `DAV:response` written by one function, the same text the generic path
 * (`renderResponse` over the live property registry) writes, without its
 * per-property steps. `tests/webdav/allprop_fast_test.ts` holds the two to the same
 * bytes on the same resources.
 *
 * @module
 */

import { baseName } from "../../src/fs/mod.ts";
import { quoteEtag } from "../http/conditional.ts";
import { liveNamesOf } from "../properties/live_properties.ts";
import type { DavResource } from "../properties/live_property.ts";
import { contentTypeValue } from "../properties/resource_properties.ts";
import { createdOf, httpTime, isoTime, modifiedOf } from "../properties/_times.ts";
import { lockEntriesXml } from "../locks/lock_xml.ts";
import { escapeText, statusLine } from "../xml/write.ts";
import type { PropfindPlan } from "./propfind_response.ts";

/** The live properties `allprop` reports, in order, that this module writes. */
const FILE_NAMES = [
  "{DAV:}resourcetype",
  "{DAV:}getcontentlength",
  "{DAV:}getlastmodified",
  "{DAV:}getetag",
  "{DAV:}getcontenttype",
  "{DAV:}creationdate",
  "{DAV:}displayname",
  "{DAV:}supportedlock",
  "{DAV:}lockdiscovery",
];
const DIRECTORY_NAMES = [
  "{DAV:}resourcetype",
  "{DAV:}getlastmodified",
  "{DAV:}creationdate",
  "{DAV:}displayname",
  "{DAV:}supportedlock",
  "{DAV:}lockdiscovery",
];

function sameNames(names: readonly string[], expected: readonly string[]): boolean {
  return names.length === expected.length && names.every((name, i) => name === expected[i]);
}

/** Whether the registry's `allprop` lists are the ones this module writes (checked once). */
const REGISTRY_MATCHES = sameNames(liveNamesOf(false, { allprop: true }), FILE_NAMES) &&
  sameNames(liveNamesOf(true, { allprop: true }), DIRECTORY_NAMES);

/**
 * Whether a request's plan can use {@link plainAllpropResponse}: `allprop` without
 * `include`, over the live properties this module writes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPlainAllprop } from "./allprop_fast.ts";
 * import { propfindPlan } from "./propfind_response.ts";
 * assert.equal(isPlainAllprop(propfindPlan({ kind: "allprop", include: [] })), true);
 * assert.equal(isPlainAllprop(propfindPlan({ kind: "allprop", include: ["{urn:x}c"] })), false);
 * assert.equal(isPlainAllprop(propfindPlan({ kind: "propname" })), false);
 * ```
 */
export function isPlainAllprop(plan: PropfindPlan): boolean {
  const request = plan.request;
  return REGISTRY_MATCHES && request.kind === "allprop" && request.include.length === 0 &&
    sameNames(plan.file.map((item) => item.name), FILE_NAMES) &&
    sameNames(plan.directory.map((item) => item.name), DIRECTORY_NAMES);
}

const PROP_OPEN = "<D:propstat><D:prop>";
const PROP_CLOSE = `</D:prop><D:status>${statusLine(200)}</D:status></D:propstat></D:response>\n`;
const LOCKS = `<D:supportedlock>${lockEntriesXml("D")}</D:supportedlock><D:lockdiscovery/>`;

/**
 * The `DAV:response` of a resource for a plain `allprop` ({@link isPlainAllprop}),
 * when it has no dead properties and no lock covers it (the caller knows both).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainAllpropResponse } from "./allprop_fast.ts";
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 5, mtime: null, atime: null, birthtime: null, mode: null, etag: "e" } as const;
 * const xml = plainAllpropResponse("/a.txt", { path: "/a.txt", info, name: "a.txt" });
 * assert.ok(xml.startsWith("<D:response><D:href>/a.txt</D:href><D:propstat><D:prop><D:resourcetype/>"));
 * assert.ok(xml.includes('<D:getetag>"e"</D:getetag>'));
 * ```
 */
export function plainAllpropResponse(href: string, resource: DavResource): string {
  const info = resource.info;
  let xml = `<D:response><D:href>${escapeText(href)}</D:href>${PROP_OPEN}`;
  if (info.isDirectory) {
    xml += "<D:resourcetype><D:collection/></D:resourcetype>";
  } else {
    xml += "<D:resourcetype/>";
    if (info.isFile) xml += `<D:getcontentlength>${info.size}</D:getcontentlength>`;
  }
  const modified = httpTime(modifiedOf(resource));
  if (modified !== undefined) xml += MODIFIED.of(modified);
  if (info.isFile) {
    const etag = escapeText(quoteEtag(info.etag) ?? "");
    if (etag !== "") xml += `<D:getetag>${etag}</D:getetag>`;
    xml += CONTENT_TYPE.of(contentTypeValue(resource));
  }
  const created = createdOf(resource);
  if (created) xml += CREATED.of(isoTime(created));
  const name = escapeText(resource.name ?? baseName(resource.path));
  if (name !== "") xml += `<D:displayname>${name}</D:displayname>`;
  return xml + LOCKS + PROP_CLOSE;
}

/** A `DAV:` element's text for a value: the empty element for an empty value (as the registry writes it). */
function element(local: string): { of: (value: string) => string } {
  const open = `<D:${local}>`;
  const close = `</D:${local}>`;
  const empty = `<D:${local}/>`;
  return { of: (value) => value === "" ? empty : open + value + close };
}

const MODIFIED = element("getlastmodified");
const CONTENT_TYPE = element("getcontenttype");
const CREATED = element("creationdate");
