/**
 * PROPFIND (RFC 4918 §9.1): Depth 0, 1 and infinity (the subtree streamed from
 * one scan of its object names, `propfind_subtree.ts`; or refused with 403
 * `propfind-finite-depth` when so configured), `allprop` (with `include`), `prop`
 * and `propname`.
 * Only what is asked is computed; values come from `stat` and the extended
 * attributes, never from file bytes; the 207 reply is written while the
 * collection is listed, each member's response built without an await unless a
 * value must wait (dead properties, quota). The request body is read by
 * `propfind_body.ts`, each resource's response written by `propfind_response.ts`.
 *
 * @module
 */

import type { DavHandler, DavRequestContext } from "../dav_context.ts";
import type { BackupFileInfo, ExtendedAttributes } from "../../src/fs/mod.ts";
import { DavError } from "../dav_error.ts";
import { assertIfHeader } from "../locks/lock_guard.ts";
import { MemoryBudget } from "../../src/http/mod.ts";
import type {
  DavResource,
  LivePropertyEnvironment,
  QuotaInfo,
} from "../properties/live_property.ts";
import { MULTISTATUS_CLOSE, MULTISTATUS_OPEN } from "../xml/write.ts";
import { isPlainAllprop, plainAllpropResponse } from "./allprop_fast.ts";
import { readPropfindBody } from "./propfind_body.ts";
import { subtreeBatches } from "./propfind_subtree.ts";
import {
  deadPropertiesIn,
  NO_DEAD,
  propfindPlan,
  propfindResponse,
  renderResponse,
} from "./propfind_response.ts";

/** The request's Depth (absent means infinity, RFC 4918 §9.1); infinity refused with 403 when asked. */
function depthOf(request: Request, refuseInfinity: boolean): 0 | 1 | "infinity" {
  const value = request.headers.get("depth")?.trim().toLowerCase();
  if (value === "0") return 0;
  if (value === "1") return 1;
  if (value === undefined || value === "infinity") {
    if (!refuseInfinity) return "infinity";
    throw new DavError(403, "PROPFIND with Depth: infinity is refused by this server", {
      condition: "propfind-finite-depth",
    });
  }
  throw new DavError(400, "Depth must be 0, 1 or infinity");
}

/** Options of {@link createPropfindHandler}. */
export interface PropfindOptions {
  /** Storage usage for the RFC 4331 quota properties. */
  quota?: () => Promise<QuotaInfo>;
  /** Stats (and attribute reads) in flight while listing a collection (default 8). */
  concurrency?: number;
  /**
   * Depth 1 and infinity listings answered at once (default 32): each holds a
   * bounded state (a page of members, a few held back, 64 KiB of reply) while its
   * reply streams, so beyond this they wait in turn; after
   * `listingWaitMs` (default 30 s) one is answered 503 with `Retry-After`.
   */
  maxListings?: number;
  /** Longest wait for a listing's turn, in ms (default 30 s). */
  listingWaitMs?: number;
  /**
   * `Depth: infinity` (and a PROPFIND without Depth): answered, streamed from one
   * scan of the subtree (`"allow"`, the default), or refused with 403
   * `propfind-finite-depth` (`"refuse"`).
   */
  depthInfinity?: "allow" | "refuse";
}

/** Default number of Depth 1 listings answered at once. */
export const DEFAULT_MAX_LISTINGS = 32;

/**
 * The PROPFIND handler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { MemoryLockManager } from "../locks/lock_manager.ts";
 * import { createPropfindHandler } from "./propfind.ts";
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
 * const propfind = createPropfindHandler({
 *   quota: () => Promise.resolve({ usedBytes: 0, availableBytes: 1024 }),
 * });
 * await fs.writeTextFile("/a.txt", "hello");
 * const request = (depth: string, body?: string) =>
 *   context(new Request("http://h/", { method: "PROPFIND", headers: { Depth: depth }, body }));
 * const listing = await propfind(request("1")); // no body: allprop
 * assert.equal(listing.status, 207);
 * assert.ok((await listing.text()).includes("<D:href>/a.txt</D:href>"));
 * const quota = await propfind(request(
 *   "0",
 *   '<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/></D:prop></D:propfind>',
 * ));
 * assert.ok((await quota.text()).includes("<D:quota-available-bytes>1024</D:quota-available-bytes>"));
 * const deep = await propfind(request("infinity")); // the whole tree
 * assert.ok((await deep.text()).includes("<D:href>/a.txt</D:href>"));
 * const refusing = createPropfindHandler({ depthInfinity: "refuse" });
 * await assert.rejects(refusing(request("infinity")), { status: 403 });
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function createPropfindHandler(options?: PropfindOptions): DavHandler {
  const concurrency = Math.max(1, options?.concurrency ?? 8);
  const listings = new MemoryBudget(Math.max(1, options?.maxListings ?? DEFAULT_MAX_LISTINGS));
  const listingWaitMs = options?.listingWaitMs ?? 30_000;
  const quota = options?.quota;
  const refuseInfinity = options?.depthInfinity === "refuse";
  return async (ctx) => {
    const depth = depthOf(ctx.request, refuseInfinity);
    const request = await readPropfindBody(ctx.request, { maxBytes: ctx.maxXmlBytes });
    const info = await ctx.fs.stat(ctx.path);
    await assertIfHeader(ctx);
    const env = environment(ctx, quota);
    const first = await propfindResponse({ path: ctx.path, info }, request, env);
    const plan = propfindPlan(request);
    const plainAllprop = isPlainAllprop(plan);
    const listing = depth !== 0 && info.isDirectory;
    // A listing waits for its turn (memory stays bounded whatever the number of clients).
    const turn = listing
      ? await listings.acquire(1, { waitMs: listingWaitMs, signal: ctx.request.signal })
      : undefined;
    if (listing && !turn) {
      throw new DavError(503, "Too many listings in progress: try again shortly", {
        headers: { "Retry-After": "5" },
      });
    }
    /** A listed member whose dead properties are being read. */
    interface Pending {
      resource: DavResource;
      href: string;
      attributes: Promise<ExtendedAttributes>;
    }
    const answer = async (member: Pending): Promise<string> => {
      let attributes: ExtendedAttributes;
      try {
        attributes = await member.attributes;
      } catch (error) {
        // Gone since it was listed: left out.
        if (error instanceof Deno.errors.NotFound) return "";
        throw error;
      }
      const dead = deadPropertiesIn(attributes);
      const xml = renderResponse(member.href, member.resource, { plan, env, dead });
      return typeof xml === "string" ? xml : await xml;
    };
    async function* body(): AsyncGenerator<string> {
      // Responses are gathered into pieces of about 64 KiB, one stream write each,
      // joined once (not grown by `+=`: a flat string encodes at about twice the speed).
      const piece = new Piece();
      piece.add(MULTISTATUS_OPEN + first);
      if (listing) {
        const base = ctx.path === "/" ? "/" : `${ctx.path}/`;
        // Depth 1: the children (names in byte order); infinity: the whole subtree from
        // one scan of its object names (see propfind_subtree.ts), in name order.
        const batches: AsyncIterable<{ name: string; info: BackupFileInfo; path?: string }[]> =
          depth === 1
            ? ctx.fs.readDirInfoBatches(ctx.path, {
              // Only members whose dead properties are read next (see the loop below).
              primeStatCache: plan.needsDead ? "extended-attributes" : false,
            })
            : subtreeBatches(ctx.fs, ctx.path, { signal: ctx.request.signal });
        // Dead-property reads run `concurrency` ahead; responses stay in order.
        const pending: Pending[] = [];
        try {
          // A batch of members at a time: one async step per batch, not per member.
          for await (const batch of batches) {
            // The fast path while no lock is on or under the collection (checked per batch).
            const fast = plainAllprop && ctx.locks.locksCovering(ctx.path).length === 0 &&
              ctx.locks.locksBelow(ctx.path).length === 0;
            for (const entry of batch) {
              const resource: DavResource = {
                path: entry.path ?? base + entry.name,
                info: entry.info,
                name: entry.name,
              };
              const href = ctx.href(resource.path, entry.info.isDirectory);
              if (plan.needsDead && entry.info.hasExtendedAttributes !== false) {
                const attributes = ctx.fs.getExtendedAttributes(resource.path);
                // Handled when its turn comes; never an unhandled rejection meanwhile.
                attributes.catch(() => {});
                pending.push({ resource, href, attributes });
                if (pending.length >= concurrency) piece.add(await answer(pending.shift()!));
              } else {
                // Answered in order: whatever waits ahead of it goes first.
                while (pending.length > 0) piece.add(await answer(pending.shift()!));
                if (fast) {
                  // No dead properties, no lock: the same text, written in one step.
                  piece.add(plainAllpropResponse(href, resource));
                } else {
                  const dead = plan.needsDead ? NO_DEAD : undefined;
                  const xml = renderResponse(href, resource, { plan, env, dead });
                  piece.add(typeof xml === "string" ? xml : await xml);
                }
              }
              if (piece.chars >= PIECE_CHARS) yield piece.take();
            }
          }
          while (pending.length > 0) piece.add(await answer(pending.shift()!));
        } finally {
          await Promise.allSettled(pending.map((member) => member.attributes));
        }
      }
      piece.add(MULTISTATUS_CLOSE);
      yield piece.take();
    }
    return new Response(pieceStream(body(), () => turn?.release()), {
      status: 207,
      headers: { "Content-Type": "application/xml; charset=utf-8" },
    });
  };
}

/** Characters gathered before a piece of the reply is handed to the stream. */
const PIECE_CHARS = 65536;

/** Text gathered for one piece of the reply, joined when taken. */
class Piece {
  #parts: string[] = [];
  /** Characters gathered. */
  chars = 0;

  add(text: string): void {
    this.#parts.push(text);
    this.chars += text.length;
  }

  /** The text gathered, emptied. */
  take(): string {
    const text = this.#parts.join("");
    this.#parts = [];
    this.chars = 0;
    return text;
  }
}

/**
 * The reply's bytes, one piece encoded per pull: a slow reader holds one piece of
 * text and its bytes, never a batch of them. `onFinish` runs once the reply ended,
 * failed or was cancelled (it may run more than once).
 */
function pieceStream(
  parts: AsyncGenerator<string>,
  onFinish: () => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<string>;
      try {
        next = await parts.next();
      } catch (error) {
        onFinish();
        throw error;
      }
      if (next.done) {
        onFinish();
        controller.close();
      } else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      onFinish();
      await parts.return(undefined);
    },
  }, { highWaterMark: 0 });
}

function environment(
  ctx: DavRequestContext,
  source: (() => Promise<QuotaInfo>) | undefined,
): LivePropertyEnvironment {
  if (!source) return { ctx };
  let cached: Promise<QuotaInfo | undefined> | undefined;
  return {
    ctx,
    quota: () => cached ??= source().catch(() => undefined),
  };
}
