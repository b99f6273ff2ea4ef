/**
 * The LOCK request body (RFC 4918 §9.10, §14.11 `DAV:lockinfo`): read with a size
 * cap and parsed with `saxes` (strict, namespace-aware, no custom entities). A
 * DOCTYPE or ENTITY declaration is refused before parsing.
 *
 * @module
 */

import { SaxesParser, type SaxesTagNS } from "saxes";
import { DavError } from "../dav_error.ts";

const DAV = "DAV:";
const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

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
 * import { escapeXml } from "./lock_info.ts";
 * console.log(escapeXml(`<a href="x">&</a>`)); // &lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;
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
 * Reads a request body of at most `maxBytes` bytes as UTF-8: 413 when it is larger
 * (by `Content-Length` or while reading), 400 when it is not UTF-8.
 *
 * @example
 * ```ts
 * import { readBodyText } from "./lock_info.ts";
 * const text = await readBodyText(new Request("http://h/", { method: "LOCK", body: "<a/>" }), 1024);
 * console.log(text); // <a/>
 * ```
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => {});
    throw new DavError(413, "The request body is too large");
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new DavError(413, "The request body is too large");
      }
      parts.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DavError(400, "The request body is not UTF-8");
  }
}

/**
 * Parses a `DAV:lockinfo` document. Throws `DavError` 400 for a DOCTYPE or entity
 * declaration, malformed XML, another root element, or a missing or unknown lock
 * scope or type (only `DAV:write` locks exist).
 *
 * @example
 * ```ts
 * import { parseLockInfo } from "./lock_info.ts";
 * const info = parseLockInfo(`<?xml version="1.0"?>
 * <D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope>
 * <D:locktype><D:write/></D:locktype><D:owner>me</D:owner></D:lockinfo>`);
 * console.log(info.scope, info.ownerXml); // shared <D:owner xmlns:D="DAV:">me</D:owner>
 * ```
 */
export function parseLockInfo(text: string): LockInfo {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new DavError(400, "DOCTYPE and ENTITY declarations are not accepted");
  }
  const parser = new SaxesParser({ xmlns: true });
  const stack: SaxesTagNS[] = [];
  let rootSeen = false;
  let scope: "exclusive" | "shared" | undefined;
  let scopeSeen = false;
  let typeSeen = false;
  let write = false;
  let owner: string[] | undefined;
  let capturing = false;
  let ownerDepth = -1;
  let failure: string | undefined;

  parser.on("doctype", () => {
    failure ??= "DOCTYPE declarations are not accepted";
  });
  parser.on("error", (error) => {
    failure ??= `malformed XML (${error.message.split("\n")[0]})`;
  });
  parser.on("opentag", (tag) => {
    const depth = stack.length;
    stack.push(tag);
    if (depth === 0) {
      rootSeen = true;
      if (tag.uri !== DAV || tag.local !== "lockinfo") failure ??= "the root is not DAV:lockinfo";
      return;
    }
    if (capturing) {
      owner!.push(openTag(tag));
      return;
    }
    const parent = stack[depth - 1];
    if (depth === 1 && tag.uri === DAV) {
      if (tag.local === "lockscope") scopeSeen = true;
      else if (tag.local === "locktype") typeSeen = true;
      else if (tag.local === "owner" && owner === undefined) {
        owner = ['<D:owner xmlns:D="DAV:"', ...attributesOf(tag), ">"];
        capturing = true;
        ownerDepth = depth;
      }
    } else if (depth === 2 && parent.uri === DAV && parent.local === "lockscope") {
      if (tag.uri === DAV && (tag.local === "exclusive" || tag.local === "shared")) {
        if (scope !== undefined && scope !== tag.local) failure ??= "two lock scopes";
        scope = tag.local;
      } else failure ??= "unknown lock scope";
    } else if (depth === 2 && parent.uri === DAV && parent.local === "locktype") {
      if (tag.uri === DAV && tag.local === "write") write = true;
      else failure ??= "unsupported lock type (only DAV:write)";
    }
  });
  parser.on("closetag", (tag) => {
    stack.pop();
    if (!capturing) return;
    if (stack.length === ownerDepth) {
      owner!.push("</D:owner>");
      capturing = false; // a second owner element is ignored
      return;
    }
    owner!.push(`</${tag.local}>`);
  });
  const onText = (text: string) => {
    if (capturing) {
      owner!.push(text.replace(/[&<>]/g, (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
    }
  };
  parser.on("text", onText);
  parser.on("cdata", onText);

  try {
    parser.write(text);
    parser.close();
  } catch (error) {
    failure ??= `malformed XML (${String((error as Error).message).split("\n")[0]})`;
  }
  if (failure !== undefined) throw new DavError(400, `Invalid lockinfo: ${failure}`);
  if (!rootSeen) throw new DavError(400, "Invalid lockinfo: no root element");
  if (!scopeSeen || scope === undefined) throw new DavError(400, "Invalid lockinfo: no lockscope");
  if (!typeSeen || !write) throw new DavError(400, "Invalid lockinfo: no DAV:write locktype");
  const info: LockInfo = { scope };
  if (owner !== undefined) info.ownerXml = owner.join("");
  return info;
}

/** An element's start tag, self-contained: its namespace as a default declaration. */
function openTag(tag: SaxesTagNS): string {
  return `<${tag.local} xmlns="${escapeXml(tag.uri)}"${attributesOf(tag).join("")}>`;
}

/** The attributes of a tag, each namespaced one with its own prefix declaration. */
function attributesOf(tag: SaxesTagNS): string[] {
  const out: string[] = [];
  let n = 0;
  for (const attribute of Object.values(tag.attributes)) {
    if (attribute.uri === XMLNS_NS || attribute.name === "xmlns") continue;
    const value = escapeXml(attribute.value);
    if (attribute.uri === "") out.push(` ${attribute.local}="${value}"`);
    else if (attribute.uri === XML_NS) out.push(` xml:${attribute.local}="${value}"`);
    else {
      const prefix = `a${n++}`;
      out.push(
        ` xmlns:${prefix}="${escapeXml(attribute.uri)}" ${prefix}:${attribute.local}="${value}"`,
      );
    }
  }
  return out;
}
