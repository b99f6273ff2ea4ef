/**
 * The live properties of this server (RFC 4918 §15, RFC 4331, Microsoft's Win32
 * properties), in the order `allprop` and `propname` report them: the
 * resource's own (`resource_properties.ts`), the lock plugin's
 * (`../locks/lock_properties.ts`), the quota (`quota_properties.ts`), the Win32
 * ones (`win32_properties.ts`). The functions here look them up for PROPFIND and
 * PROPPATCH. Values come from `stat`, the lock table and the storage usage —
 * never from file bytes.
 *
 * @module
 */

import { LOCK_PROPERTIES } from "../locks/lock_properties.ts";
import type {
  DavResource,
  LivePropertyEnvironment,
  LivePropertyRenderer,
} from "./live_property.ts";
import { LivePropertyRegistry } from "./property_registry.ts";
import { QUOTA_PROPERTIES } from "./quota_properties.ts";
import { RESOURCE_PROPERTIES } from "./resource_properties.ts";
import { WIN32_PROPERTIES } from "./win32_properties.ts";

export type { QuotaInfo } from "./live_property.ts";

/**
 * The server's live properties.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LIVE_PROPERTIES } from "./live_properties.ts";
 * assert.deepEqual(LIVE_PROPERTIES.names(true, { allprop: true }), [
 *   "{DAV:}resourcetype",
 *   "{DAV:}getlastmodified",
 *   "{DAV:}creationdate",
 *   "{DAV:}displayname",
 *   "{DAV:}supportedlock",
 *   "{DAV:}lockdiscovery",
 * ]);
 * ```
 */
export const LIVE_PROPERTIES: LivePropertyRegistry = new LivePropertyRegistry([
  ...RESOURCE_PROPERTIES,
  ...LOCK_PROPERTIES,
  ...QUOTA_PROPERTIES,
  ...WIN32_PROPERTIES,
]);

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
  return LIVE_PROPERTIES.has(name);
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
 * assert.equal(isProtectedProperty("{DAV:}lockdiscovery"), true);
 * assert.equal(isProtectedProperty("{DAV:}getlastmodified"), false);
 * assert.equal(isProtectedProperty("{urn:x}color"), false);
 * ```
 */
export function isProtectedProperty(name: string): boolean {
  return LIVE_PROPERTIES.isProtected(name);
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
  return LIVE_PROPERTIES.deadOverrides(name);
}

/**
 * The live property names a file or a collection has (for `propname`; with
 * `allprop: true`, only those `allprop` reports); the array is shared and frozen
 * (no copy per resource).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveNamesOf } from "./live_properties.ts";
 * const names = liveNamesOf(false, { allprop: true });
 * assert.ok(names.includes("{DAV:}getetag"));
 * assert.ok(Object.isFrozen(names));
 * assert.equal(liveNamesOf(false, { allprop: true }), names); // shared, not copied
 * const collection = liveNamesOf(true);
 * assert.ok(collection.includes("{DAV:}quota-used-bytes"));
 * assert.ok(!collection.includes("{DAV:}getcontentlength")); // a collection has no length
 * ```
 */
export function liveNamesOf(
  isDirectory: boolean,
  options?: { allprop?: boolean },
): readonly string[] {
  return LIVE_PROPERTIES.names(isDirectory, options);
}

/**
 * A live property's element XML for a resource, or `undefined` when the resource
 * does not have it (or it is not a live property); synchronous whenever the value
 * needs no wait (every property except the quota ones): a `Promise` only when it
 * must.
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
  return LIVE_PROPERTIES.renderer(name)?.(resource, env);
}

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
  return LIVE_PROPERTIES.renderer(name);
}
