/**
 * GET on a collection: an HTML page listing its members (names, sizes, dates,
 * links, a link to the parent), streamed while the directory is read, every name
 * escaped.
 *
 * @module
 */

import { type BackupFS, joinPath } from "../../src/fs/mod.ts";
import { statEach } from "../properties/members.ts";
import { textStream } from "../xml/write.ts";

/**
 * Escapes text for HTML content and attribute values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./html_listing.ts";
 * assert.equal(escapeHtml('<script>"&'), "&lt;script&gt;&quot;&amp;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * A size for people: `512 B`, `1.5 KiB`, `3.2 MiB`…
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSize } from "./html_listing.ts";
 * assert.equal(formatSize(1536), "1.5 KiB");
 * ```
 */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Options of {@link htmlListing}. */
export interface HtmlListingOptions {
  /** The href of a path (percent-encoded, prefix included). */
  href: (path: string, collection?: boolean) => string;
  /** Stats fetched at once while listing (default 8). */
  concurrency?: number;
}

const STYLE = "body{font-family:system-ui,sans-serif;margin:2em}" +
  "table{border-collapse:collapse}td,th{padding:.2em 1em;text-align:left}" +
  "td.size{text-align:right}tr:nth-child(even){background:#f4f4f4}";

/**
 * The HTML listing of a directory as a stream. The directory is read as the page
 * is written (with `concurrency` stats in flight), so a huge directory needs no
 * more memory than a small one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { htmlListing } from "./html_listing.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.writeTextFile("/<b>.txt", "x");
 * const html = await new Response(htmlListing(fs, "/", { href: (p) => p })).text();
 * assert.ok(html.includes("&lt;b&gt;.txt"));
 * assert.ok(!html.includes("<b>"));
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function htmlListing(
  fs: BackupFS,
  path: string,
  options: HtmlListingOptions,
): ReadableStream<Uint8Array> {
  return textStream(pages(fs, path, options));
}

async function* pages(
  fs: BackupFS,
  path: string,
  options: HtmlListingOptions,
): AsyncGenerator<string> {
  const title = escapeHtml(`Index of ${path}`);
  yield `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title>` +
    `<meta name="viewport" content="width=device-width"><style>${STYLE}</style></head>` +
    `<body><h1>${title}</h1><table><thead><tr><th>Name</th><th>Size</th>` +
    `<th>Last modified</th></tr></thead><tbody>\n`;
  if (path !== "/") {
    const parent = joinPath(path, "..");
    yield `<tr><td><a href="${escapeHtml(options.href(parent, true))}">../</a></td>` +
      `<td></td><td></td></tr>\n`;
  }
  for await (const [name, info] of statEach(fs, path, options.concurrency ?? 8)) {
    if (!info) continue;
    const child = joinPath(path, name);
    const label = info.isDirectory ? `${name}/` : name;
    const size = info.isDirectory ? "" : formatSize(info.size);
    const date = info.mtime ? info.mtime.toUTCString() : "";
    yield `<tr><td><a href="${escapeHtml(options.href(child, info.isDirectory))}">` +
      `${escapeHtml(label)}</a></td><td class="size">${size}</td><td>${date}</td></tr>\n`;
  }
  yield `</tbody></table></body></html>\n`;
}
