/**
 * GET on a collection: an HTML page listing its members — names, sizes, dates,
 * links (a download link for each file), breadcrumbs and a link to the parent —
 * streamed while the directory is read, every name escaped and every href
 * percent-encoded under the mount prefix. With the inline script of
 * `file_manager_script.ts` the page becomes a small file manager (upload, new
 * folder, rename, delete, sorting); without JavaScript it stays a working
 * listing. A read-only server's page has no editing controls.
 *
 * @module
 */

import { formatSize } from "../../src/cli/human_size.ts";
import { type BackupFS, joinPath } from "../../src/fs/mod.ts";
import { statEach } from "../properties/members.ts";
import { textStream } from "../xml/write.ts";
import { FILE_MANAGER_SCRIPT } from "./file_manager_script.ts";
import { FILE_MANAGER_STYLE } from "./file_manager_style.ts";

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

/** Options of {@link htmlListing}. */
export interface HtmlListingOptions {
  /** The href of a path (percent-encoded, mount prefix included). */
  href: (path: string, collection?: boolean) => string;
  /** Stats fetched at once while listing (default 8). */
  concurrency?: number;
  /** Whether the server refuses changes: no editing controls (default false). */
  readOnly?: boolean;
}

/**
 * The HTML page of a directory as a stream. The directory is read as the page
 * is written (with `concurrency` stats in flight), so a huge directory needs no
 * more memory than a small one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { encodeHref } from "../http/href.ts";
 * import { htmlListing } from "./html_listing.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.writeTextFile("/<b> & c.txt", "x");
 * const href = (p: string, collection?: boolean) => encodeHref(p, { prefix: "/dav", collection });
 * const html = await new Response(htmlListing(fs, "/", { href })).text();
 * assert.ok(html.includes("&lt;b&gt; &amp; c.txt"));
 * assert.ok(!html.includes("<b>"));
 * assert.ok(html.includes('href="/dav/%3Cb%3E%20%26%20c.txt"'));
 * assert.ok(html.includes('data-base="/dav/"'));
 * assert.ok(html.includes('id="tools"'));
 * assert.ok(!html.includes("This folder is empty."));
 * const readOnly = await new Response(htmlListing(fs, "/", { href, readOnly: true })).text();
 * assert.ok(!readOnly.includes('id="tools"'));
 * await fs.mkdir("/empty");
 * const empty = await new Response(htmlListing(fs, "/empty", { href })).text();
 * assert.ok(empty.includes("This folder is empty."));
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

/** A date for people, the same everywhere: `2026-12-03 07:05 UTC`. */
function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function breadcrumbs(path: string, href: HtmlListingOptions["href"]): string {
  const segments = path.split("/").filter((segment) => segment !== "");
  const parts = [`<a href="${escapeHtml(href("/", true))}">Home</a>`];
  let current = "";
  for (const segment of segments) {
    current = `${current}/${segment}`;
    parts.push(`<a href="${escapeHtml(href(current, true))}">${escapeHtml(segment)}</a>`);
  }
  return `<nav class="crumbs" aria-label="Path">${parts.join(" / ")}</nav>`;
}

const TOOLS = `<section id="tools" hidden aria-label="Changes">` +
  `<label class="pick">Upload files\u2026<input id="upload-input" type="file" multiple></label>` +
  `<form id="mkdir-form"><input id="mkdir-name" type="text" name="name" required ` +
  `autocomplete="off" placeholder="New folder name" aria-label="New folder name">` +
  `<button type="submit">Create folder</button></form>` +
  `<p class="hint">or drop files anywhere on this page</p></section>\n`;

async function* pages(
  fs: BackupFS,
  path: string,
  options: HtmlListingOptions,
): AsyncGenerator<string> {
  const { href } = options;
  const readOnly = options.readOnly ?? false;
  const title = escapeHtml(`Index of ${path}`);
  const name = path === "/" ? "Home" : path.slice(path.lastIndexOf("/") + 1);
  yield `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<link rel="icon" href="data:,"><style>${FILE_MANAGER_STYLE}</style></head>` +
    `<body data-base="${escapeHtml(href(path, true))}" data-readonly="${readOnly}">` +
    breadcrumbs(path, href) +
    `<h1>${escapeHtml(name)}${readOnly ? '<span class="badge">read-only</span>' : ""}</h1>\n` +
    (readOnly ? "" : TOOLS) +
    `<div id="status" role="status" aria-live="polite" hidden></div><ul id="uploads"></ul>\n` +
    `<table id="listing"><thead><tr><th data-sort="name">Name</th>` +
    `<th class="size" data-sort="size">Size</th><th data-sort="date">Last modified</th>` +
    `<th><span hidden>Actions</span></th></tr></thead><tbody>\n`;
  if (path !== "/") {
    const parent = joinPath(path, "..");
    yield `<tr class="parent"><td class="name"><a href="${escapeHtml(href(parent, true))}">` +
      `../</a></td><td class="size"></td><td class="date"></td><td class="actions"></td></tr>\n`;
  }
  let members = 0;
  for await (const [member, info] of statEach(fs, path, options.concurrency ?? 8)) {
    if (!info) continue;
    members++;
    const link = escapeHtml(href(joinPath(path, member), info.isDirectory));
    const label = escapeHtml(info.isDirectory ? `${member}/` : member);
    const mtime = info.mtime ? info.mtime.getTime() : 0;
    const size = info.isDirectory
      ? `<td class="size"></td>`
      : `<td class="size" title="${info.size} bytes">${formatSize(info.size)}</td>`;
    const date = info.mtime
      ? `<time datetime="${info.mtime.toISOString()}">${formatDate(info.mtime)}</time>`
      : "";
    const download = info.isDirectory
      ? ""
      : `<a class="download" href="${link}" download="${escapeHtml(member)}">Download</a>`;
    yield `<tr data-name="${escapeHtml(member)}" ` +
      `data-kind="${info.isDirectory ? "collection" : "file"}" ` +
      `data-size="${info.isDirectory ? -1 : info.size}" data-mtime="${mtime}">` +
      `<td class="name"><a href="${link}">${label}</a></td>${size}` +
      `<td class="date">${date}</td><td class="actions">${download}</td></tr>\n`;
  }
  if (members === 0) yield `<tr class="empty"><td colspan="4">This folder is empty.</td></tr>\n`;
  yield `</tbody></table><script>${FILE_MANAGER_SCRIPT}</script></body></html>\n`;
}
