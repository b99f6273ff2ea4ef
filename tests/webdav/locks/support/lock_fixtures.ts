// Test support for the locking plugin: a BackupFS on an in-process EmbeddedStore,
// a lock manager with a controllable clock, and DavRequestContexts built by hand
// (mount prefix /dav on http://dav.test) so the LOCK/UNLOCK handlers and the lock
// guard can be called directly.

import { BackupFS } from "../../../../src/fs/backup_fs.ts";
import { normalizePath } from "../../../../src/fs/paths.ts";
import { EmbeddedStore } from "../../../../src/storage/store/mod.ts";
import type { DavRequestContext } from "../../../../webdav/dav_context.ts";
import { DavError } from "../../../../webdav/dav_error.ts";
import {
  MemoryLockManager,
  type MemoryLockManagerOptions,
} from "../../../../webdav/locks/lock_manager.ts";
import { assertCanModify, assertIfHeader } from "../../../../webdav/locks/lock_guard.ts";
import { handleLock } from "../../../../webdav/methods/lock.ts";
import { handleUnlock } from "../../../../webdav/methods/unlock.ts";

export const ORIGIN = "http://dav.test";
export const PREFIX = "/dav";

/** The href of a path under the mount prefix, percent-encoded per segment. */
export function href(path: string, collection = false): string {
  const encoded = path === "/" ? "" : path.split("/").map(encodeURIComponent).join("/");
  const base = `${PREFIX}${encoded}`;
  return collection ? `${base}/` : base;
}

/** The path an href or absolute URL names under the mount, or undefined. */
export function pathOf(hrefOrUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(hrefOrUrl, ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== ORIGIN) return undefined;
  if (url.pathname !== PREFIX && !url.pathname.startsWith(PREFIX + "/")) return undefined;
  try {
    const rest = url.pathname.slice(PREFIX.length).split("/").map(decodeURIComponent).join("/");
    return normalizePath(rest);
  } catch {
    return undefined;
  }
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  principal?: string;
  readOnly?: boolean;
  maxXmlBytes?: number;
}

export interface DavFixture {
  fs: BackupFS;
  locks: MemoryLockManager;
  /** The manager's clock (ms); tests move it forward. */
  clock: { now: number };
  /** A context for a request on `path` (a BackupFS path; a trailing `/` marks a collection URL). */
  ctx(path: string, options?: RequestOptions): DavRequestContext;
  close(): Promise<void>;
}

export async function openDav(
  options: Partial<MemoryLockManagerOptions> = {},
): Promise<DavFixture> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-davlocks-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  const fs = new BackupFS(store, { jobId: "dav-locks", chunkSize: 4096, metadataTtlMs: 0 });
  const clock = { now: 1_000_000 };
  const locks = new MemoryLockManager({ now: () => clock.now, ...options });
  return {
    fs,
    locks,
    clock,
    ctx(path, o = {}) {
      const trailingSlash = path.length > 1 && path.endsWith("/");
      const request = new Request(ORIGIN + href(normalizePath(path), trailingSlash), {
        method: o.method ?? "GET",
        headers: o.headers ?? {},
        ...(o.body === undefined ? {} : { body: o.body }),
      });
      const ctx: DavRequestContext = {
        request,
        fs,
        path: normalizePath(path),
        trailingSlash,
        href,
        pathOf,
        readOnly: o.readOnly ?? false,
        locks,
        maxXmlBytes: o.maxXmlBytes ?? 1024 * 1024,
      };
      if (o.principal !== undefined) ctx.principal = o.principal;
      return ctx;
    },
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs `fn` and returns the DavError it throws (fails when it does not throw one). */
export async function davError(fn: () => Promise<unknown>): Promise<DavError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof DavError) return error;
    throw error;
  }
  throw new Error("expected a DavError, nothing was thrown");
}

/** A lockinfo body. */
export function lockinfo(
  scope: "exclusive" | "shared",
  owner: string | null = "litmus test suite",
): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:lockinfo xmlns:D="DAV:">` +
    `<D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype>` +
    (owner === null ? "" : `<D:owner>${owner}</D:owner>`) + `</D:lockinfo>`;
}

/** The `"checksum"` ETag of a path. */
export async function etagOf(fs: BackupFS, path: string): Promise<string> {
  const info = await fs.stat(path);
  if (info.etag === undefined) throw new Error(`${path} has no etag`);
  return `"${info.etag}"`;
}

/**
 * A tiny stand-in for the core app, enough to drive the locking plugin the way
 * litmus does: LOCK and UNLOCK go to the real handlers; PUT, DELETE, MOVE, COPY,
 * PROPPATCH and GET call the lock guard as the core handlers do, then act on the
 * BackupFS. DavErrors become their status (and condition in `X-Condition`).
 */
export function send(
  fx: DavFixture,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Response> {
  return dispatch(fx, fx.ctx(path, { ...options, method }));
}

/** Like {@link send}, for a request that arrived over HTTP (its URL is rebased on {@link ORIGIN}). */
export function serveRequest(fx: DavFixture, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const rebased = new Request(ORIGIN + url.pathname, request);
  const path = pathOf(rebased.url);
  if (path === undefined) return Promise.resolve(new Response(null, { status: 404 }));
  const ctx = fx.ctx(path);
  return dispatch(fx, { ...ctx, request: rebased, trailingSlash: url.pathname.endsWith("/") });
}

async function dispatch(fx: DavFixture, ctx: DavRequestContext): Promise<Response> {
  const method = ctx.request.method;
  const headers = ctx.request.headers;
  try {
    switch (method) {
      case "LOCK":
        return await handleLock(ctx);
      case "UNLOCK":
        return await handleUnlock(ctx);
      case "GET":
        await assertIfHeader(ctx);
        return new Response((await fx.fs.readFile(ctx.path)).slice());
      case "PUT": {
        await assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);
        const existed = await fx.fs.exists(ctx.path);
        await fx.fs.writeFile(ctx.path, new Uint8Array(await ctx.request.arrayBuffer()));
        return new Response(null, { status: existed ? 204 : 201 });
      }
      case "PROPPATCH":
        await assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);
        await fx.fs.stat(ctx.path);
        return new Response(null, { status: 207 });
      case "DELETE":
        await assertCanModify(ctx, [{ path: ctx.path, depth: "infinity" }]);
        await fx.fs.remove(ctx.path, { recursive: true });
        ctx.locks.removeTree(ctx.path);
        return new Response(null, { status: 204 });
      case "MKCOL":
        await assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);
        await fx.fs.mkdir(ctx.path);
        return new Response(null, { status: 201 });
      case "MOVE":
      case "COPY": {
        const destination = pathOf(headers.get("Destination") ?? "");
        if (destination === undefined) return new Response(null, { status: 502 });
        const targets = [{ path: destination, depth: "infinity" as const }];
        if (method === "MOVE") targets.unshift({ path: ctx.path, depth: "infinity" });
        await assertCanModify(ctx, targets);
        const existed = await fx.fs.exists(destination);
        if (existed) await fx.fs.remove(destination, { recursive: true });
        ctx.locks.removeTree(destination);
        if (method === "MOVE") {
          await fx.fs.rename(ctx.path, destination);
          ctx.locks.removeTree(ctx.path);
        } else await fx.fs.copy(ctx.path, destination, { recursive: true });
        return new Response(null, { status: existed ? 204 : 201 });
      }
      default:
        return new Response(null, { status: 405 });
    }
  } catch (error) {
    await ctx.request.body?.cancel().catch(() => {});
    if (error instanceof DavError) {
      return new Response(error.hrefs.join(" "), {
        status: error.status,
        headers: error.condition ? { "X-Condition": error.condition } : {},
      });
    }
    if (error instanceof Deno.errors.NotFound) return new Response(null, { status: 404 });
    throw error;
  }
}
