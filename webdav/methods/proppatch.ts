/**
 * PROPPATCH (RFC 4918 §9.2): sets and removes dead properties (stored as their
 * XML, namespaces and `xml:lang` kept), all or nothing per request. Protected live
 * properties are refused (403 `cannot-modify-protected-property`) and then every
 * other property of the request answers 424. `getlastmodified`,
 * `DAV:lastmodified`, `Win32LastModifiedTime` and `Win32CreationTime` set the
 * real times.
 *
 * Bodies are parsed with nesting bounded by {@link MAX_PROPPATCH_DEPTH}: 256
 * levels of XML below each property element (`MAX_PROPERTY_VALUE_DEPTH`); deeper
 * is 400. Dead properties that would not fit the 4 MiB metadata of the resource
 * are refused as RFC 4918 §9.2 says: a 207 in which each property that needs more
 * room answers 507 Insufficient Storage and every other one 424; nothing changes.
 *
 * @module
 */

import { type BackupFS, MetadataTooLargeError } from "../../src/fs/mod.ts";
import type { DavHandler } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { assertCanModify } from "../locks/lock_guard.ts";
import { assertPreconditions, parseHttpDate } from "../http/conditional.ts";
import {
  type DeadPropertyChange,
  readDeadProperties,
  updateDeadProperties,
} from "../properties/dead_properties.ts";
import { isProtectedProperty } from "../properties/live_properties.ts";
import { WIN32 } from "../properties/win32_properties.ts";
import { dav, DAV_NS } from "../xml/names.ts";
import {
  childElements,
  MAX_PROPERTY_VALUE_DEPTH,
  nameOf,
  readXmlBody,
  textOf,
  type XmlElement,
} from "../xml/parse.ts";
import {
  elementXml,
  MULTISTATUS_CLOSE,
  MULTISTATUS_OPEN,
  propResponseXml,
  serializeElement,
} from "../xml/write.ts";
import { assertWritable, validators } from "./common.ts";

/** One instruction of a PROPPATCH body, in document order. */
export interface PropertyUpdate {
  /** Clark name of the property. */
  name: string;
  /** The property element for `set`; undefined for `remove`. */
  element?: XmlElement;
}

/**
 * Levels of elements a PROPPATCH body may have: `DAV:propertyupdate`, `DAV:set`
 * or `DAV:remove`, `DAV:prop`, the property element, and
 * {@link MAX_PROPERTY_VALUE_DEPTH} (256) levels of value below it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_PROPPATCH_DEPTH } from "./proppatch.ts";
 * assert.equal(MAX_PROPPATCH_DEPTH, 260);
 * ```
 */
export const MAX_PROPPATCH_DEPTH = 4 + MAX_PROPERTY_VALUE_DEPTH;

/**
 * Reads a `DAV:propertyupdate` body into its instructions, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePropertyUpdate } from "./proppatch.ts";
 * import { parseXml } from "../xml/parse.ts";
 * const root = parseXml(
 *   '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><c xmlns="urn:x">red</c></D:prop></D:set>' +
 *     '<D:remove><D:prop><x xmlns="urn:x"/></D:prop></D:remove></D:propertyupdate>',
 * );
 * const updates = parsePropertyUpdate(root);
 * assert.deepEqual(updates.map((update) => update.name), ["{urn:x}c", "{urn:x}x"]);
 * assert.equal(updates[0].element?.local, "c"); // set: the new element
 * assert.equal(updates[1].element, undefined); // remove
 * ```
 */
export function parsePropertyUpdate(root: XmlElement): PropertyUpdate[] {
  if (root.namespace !== DAV_NS || root.local !== "propertyupdate") {
    throw new DavError(400, "Expected a DAV:propertyupdate body");
  }
  const updates: PropertyUpdate[] = [];
  for (const action of childElements(root)) {
    if (action.namespace !== DAV_NS || (action.local !== "set" && action.local !== "remove")) {
      continue;
    }
    for (const prop of childElements(action)) {
      if (prop.namespace !== DAV_NS || prop.local !== "prop") continue;
      for (const property of childElements(prop)) {
        updates.push(
          action.local === "set" ? { name: nameOf(property), element: property } : {
            name: nameOf(property),
          },
        );
      }
    }
  }
  if (updates.length === 0) throw new DavError(400, "The propertyupdate changes nothing");
  return updates;
}

const TIME_PROPERTIES = new Set([
  dav("getlastmodified"),
  dav("lastmodified"),
  WIN32.lastModifiedTime,
  WIN32.creationTime,
]);

/**
 * The PROPPATCH handler: a 207 with one status per property.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { readDeadProperties } from "../properties/dead_properties.ts";
 * import { proppatch } from "./proppatch.ts";
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
 * await fs.writeTextFile("/a.txt", "x");
 * const body = '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>' +
 *   '<c:color xmlns:c="urn:x">red</c:color></D:prop></D:set></D:propertyupdate>';
 * const response = await proppatch(context(new Request("http://h/a.txt", { method: "PROPPATCH", body })));
 * assert.equal(response.status, 207);
 * assert.ok((await response.text()).includes("<D:status>HTTP/1.1 200 OK</D:status>"));
 * assert.deepEqual(await readDeadProperties(fs, "/a.txt"), {
 *   "{urn:x}color": '<c:color xmlns:c="urn:x">red</c:color>',
 * });
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const proppatch: DavHandler = async (ctx) => {
  assertWritable(ctx);
  const root = await readXmlBody(ctx.request, {
    maxBytes: ctx.maxXmlBytes,
    maxDepth: MAX_PROPPATCH_DEPTH,
  });
  if (!root) throw new DavError(400, "PROPPATCH needs a body");
  const updates = parsePropertyUpdate(root);
  const info = await ctx.fs.stat(ctx.path);
  assertPreconditions(ctx.request, validators(info));
  await assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);

  const status = new Map<string, number>();
  const failed = new Map<string, number>();
  let mtime: number | undefined;
  let birthtime: number | undefined;
  const changes: DeadPropertyChange[] = [];
  for (const update of updates) {
    if (isProtectedProperty(update.name)) {
      failed.set(update.name, 403);
      continue;
    }
    if (TIME_PROPERTIES.has(update.name)) {
      if (!update.element) {
        status.set(update.name, 200); // removing a time: nothing to do
        continue;
      }
      const date = parseHttpDate(textOf(update.element).trim());
      if (!date) {
        failed.set(update.name, 409);
        continue;
      }
      if (update.name === WIN32.creationTime) birthtime = date.getTime();
      else mtime = date.getTime();
      status.set(update.name, 200);
      continue;
    }
    if (ctx.path === "/") {
      failed.set(update.name, 403);
      continue;
    }
    changes.push({
      name: update.name,
      value: update.element ? serializeElement(update.element) : undefined,
    });
    status.set(update.name, 200);
  }

  if (failed.size === 0 && changes.length > 0) {
    // Dead properties first: when they do not fit, nothing has changed yet.
    for (const name of await storeDeadProperties(ctx.fs, ctx.path, changes)) failed.set(name, 507);
  }
  const href = ctx.href(ctx.path, info.isDirectory);
  let response: string;
  if (failed.size > 0) {
    response = failureResponse(href, updates, failed);
  } else {
    if (mtime !== undefined || birthtime !== undefined) {
      const current = info.mtime?.getTime() ?? Date.now();
      await ctx.fs.utime(ctx.path, mtime ?? current, {
        ...(birthtime === undefined ? {} : { birthtime }),
      });
    }
    const names = [...new Set(updates.map((update) => update.name))].map((name) =>
      elementXml(name)
    );
    response = propResponseXml(href, [{ status: 200, properties: names }]);
  }
  return new Response(MULTISTATUS_OPEN + response + MULTISTATUS_CLOSE, {
    status: 207,
    headers: { "Content-Type": "application/xml; charset=utf-8" },
  });
};

/**
 * The 207 response of a PROPPATCH that changed nothing: the status of each
 * failed property, 424 Failed Dependency for all the others.
 */
function failureResponse(
  href: string,
  updates: readonly PropertyUpdate[],
  failed: ReadonlyMap<string, number>,
): string {
  const groups = new Map<number, string[]>();
  for (const update of updates) {
    const code = failed.get(update.name) ?? 424;
    if (!groups.has(code)) groups.set(code, []);
    const names = groups.get(code)!;
    const xml = elementXml(update.name);
    if (!names.includes(xml)) names.push(xml);
  }
  return propResponseXml(
    href,
    [...groups].map(([code, properties]) => ({
      status: code,
      properties,
      ...(code === 403 ? { condition: "cannot-modify-protected-property" } : {}),
    })),
  );
}

/**
 * Stores the dead property changes; when they do not fit the resource's 4 MiB of
 * metadata (nothing is stored then), the names of the properties that need more
 * room: those whose value grows, else (a blob over the limit already) every one
 * set (every one changed, if none is set). Empty when stored.
 */
async function storeDeadProperties(
  fs: BackupFS,
  path: string,
  changes: readonly DeadPropertyChange[],
): Promise<string[]> {
  try {
    await updateDeadProperties(fs, path, changes);
    return [];
  } catch (error) {
    if (!(error instanceof MetadataTooLargeError)) throw error;
  }
  const growing = growingProperties(changes, await readDeadProperties(fs, path));
  if (growing.length > 0) return growing;
  const set = changes.filter((change) => change.value !== undefined);
  return [...new Set((set.length > 0 ? set : changes).map((change) => change.name))];
}

/**
 * The properties whose final value (after all changes, in order) is longer than
 * their current one: those need the room that is missing.
 */
function growingProperties(
  changes: readonly DeadPropertyChange[],
  current: Readonly<Record<string, string>>,
): string[] {
  const final = new Map<string, string | undefined>();
  for (const change of changes) final.set(change.name, change.value);
  const growing: string[] = [];
  for (const [name, value] of final) {
    if (
      value !== undefined &&
      value.length > (Object.hasOwn(current, name) ? current[name]!.length : 0)
    ) {
      growing.push(name);
    }
  }
  return growing;
}
