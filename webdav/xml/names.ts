/**
 * XML names of the WebDAV frontend: the namespaces it speaks and Clark notation
 * (`{namespace}local`), the key under which properties are known and stored.
 *
 * @module
 */

/** The `DAV:` namespace (RFC 4918). */
export const DAV_NS = "DAV:";
/** Microsoft's namespace of the `Win32*` properties Windows' MiniRedir reads and writes. */
export const MS_NS = "urn:schemas-microsoft-com:";
/** The namespace of `xml:lang` and the other `xml:` attributes. */
export const XML_NS = "http://www.w3.org/XML/1998/namespace";
/** The namespace of `xmlns` declarations. */
export const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

/**
 * The Clark notation of a name: `{namespace}local` (`{}local` without namespace).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clark, DAV_NS } from "./names.ts";
 * assert.equal(clark(DAV_NS, "getetag"), "{DAV:}getetag");
 * ```
 */
export function clark(namespace: string, local: string): string {
  return `{${namespace}}${local}`;
}

/**
 * Splits a Clark name into namespace and local name. A name without `{…}` has no
 * namespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitClark } from "./names.ts";
 * assert.deepEqual(splitClark("{urn:x}color"), { namespace: "urn:x", local: "color" });
 * ```
 */
export function splitClark(name: string): { namespace: string; local: string } {
  if (!name.startsWith("{")) return { namespace: "", local: name };
  const close = name.indexOf("}");
  if (close < 0) return { namespace: "", local: name };
  return { namespace: name.slice(1, close), local: name.slice(close + 1) };
}

/**
 * The Clark name of a `DAV:` element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dav } from "./names.ts";
 * assert.equal(dav("resourcetype"), "{DAV:}resourcetype");
 * ```
 */
export function dav(local: string): string {
  return clark(DAV_NS, local);
}
