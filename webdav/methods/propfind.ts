/**
 * PROPFIND (RFC 4918 §9.1): Depth 0 and 1 (infinity refused with 403
 * `propfind-finite-depth`), `allprop` (with `include`), `prop` and `propname`.
 * Only what is asked is computed; values come from `stat` and the extended
 * attributes, never from file bytes; the 207 reply is written while the
 * collection is listed, each member's response built without an await unless a
 * value must wait (dead properties, quota).
 *
 * @module
 */

import type { DavHandler, DavRequestContext } from "../dav_context.ts";
import type { ExtendedAttributes } from "../../src/fs/attributes.ts";
import { DavError } from "../dav_error.ts";
import { MemoryBudget } from "../../src/http/memory_budget.ts";
import {
  type DavResource,
  deadOverridesLive,
  liveNamesOf,
  type LivePropertyEnvironment,
  type LivePropertyRenderer,
  livePropertyRenderer,
  type QuotaInfo,
} from "../properties/live_properties.ts";
import { DAV_NS } from "../xml/names.ts";
import { childElements, nameOf, readXmlBody } from "../xml/parse.ts";
import {
  elementXml,
  escapeText,
  MULTISTATUS_CLOSE,
  MULTISTATUS_OPEN,
  statusLine,
} from "../xml/write.ts";

/** What a PROPFIND asks for. */
export type PropfindRequest =
  | { kind: "allprop"; include: string[] }
  | { kind: "propname" }
  | { kind: "prop"; names: string[] };

/**
 * Reads a PROPFIND body: none means `allprop`; malformed or unexpected → 400.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPropfindBody } from "./propfind.ts";
 * const body = "<D:propfind xmlns:D='DAV:'><D:prop><D:getetag/></D:prop></D:propfind>";
 * const request = new Request("http://localhost/", { method: "PROPFIND", body });
 * assert.deepEqual(await readPropfindBody(request, { maxBytes: 1024 }), {
 *   kind: "prop",
 *   names: ["{DAV:}getetag"],
 * });
 * const empty = new Request("http://localhost/", { method: "PROPFIND" });
 * assert.deepEqual(await readPropfindBody(empty, { maxBytes: 1024 }), { kind: "allprop", include: [] });
 * ```
 */
export async function readPropfindBody(
  request: Request,
  options: { maxBytes: number },
): Promise<PropfindRequest> {
  const root = await readXmlBody(request, { maxBytes: options.maxBytes });
  if (!root) return { kind: "allprop", include: [] };
  if (root.namespace !== DAV_NS || root.local !== "propfind") {
    throw new DavError(400, "Expected a DAV:propfind body");
  }
  let result: PropfindRequest | undefined;
  const include: string[] = [];
  for (const child of childElements(root)) {
    if (child.namespace !== DAV_NS) continue;
    if (child.local === "allprop") result = { kind: "allprop", include };
    else if (child.local === "propname") result = { kind: "propname" };
    else if (child.local === "prop") {
      result = { kind: "prop", names: childElements(child).map(nameOf) };
    } else if (child.local === "include") include.push(...childElements(child).map(nameOf));
  }
  if (!result) throw new DavError(400, "DAV:propfind needs allprop, prop or propname");
  return result;
}

/**
 * The `DAV:response` of one resource for a PROPFIND request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/backup_fs.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { propfindResponse } from "./propfind.ts";
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
  const plan = planOf(request);
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
interface Plan {
  request: PropfindRequest;
  file: PlanItem[];
  directory: PlanItem[];
  /** Whether dead properties may be reported (else they are never read). */
  needsDead: boolean;
}

function planOf(request: PropfindRequest): Plan {
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
  const properties = (await ctx.fs.getExtendedAttributes(path)).properties;
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
interface RenderInput {
  plan: Plan;
  env: LivePropertyEnvironment;
  /** The resource's dead properties; only read when the request may need them. */
  dead: Record<string, string> | undefined;
}

const NO_DEAD: Record<string, string> = Object.freeze({}) as Record<string, string>;
const OK_STATUS = `<D:status>${statusLine(200)}</D:status></D:propstat>`;
const NOT_FOUND_STATUS = `<D:status>${statusLine(404)}</D:status></D:propstat>`;

/**
 * One `DAV:response`: synchronous unless a live property must wait (quota), so a
 * listing's members cost no await each. The text is what `propResponseXml` makes
 * of the same 200 and 404 propstats.
 */
function renderResponse(
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

function depthOf(request: Request): 0 | 1 {
  const value = request.headers.get("depth")?.trim().toLowerCase();
  if (value === "0") return 0;
  if (value === "1") return 1;
  if (value === undefined || value === "infinity") {
    throw new DavError(403, "PROPFIND with Depth: infinity is not supported", {
      condition: "propfind-finite-depth",
    });
  }
  throw new DavError(400, "Depth must be 0, 1 or infinity");
}

/** Options of {@link createPropfindHandler}. */
export interface PropfindOptions {
  /** Storage usage for the RFC 4331 quota properties. */
  quota?: () => Promise<QuotaInfo>;
  /** Stats (and attribute reads) in flight while listing a collection (default 8). */
  concurrency?: number;
  /**
   * Depth 1 listings answered at once (default 32): each holds its members' state
   * while its reply streams, so beyond this they wait in turn; after
   * `listingWaitMs` (default 30 s) one is answered 503 with `Retry-After`.
   */
  maxListings?: number;
  /** Longest wait for a listing's turn, in ms (default 30 s). */
  listingWaitMs?: number;
}

/** Default number of Depth 1 listings answered at once. */
export const DEFAULT_MAX_LISTINGS = 32;

/**
 * The PROPFIND handler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/backup_fs.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { createPropfindHandler } from "./propfind.ts";
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
 * const propfind = createPropfindHandler({
 *   quota: () => Promise.resolve({ usedBytes: 0, availableBytes: 1024 }),
 * });
 * await fs.writeTextFile("/a.txt", "hello");
 * const request = (depth: string, body?: string) =>
 *   context(new Request("http://h/", { method: "PROPFIND", headers: { Depth: depth }, body }));
 * const listing = await propfind(request("1")); // no body: allprop
 * assert.equal(listing.status, 207);
 * assert.ok((await listing.text()).includes("<D:href>/a.txt</D:href>"));
 * const quota = await propfind(request(
 *   "0",
 *   '<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/></D:prop></D:propfind>',
 * ));
 * assert.ok((await quota.text()).includes("<D:quota-available-bytes>1024</D:quota-available-bytes>"));
 * await assert.rejects(propfind(request("infinity")), { status: 403 });
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function createPropfindHandler(options: PropfindOptions = {}): DavHandler {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const listings = new MemoryBudget(Math.max(1, options.maxListings ?? DEFAULT_MAX_LISTINGS));
  const listingWaitMs = options.listingWaitMs ?? 30_000;
  return async (ctx) => {
    const depth = depthOf(ctx.request);
    const request = await readPropfindBody(ctx.request, { maxBytes: ctx.maxXmlBytes });
    const info = await ctx.fs.stat(ctx.path);
    await ctx.locks.evaluateIf(ctx);
    const env = environment(ctx, options);
    const first = await propfindResponse({ path: ctx.path, info }, request, env);
    const plan = planOf(request);
    // A listing waits for its turn (memory stays bounded whatever the number of clients).
    const turn = depth === 1 && info.isDirectory
      ? await listings.acquire(1, { waitMs: listingWaitMs, signal: ctx.request.signal })
      : undefined;
    if (depth === 1 && info.isDirectory && !turn) {
      throw new DavError(503, "Too many listings in progress: try again shortly", {
        headers: { "Retry-After": "5" },
      });
    }
    /** A listed member whose dead properties are being read. */
    interface Pending {
      resource: DavResource;
      href: string;
      attributes: Promise<ExtendedAttributes>;
    }
    const answer = async (member: Pending): Promise<string> => {
      let attributes: ExtendedAttributes;
      try {
        attributes = await member.attributes;
      } catch (error) {
        // Gone since it was listed: left out.
        if (error instanceof Deno.errors.NotFound) return "";
        throw error;
      }
      const dead = hasProperties(attributes.properties) ? attributes.properties : NO_DEAD;
      const xml = renderResponse(member.href, member.resource, { plan, env, dead });
      return typeof xml === "string" ? xml : await xml;
    };
    async function* body(): AsyncGenerator<string> {
      // Responses are gathered into pieces of about 16 KiB: one stream write each.
      let piece = MULTISTATUS_OPEN + first;
      if (depth === 1 && info.isDirectory) {
        const base = ctx.path === "/" ? "/" : `${ctx.path}/`;
        // Dead-property reads run `concurrency` ahead; responses stay in order.
        const pending: Pending[] = [];
        try {
          for await (const entry of ctx.fs.readDirInfo(ctx.path)) {
            const resource: DavResource = {
              path: base + entry.name,
              info: entry.info,
              name: entry.name,
            };
            const href = ctx.href(resource.path, entry.info.isDirectory);
            if (plan.needsDead && entry.info.hasExtendedAttributes !== false) {
              const attributes = ctx.fs.getExtendedAttributes(resource.path);
              // Handled when its turn comes; never an unhandled rejection meanwhile.
              attributes.catch(() => {});
              pending.push({ resource, href, attributes });
              if (pending.length >= concurrency) piece += await answer(pending.shift()!);
            } else {
              // Answered in order: whatever waits ahead of it goes first.
              while (pending.length > 0) piece += await answer(pending.shift()!);
              const dead = plan.needsDead ? NO_DEAD : undefined;
              const xml = renderResponse(href, resource, { plan, env, dead });
              piece += typeof xml === "string" ? xml : await xml;
            }
            if (piece.length >= PIECE_CHARS) {
              yield piece;
              piece = "";
            }
          }
          while (pending.length > 0) piece += await answer(pending.shift()!);
        } finally {
          await Promise.allSettled(pending.map((member) => member.attributes));
        }
      }
      yield piece + MULTISTATUS_CLOSE;
    }
    return new Response(pieceStream(body(), () => turn?.release()), {
      status: 207,
      headers: { "Content-Type": "application/xml; charset=utf-8" },
    });
  };
}

/** Characters gathered before a piece of the reply is handed to the stream. */
const PIECE_CHARS = 16384;

/**
 * The reply's bytes, one piece encoded per pull: a slow reader holds one piece of
 * text and its bytes, never a batch of them. `onFinish` runs once the reply ended,
 * failed or was cancelled (it may run more than once).
 */
function pieceStream(
  parts: AsyncGenerator<string>,
  onFinish: () => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<string>;
      try {
        next = await parts.next();
      } catch (error) {
        onFinish();
        throw error;
      }
      if (next.done) {
        onFinish();
        controller.close();
      } else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      onFinish();
      await parts.return(undefined);
    },
  }, { highWaterMark: 0 });
}

function environment(ctx: DavRequestContext, options: PropfindOptions): LivePropertyEnvironment {
  const source = options.quota;
  if (!source) return { ctx };
  let cached: Promise<QuotaInfo | undefined> | undefined;
  return {
    ctx,
    quota: () => cached ??= source().catch(() => undefined),
  };
}
