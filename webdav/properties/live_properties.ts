/**
 * Live properties (RFC 4918 §15, RFC 4331, Microsoft's Win32 properties): their
 * values for a resource, which ones `allprop` and `propname` report, and which
 * ones PROPPATCH may not change. Values come from `stat` only — never from file
 * bytes.
 *
 * @module
 */

import { mime } from "../../deps/mime.ts";
import type { ActiveLock, DavRequestContext } from "../dav_context.ts";
import type { BackupFileInfo } from "../../src/fs/file_info.ts";
import { baseName } from "../../src/fs/paths.ts";
import { quoteEtag } from "../http/conditional.ts";
import { activeLockXml } from "../locks/lock_xml.ts";
import { clark, dav, MS_NS } from "../xml/names.ts";
import { elementXml, escapeText } from "../xml/write.ts";

/** A resource whose properties are reported. */
export interface DavResource {
  /** Normalized BackupFS path. */
  path: string;
  /** What `stat` said about it. */
  info: BackupFileInfo;
  /** The last segment of `path`, when the caller already has it (a listed member). */
  name?: string;
}

/** Storage usage for the RFC 4331 quota properties. */
export interface QuotaInfo {
  /** Bytes stored. */
  usedBytes: number;
  /** Bytes that can still be stored. */
  availableBytes: number;
}

/** Per-request environment of the live properties. */
export interface LivePropertyEnvironment {
  /** The request context (hrefs, locks). */
  ctx: DavRequestContext;
  /** Storage usage, computed at most once per request; undefined when not configured. */
  quota?: () => Promise<QuotaInfo | undefined>;
}

/** The Clark names of the Win32 properties. */
export const WIN32 = {
  creationTime: clark(MS_NS, "Win32CreationTime"),
  lastModifiedTime: clark(MS_NS, "Win32LastModifiedTime"),
  lastAccessTime: clark(MS_NS, "Win32LastAccessTime"),
  fileAttributes: clark(MS_NS, "Win32FileAttributes"),
} as const;

type Getter = (
  resource: DavResource,
  env: LivePropertyEnvironment,
) => string | undefined | Promise<string | undefined>;

interface LiveProperty {
  get: Getter;
  /** Reported by allprop. */
  allprop: boolean;
  /** Refused by PROPPATCH (403 cannot-modify-protected-property). */
  protected: boolean;
  /** A dead value of the same name, when stored, wins (properties clients may write). */
  deadOverrides?: boolean;
}

/** The element's tags, computed once per property. */
interface Tags {
  open: string;
  close: string;
  empty: string;
}

function tagsOf(name: string): Tags {
  const empty = elementXml(name);
  const full = elementXml(name, "\u0000");
  const at = full.indexOf("\u0000");
  return { open: full.slice(0, at), close: full.slice(at + 1), empty };
}

/**
 * A date formatter that remembers its last answer: both formats depend only on
 * the second, and a listing's members were mostly written in the same few seconds.
 */
function perSecond(format: (date: Date) => string): (date: Date) => string {
  let second = NaN;
  let text = "";
  return (date) => {
    const at = Math.floor(date.getTime() / 1000);
    if (at !== second) {
      text = format(date);
      second = at;
    }
    return text;
  };
}

const httpDate = perSecond((date) => date.toUTCString());
const isoDate = perSecond((date) => date.toISOString().replace(/\.\d{3}Z$/, "Z"));
const time = (date: Date | null | undefined) => date ? httpDate(date) : undefined;
const modified = (r: DavResource) => r.info.mtime ?? r.info.birthtime;
const created = (r: DavResource) => r.info.birthtime ?? r.info.mtime;

const SUPPORTED_LOCK = ["exclusive", "shared"].map((scope) =>
  `<D:lockentry><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`
).join("");

/** Escaped `getcontenttype` values by stored type (few distinct types; bounded). */
const contentTypeXml = new Map<string, string>();
const MAX_CONTENT_TYPES = 256;

function contentTypeValue(resource: DavResource): string {
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

const PROPERTIES = new Map<string, LiveProperty>([
  [dav("resourcetype"), {
    get: (r) => r.info.isDirectory ? "<D:collection/>" : "",
    allprop: true,
    protected: true,
  }],
  [dav("getcontentlength"), {
    get: (r) => r.info.isFile ? String(r.info.size) : undefined,
    allprop: true,
    protected: true,
  }],
  [dav("getlastmodified"), {
    get: (r) => time(modified(r)),
    allprop: true,
    protected: false,
  }],
  [dav("getetag"), {
    get: (r) => r.info.isFile ? escapeText(quoteEtag(r.info.etag) ?? "") || undefined : undefined,
    allprop: true,
    protected: true,
  }],
  [dav("getcontenttype"), {
    get: (r) => r.info.isFile ? contentTypeValue(r) : undefined,
    allprop: true,
    protected: true,
  }],
  [dav("creationdate"), {
    get: (r) => {
      const date = created(r);
      return date ? isoDate(date) : undefined;
    },
    allprop: true,
    protected: true,
  }],
  [dav("displayname"), {
    get: (r) => escapeText(r.name ?? baseName(r.path)) || undefined,
    allprop: true,
    protected: false,
    deadOverrides: true,
  }],
  [dav("supportedlock"), { get: () => SUPPORTED_LOCK, allprop: true, protected: true }],
  [dav("lockdiscovery"), {
    get: (r, env) => {
      const locks = env.ctx.locks.locksCovering(r.path);
      if (locks.length === 0) return "";
      const now = Date.now();
      const href = (lock: ActiveLock) => env.ctx.href(lock.root);
      return locks.map((lock) => activeLockXml(lock, { href, now })).join("");
    },
    allprop: true,
    protected: true,
  }],
  [dav("quota-available-bytes"), {
    get: async (r, env) => {
      if (!r.info.isDirectory || !env.quota) return undefined;
      const quota = await env.quota();
      return quota ? String(Math.max(0, Math.floor(quota.availableBytes))) : undefined;
    },
    allprop: false,
    protected: true,
  }],
  [dav("quota-used-bytes"), {
    get: async (r, env) => {
      if (!r.info.isDirectory || !env.quota) return undefined;
      const quota = await env.quota();
      return quota ? String(Math.max(0, Math.floor(quota.usedBytes))) : undefined;
    },
    allprop: false,
    protected: true,
  }],
  [WIN32.creationTime, { get: (r) => time(created(r)), allprop: false, protected: false }],
  [WIN32.lastModifiedTime, { get: (r) => time(modified(r)), allprop: false, protected: false }],
  [WIN32.lastAccessTime, {
    get: (r) => time(modified(r)),
    allprop: false,
    protected: false,
    deadOverrides: true,
  }],
  [WIN32.fileAttributes, {
    get: (r) => r.info.isDirectory ? "00000010" : "00000020",
    allprop: false,
    protected: false,
    deadOverrides: true,
  }],
]);

/**
 * The content type a file is served with: the stored one, else by extension,
 * else `application/octet-stream`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentTypeOf } from "./live_properties.ts";
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

/**
 * Whether a Clark name is a live property of this server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLiveProperty } from "./live_properties.ts";
 * assert.equal(isLiveProperty("{DAV:}getetag"), true);
 * assert.equal(isLiveProperty("{urn:x}color"), false);
 * ```
 */
export function isLiveProperty(name: string): boolean {
  return PROPERTIES.has(name);
}

/**
 * Whether PROPPATCH must refuse to change a property (403
 * `cannot-modify-protected-property`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isProtectedProperty } from "./live_properties.ts";
 * assert.equal(isProtectedProperty("{DAV:}getetag"), true);
 * assert.equal(isProtectedProperty("{DAV:}getlastmodified"), false);
 * assert.equal(isProtectedProperty("{urn:x}color"), false);
 * ```
 */
export function isProtectedProperty(name: string): boolean {
  return PROPERTIES.get(name)?.protected ?? false;
}

/**
 * Whether a stored dead property of this name is reported instead of the live value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadOverridesLive } from "./live_properties.ts";
 * assert.equal(deadOverridesLive("{DAV:}displayname"), true);
 * assert.equal(deadOverridesLive("{DAV:}getetag"), false);
 * ```
 */
export function deadOverridesLive(name: string): boolean {
  return PROPERTIES.get(name)?.deadOverrides ?? false;
}

/**
 * The live property names a resource has (for `propname`; with `allprop: true`,
 * only those `allprop` reports).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveNames } from "./live_properties.ts";
 * const info = { isFile: false, isDirectory: true, isSymlink: false, size: 0, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * const names = liveNames({ path: "/d", info });
 * assert.ok(names.includes("{DAV:}quota-used-bytes"));
 * assert.ok(!names.includes("{DAV:}getcontentlength")); // a collection has no length
 * ```
 */
export function liveNames(resource: DavResource, options: { allprop?: boolean } = {}): string[] {
  return [...liveNamesOf(resource.info.isDirectory, options)];
}

/**
 * Like {@link liveNames}, from whether the resource is a collection; the array is
 * shared and frozen (no copy per resource).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveNamesOf } from "./live_properties.ts";
 * const names = liveNamesOf(false, { allprop: true });
 * assert.ok(names.includes("{DAV:}getetag"));
 * assert.ok(Object.isFrozen(names));
 * assert.equal(liveNamesOf(false, { allprop: true }), names); // shared, not copied
 * ```
 */
export function liveNamesOf(
  isDirectory: boolean,
  options: { allprop?: boolean } = {},
): readonly string[] {
  if (options.allprop) return isDirectory ? ALLPROP_DIRECTORY : ALLPROP_FILE;
  return isDirectory ? ALL_DIRECTORY : ALL_FILE;
}

function namesFor(isDirectory: boolean, allprop: boolean): string[] {
  const names: string[] = [];
  for (const [name, property] of PROPERTIES) {
    if (allprop && !property.allprop) continue;
    if (isDirectory) {
      if (name === dav("getcontentlength") || name === dav("getetag")) continue;
      if (name === dav("getcontenttype")) continue;
    } else if (name === dav("quota-available-bytes") || name === dav("quota-used-bytes")) {
      continue;
    }
    names.push(name);
  }
  return names;
}

/**
 * A live property's element XML for a resource, or `undefined` when the resource
 * does not have it (or it is not a live property).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveProperty } from "./live_properties.ts";
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 5, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * const env = { ctx: {} as never };
 * assert.equal(
 *   await liveProperty("{DAV:}getcontentlength", { path: "/a", info }, env),
 *   "<D:getcontentlength>5</D:getcontentlength>",
 * );
 * assert.equal(await liveProperty("{urn:x}color", { path: "/a", info }, env), undefined);
 * ```
 */
export async function liveProperty(
  name: string,
  resource: DavResource,
  env: LivePropertyEnvironment,
): Promise<string | undefined> {
  return await livePropertyXml(name, resource, env);
}

/**
 * Like {@link liveProperty}, but synchronous whenever the value needs no wait
 * (every property except the quota ones): a `Promise` only when it must.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { livePropertyXml } from "./live_properties.ts";
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 5, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * const env = { ctx: {} as never };
 * // Synchronous: a string, not a Promise.
 * assert.equal(
 *   livePropertyXml("{DAV:}getcontentlength", { path: "/a", info }, env),
 *   "<D:getcontentlength>5</D:getcontentlength>",
 * );
 * ```
 */
export function livePropertyXml(
  name: string,
  resource: DavResource,
  env: LivePropertyEnvironment,
): string | undefined | Promise<string | undefined> {
  return RENDERERS.get(name)?.(resource, env);
}

/** Renders one live property's element for a resource (see {@link livePropertyXml}). */
export type LivePropertyRenderer = (
  resource: DavResource,
  env: LivePropertyEnvironment,
) => string | undefined | Promise<string | undefined>;

/**
 * The renderer of a live property, looked up once (e.g. per request) instead of
 * once per resource; `undefined` when the name is not a live property.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { livePropertyRenderer } from "./live_properties.ts";
 * const render = livePropertyRenderer("{DAV:}getcontentlength")!;
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 5, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * assert.equal(render({ path: "/a", info }, { ctx: {} as never }), "<D:getcontentlength>5</D:getcontentlength>");
 * assert.equal(livePropertyRenderer("{urn:x}color"), undefined);
 * ```
 */
export function livePropertyRenderer(name: string): LivePropertyRenderer | undefined {
  return RENDERERS.get(name);
}

function rendererOf(name: string, property: LiveProperty): LivePropertyRenderer {
  const { open, close, empty } = tagsOf(name);
  const wrap = (value: string) => value === "" ? empty : open + value + close;
  const get = property.get;
  return (resource, env) => {
    const value = get(resource, env);
    if (typeof value === "string") return wrap(value);
    if (value === undefined) return undefined;
    return value.then((v) => v === undefined ? undefined : wrap(v));
  };
}

const RENDERERS = new Map<string, LivePropertyRenderer>(
  [...PROPERTIES].map(([name, property]) => [name, rendererOf(name, property)]),
);

const ALLPROP_FILE: readonly string[] = Object.freeze(namesFor(false, true));
const ALLPROP_DIRECTORY: readonly string[] = Object.freeze(namesFor(true, true));
const ALL_FILE: readonly string[] = Object.freeze(namesFor(false, false));
const ALL_DIRECTORY: readonly string[] = Object.freeze(namesFor(true, false));
