/**
 * LOCK (RFC 4918 §9.10): takes an exclusive or shared write lock of depth 0 or
 * infinity, creates an empty resource at an unmapped URL (201), or — without a
 * body — refreshes the locks whose tokens the `If` header submits.
 *
 * @module
 */

import type { DavRequestContext } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { parseLockInfo, readBodyText } from "../locks/lock_info.ts";
import { assertCanModify, checkIfHeader, lockRootHref } from "../locks/lock_guard.ts";
import type { ActiveLock, LockRecord } from "../locks/lock_record.ts";
import { lockResponseXml } from "../locks/lock_xml.ts";
import { assertParentCollection, statOrUndefined } from "./common.ts";

const XML_TYPE = "application/xml; charset=utf-8";

function depthOf(request: Request): 0 | "infinity" {
  const value = request.headers.get("Depth");
  if (value === null) return "infinity";
  const v = value.trim().toLowerCase();
  if (v === "infinity") return "infinity";
  if (v === "0") return 0;
  throw new DavError(400, "LOCK accepts Depth: 0 or infinity only");
}

function answer(
  ctx: DavRequestContext,
  granted: readonly LockRecord[],
  status: number,
  token?: string,
): Response {
  const body = lockResponseXml(granted, {
    href: (lock: ActiveLock) => lockRootHref(ctx, lock),
    now: ctx.locks.currentTime(),
  });
  const headers: Record<string, string> = { "Content-Type": XML_TYPE };
  if (token !== undefined) headers["Lock-Token"] = `<${token}>`;
  return new Response(body, { status, headers });
}

/** LOCK without a body: refresh the submitted locks covering the resource. */
async function refresh(ctx: DavRequestContext): Promise<Response> {
  const locks = ctx.locks;
  const check = await checkIfHeader(ctx);
  if (!check.present) {
    throw new DavError(400, "A lock refresh needs an If header with the lock token");
  }
  if (!check.evaluation!.result) throw new DavError(412, "The If header evaluated to false");
  const covering = locks.locksCovering(ctx.path).filter((lock) => check.submitted.has(lock.token));
  if (covering.length === 0) {
    throw new DavError(412, "No lock covering the resource was submitted for refresh");
  }
  const seconds = locks.timeoutFor(ctx.request.headers.get("Timeout"));
  const refreshed = covering
    .map((lock) => locks.refresh(lock.token, seconds))
    .filter((lock): lock is LockRecord => lock !== undefined);
  return answer(ctx, refreshed, 200);
}

/**
 * The LOCK handler.
 *
 * - With a `DAV:lockinfo` body: a false `If` header → 412; Depth other than 0 or
 *   infinity → 400; a conflicting lock on the resource, on an ancestor with depth
 *   infinity, or (for depth infinity) below it → 423 `no-conflicting-lock`; an
 *   unmapped URL gets an empty file (201; 409 without a parent collection; 423
 *   when the parent is locked and its token was not submitted); success → 200 with
 *   `Lock-Token` and the `lockdiscovery`.
 * - Without a body: a refresh of the locks covering the resource whose tokens the
 *   `If` header submits (400 without `If`, 412 when none), with the `Timeout`
 *   header's new timeout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { handleLock } from "./lock.ts";
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
 * const body = `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>
 *   <D:locktype><D:write/></D:locktype></D:lockinfo>`;
 * const lockA = () => context(new Request("http://h/a.txt", { method: "LOCK", body }));
 * const response = await handleLock(lockA());
 * assert.equal(response.status, 201); // an unmapped URL gets an empty file
 * assert.equal(await fs.readTextFile("/a.txt"), "");
 * const token = response.headers.get("Lock-Token");
 * assert.equal(token, `<${locks.locksCovering("/a.txt")[0].token}>`);
 * await assert.rejects(handleLock(lockA()), { status: 423 }); // already locked
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function handleLock(ctx: DavRequestContext): Promise<Response> {
  const locks = ctx.locks;
  if (ctx.readOnly) throw new DavError(403, "The server is read-only");
  const depth = depthOf(ctx.request);
  const text = (await readBodyText(ctx.request, ctx.maxXmlBytes)).trim();
  if (text === "") return await refresh(ctx);
  const info = parseLockInfo(text);

  const check = await checkIfHeader(ctx);
  if (check.present && !check.evaluation!.result) {
    throw new DavError(412, "The If header evaluated to false");
  }

  const existing = await statOrUndefined(ctx.fs, ctx.path);
  const exists = existing !== undefined;
  const collection = existing?.isDirectory ?? false;

  const conflicts = locks.conflicts(ctx.path, info.scope, depth);
  if (conflicts.length > 0) throw conflictError(ctx, conflicts);

  if (!exists) {
    await assertParentCollection(ctx.fs, ctx.path);
    // Creating a member changes its parent collection: locks there need their tokens.
    await assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);
  }

  const outcome = locks.tryLock({
    root: ctx.path,
    collection,
    scope: info.scope,
    depth,
    timeoutSeconds: locks.timeoutFor(ctx.request.headers.get("Timeout")),
    ...(info.ownerXml === undefined ? {} : { ownerXml: info.ownerXml }),
    ...(ctx.principal === undefined ? {} : { principal: ctx.principal }),
  });
  if (outcome.conflicts) throw conflictError(ctx, outcome.conflicts);
  const lock = outcome.lock;

  let status = 200;
  if (!exists) {
    try {
      await ctx.fs.writeFile(ctx.path, new Uint8Array(), { createNew: true });
      status = 201;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        locks.unlock(lock.token);
        throw error;
      }
    }
  }
  return answer(ctx, [lock], status, lock.token);
}

function conflictError(ctx: DavRequestContext, conflicts: readonly LockRecord[]): DavError {
  const hrefs = [...new Set(conflicts.map((lock) => lockRootHref(ctx, lock)))];
  return new DavError(423, "The resource is locked by a conflicting lock", {
    condition: "no-conflicting-lock",
    hrefs,
  });
}
