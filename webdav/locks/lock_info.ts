/**
 * The LOCK request body (RFC 4918 §9.10, §14.11 `DAV:lockinfo`): read with a size
 * cap and parsed by the one parser of all WebDAV bodies, `parseXml` of
 * `webdav/xml/parse.ts` (strict, namespace-aware, no DOCTYPE or entities, linear
 * time, nesting bounded: {@link MAX_LOCKINFO_DEPTH}, i.e. 256 levels of XML below
 * `DAV:owner`).
 *
 * @module
 */

import { DavError } from "../dav_error.ts";
import { DAV_NS as DAV, XML_NS } from "../xml/names.ts";
import {
  MAX_PROPERTY_VALUE_DEPTH,
  parseXml,
  readBoundedBody,
  type XmlElement,
  type XmlNode,
} from "../xml/parse.ts";

/** What a `DAV:lockinfo` body asks for. */
export interface LockInfo {
  /** `DAV:exclusive` or `DAV:shared`. */
  scope: "exclusive" | "shared";
  /**
   * The `DAV:owner` element, re-serialized self-contained (its own namespace
   * declarations): `<D:owner xmlns:D="DAV:">…</D:owner>`; absent when not given.
   */
  ownerXml?: string;
}

/**
 * Escapes text for XML content and attribute values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeXml } from "./lock_info.ts";
 * assert.equal(escapeXml(`<a href="x">&</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&apos;",
  );
}

/**
 * Reads a request body of at most `maxBytes` bytes as UTF-8 (`readBoundedBody` of
 * the XML module): 413 when it is larger (by `Content-Length` or while reading),
 * 400 when it is not UTF-8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBodyText } from "./lock_info.ts";
 * const text = await readBodyText(new Request("http://h/", { method: "LOCK", body: "<a/>" }), 1024);
 * assert.equal(text, "<a/>");
 * ```
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const bytes = await readBoundedBody(request, { maxBytes });
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DavError(400, "The request body is not UTF-8");
  }
}

/**
 * Levels of elements a LOCK body may have: `DAV:lockinfo`, `DAV:owner`, and
 * {@link MAX_PROPERTY_VALUE_DEPTH} (256) levels of XML below the owner element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_LOCKINFO_DEPTH } from "./lock_info.ts";
 * assert.equal(MAX_LOCKINFO_DEPTH, 258);
 * ```
 */
export const MAX_LOCKINFO_DEPTH = 2 + MAX_PROPERTY_VALUE_DEPTH;

/**
 * Parses a `DAV:lockinfo` document with the shared bounded parser
 * (`parseXml`: linear time, nesting bounded by {@link MAX_LOCKINFO_DEPTH}).
 * Throws `DavError` 400 for a DOCTYPE or entity declaration, malformed XML,
 * nesting deeper than that, another root element, or a missing or unknown lock
 * scope or type (only `DAV:write` locks exist).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLockInfo } from "./lock_info.ts";
 * const info = parseLockInfo(`<?xml version="1.0"?>
 * <D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope>
 * <D:locktype><D:write/></D:locktype><D:owner>me</D:owner></D:lockinfo>`);
 * assert.equal(info.scope, "shared");
 * assert.equal(info.ownerXml, '<D:owner xmlns:D="DAV:">me</D:owner>');
 * ```
 */
export function parseLockInfo(text: string): LockInfo {
  let root: XmlElement;
  try {
    root = parseXml(text, { maxDepth: MAX_LOCKINFO_DEPTH });
  } catch (error) {
    if (error instanceof DavError) {
      throw new DavError(error.status, `Invalid lockinfo: ${error.message}`, {
        cause: error.cause,
      });
    }
    throw error;
  }
  if (root.namespace !== DAV || root.local !== "lockinfo") {
    throw new DavError(400, "Invalid lockinfo: the root is not DAV:lockinfo");
  }
  let scope: "exclusive" | "shared" | undefined;
  let scopeSeen = false;
  let typeSeen = false;
  let write = false;
  let owner: XmlElement | undefined;
  for (const child of root.children) {
    if (typeof child === "string" || child.namespace !== DAV) continue;
    if (child.local === "lockscope") {
      scopeSeen = true;
      for (const value of child.children) {
        if (typeof value === "string") continue;
        if (value.namespace === DAV && (value.local === "exclusive" || value.local === "shared")) {
          if (scope !== undefined && scope !== value.local) {
            throw new DavError(400, "Invalid lockinfo: two lock scopes");
          }
          scope = value.local;
        } else throw new DavError(400, "Invalid lockinfo: unknown lock scope");
      }
    } else if (child.local === "locktype") {
      typeSeen = true;
      for (const value of child.children) {
        if (typeof value === "string") continue;
        if (value.namespace === DAV && value.local === "write") write = true;
        else throw new DavError(400, "Invalid lockinfo: unsupported lock type (only DAV:write)");
      }
    } else if (child.local === "owner") {
      owner ??= child; // a second owner element is ignored
    }
  }
  if (!scopeSeen || scope === undefined) throw new DavError(400, "Invalid lockinfo: no lockscope");
  if (!typeSeen || !write) throw new DavError(400, "Invalid lockinfo: no DAV:write locktype");
  const info: LockInfo = { scope };
  if (owner !== undefined) info.ownerXml = ownerXml(owner);
  return info;
}

/**
 * The `DAV:owner` element, self-contained: `<D:owner xmlns:D="DAV:" …>`, each
 * element inside with its namespace as a default declaration, each namespaced
 * attribute with a prefix of its own. Iterative: linear in the owner's size.
 */
function ownerXml(owner: XmlElement): string {
  const out = ['<D:owner xmlns:D="DAV:"', ...attributesOf(owner), ">"];
  const pending: (XmlNode | { close: string })[] = [];
  for (let i = owner.children.length - 1; i >= 0; i--) pending.push(owner.children[i]!);
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node === "string") {
      out.push(escapeText(node));
    } else if ("close" in node) {
      out.push(node.close);
    } else {
      out.push(`<${node.local} xmlns="${escapeXml(node.namespace)}"`, ...attributesOf(node), ">");
      pending.push({ close: `</${node.local}>` });
      for (let i = node.children.length - 1; i >= 0; i--) pending.push(node.children[i]!);
    }
  }
  out.push("</D:owner>");
  return out.join("");
}

function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;");
}

/** The attributes of an element, each namespaced one with its own prefix declaration. */
function attributesOf(element: XmlElement): string[] {
  const out: string[] = [];
  let n = 0;
  for (const attribute of element.attributes) {
    const value = escapeXml(attribute.value);
    if (attribute.namespace === "") out.push(` ${attribute.local}="${value}"`);
    else if (attribute.namespace === XML_NS) out.push(` xml:${attribute.local}="${value}"`);
    else {
      const prefix = `a${n++}`;
      out.push(
        ` xmlns:${prefix}="${
          escapeXml(attribute.namespace)
        }" ${prefix}:${attribute.local}="${value}"`,
      );
    }
  }
  return out;
}
