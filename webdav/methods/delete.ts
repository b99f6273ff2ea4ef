/**
 * DELETE: a file, or a collection with everything in it (RFC 4918 §9.6); the
 * locks rooted at or below it go too.
 *
 * @module
 */

import type { DavHandler } from "../dav_context.ts";
import { DavError } from "../dav_error.ts";
import { assertPreconditions } from "../http/conditional.ts";
import { assertWritable, validators } from "./common.ts";

/**
 * The DELETE handler: 204, 404 when missing, 403 on the root.
 *
 * @example
 * ```ts
 * import { remove } from "./delete.ts";
 * console.log(typeof remove); // function
 * ```
 */
export const remove: DavHandler = async (ctx) => {
  assertWritable(ctx);
  const info = await ctx.fs.stat(ctx.path);
  if (ctx.path === "/") throw new DavError(403, "The root collection cannot be deleted");
  assertPreconditions(ctx.request, validators(info));
  // Locks granted while this request runs are not the ones it checked: they stay.
  const grantedBefore = ctx.locks.checkpoint?.();
  await ctx.locks.assertCanModify(ctx, [{ path: ctx.path, depth: "infinity" }]);
  await ctx.fs.remove(ctx.path, { recursive: true });
  ctx.locks.removeTree(ctx.path, { grantedBefore });
  return new Response(null, { status: 204 });
};
