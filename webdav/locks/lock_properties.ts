/**
 * The lock plugin's live properties (RFC 4918 §15.8, §15.10): `supportedlock`,
 * the kinds of locks a resource can take, and `lockdiscovery`, the active locks
 * covering it. Both are written by `lock_xml.ts`; the property registry lists
 * them after the resource's own properties.
 *
 * @module
 */

import type { LivePropertyDefinition } from "../properties/live_property.ts";
import { dav } from "../xml/names.ts";
import type { ActiveLock } from "./lock_record.ts";
import { activeLocksXml, lockEntriesXml } from "./lock_xml.ts";

const LOCK_ENTRIES = lockEntriesXml("D");

/**
 * `DAV:supportedlock` (exclusive and shared write locks) and `DAV:lockdiscovery`
 * (the locks of `ctx.locks` covering the resource), both reported by `allprop`
 * and protected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { LOCK_PROPERTIES } from "./lock_properties.ts";
 * import { LockTable } from "./lock_table.ts";
 * const [supportedlock, lockdiscovery] = LOCK_PROPERTIES;
 * const locks = new LockTable();
 * locks.tryLock({ root: "/a", scope: "shared", depth: 0 });
 * const env = { ctx: { locks, href: (path: string) => path } as unknown as DavRequestContext };
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 0, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * assert.ok((supportedlock.get({ path: "/a", info }, env) as string).includes("<D:shared/>"));
 * assert.ok((lockdiscovery.get({ path: "/a", info }, env) as string).startsWith("<D:activelock>"));
 * assert.equal(lockdiscovery.get({ path: "/b", info }, env), ""); // no lock: an empty element
 * ```
 */
export const LOCK_PROPERTIES: readonly LivePropertyDefinition[] = [
  { name: dav("supportedlock"), get: () => LOCK_ENTRIES, allprop: true, protected: true },
  {
    name: dav("lockdiscovery"),
    get: (r, env) => {
      const locks = env.ctx.locks.locksCovering(r.path);
      if (locks.length === 0) return "";
      // The lock root's href as PROPFIND has always written it: no trailing slash
      // for a collection (the LOCK answer's lockroot has one), timeouts by the
      // system clock.
      const href = (lock: ActiveLock) => env.ctx.href(lock.root);
      return activeLocksXml(locks, { href, now: Date.now() });
    },
    allprop: true,
    protected: true,
  },
];
