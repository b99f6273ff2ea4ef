/**
 * MKCOL: creates a collection (RFC 4918 §9.3).
 *
 * @module
 */

import type { DavHandler } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { assertPreconditions } from "../http/conditional.ts";
import {
  allowFor,
  assertParentCollection,
  assertWritable,
  statOrUndefined,
  validators,
} from "./common.ts";

/**
 * Whether a request carries a non-empty body (reads at most the first piece).
 *
 * @example
 * ```ts
 * import { hasBody } from "./mkcol.ts";
 * console.log(await hasBody(new Request("http://localhost/", { method: "POST", body: "x" }))); // true
 * ```
 */
export async function hasBody(request: Request): Promise<boolean> {
  const length = request.headers.get("content-length");
  if (length !== null && Number(length) > 0) {
    await request.body?.cancel().catch(() => {});
    return true;
  }
  if (!request.body) return false;
  const reader = request.body.getReader();
  try {
    for (let i = 0; i < 1_000_000; i++) {
      const { value, done } = await reader.read();
      if (done) return false;
      if (value.byteLength > 0) {
        await reader.cancel().catch(() => {});
        return true;
      }
    }
    return true;
  } finally {
    reader.releaseLock();
  }
}

/**
 * The MKCOL handler: 201; 405 when something exists there; 415 with a body; 409
 * without a parent collection.
 *
 * @example
 * ```ts
 * import { mkcol } from "./mkcol.ts";
 * console.log(typeof mkcol); // function
 * ```
 */
export const mkcol: DavHandler = async (ctx) => {
  assertWritable(ctx);
  if (await hasBody(ctx.request)) {
    throw new DavError(415, "MKCOL with a body is not supported");
  }
  const info = await statOrUndefined(ctx.fs, ctx.path);
  if (info) {
    throw new DavError(405, "The resource already exists", { headers: { Allow: allowFor(info) } });
  }
  assertPreconditions(ctx.request, validators(info));
  await ctx.locks.assertCanModify(ctx, [{ path: ctx.path, depth: 0 }]);
  await assertParentCollection(ctx.fs, ctx.path);
  await ctx.fs.mkdir(ctx.path);
  return new Response(null, { status: 201 });
};
