/**
 * Safe, namespace-aware parsing of WebDAV request bodies with `saxes`: the body
 * is read up to a byte limit (413 beyond), any DOCTYPE or entity declaration is
 * refused (400, nothing expanded), malformed XML is 400. The result is a small
 * element tree that keeps prefixes, attributes, mixed content and the `xml:lang`
 * in effect, so dead property values can be stored as equivalent XML.
 *
 * @module
 */

import { SaxesParser } from "saxes";
import { DavError } from "../dav_error.ts";
import { clark, XML_NS } from "./names.ts";

/** One attribute of an element (namespace declarations excluded). */
export interface XmlAttribute {
  /** Namespace URI (`""` for none). */
  namespace: string;
  /** Local name. */
  local: string;
  /** Prefix as written (`""` for none). */
  prefix: string;
  /** Value, entities resolved. */
  value: string;
}

/** An element of a parsed body. */
export interface XmlElement {
  /** Namespace URI (`""` for none). */
  namespace: string;
  /** Local name. */
  local: string;
  /** Prefix as written (`""` for none). */
  prefix: string;
  /** Attributes other than namespace declarations. */
  attributes: XmlAttribute[];
  /** Child elements and text, in document order. */
  children: XmlNode[];
  /** The `xml:lang` in effect here (declared here or inherited), if any. */
  lang?: string;
}

/** A node of a parsed body: an element or a piece of text. */
export type XmlNode = XmlElement | string;

/** Default cap of an XML request body: 1 MiB. */
export const DEFAULT_MAX_XML_BYTES = 1024 * 1024;

const FORBIDDEN = /<!\s*(DOCTYPE|ENTITY)/i;

/**
 * Parses an XML document into an element tree. DOCTYPE and ENTITY declarations
 * and malformed XML throw `DavError` 400.
 *
 * @example
 * ```ts
 * import { parseXml } from "./parse.ts";
 * const root = parseXml('<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>');
 * console.log(root.namespace, root.local); // DAV: propfind
 * ```
 */
export function parseXml(text: string): XmlElement {
  if (FORBIDDEN.test(text)) {
    throw new DavError(400, "DOCTYPE and ENTITY declarations are not accepted");
  }
  const parser = new SaxesParser({ xmlns: true, position: false });
  let root: XmlElement | undefined;
  const stack: XmlElement[] = [];
  let failure: string | undefined;
  parser.on("error", (error) => {
    failure ??= error.message;
  });
  parser.on("doctype", () => {
    failure ??= "DOCTYPE is not accepted";
  });
  parser.on("opentag", (tag) => {
    const attributes: XmlAttribute[] = [];
    let lang = stack.at(-1)?.lang;
    for (const attribute of Object.values(tag.attributes)) {
      if (typeof attribute === "string") continue;
      if (
        attribute.prefix === "xmlns" || (attribute.prefix === "" && attribute.local === "xmlns")
      ) {
        continue;
      }
      if (attribute.uri === XML_NS && attribute.local === "lang") lang = attribute.value;
      attributes.push({
        namespace: attribute.uri,
        local: attribute.local,
        prefix: attribute.prefix,
        value: attribute.value,
      });
    }
    const element: XmlElement = {
      namespace: tag.uri ?? "",
      local: tag.local ?? tag.name,
      prefix: tag.prefix ?? "",
      attributes,
      children: [],
      ...(lang === undefined ? {} : { lang }),
    };
    const parent = stack.at(-1);
    if (parent) parent.children.push(element);
    else root ??= element;
    stack.push(element);
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  const addText = (text: string) => {
    const parent = stack.at(-1);
    if (!parent) return;
    const last = parent.children.at(-1);
    if (typeof last === "string") parent.children[parent.children.length - 1] = last + text;
    else parent.children.push(text);
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  try {
    parser.write(text).close();
  } catch (error) {
    failure ??= error instanceof Error ? error.message : String(error);
  }
  if (failure !== undefined || !root) {
    throw new DavError(400, "Malformed XML request body", { cause: failure });
  }
  return root;
}

/**
 * Reads a request's XML body (at most `maxBytes`, else `DavError` 413) and parses
 * it; `undefined` when the body is empty or only whitespace.
 *
 * @example
 * ```ts
 * import { readXmlBody } from "./parse.ts";
 * const request = new Request("http://localhost/", { method: "PROPFIND", body: "<D:propfind xmlns:D='DAV:'><D:propname/></D:propfind>" });
 * const root = await readXmlBody(request, { maxBytes: 1024 });
 * console.log(root?.local); // propfind
 * ```
 */
export async function readXmlBody(
  request: Request,
  options: { maxBytes?: number } = {},
): Promise<XmlElement | undefined> {
  const bytes = await readBoundedBody(request, { maxBytes: options.maxBytes });
  if (bytes.byteLength === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DavError(400, "The XML request body is not valid UTF-8");
  }
  if (text.trim() === "") return undefined;
  return parseXml(text);
}

/**
 * Reads a request body into memory, refusing (`DavError` 413) more than
 * `maxBytes` (default 1 MiB) — by `Content-Length` before reading, or as soon as
 * the streamed bytes exceed it.
 *
 * @example
 * ```ts
 * import { readBoundedBody } from "./parse.ts";
 * const bytes = await readBoundedBody(new Request("http://localhost/", { method: "POST", body: "abc" }));
 * console.log(bytes.byteLength); // 3
 * ```
 */
export async function readBoundedBody(
  request: Request,
  options: { maxBytes?: number | undefined } = {},
): Promise<Uint8Array> {
  const max = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > max) {
    await request.body?.cancel().catch(() => {});
    throw new DavError(413, "The XML request body is too large");
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel().catch(() => {});
        throw new DavError(413, "The XML request body is too large");
      }
      parts.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * The Clark name of an element.
 *
 * @example
 * ```ts
 * import { parseXml, nameOf } from "./parse.ts";
 * console.log(nameOf(parseXml('<a xmlns="urn:x"/>'))); // {urn:x}a
 * ```
 */
export function nameOf(element: XmlElement): string {
  return clark(element.namespace, element.local);
}

/**
 * The child elements of an element (text dropped).
 *
 * @example
 * ```ts
 * import { childElements, parseXml } from "./parse.ts";
 * console.log(childElements(parseXml("<a> <b/> <c/> </a>")).length); // 2
 * ```
 */
export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => typeof child !== "string");
}

/**
 * The text content of an element (its descendants' text, concatenated).
 *
 * @example
 * ```ts
 * import { parseXml, textOf } from "./parse.ts";
 * console.log(textOf(parseXml("<a>x<b>y</b></a>"))); // xy
 * ```
 */
export function textOf(element: XmlElement): string {
  return element.children.map((child) => typeof child === "string" ? child : textOf(child)).join(
    "",
  );
}
