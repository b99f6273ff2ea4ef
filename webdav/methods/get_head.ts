/**
 * GET and HEAD: files streamed from BackupFS (never buffered whole) with strong
 * ETags, `Last-Modified`, conditional requests, single and multiple byte ranges
 * and `If-Range`; collections answer with the browser's file manager page
 * (`browser/page.ts`).
 *
 * @module
 */

import type { DavHandler, DavRequestContext } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { assertIfHeader } from "../locks/lock_guard.ts";
import type { BackupFileInfo } from "../../src/fs/mod.ts";
import { collectionPage } from "../browser/page.ts";
import { assertPreconditions } from "../http/conditional.ts";
import { type ByteRange, ifRangeAllows, parseRange } from "../http/range.ts";
import { contentTypeOf } from "../properties/resource_properties.ts";
import { validators } from "./common.ts";

/**
 * The GET and HEAD handler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { getOrHead } from "./get_head.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * const locks = new MemoryLockManager();
 * const context = (request: Request): DavRequestContext => ({
 *   request,
 *   fs,
 *   path: new URL(request.url).pathname,
 *   trailingSlash: false,
 *   href: (path) => path,
 *   pathOf: (href) => new URL(href, request.url).pathname,
 *   readOnly: false,
 *   locks,
 *   maxXmlBytes: 1 << 20,
 * });
 * await fs.writeTextFile("/a.txt", "hello world");
 * const response = await getOrHead(context(new Request("http://h/a.txt")));
 * assert.equal(response.status, 200);
 * assert.equal(response.headers.get("ETag"), `"${(await fs.stat("/a.txt")).etag}"`);
 * assert.equal(await response.text(), "hello world");
 * const range = new Request("http://h/a.txt", { headers: { Range: "bytes=0-4" } });
 * const partial = await getOrHead(context(range));
 * assert.equal(partial.status, 206);
 * assert.equal(await partial.text(), "hello");
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const getOrHead: DavHandler = async (ctx) => {
  const info = await ctx.fs.stat(ctx.path);
  await assertIfHeader(ctx);
  const state = validators(info);
  assertPreconditions(ctx.request, state);
  const head = ctx.request.method === "HEAD";
  if (info.isDirectory) {
    // The browser's file manager page (webdav/browser/).
    return collectionPage(ctx, state.lastModified ? { lastModified: state.lastModified } : {});
  }
  const headers = new Headers({
    "Accept-Ranges": "bytes",
    "Content-Type": contentTypeOf({ path: ctx.path, info }),
  });
  if (state.etag) headers.set("ETag", state.etag);
  if (state.lastModified) headers.set("Last-Modified", state.lastModified.toUTCString());
  let range = parseRange(ctx.request.headers.get("range"), info.size);
  if (range.kind !== "full" && !ifRangeAllows(ctx.request.headers.get("if-range"), state)) {
    range = { kind: "full" };
  }
  if (range.kind === "unsatisfiable") {
    throw new DavError(416, "Range Not Satisfiable", {
      headers: { "Content-Range": `bytes */${info.size}` },
    });
  }
  if (range.kind === "full") {
    headers.set("Content-Length", String(info.size));
    if (head) return new Response(null, { status: 200, headers });
    // Pieces are only written out: views of the cache's bytes (no copy) will do.
    const body = await ctx.fs.readStream(ctx.path, { version: info, shared: true });
    return new Response(body, { status: 200, headers });
  }
  if (range.ranges.length === 1) {
    const only = range.ranges[0]!;
    headers.set("Content-Range", `bytes ${only.start}-${only.end - 1}/${info.size}`);
    headers.set("Content-Length", String(only.end - only.start));
    if (head) return new Response(null, { status: 206, headers });
    const body = await ctx.fs.readStream(ctx.path, {
      start: only.start,
      end: only.end,
      version: info,
      shared: true,
    });
    return new Response(body, { status: 206, headers });
  }
  const boundary = `backupfs-${crypto.randomUUID()}`;
  const contentType = headers.get("Content-Type")!;
  const parts = range.ranges.map((r) => ({
    range: r,
    head: `\r\n--${boundary}\r\nContent-Type: ${contentType}\r\n` +
      `Content-Range: bytes ${r.start}-${r.end - 1}/${info.size}\r\n\r\n`,
  }));
  const tail = `\r\n--${boundary}--\r\n`;
  const encoder = new TextEncoder();
  const length = parts.reduce(
    (sum, part) => sum + encoder.encode(part.head).byteLength + part.range.end - part.range.start,
    encoder.encode(tail).byteLength,
  );
  headers.set("Content-Type", `multipart/byteranges; boundary=${boundary}`);
  headers.set("Content-Length", String(length));
  if (head) return new Response(null, { status: 206, headers });
  return new Response(multipartStream(ctx, info, { parts, tail }), { status: 206, headers });
};

function multipartStream(
  ctx: DavRequestContext,
  info: BackupFileInfo,
  body: { parts: { range: ByteRange; head: string }[]; tail: string },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (const part of body.parts) {
      yield encoder.encode(part.head);
      const stream = await ctx.fs.readStream(ctx.path, {
        start: part.range.start,
        end: part.range.end,
        version: info,
        shared: true,
      });
      yield* stream;
    }
    yield encoder.encode(body.tail);
  }
  const iterator = pieces();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return(undefined);
    },
  });
}
