/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9): `Destination` an absolute URI or an
 * absolute path (else 400), on this server only (else 502), `Depth` (COPY: 0 or infinity; MOVE: infinity), `Overwrite` (412 when F
 * and the destination exists; an existing destination is deleted first), 201 or
 * 204. Dead properties travel with the data (BackupFS copies the metadata blob).
 * A destination equal to the source, inside a source collection, or containing
 * the source (one of its ancestors) is refused with 403 before anything changes.
 *
 * @module
 */

import type { DavHandler, DavRequestContext } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { assertCanModify } from "../locks/lock_guard.ts";
import { assertPreconditions } from "../http/conditional.ts";
import { readDeadProperties, updateDeadProperties } from "../properties/dead_properties.ts";
import { assertParentCollection, assertWritable, statOrUndefined, validators } from "./common.ts";

function destinationOf(ctx: DavRequestContext): string {
  const header = ctx.request.headers.get("destination");
  if (header === null || header.trim() === "") {
    throw new DavError(400, "Destination header required");
  }
  let path: string | undefined;
  try {
    path = ctx.pathOf(header);
  } catch (error) {
    if (error instanceof DavError && error.status === 400) {
      throw new DavError(400, `Bad Destination (RFC 4918 §10.3): ${error.message}`);
    }
    throw error;
  }
  if (path === undefined) {
    throw new DavError(502, "The destination is not on this server");
  }
  return path;
}

function overwriteOf(request: Request): boolean {
  const value = request.headers.get("overwrite");
  if (value === null) return true;
  const trimmed = value.trim().toUpperCase();
  if (trimmed === "T") return true;
  if (trimmed === "F") return false;
  throw new DavError(400, "Overwrite must be T or F");
}

function depthOf(request: Request, move: boolean): 0 | "infinity" {
  const value = request.headers.get("depth")?.trim().toLowerCase();
  if (value === undefined || value === "infinity") return "infinity";
  if (value === "0" && !move) return 0;
  throw new DavError(
    400,
    move ? "MOVE requires Depth: infinity" : "COPY takes Depth 0 or infinity",
  );
}

function transfer(move: boolean): DavHandler {
  return async (ctx) => {
    assertWritable(ctx);
    const request = ctx.request;
    const depth = depthOf(request, move);
    const overwrite = overwriteOf(request);
    const destination = destinationOf(ctx);
    const source = await ctx.fs.stat(ctx.path);
    if (destination === ctx.path) {
      throw new DavError(403, "Source and destination are the same");
    }
    if (
      source.isDirectory &&
      (ctx.path === "/" || destination.startsWith(`${ctx.path}/`))
    ) {
      throw new DavError(403, "Cannot copy or move a collection into itself");
    }
    // The destination contains the source: replacing it would delete the source
    // before it is read (Apache answers the same).
    if (destination !== "/" && ctx.path.startsWith(`${destination}/`)) {
      throw new DavError(403, "The destination contains the source");
    }
    if (move && ctx.path === "/") throw new DavError(403, "The root cannot be moved");
    if (destination === "/") throw new DavError(403, "The root cannot be replaced");
    assertPreconditions(request, validators(source));
    const targets = [{ path: destination, depth: "infinity" as const }];
    if (move) targets.unshift({ path: ctx.path, depth: "infinity" as const });
    // Locks granted while this request runs are not the ones it checked: they stay.
    const grantedBefore = ctx.locks.checkpoint();
    await assertCanModify(ctx, targets);
    const existing = await statOrUndefined(ctx.fs, destination);
    if (existing && !overwrite) {
      throw new DavError(412, "The destination exists and Overwrite is F");
    }
    if (!existing) await assertParentCollection(ctx.fs, destination);
    if (existing) {
      if (source.isFile && existing.isFile) {
        // A file replaces a file atomically: no delete needed.
      } else {
        await ctx.fs.remove(destination, { recursive: true });
      }
      ctx.locks.removeTree(destination, { grantedBefore });
    }
    // Overwrite: F holds until the copy commits: a destination another client
    // creates meanwhile is kept, and this request fails.
    const createNew = !overwrite;
    try {
      if (move) {
        await ctx.fs.rename(ctx.path, destination, { createNew });
        ctx.locks.removeTree(ctx.path, { grantedBefore });
      } else if (source.isFile) {
        await ctx.fs.copyFile(ctx.path, destination, { createNew });
      } else if (depth === 0) {
        await ctx.fs.mkdir(destination);
        const properties = await readDeadProperties(ctx.fs, ctx.path);
        const changes = Object.entries(properties).map(([name, value]) => ({ name, value }));
        if (changes.length > 0) await updateDeadProperties(ctx.fs, destination, changes);
      } else {
        await ctx.fs.copy(ctx.path, destination, { recursive: true, createNew });
      }
    } catch (error) {
      if (createNew && error instanceof Deno.errors.AlreadyExists) {
        throw new DavError(412, "The destination was created meanwhile and Overwrite is F");
      }
      throw error;
    }
    return new Response(null, { status: existing ? 204 : 201 });
  };
}

/**
 * The COPY handler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { copy } from "./copy_move.ts";
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
 * await fs.writeTextFile("/a.txt", "hello");
 * const copyTo = (destination: string, overwrite = "T") =>
 *   context(new Request("http://h/a.txt", { method: "COPY", headers: { Destination: destination, Overwrite: overwrite } }));
 * assert.equal((await copy(copyTo("/b.txt"))).status, 201); // created
 * assert.equal(await fs.readTextFile("/b.txt"), "hello");
 * assert.equal((await copy(copyTo("/b.txt"))).status, 204); // replaced
 * await assert.rejects(copy(copyTo("/b.txt", "F")), { status: 412 });
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const copy: DavHandler = transfer(false);

/**
 * The MOVE handler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { move } from "./copy_move.ts";
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
 * await fs.writeTextFile("/a.txt", "hello");
 * const request = new Request("http://h/a.txt", { method: "MOVE", headers: { Destination: "/b.txt" } });
 * assert.equal((await move(context(request))).status, 201);
 * assert.equal(await fs.readTextFile("/b.txt"), "hello");
 * await assert.rejects(fs.stat("/a.txt"), Deno.errors.NotFound);
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const move: DavHandler = transfer(true);
