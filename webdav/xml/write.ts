/**
 * Writing WebDAV XML: escaping, self-contained serialization of property values,
 * empty property elements from Clark names, `DAV:error` bodies, and the pieces of
 * a `207 Multi-Status` reply streamed one `DAV:response` at a time.
 *
 * Replies use the prefix `D:` for `DAV:` and declare every other namespace on the
 * element that uses it, so any fragment can be placed anywhere in a reply.
 *
 * @module
 */

import { splitClark, XML_NS } from "./names.ts";
import type { XmlElement, XmlNode } from "./parse.ts";

/**
 * Escapes text content (`&`, `<`, `>`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeText } from "./write.ts";
 * assert.equal(escapeText("a<b&c"), "a&lt;b&amp;c");
 * ```
 */
export function escapeText(text: string): string {
  // Most text (hrefs, names, dates) has nothing to escape: no new string then.
  return NEEDS_TEXT_ESCAPE.test(text) ? text.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!) : text;
}

const NEEDS_TEXT_ESCAPE = /[&<>\r]/;

const TEXT_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\r": "&#13;",
};

/**
 * Escapes an attribute value (double quotes; also `<`, `&` and whitespace that
 * attribute normalization would change).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeAttribute } from "./write.ts";
 * assert.equal(escapeAttribute('say "hi"'), "say &quot;hi&quot;");
 * ```
 */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!);
}

const ATTRIBUTE_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/**
 * Serializes an element as XML that stands on its own: every namespace it and its
 * descendants use is declared where needed (`xmlns=""` for no namespace), prefixes
 * are kept as written, and the `xml:lang` in effect is written on the root when it
 * was inherited from an ancestor.
 *
 * Time is linear in the size of the tree and the output, whatever its depth or the
 * number of prefixes in scope (one scope, changed on the way in and restored on
 * the way out; no recursion).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseXml, type XmlElement } from "./parse.ts";
 * import { serializeElement } from "./write.ts";
 * const root = parseXml('<r xmlns:x="urn:x" xml:lang="en"><x:color>red</x:color></r>');
 * const color = root.children[0] as XmlElement;
 * assert.equal(serializeElement(color), '<x:color xmlns:x="urn:x" xml:lang="en">red</x:color>');
 * ```
 */
export function serializeElement(element: XmlElement): string {
  const out: string[] = [];
  /** Prefix → namespace declared in the output, for the element being written. */
  const scope = new Map<string, string | undefined>([["xml", XML_NS]]);
  /** What to do next: an element to open, or the end of one (its tag and undo log). */
  const pending: (XmlNode | Closing)[] = [element];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (typeof item === "string") {
      out.push(escapeText(item));
      continue;
    }
    if ("undo" in item) {
      out.push(`</${item.name}>`);
      restore(scope, item.undo);
      continue;
    }
    const undo = openTag(item, scope, out, item === element);
    const name = item.prefix === "" ? item.local : `${item.prefix}:${item.local}`;
    if (item.children.length === 0) {
      out.push("/>");
      restore(scope, undo);
      continue;
    }
    out.push(">");
    pending.push({ name, undo });
    for (let i = item.children.length - 1; i >= 0; i--) pending.push(item.children[i]!);
  }
  return out.join("");
}

/** The end of an open element: its name and the scope changes to undo. */
interface Closing {
  name: string;
  /** Prefix → the binding it had before (`undefined`: none). */
  undo: [string, string | undefined][];
}

/**
 * Writes `<name` with the declarations and attributes of an element (not the
 * closing `>`); declares in `scope` what it needs and returns how to undo that.
 */
function openTag(
  element: XmlElement,
  scope: Map<string, string | undefined>,
  out: string[],
  root: boolean,
): [string, string | undefined][] {
  const undo: [string, string | undefined][] = [];
  const declarations: string[] = [];
  const declare = (prefix: string, namespace: string) => {
    const current = scope.get(prefix);
    if (current === namespace) return;
    undo.push([prefix, current]);
    scope.set(prefix, namespace);
    declarations.push(
      prefix === ""
        ? ` xmlns="${escapeAttribute(namespace)}"`
        : ` xmlns:${prefix}="${escapeAttribute(namespace)}"`,
    );
  };
  // A prefixed element always has a namespace; an unprefixed one uses the default.
  declare(element.prefix, element.namespace);
  const attributes: string[] = [];
  let hasLang = false;
  for (const attribute of element.attributes) {
    if (attribute.namespace === XML_NS) {
      if (attribute.local === "lang") hasLang = true;
      attributes.push(` xml:${attribute.local}="${escapeAttribute(attribute.value)}"`);
      continue;
    }
    if (attribute.prefix !== "") declare(attribute.prefix, attribute.namespace);
    const name = attribute.prefix === ""
      ? attribute.local
      : `${attribute.prefix}:${attribute.local}`;
    attributes.push(` ${name}="${escapeAttribute(attribute.value)}"`);
  }
  if (root && !hasLang && element.lang !== undefined) {
    attributes.push(` xml:lang="${escapeAttribute(element.lang)}"`);
  }
  const name = element.prefix === "" ? element.local : `${element.prefix}:${element.local}`;
  out.push(`<${name}${declarations.join("")}${attributes.join("")}`);
  return undo;
}

function restore(
  scope: Map<string, string | undefined>,
  undo: [string, string | undefined][],
): void {
  for (let i = undo.length - 1; i >= 0; i--) {
    const [prefix, previous] = undo[i]!;
    // Set, not deleted: deleting from a big Map and adding again can rehash it each time.
    scope.set(prefix, previous);
  }
}

/**
 * An element named by a Clark name, with optional inner XML: `D:` for `DAV:`,
 * otherwise a local prefix declared on the element (`xmlns=""` without namespace).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { elementXml } from "./write.ts";
 * assert.equal(elementXml("{DAV:}getetag", '"abc"'), '<D:getetag>"abc"</D:getetag>');
 * assert.equal(elementXml("{urn:x}color"), '<x:color xmlns:x="urn:x"/>');
 * ```
 */
export function elementXml(name: string, innerXml?: string): string {
  const { namespace, local } = splitClark(name);
  let open: string;
  let close: string;
  if (namespace === "DAV:") {
    open = `D:${local}`;
    close = open;
  } else if (namespace === "") {
    open = `${local} xmlns=""`;
    close = local;
  } else {
    open = `x:${local} xmlns:x="${escapeAttribute(namespace)}"`;
    close = `x:${local}`;
  }
  return innerXml === undefined || innerXml === ""
    ? `<${open}/>`
    : `<${open}>${innerXml}</${close}>`;
}

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  207: "Multi-Status",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  423: "Locked",
  424: "Failed Dependency",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  507: "Insufficient Storage",
};

/**
 * The `DAV:status` text of an HTTP status: `HTTP/1.1 200 OK`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusLine } from "./write.ts";
 * assert.equal(statusLine(404), "HTTP/1.1 404 Not Found");
 * ```
 */
export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}`;
}

/** The XML declaration every reply body starts with. */
export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';

/** The opening of a multistatus reply (declaration included). */
export const MULTISTATUS_OPEN = `${XML_DECLARATION}<D:multistatus xmlns:D="DAV:">\n`;

/** The end of a multistatus reply. */
export const MULTISTATUS_CLOSE = "</D:multistatus>\n";

/** One `DAV:propstat` of a response: the properties (as XML) sharing a status. */
export interface PropStat {
  /** HTTP status of these properties. */
  status: number;
  /** Property elements, each as XML. */
  properties: string[];
  /** A `DAV:error` condition (local name) to include, if any. */
  condition?: string;
}

/**
 * A `DAV:response` with property stats for one href.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { propResponseXml } from "./write.ts";
 * assert.equal(
 *   propResponseXml("/a", [{ status: 200, properties: ["<D:displayname>a</D:displayname>"] }]),
 *   "<D:response><D:href>/a</D:href><D:propstat><D:prop><D:displayname>a</D:displayname></D:prop>" +
 *     "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n",
 * );
 * ```
 */
export function propResponseXml(href: string, propstats: readonly PropStat[]): string {
  const parts = [`<D:response><D:href>${escapeText(href)}</D:href>`];
  for (const propstat of propstats) {
    if (propstat.properties.length === 0) continue;
    parts.push(
      `<D:propstat><D:prop>${propstat.properties.join("")}</D:prop>`,
      `<D:status>${statusLine(propstat.status)}</D:status>`,
      propstat.condition ? `<D:error><D:${propstat.condition}/></D:error>` : "",
      `</D:propstat>`,
    );
  }
  parts.push("</D:response>\n");
  return parts.join("");
}

/**
 * A `DAV:response` carrying only a status for one href.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusResponseXml } from "./write.ts";
 * assert.equal(
 *   statusResponseXml("/a", 423),
 *   "<D:response><D:href>/a</D:href><D:status>HTTP/1.1 423 Locked</D:status></D:response>\n",
 * );
 * ```
 */
export function statusResponseXml(href: string, status: number): string {
  return `<D:response><D:href>${escapeText(href)}</D:href><D:status>${
    statusLine(status)
  }</D:status></D:response>\n`;
}

/**
 * A `DAV:error` body naming a condition, with hrefs inside it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorXml } from "./write.ts";
 * assert.equal(
 *   errorXml("lock-token-submitted", ["/a"]),
 *   '<?xml version="1.0" encoding="utf-8"?>\n' +
 *     '<D:error xmlns:D="DAV:"><D:lock-token-submitted><D:href>/a</D:href></D:lock-token-submitted></D:error>\n',
 * );
 * ```
 */
export function errorXml(condition: string, hrefs?: readonly string[]): string {
  const inner = (hrefs ?? []).map((href) => `<D:href>${escapeText(href)}</D:href>`).join("");
  return `${XML_DECLARATION}<D:error xmlns:D="DAV:"><D:${condition}>${inner}</D:${condition}></D:error>\n`;
}

/**
 * A byte stream of the strings an async iterable yields, UTF-8 encoded and
 * batched into pieces of about 64 KiB; the iterable is pulled only as fast as the
 * reader reads, and closed when the reader cancels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textStream } from "./write.ts";
 * async function* parts() {
 *   yield "<a>";
 *   yield "</a>";
 * }
 * assert.equal(await new Response(textStream(parts())).text(), "<a></a>");
 * ```
 */
export function textStream(parts: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = parts[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let batch = "";
      while (batch.length < 65536) {
        const { value, done } = await iterator.next();
        if (done) {
          if (batch !== "") controller.enqueue(encoder.encode(batch));
          controller.close();
          return;
        }
        batch += value;
      }
      controller.enqueue(encoder.encode(batch));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
