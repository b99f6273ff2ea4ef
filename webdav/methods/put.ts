/**
 * PUT: the request body streams into `BackupFS.writeFile` (chunked transfer and
 * Finder's `X-Expected-Entity-Length` work as they come); the new version appears
 * only when the whole body arrived, so an aborted upload leaves the old one.
 * `X-OC-Mtime` (ownCloud/rclone) sets the modification time.
 *
 * @module
 */

import type { DavHandler, DavRequestContext } from "../dav_context.ts";
import type { MemoryLease } from "../../src/http/mod.ts";
import { hasBody } from "../../src/http/request_body.ts";
import { DavError } from "../dav_error.ts";
import { assertCanModify } from "../locks/lock_guard.ts";
import { type BackupFileInfo, readPieces } from "../../src/fs/mod.ts";
import { assertPreconditions, parseEtagList, quoteEtag } from "../http/conditional.ts";
import {
  allowFor,
  assertParentCollection,
  assertWritable,
  statOrUndefined,
  validators,
} from "./common.ts";

/**
 * Parses `X-OC-Mtime` (Unix seconds, possibly fractional) into ms since the epoch;
 * `undefined` when absent, DavError 400 when malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOcMtime } from "./put.ts";
 * assert.equal(parseOcMtime("1700000000"), 1700000000000);
 * assert.equal(parseOcMtime("1.5"), 1500);
 * assert.equal(parseOcMtime(null), undefined);
 * assert.throws(() => parseOcMtime("yesterday"), { status: 400 });
 * ```
 */
export function parseOcMtime(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0 || seconds > 253402300799) {
    throw new DavError(400, "X-OC-Mtime must be Unix seconds");
  }
  return Math.round(seconds * 1000);
}

/**
 * The PUT handler: 201 when created, 204 when replaced (with the new ETag), 409
 * without a parent collection, 405 on a collection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { put } from "./put.ts";
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
 * const upload = (text: string) => context(new Request("http://h/a.txt", { method: "PUT", body: text }));
 * assert.equal((await put(upload("hello"))).status, 201); // created
 * const replaced = await put(upload("hello again"));
 * assert.equal(replaced.status, 204);
 * assert.equal(replaced.headers.get("ETag"), `"${(await fs.stat("/a.txt")).etag}"`);
 * assert.equal(await fs.readTextFile("/a.txt"), "hello again");
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const put: DavHandler = async (ctx) => {
  const request = ctx.request;
  let before: BackupFileInfo | undefined;
  let written: BackupFileInfo;
  let lease: MemoryLease | undefined;
  const failure: { error?: unknown } = {};
  try {
    assertWritable(ctx);
    if (request.headers.has("content-range")) {
      throw new DavError(400, "Partial PUT (Content-Range) is not supported");
    }
    const mtime = parseOcMtime(request.headers.get("x-oc-mtime"));
    before = await statOrUndefined(ctx.fs, ctx.path);
    if (before?.isDirectory || ctx.path === "/") {
      throw new DavError(405, "PUT on a collection", {
        headers: { Allow: allowFor(before) },
      });
    }
    assertPreconditions(request, validators(before));
    await assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);
    if (!before) await assertParentCollection(ctx.fs, ctx.path);
    const sent = hasBody(request);
    lease = sent ? await admitUpload(ctx) : undefined;
    const body = sent ? await bodyOf(request, failure) : new Uint8Array(0);
    // A client that goes away errors the body stream: writeFile then fails and the
    // old version stays. `If-None-Match: *` (create, never replace) is checked
    // again, atomically, as the new version commits: a file another client created
    // since the check above makes this PUT fail, and that file stays.
    // The other conditions (If-Match, If-Unmodified-Since) are evaluated again once
    // the body is stored, against a version another client may have written since.
    written = await ctx.fs.writeFile(ctx.path, body, {
      ...(mtime === undefined ? {} : { mtime }),
      ...(createOnly(request) ? { createNew: true } : {}),
      ...(conditional(request)
        ? { precondition: (current) => assertPreconditions(request, validators(current)) }
        : {}),
    });
  } catch (error) {
    // Nothing will read the rest of the body: release it.
    await request.body?.cancel().catch(() => {});
    if (error instanceof Deno.errors.AlreadyExists && createOnly(request)) {
      throw new DavError(412, "Precondition Failed: the resource was created meanwhile");
    }
    if (failure.error !== undefined) {
      // The client went away or sent a broken body: the upload failed, the old version stays.
      throw new DavError(400, "The request body could not be read", { cause: failure.error });
    }
    throw error;
  } finally {
    lease?.release();
  }
  const headers = new Headers();
  if (request.headers.has("x-oc-mtime")) headers.set("X-OC-Mtime", "accepted");
  const etag = quoteEtag(written.etag);
  if (etag) {
    headers.set("ETag", etag);
    headers.set("OC-ETag", etag);
  }
  return new Response(null, { status: before ? 204 : 201, headers });
};

/**
 * Takes the upload's share of the memory budget: what it will hold at most — a
 * body read whole twice over (the body and its chunk), a streamed one its declared
 * length or the per-upload bound, whichever is smaller. Waits in turn; 503 with
 * `Retry-After` after the admission's wait.
 */
async function admitUpload(ctx: DavRequestContext): Promise<MemoryLease | undefined> {
  const admission = ctx.uploads;
  if (!admission) return undefined;
  const declared = Number(ctx.request.headers.get("content-length") ?? NaN);
  const known = Number.isSafeInteger(declared) && declared >= 0;
  const bytes = known && declared <= WHOLE_BODY_BYTES
    ? 2 * declared
    : Math.min(known ? declared : Infinity, admission.perUploadBytes);
  const lease = await admission.budget.acquire(bytes, {
    waitMs: admission.waitMs,
    signal: ctx.request.signal,
  });
  if (!lease) {
    throw new DavError(503, "Too many uploads in progress: try again shortly", {
      headers: { "Retry-After": "5" },
    });
  }
  return lease;
}

/** Bodies declared this small are read whole, then written in one go. */
const WHOLE_BODY_BYTES = 256 * 1024;

/**
 * The body: read whole when its declared length is small (one read, no stream
 * layers: small files are the many), else as a stream of pieces. Records in
 * `failure` an error of the client's side.
 */
async function bodyOf(
  request: Request,
  failure: { error?: unknown },
): Promise<Uint8Array | AsyncIterable<Uint8Array>> {
  const declared = request.headers.get("content-length");
  const length = declared === null ? NaN : Number(declared);
  if (!(Number.isSafeInteger(length) && length >= 0 && length <= WHOLE_BODY_BYTES)) {
    return guardBody(request.body!, failure);
  }
  try {
    return await request.bytes();
  } catch (error) {
    failure.error = error;
    throw error;
  }
}

/**
 * The body's pieces, read in large BYOB pieces into one reused buffer (writeFile
 * copies each before asking for the next); records in `failure` an error of the
 * client's side. Stopping early cancels the body.
 */
async function* guardBody(
  body: ReadableStream<Uint8Array>,
  failure: { error?: unknown },
): AsyncGenerator<Uint8Array> {
  const pieces = readPieces(body);
  let ended = false;
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await pieces.next();
      } catch (error) {
        ended = true;
        failure.error = error;
        throw error;
      }
      if (next.done) {
        ended = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // The consumer stopped early: cancel the body.
    if (!ended) await pieces.return(undefined);
  }
}

/** Whether the request may only create (`If-None-Match: *`), never replace. */
function createOnly(request: Request): boolean {
  const header = request.headers.get("if-none-match");
  return header !== null && parseEtagList(header) === "*";
}

/** Whether the request carries a condition on the version it replaces. */
function conditional(request: Request): boolean {
  const headers = request.headers;
  return headers.has("if-match") || headers.has("if-unmodified-since") ||
    (headers.has("if-none-match") && !createOnly(request));
}
