/**
 * XML of locks in responses (RFC 4918 §14.1 `activelock`, §15.8 `lockdiscovery`,
 * §15.10 `supportedlock`) and the body of a LOCK answer. The one place these
 * elements are written: the LOCK answer and the live properties
 * (`lock_properties.ts`) both use it.
 *
 * The fragments use a prefix bound to `DAV:` by the enclosing document (`D` unless
 * told otherwise); the owner element carries its own namespace declarations.
 *
 * @module
 */

import type { ActiveLock } from "./lock_record.ts";
import { escapeXml } from "./lock_info.ts";

/** Options of {@link activeLockXml} and {@link lockDiscoveryXml}. */
export interface LockXmlOptions {
  /** The href of a lock's root (`ctx.href(lock.root, isCollection)`). */
  href(lock: ActiveLock): string;
  /** Now, in ms since epoch (the timeout shows the seconds left). */
  now: number;
  /** The prefix bound to `DAV:` in the enclosing document (default `D`). */
  prefix?: string;
}

/**
 * One `DAV:activelock` element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activeLockXml } from "./lock_xml.ts";
 * const xml = activeLockXml(
 *   { token: "urn:uuid:1", root: "/a", scope: "exclusive", depth: 0, timeoutSeconds: 600, expiresAt: 600_000 },
 *   { href: (lock) => lock.root, now: 0 },
 * );
 * assert.ok(xml.includes("<D:timeout>Second-600</D:timeout>"));
 * assert.ok(xml.includes("<D:locktoken><D:href>urn:uuid:1</D:href></D:locktoken>"));
 * ```
 */
export function activeLockXml(lock: ActiveLock, options: LockXmlOptions): string {
  const d = options.prefix ?? "D";
  const left = Math.max(0, Math.ceil((lock.expiresAt - options.now) / 1000));
  return `<${d}:activelock>` +
    `<${d}:locktype><${d}:write/></${d}:locktype>` +
    `<${d}:lockscope><${d}:${lock.scope}/></${d}:lockscope>` +
    `<${d}:depth>${lock.depth === 0 ? "0" : "infinity"}</${d}:depth>` +
    (lock.ownerXml ?? "") +
    `<${d}:timeout>Second-${left}</${d}:timeout>` +
    `<${d}:locktoken><${d}:href>${escapeXml(lock.token)}</${d}:href></${d}:locktoken>` +
    `<${d}:lockroot><${d}:href>${escapeXml(options.href(lock))}</${d}:href></${d}:lockroot>` +
    `</${d}:activelock>`;
}

/**
 * The `DAV:activelock` elements of `locks`, one after the other: the content of a
 * `DAV:lockdiscovery` element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activeLocksXml } from "./lock_xml.ts";
 * assert.equal(activeLocksXml([], { href: (l) => l.root, now: 0 }), "");
 * const lock = { token: "urn:uuid:1", root: "/a", scope: "shared", depth: 0, timeoutSeconds: 9, expiresAt: 9_000 } as const;
 * assert.equal(activeLocksXml([lock, lock], { href: (l) => l.root, now: 0 }).split("<D:activelock>").length, 3);
 * ```
 */
export function activeLocksXml(locks: readonly ActiveLock[], options: LockXmlOptions): string {
  return locks.map((lock) => activeLockXml(lock, options)).join("");
}

/**
 * A `DAV:lockdiscovery` element listing `locks` (empty when none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lockDiscoveryXml } from "./lock_xml.ts";
 * assert.equal(lockDiscoveryXml([], { href: (l) => l.root, now: 0 }), "<D:lockdiscovery/>");
 * ```
 */
export function lockDiscoveryXml(locks: readonly ActiveLock[], options: LockXmlOptions): string {
  const d = options.prefix ?? "D";
  if (locks.length === 0) return `<${d}:lockdiscovery/>`;
  return `<${d}:lockdiscovery>${activeLocksXml(locks, options)}</${d}:lockdiscovery>`;
}

/**
 * The `DAV:lockentry` elements of the locks this server supports — exclusive and
 * shared write locks: the content of a `DAV:supportedlock` element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lockEntriesXml } from "./lock_xml.ts";
 * assert.equal(
 *   lockEntriesXml(),
 *   "<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>" +
 *     "<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>",
 * );
 * ```
 */
export function lockEntriesXml(prefix?: string): string {
  const d = prefix ?? "D";
  const entry = (scope: string) =>
    `<${d}:lockentry><${d}:lockscope><${d}:${scope}/></${d}:lockscope>` +
    `<${d}:locktype><${d}:write/></${d}:locktype></${d}:lockentry>`;
  return entry("exclusive") + entry("shared");
}

/**
 * The `DAV:supportedlock` element: exclusive and shared write locks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { supportedLockXml } from "./lock_xml.ts";
 * assert.ok(supportedLockXml().includes("<D:exclusive/>"));
 * assert.ok(supportedLockXml().includes("<D:shared/>"));
 * assert.ok(supportedLockXml("d").startsWith("<d:supportedlock><d:lockentry>"));
 * ```
 */
export function supportedLockXml(prefix?: string): string {
  const d = prefix ?? "D";
  return `<${d}:supportedlock>${lockEntriesXml(d)}</${d}:supportedlock>`;
}

/**
 * The body of a successful LOCK (RFC 4918 §9.10.1): a `DAV:prop` document holding
 * the `lockdiscovery` of the new or refreshed locks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lockResponseXml } from "./lock_xml.ts";
 * const body = lockResponseXml([], { href: (l) => l.root, now: 0 });
 * assert.ok(body.includes('<D:prop xmlns:D="DAV:"><D:lockdiscovery/></D:prop>'));
 * ```
 */
export function lockResponseXml(locks: readonly ActiveLock[], options: LockXmlOptions): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:prop xmlns:D="DAV:">${
    lockDiscoveryXml(locks, { ...options, prefix: "D" })
  }</D:prop>\n`;
}
