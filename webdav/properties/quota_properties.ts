/**
 * The quota properties of collections (RFC 4331): `quota-available-bytes` and
 * `quota-used-bytes`, from the storage usage the server was given (`quota`
 * option); reported only when asked for by name.
 *
 * @module
 */

import { dav } from "../xml/names.ts";
import type { LivePropertyDefinition } from "./live_property.ts";

/**
 * The RFC 4331 properties; a collection has them when the server knows its usage.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QUOTA_PROPERTIES } from "./quota_properties.ts";
 * const [available] = QUOTA_PROPERTIES;
 * const info = { isFile: false, isDirectory: true, isSymlink: false, size: 0, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * const env = { ctx: {} as never, quota: () => Promise.resolve({ usedBytes: 1, availableBytes: 2.5 }) };
 * assert.equal(available.name, "{DAV:}quota-available-bytes");
 * assert.equal(await available.get({ path: "/", info }, env), "2");
 * assert.equal(await available.get({ path: "/", info }, { ctx: {} as never }), undefined); // no usage known
 * ```
 */
export const QUOTA_PROPERTIES: readonly LivePropertyDefinition[] = [
  {
    name: dav("quota-available-bytes"),
    get: async (r, env) => {
      if (!r.info.isDirectory || !env.quota) return undefined;
      const quota = await env.quota();
      return quota ? String(Math.max(0, Math.floor(quota.availableBytes))) : undefined;
    },
    allprop: false,
    protected: true,
    appliesTo: "collection",
  },
  {
    name: dav("quota-used-bytes"),
    get: async (r, env) => {
      if (!r.info.isDirectory || !env.quota) return undefined;
      const quota = await env.quota();
      return quota ? String(Math.max(0, Math.floor(quota.usedBytes))) : undefined;
    },
    allprop: false,
    protected: true,
    appliesTo: "collection",
  },
];
