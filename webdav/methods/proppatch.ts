/**
 * PROPPATCH (RFC 4918 §9.2): sets and removes dead properties (stored as their
 * XML, namespaces and `xml:lang` kept), all or nothing per request. Protected live
 * properties are refused (403 `cannot-modify-protected-property`) and then every
 * other property of the request answers 424. `getlastmodified`,
 * `DAV:lastmodified`, `Win32LastModifiedTime` and `Win32CreationTime` set the
 * real times.
 *
 * @module
 */

import type { DavHandler } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { assertPreconditions, parseHttpDate } from "../http/conditional.ts";
import { type DeadPropertyChange, updateDeadProperties } from "../properties/dead_properties.ts";
import { isProtectedProperty, WIN32 } from "../properties/live_properties.ts";
import { dav, DAV_NS } from "../xml/names.ts";
import { childElements, nameOf, readXmlBody, textOf, type XmlElement } from "../xml/parse.ts";
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
 * Reads a `DAV:propertyupdate` body into its instructions, in order.
 *
 * @example
 * ```ts
 * import { parsePropertyUpdate } from "./proppatch.ts";
 * import { parseXml } from "../xml/parse.ts";
 * const root = parseXml('<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><x xmlns="urn:x"/></D:prop></D:remove></D:propertyupdate>');
 * console.log(parsePropertyUpdate(root)); // [{ name: "{urn:x}x" }]
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
 * import { proppatch } from "./proppatch.ts";
 * console.log(typeof proppatch); // function
 * ```
 */
export const proppatch: DavHandler = async (ctx) => {
  assertWritable(ctx);
  const root = await readXmlBody(ctx.request, { maxBytes: ctx.maxXmlBytes });
  if (!root) throw new DavError(400, "PROPPATCH needs a body");
  const updates = parsePropertyUpdate(root);
  const info = await ctx.fs.stat(ctx.path);
  assertPreconditions(ctx.request, validators(info));
  await ctx.locks.assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);

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

  const href = ctx.href(ctx.path, info.isDirectory);
  let response: string;
  if (failed.size > 0) {
    const groups = new Map<number, string[]>();
    for (const update of updates) {
      const code = failed.get(update.name) ?? 424;
      if (!groups.has(code)) groups.set(code, []);
      const names = groups.get(code)!;
      const xml = elementXml(update.name);
      if (!names.includes(xml)) names.push(xml);
    }
    response = propResponseXml(
      href,
      [...groups].map(([code, properties]) => ({
        status: code,
        properties,
        ...(code === 403 ? { condition: "cannot-modify-protected-property" } : {}),
      })),
    );
  } else {
    if (mtime !== undefined || birthtime !== undefined) {
      const current = info.mtime?.getTime() ?? Date.now();
      await ctx.fs.utime(ctx.path, mtime ?? current, {
        ...(birthtime === undefined ? {} : { birthtime }),
      });
    }
    if (changes.length > 0) await updateDeadProperties(ctx.fs, ctx.path, changes);
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
