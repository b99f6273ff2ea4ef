/**
 * The `DAV:response` of one resource in a PROPFIND reply: which properties the
 * request reports (planned once per request, for files and for collections),
 * their values from the live property registry and the dead properties, found
 * ones in a 200 propstat and missing ones in a 404 propstat. Synchronous unless a
 * value must wait (the quota), so a listing's members cost no await each.
 *
 * @module
 */

import type { DavRequestContext } from "../dav_context.ts";
import type { ExtendedAttributes } from "../../src/fs/mod.ts";
import type {
  DavResource,
  LivePropertyEnvironment,
  LivePropertyRenderer,
} from "../properties/live_property.ts";
import {
  deadOverridesLive,
  liveNamesOf,
  livePropertyRenderer,
} from "../properties/live_properties.ts";
import { elementXml, escapeText, statusLine } from "../xml/write.ts";
import type { PropfindRequest } from "./propfind_body.ts";

/**
 * The `DAV:response` of one resource for a PROPFIND request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
import type { ExtendedAttributes } from "../../src/fs/mod.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { propfindResponse } from "./propfind_response.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * const locks = new MemoryLockManager();
 * const context = (request: Request): DavRequestContext => ({
 *   request,
 *   fs,
 *   path: new URL(request.url).pathname,
 *   trailingSlash: false,
 *   href: (path) => path,
 *   pathOf: (href) => new URL(href, request.url).pathname,
 *   readOnly: false,
 *   locks,
 *   maxXmlBytes: 1 << 20,
 * });
 * await fs.writeTextFile("/a.txt", "hello");
 * const ctx = context(new Request("http://h/a.txt", { method: "PROPFIND" }));
 * const xml = await propfindResponse(
 *   { path: "/a.txt", info: await fs.stat("/a.txt") },
 *   { kind: "prop", names: ["{DAV:}getcontentlength", "{urn:x}missing"] },
 *   { ctx },
 * );
 * assert.ok(xml.startsWith("<D:response><D:href>/a.txt</D:href>"));
 * assert.ok(xml.includes("<D:getcontentlength>5</D:getcontentlength>"));
 * assert.ok(xml.includes("<D:status>HTTP/1.1 404 Not Found</D:status>")); // {urn:x}missing
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function propfindResponse(
  resource: DavResource,
  request: PropfindRequest,
  env: LivePropertyEnvironment,
): Promise<string> {
  const ctx = env.ctx;
  const plan = propfindPlan(request);
  const dead = !plan.needsDead
    ? undefined
    : resource.info.hasExtendedAttributes === false
    ? NO_DEAD
    : await deadPropertiesOf(ctx, resource.path);
  const href = ctx.href(resource.path, resource.info.isDirectory);
  return await renderResponse(href, resource, { plan, env, dead });
}

/** A property a request reports, resolved once per request. */
interface PlanItem {
  /** Clark name. */
  name: string;
  /** The live renderer, when it is a live property. */
  render: LivePropertyRenderer | undefined;
  /** A stored dead value of this name wins over the live one. */
  deadOverrides: boolean;
  /** Reported as 404 when neither live nor dead (asked by `prop` or `include`). */
  reportMissing: boolean;
}

/** How a request is answered for a file and for a collection. */
export interface PropfindPlan {
  /** The request planned. */
  request: PropfindRequest;
  /** The properties reported for a file, in order. */
  file: PlanItem[];
  /** The properties reported for a collection, in order. */
  directory: PlanItem[];
  /** Whether dead properties may be reported (else they are never read). */
  needsDead: boolean;
}

/**
 * The plan of a request: its properties resolved once (renderer, whether a dead
 * value wins, whether a missing one is reported), for files and for collections.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { propfindPlan } from "./propfind_response.ts";
 * const plan = propfindPlan({ kind: "prop", names: ["{DAV:}getetag", "{DAV:}getetag"] });
 * assert.deepEqual(plan.file.map((item) => item.name), ["{DAV:}getetag"]); // once
 * assert.equal(plan.needsDead, false); // a live property no dead value overrides
 * assert.equal(propfindPlan({ kind: "prop", names: ["{urn:x}color"] }).needsDead, true);
 * ```
 */
export function propfindPlan(request: PropfindRequest): PropfindPlan {
  const item = (name: string, reportMissing: boolean): PlanItem => ({
    name,
    render: livePropertyRenderer(name),
    deadOverrides: deadOverridesLive(name),
    reportMissing,
  });
  if (request.kind === "prop") {
    const items = [...new Set(request.names)].map((name) => item(name, true));
    const needsDead = items.some((i) => i.render === undefined || i.deadOverrides);
    return { request, file: items, directory: items, needsDead };
  }
  if (request.kind === "propname") return { request, file: [], directory: [], needsDead: true };
  const include = new Set(request.include);
  const items = (isDirectory: boolean) =>
    [...new Set([...liveNamesOf(isDirectory, { allprop: true }), ...include])].map((name) =>
      item(name, include.has(name))
    );
  return { request, file: items(false), directory: items(true), needsDead: true };
}

/** A path's dead properties (never modified here: no copy). */
async function deadPropertiesOf(
  ctx: DavRequestContext,
  path: string,
): Promise<Record<string, string>> {
  return deadPropertiesIn(await ctx.fs.getExtendedAttributes(path));
}

/**
 * The dead properties in a resource's extended attributes, as stored (not
 * copied: never modify them), or {@link NO_DEAD} when it has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadPropertiesIn, NO_DEAD } from "./propfind_response.ts";
 * assert.equal(deadPropertiesIn({}), NO_DEAD);
 * assert.equal(deadPropertiesIn({ properties: {} }), NO_DEAD);
 * assert.deepEqual(deadPropertiesIn({ properties: { "{urn:x}c": "<c/>" } }), { "{urn:x}c": "<c/>" });
 * ```
 */
export function deadPropertiesIn(attributes: ExtendedAttributes): Record<string, string> {
  const properties = attributes.properties;
  return hasProperties(properties) ? properties : NO_DEAD;
}

function hasProperties(
  properties: Record<string, string> | undefined,
): properties is Record<string, string> {
  if (properties === undefined) return false;
  for (const _ in properties) return true;
  return false;
}

/** What {@link renderResponse} needs besides the resource. */
export interface RenderInput {
  /** The request's plan. */
  plan: PropfindPlan;
  /** The request's live property environment. */
  env: LivePropertyEnvironment;
  /** The resource's dead properties; only read when the request may need them. */
  dead: Record<string, string> | undefined;
}

/**
 * No dead properties (a resource without any; shared, frozen).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NO_DEAD } from "./propfind_response.ts";
 * assert.ok(Object.isFrozen(NO_DEAD));
 * ```
 */
export const NO_DEAD: Record<string, string> = Object.freeze({}) as Record<string, string>;
const OK_STATUS = `<D:status>${statusLine(200)}</D:status></D:propstat>`;
const NOT_FOUND_STATUS = `<D:status>${statusLine(404)}</D:status></D:propstat>`;

/**
 * One `DAV:response`: synchronous unless a live property must wait (quota), so a
 * listing's members cost no await each. The text is what `propResponseXml` makes
 * of the same 200 and 404 propstats.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NO_DEAD, propfindPlan, renderResponse } from "./propfind_response.ts";
 * const plan = propfindPlan({ kind: "prop", names: ["{DAV:}getcontentlength", "{urn:x}color"] });
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 5, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * const xml = renderResponse("/a", { path: "/a", info }, { plan, env: { ctx: {} as never }, dead: NO_DEAD });
 * assert.equal(
 *   xml,
 *   "<D:response><D:href>/a</D:href>" +
 *     "<D:propstat><D:prop><D:getcontentlength>5</D:getcontentlength></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>" +
 *     '<D:propstat><D:prop><x:color xmlns:x="urn:x"/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>' +
 *     "</D:response>\n",
 * );
 * ```
 */
export function renderResponse(
  href: string,
  resource: DavResource,
  input: RenderInput,
): string | Promise<string> {
  const { plan, env } = input;
  const dead = input.dead ?? NO_DEAD;
  if (plan.request.kind === "propname") {
    const names = new Set(liveNamesOf(resource.info.isDirectory));
    for (const name of Object.keys(dead)) names.add(name);
    let found = "";
    for (const name of names) found += elementXml(name);
    return responseXml(href, found, "");
  }
  const allprop = plan.request.kind === "allprop";
  const hasDead = dead !== NO_DEAD;
  // Found and missing properties as text, in order; when a value must wait, its
  // place is kept in `later` (the text before it is moved there too).
  let found = "";
  let missing = "";
  let later: Deferred | undefined;
  for (const item of resource.info.isDirectory ? plan.directory : plan.file) {
    const stored = hasDead ? dead[item.name] : undefined;
    if (stored !== undefined && (item.deadOverrides || item.render === undefined)) {
      // allprop lists every dead value below, after the live ones.
      if (!allprop) found += stored;
      continue;
    }
    const xml = item.render?.(resource, env);
    // allprop's `include`: a dead value of the name, listed below, counts as found.
    const reportMissing = item.reportMissing && (!allprop || stored === undefined);
    if (typeof xml === "string") found += xml;
    else if (xml === undefined) {
      if (reportMissing) missing += elementXml(item.name);
    } else {
      later ??= { found: [], missing: [], waits: [] };
      const slots = later;
      slots.found.push(found, undefined);
      slots.missing.push(missing, undefined);
      found = "";
      missing = "";
      const foundAt = slots.found.length - 1;
      const missingAt = slots.missing.length - 1;
      slots.waits.push(xml.then((value) => {
        if (value !== undefined) slots.found[foundAt] = value;
        else if (reportMissing) slots.missing[missingAt] = elementXml(item.name);
      }));
    }
  }
  if (allprop && hasDead) { for (const value of Object.values(dead)) found += value; }
  if (later === undefined) return responseXml(href, found, missing);
  const slots = later;
  return Promise.all(slots.waits).then(() =>
    responseXml(href, slots.found.join("") + found, slots.missing.join("") + missing)
  );
}

/** Properties of a response whose values are not all known yet. */
interface Deferred {
  /** Found text and slots of values still to come, in order. */
  found: (string | undefined)[];
  /** Missing text and slots, in order. */
  missing: (string | undefined)[];
  waits: Promise<void>[];
}

/** The `DAV:response` text `propResponseXml` writes for a 200 and a 404 propstat. */
function responseXml(href: string, found: string, missing: string): string {
  let xml = `<D:response><D:href>${escapeText(href)}</D:href>`;
  // Every response needs a propstat: an empty 200 one when nothing else.
  if (found !== "" || missing === "") xml += `<D:propstat><D:prop>${found}</D:prop>${OK_STATUS}`;
  if (missing !== "") xml += `<D:propstat><D:prop>${missing}</D:prop>${NOT_FOUND_STATUS}`;
  return xml + "</D:response>\n";
}
