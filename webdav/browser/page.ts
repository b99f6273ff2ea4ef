/**
 * The answer to GET or HEAD on a collection: the file manager page
 * (`html_listing.ts`) with its security headers (`page_security.ts`), its links
 * and requests built from the request context's hrefs (mount prefix included).
 *
 * @module
 */

import type { DavRequestContext } from "../dav_context.ts";
import { htmlListing } from "./html_listing.ts";
import { pageHeaders } from "./page_security.ts";

/** Options of {@link collectionPage}. */
export interface CollectionPageOptions {
  /** The collection's last change, sent as `Last-Modified`. */
  lastModified?: Date;
}

/**
 * The page of the request's collection (no body for HEAD).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { encodeHref } from "../http/href.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { collectionPage } from "./page.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.mkdir("/docs");
 * await fs.writeTextFile("/docs/a b.txt", "x");
 * const ctx: DavRequestContext = {
 *   request: new Request("http://h/dav/docs/"),
 *   fs,
 *   path: "/docs",
 *   trailingSlash: true,
 *   href: (path, collection) => encodeHref(path, { prefix: "/dav", collection }),
 *   pathOf: () => undefined,
 *   readOnly: false,
 *   locks: new MemoryLockManager(),
 *   maxXmlBytes: 1 << 20,
 * };
 * const page = collectionPage(ctx);
 * assert.equal(page.status, 200);
 * assert.match(page.headers.get("Content-Security-Policy") ?? "", /script-src 'sha256-/);
 * const html = await page.text();
 * assert.ok(html.includes('href="/dav/docs/a%20b.txt"'));
 * assert.ok(html.includes('<a href="/dav/">Home</a>'));
 * const head = collectionPage({ ...ctx, request: new Request(ctx.request, { method: "HEAD" }) });
 * assert.equal(head.body, null);
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function collectionPage(
  ctx: DavRequestContext,
  options?: CollectionPageOptions,
): Response {
  const headers = pageHeaders();
  if (options?.lastModified) headers.set("Last-Modified", options.lastModified.toUTCString());
  if (ctx.request.method === "HEAD") return new Response(null, { status: 200, headers });
  const body = htmlListing(ctx.fs, ctx.path, { href: ctx.href, readOnly: ctx.readOnly });
  return new Response(body, { status: 200, headers });
}
