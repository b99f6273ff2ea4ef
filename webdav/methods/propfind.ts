/**
 * PROPFIND (RFC 4918 §9.1): Depth 0 and 1 (infinity refused with 403
 * `propfind-finite-depth`), `allprop` (with `include`), `prop` and `propname`.
 * Only what is asked is computed; values come from `stat` and the extended
 * attributes, never from file bytes; the 207 reply is written while the
 * collection is listed.
 *
 * @module
 */

import type { DavHandler, DavRequestContext } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { joinPath } from "../../src/fs/paths.ts";
import { readDeadProperties } from "../properties/dead_properties.ts";
import {
  type DavResource,
  deadOverridesLive,
  isLiveProperty,
  liveNames,
  liveProperty,
  type LivePropertyEnvironment,
  type QuotaInfo,
} from "../properties/live_properties.ts";
import { statEach } from "../properties/members.ts";
import { DAV_NS } from "../xml/names.ts";
import { childElements, nameOf, readXmlBody } from "../xml/parse.ts";
import {
  elementXml,
  MULTISTATUS_CLOSE,
  MULTISTATUS_OPEN,
  propResponseXml,
  type PropStat,
  textStream,
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
 * import { readPropfindBody } from "./propfind.ts";
 * const body = "<D:propfind xmlns:D='DAV:'><D:prop><D:getetag/></D:prop></D:propfind>";
 * const request = new Request("http://localhost/", { method: "PROPFIND", body });
 * console.log(await readPropfindBody(request, { maxBytes: 1024 })); // { kind: "prop", names: ["{DAV:}getetag"] }
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
 * import { propfindResponse } from "./propfind.ts";
 * console.log(typeof propfindResponse); // function
 * ```
 */
export async function propfindResponse(
  resource: DavResource,
  request: PropfindRequest,
  env: LivePropertyEnvironment,
): Promise<string> {
  const ctx = env.ctx;
  const href = ctx.href(resource.path, resource.info.isDirectory);
  const found: string[] = [];
  const missing: string[] = [];
  let dead: Record<string, string> | undefined;
  const deadProperties = async () => dead ??= await readDeadProperties(ctx.fs, resource.path);
  if (request.kind === "propname") {
    const names = new Set(liveNames(resource));
    for (const name of Object.keys(await deadProperties())) names.add(name);
    for (const name of names) found.push(elementXml(name));
  } else if (request.kind === "allprop") {
    const properties = await deadProperties();
    const names = new Set([...liveNames(resource, { allprop: true }), ...request.include]);
    for (const name of names) {
      if (deadOverridesLive(name) && properties[name] !== undefined) continue;
      const xml = await liveProperty(name, resource, env);
      if (xml !== undefined) found.push(xml);
      else if (request.include.includes(name) && properties[name] === undefined) {
        missing.push(elementXml(name));
      }
    }
    for (const value of Object.values(properties)) found.push(value);
  } else {
    for (const name of new Set(request.names)) {
      const live = isLiveProperty(name);
      if (!live || deadOverridesLive(name)) {
        const value = (await deadProperties())[name];
        if (value !== undefined) {
          found.push(value);
          continue;
        }
      }
      const xml = live ? await liveProperty(name, resource, env) : undefined;
      if (xml !== undefined) found.push(xml);
      else missing.push(elementXml(name));
    }
  }
  const propstats: PropStat[] = [
    { status: 200, properties: found },
    { status: 404, properties: missing },
  ];
  if (found.length === 0 && missing.length === 0) {
    // Every response needs a propstat: an empty 200 one.
    return propResponseXml(href, [{ status: 200, properties: [""] }]);
  }
  return propResponseXml(href, propstats);
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
}

/**
 * The PROPFIND handler.
 *
 * @example
 * ```ts
 * import { createPropfindHandler } from "./propfind.ts";
 * const propfind = createPropfindHandler({ quota: () => Promise.resolve({ usedBytes: 0, availableBytes: 1 }) });
 * console.log(typeof propfind); // function
 * ```
 */
export function createPropfindHandler(options: PropfindOptions = {}): DavHandler {
  return async (ctx) => {
    const depth = depthOf(ctx.request);
    const request = await readPropfindBody(ctx.request, { maxBytes: ctx.maxXmlBytes });
    const info = await ctx.fs.stat(ctx.path);
    await ctx.locks.evaluateIf(ctx);
    const env = environment(ctx, options);
    const first = await propfindResponse({ path: ctx.path, info }, request, env);
    const concurrency = options.concurrency ?? 8;
    async function* body(): AsyncGenerator<string> {
      yield MULTISTATUS_OPEN;
      yield first;
      if (depth === 1 && info.isDirectory) {
        // Members: stats already run `concurrency` ahead; each response in order.
        const pending: Promise<string | undefined>[] = [];
        const answer = async (name: string, member: DavResource["info"] | undefined) => {
          if (!member) return undefined;
          try {
            return await propfindResponse(
              { path: joinPath(ctx.path, name), info: member },
              request,
              env,
            );
          } catch (error) {
            if (error instanceof Deno.errors.NotFound) return undefined;
            throw error;
          }
        };
        try {
          for await (const [name, member] of statEach(ctx.fs, ctx.path, concurrency)) {
            pending.push(answer(name, member));
            if (pending.length >= concurrency) yield (await pending.shift()!) ?? "";
          }
          while (pending.length > 0) yield (await pending.shift()!) ?? "";
        } finally {
          await Promise.allSettled(pending);
        }
      }
      yield MULTISTATUS_CLOSE;
    }
    return new Response(textStream(body()), {
      status: 207,
      headers: { "Content-Type": "application/xml; charset=utf-8" },
    });
  };
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
