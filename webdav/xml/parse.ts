/**
 * Safe, namespace-aware parsing of WebDAV request bodies with `saxes` — the one
 * parser of every XML body (PROPFIND, PROPPATCH, LOCK): the body is read up to a
 * byte limit (413 beyond), any DOCTYPE or entity declaration is refused (400,
 * nothing expanded), malformed XML is 400. The result is a small element tree that
 * keeps prefixes, attributes, mixed content and the `xml:lang` in effect, so dead
 * property values can be stored as equivalent XML.
 *
 * Hostile bodies cost linear time and bounded depth:
 *
 * - Nesting is bounded: a body deeper than {@link MAX_XML_DEPTH} levels (32; WebDAV
 *   bodies need 3 or 4) is 400, unless the caller allows more (`maxDepth`). Bodies
 *   that carry arbitrary XML — a PROPPATCH `DAV:set` value, a LOCK `DAV:owner` —
 *   allow {@link MAX_PROPERTY_VALUE_DEPTH} (256) levels below the property element.
 *   The parse stops at the first element beyond the bound; the rest is not read.
 * - Namespaces are resolved here (saxes runs without `xmlns`), with one stack of
 *   bindings per prefix: a lookup is O(1) whatever the depth or the number of
 *   prefixes in scope (saxes' own resolution walks the open elements, which is
 *   quadratic in the depth). The checks of Namespaces in XML 1.0 are kept: unbound
 *   prefixes, `xml`/`xmlns` bindings, `xmlns:p=""`, malformed qualified names and an
 *   expanded attribute name given twice are 400.
 * - The first error stops the parse (saxes throws without an error handler).
 *
 * @module
 */

import { SaxesParser, type SaxesStartTagPlain, type SaxesTagPlain } from "../../deps/saxes.ts";
import { BodyTooLargeError, readBodyUpTo } from "../../src/http/bounded_body.ts";
import { DavError } from "../dav_error.ts";
import { clark, XML_NS, XMLNS_NS } from "./names.ts";

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

/**
 * Default bound of nesting in a request body: 32 levels (the root is level 1). A
 * WebDAV body needs a few (`propfind`/`prop`/property is 3 deep).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_XML_DEPTH, parseXml } from "./parse.ts";
 * const nested = (depth: number) => "<a>".repeat(depth) + "</a>".repeat(depth);
 * assert.equal(parseXml(nested(MAX_XML_DEPTH)).local, "a");
 * assert.throws(() => parseXml(nested(MAX_XML_DEPTH + 1)), { status: 400 });
 * ```
 */
export const MAX_XML_DEPTH = 32;

/**
 * Levels of XML allowed below a dead property element (a PROPPATCH `DAV:set`
 * value) or below `DAV:owner` in a LOCK body: 256. A value nested deeper is 400.
 * Parsing, storing and serializing values cost time linear in their size at any
 * depth; the bound keeps the tree walks of others (clients re-parsing PROPFIND
 * replies) out of trouble.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_PROPERTY_VALUE_DEPTH, parseXml } from "./parse.ts";
 * // propertyupdate, set, prop and the property element, then the value.
 * const value = "<v>".repeat(MAX_PROPERTY_VALUE_DEPTH) + "</v>".repeat(MAX_PROPERTY_VALUE_DEPTH);
 * const body = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">${value}` +
 *   `</x:p></D:prop></D:set></D:propertyupdate>`;
 * assert.equal(parseXml(body, { maxDepth: 4 + MAX_PROPERTY_VALUE_DEPTH }).local, "propertyupdate");
 * assert.throws(() => parseXml(body), { status: 400 }); // deeper than MAX_XML_DEPTH
 * ```
 */
export const MAX_PROPERTY_VALUE_DEPTH = 256;

/**
 * Options of {@link parseXml}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseXml, type ParseXmlOptions } from "./parse.ts";
 * const options: ParseXmlOptions = { maxDepth: 3 };
 * assert.equal(parseXml("<a><b><c/></b></a>", options).local, "a");
 * assert.throws(() => parseXml("<a><b><c><d/></c></b></a>", options), { status: 400 });
 * ```
 */
export interface ParseXmlOptions {
  /**
   * Most levels of elements (the root is level 1); an element deeper is 400 and
   * ends the parse. Default {@link MAX_XML_DEPTH}.
   */
  maxDepth?: number;
}

const FORBIDDEN = /<!\s*(DOCTYPE|ENTITY)/i;

/** Thrown from a saxes handler to stop the parse with a 400 of its own. */
class Refused extends Error {}

/**
 * Parses an XML document into an element tree, in time linear in its length.
 * DOCTYPE and ENTITY declarations, malformed XML and nesting deeper than
 * `maxDepth` (default {@link MAX_XML_DEPTH}) throw `DavError` 400.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseXml } from "./parse.ts";
 * const root = parseXml('<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>');
 * assert.equal(root.namespace, "DAV:");
 * assert.equal(root.local, "propfind");
 * assert.throws(() => parseXml('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'), { status: 400 });
 * assert.throws(() => parseXml("<a><b></a>"), { status: 400 });
 * ```
 */
export function parseXml(text: string, options?: ParseXmlOptions): XmlElement {
  const maxDepth = options?.maxDepth ?? MAX_XML_DEPTH;
  if (FORBIDDEN.test(text)) {
    throw new DavError(400, "DOCTYPE and ENTITY declarations are not accepted");
  }
  const tree = new TreeBuilder(maxDepth);
  // No "error" handler: saxes throws at the first error, which ends the parse.
  const parser = new SaxesParser<{ xmlns: false; position: false }>({
    xmlns: false,
    position: false,
  });
  parser.on("doctype", () => {
    throw new Refused("DOCTYPE is not accepted");
  });
  parser.on("opentagstart", (tag) => tree.start(tag));
  parser.on("opentag", (tag) => tree.open(tag));
  parser.on("closetag", () => tree.close());
  parser.on("text", (text) => tree.text(text));
  parser.on("cdata", (text) => tree.text(text));
  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof Refused) throw new DavError(400, error.message);
    throw new DavError(400, "Malformed XML request body", {
      cause: error instanceof Error ? error.message : String(error),
    });
  }
  if (!tree.root) throw new DavError(400, "Malformed XML request body");
  return tree.root;
}

/** Builds the element tree from saxes events, resolving namespaces as it goes. */
class TreeBuilder {
  root: XmlElement | undefined;
  readonly #maxDepth: number;
  /** The open elements, innermost last. */
  readonly #open: XmlElement[] = [];
  /** Per open element, the prefixes it declared (to unbind at its end). */
  readonly #declared: (string[] | undefined)[] = [];
  /** Prefix → its bindings, innermost last (`""` is the default namespace). */
  readonly #bindings = new Map<string, string[]>([["xml", [XML_NS]], ["", [""]]]);

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  /** Before the attributes are read: refuse an element beyond the bound at once. */
  start(_tag: SaxesStartTagPlain): void {
    if (this.#open.length >= this.#maxDepth) {
      throw new Refused(`The XML request body is nested deeper than ${this.#maxDepth} levels`);
    }
  }

  open(tag: SaxesTagPlain): void {
    const parent = this.#open.at(-1);
    const names = Object.keys(tag.attributes);
    // Namespace declarations first: they apply to the element's own name and attributes.
    let declared: string[] | undefined;
    for (const name of names) {
      let prefix: string;
      if (name === "xmlns") prefix = "";
      else if (name.startsWith("xmlns:")) {
        prefix = name.slice(6);
        if (prefix === "") throw new Error('Malformed name "xmlns:"');
      } else continue;
      const uri = tag.attributes[name]!;
      checkBinding(prefix, uri);
      (declared ??= []).push(prefix);
      const stack = this.#bindings.get(prefix);
      if (stack) stack.push(uri);
      else this.#bindings.set(prefix, [uri]);
    }
    this.#declared.push(declared);
    const name = splitName(tag.name);
    if (name.prefix === "xmlns") throw new Error('An element may not have the prefix "xmlns"');
    const namespace = this.#resolve(name.prefix);
    const attributes: XmlAttribute[] = [];
    let lang = parent?.lang;
    let seen: Set<string> | undefined;
    for (const raw of names) {
      if (raw === "xmlns" || raw.startsWith("xmlns:")) continue;
      const { prefix, local } = splitName(raw);
      const attribute: XmlAttribute = {
        namespace: prefix === "" ? "" : this.#resolve(prefix),
        local,
        prefix,
        value: tag.attributes[raw]!,
      };
      if (prefix !== "") {
        // Two prefixes of one namespace may name the same attribute twice.
        const expanded = clark(attribute.namespace, local);
        if ((seen ??= new Set()).has(expanded)) throw new Error(`Duplicate attribute ${expanded}`);
        seen.add(expanded);
      }
      if (attribute.namespace === XML_NS && local === "lang") lang = attribute.value;
      attributes.push(attribute);
    }
    const element: XmlElement = {
      namespace,
      local: name.local,
      prefix: name.prefix,
      attributes,
      children: [],
      ...(lang === undefined ? {} : { lang }),
    };
    if (parent) parent.children.push(element);
    else this.root ??= element;
    this.#open.push(element);
  }

  close(): void {
    this.#open.pop();
    const declared = this.#declared.pop();
    if (declared) { for (const prefix of declared) this.#bindings.get(prefix)!.pop(); }
  }

  text(text: string): void {
    const parent = this.#open.at(-1);
    if (!parent) return;
    const children = parent.children;
    const last = children.length - 1;
    if (last >= 0 && typeof children[last] === "string") children[last] += text;
    else children.push(text);
  }

  #resolve(prefix: string): string {
    const uri = this.#bindings.get(prefix)?.at(-1);
    if (uri === undefined || (prefix !== "" && uri === "")) {
      throw new Error(`Unbound namespace prefix ${JSON.stringify(prefix)}`);
    }
    return uri;
  }
}

/** A qualified name's prefix and local part (Namespaces in XML 1.0 §4). */
function splitName(name: string): { prefix: string; local: string } {
  const colon = name.indexOf(":");
  if (colon === -1) return { prefix: "", local: name };
  const prefix = name.slice(0, colon);
  const local = name.slice(colon + 1);
  if (prefix === "" || local === "" || local.includes(":")) {
    throw new Error(`Malformed name ${JSON.stringify(name)}`);
  }
  return { prefix, local };
}

/** The constraints of Namespaces in XML 1.0 §3 on a declaration. */
function checkBinding(prefix: string, uri: string): void {
  if (prefix === "xmlns") throw new Error('The prefix "xmlns" may not be declared');
  if (prefix.includes(":")) throw new Error(`Malformed prefix ${JSON.stringify(prefix)}`);
  if (prefix === "xml" ? uri !== XML_NS : uri === XML_NS) {
    throw new Error(`Only the prefix "xml" is bound to ${XML_NS}`);
  }
  if (uri === XMLNS_NS) throw new Error(`Nothing may be bound to ${XMLNS_NS}`);
  if (prefix !== "" && uri === "") throw new Error(`The prefix ${prefix} may not be undeclared`);
}

/**
 * Reads a request's XML body (at most `maxBytes`, else `DavError` 413) and parses
 * it with {@link parseXml} (nesting bounded by `maxDepth`, default
 * {@link MAX_XML_DEPTH}); `undefined` when the body is empty or only whitespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readXmlBody } from "./parse.ts";
 * const request = new Request("http://localhost/", { method: "PROPFIND", body: "<D:propfind xmlns:D='DAV:'><D:propname/></D:propfind>" });
 * const root = await readXmlBody(request, { maxBytes: 1024 });
 * assert.equal(root?.local, "propfind");
 * const blank = new Request("http://localhost/", { method: "PROPFIND", body: " \n" });
 * assert.equal(await readXmlBody(blank), undefined);
 * ```
 */
export async function readXmlBody(
  request: Request,
  options?: { maxBytes?: number; maxDepth?: number },
): Promise<XmlElement | undefined> {
  const bytes = await readBoundedBody(request, { maxBytes: options?.maxBytes });
  if (bytes.byteLength === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DavError(400, "The XML request body is not valid UTF-8");
  }
  if (text.trim() === "") return undefined;
  return parseXml(text, options?.maxDepth === undefined ? {} : { maxDepth: options.maxDepth });
}

/**
 * Reads a request body into memory, refusing (`DavError` 413) more than
 * `maxBytes` (default 1 MiB) — by `Content-Length` before reading, or as soon as
 * the streamed bytes exceed it (`readBodyUpTo` of `src/http/bounded_body.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBoundedBody } from "./parse.ts";
 * const bytes = await readBoundedBody(new Request("http://localhost/", { method: "POST", body: "abc" }));
 * assert.equal(new TextDecoder().decode(bytes), "abc");
 * const large = new Request("http://localhost/", { method: "POST", body: "abcd" });
 * await assert.rejects(readBoundedBody(large, { maxBytes: 3 }), { status: 413 });
 * ```
 */
export async function readBoundedBody(
  request: Request,
  options?: { maxBytes?: number | undefined },
): Promise<Uint8Array> {
  const max = options?.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > max) {
    await request.body?.cancel().catch(() => {});
    throw new DavError(413, "The XML request body is too large");
  }
  try {
    if (
      Number.isSafeInteger(declared) && declared > 0 && !request.headers.has("transfer-encoding")
    ) {
      // Declared, and within bounds: read whole (no stream layers). The HTTP server
      // ends the body at its declared length; a request made in-process may say less.
      const bytes = await request.bytes();
      if (bytes.byteLength > max) throw new BodyTooLargeError(max);
      return bytes;
    }
    return await readBodyUpTo(request.body, max);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new DavError(413, "The XML request body is too large");
    }
    throw error;
  }
}

/**
 * The Clark name of an element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseXml, nameOf } from "./parse.ts";
 * assert.equal(nameOf(parseXml('<a xmlns="urn:x"/>')), "{urn:x}a");
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
 * import assert from "node:assert/strict";
 * import { childElements, parseXml } from "./parse.ts";
 * const children = childElements(parseXml("<a> <b/> <c/> </a>"));
 * assert.deepEqual(children.map((child) => child.local), ["b", "c"]);
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
 * import assert from "node:assert/strict";
 * import { parseXml, textOf } from "./parse.ts";
 * assert.equal(textOf(parseXml("<a>x<b>y</b></a>")), "xy");
 * ```
 */
export function textOf(element: XmlElement): string {
  // Iterative: no recursion as deep as the tree.
  const parts: string[] = [];
  const pending: XmlNode[] = [element];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node === "string") {
      parts.push(node);
      continue;
    }
    for (let i = node.children.length - 1; i >= 0; i--) pending.push(node.children[i]!);
  }
  return parts.join("");
}
