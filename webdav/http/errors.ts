/**
 * From an error to the HTTP answer of the WebDAV server: `DavError`s as they say,
 * `Deno.errors.*` of BackupFS by kind, storage trouble as a generic 503/500.
 * Internals (paths of the store, stack traces, storage messages) never reach the
 * client; unexpected errors are reported to the `log` callback.
 *
 * @module
 */

import { DavError } from "../dav_error.ts";
import { DirectoryNotEmptyError, isRetryableFailure } from "../../src/fs/mod.ts";
import { errorXml } from "../xml/write.ts";

/**
 * Maps any error thrown while answering a request to a `DavError` (status,
 * condition, headers). BackupFS's `NotFound` → 404, `AlreadyExists` → 405,
 * `NotADirectory` → 409, `IsADirectory` → 405, directory not empty → 409,
 * `PermissionDenied` → 403, `TypeError` (a path BackupFS refuses) → 400,
 * throttling or unavailable storage → 503, anything else → 500.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ThrottlingException } from "../../src/storage/errors.ts";
 * import { toDavError } from "./errors.ts";
 * assert.equal(toDavError(new Deno.errors.NotFound("x")).status, 404);
 * const busy = toDavError(new ThrottlingException());
 * assert.equal(busy.status, 503);
 * assert.equal(new Headers(busy.headers).get("Retry-After"), "5");
 * assert.equal(toDavError(new Error("bug")).status, 500);
 * ```
 */
export function toDavError(error: unknown): DavError {
  if (error instanceof DavError) return error;
  if (error instanceof Deno.errors.NotFound) return new DavError(404, "Not Found");
  if (error instanceof Deno.errors.AlreadyExists) return new DavError(405, "Already exists");
  if (error instanceof Deno.errors.NotADirectory) {
    return new DavError(409, "A parent is not a collection");
  }
  if (error instanceof Deno.errors.IsADirectory) return new DavError(405, "Is a collection");
  if (error instanceof DirectoryNotEmptyError) return new DavError(409, "Collection not empty");
  if (error instanceof Deno.errors.Busy) {
    return new DavError(409, "Conflict: the resource changed meanwhile; try again");
  }
  if (error instanceof Deno.errors.PermissionDenied) return new DavError(403, "Forbidden");
  if (error instanceof TypeError) return new DavError(400, "Bad request path");
  if (isRetryableFailure(error)) {
    return new DavError(503, "Storage temporarily unavailable", {
      headers: { "Retry-After": "5" },
    });
  }
  return new DavError(500, "Internal Server Error", { cause: error });
}

/**
 * Whether an error is one the server did not expect (worth logging): one answered
 * with a 5xx status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isUnexpected } from "./errors.ts";
 * assert.equal(isUnexpected(new Error("bug")), true);
 * assert.equal(isUnexpected(new Deno.errors.NotFound("x")), false);
 * ```
 */
export function isUnexpected(error: unknown): boolean {
  const dav = toDavError(error);
  return dav.status >= 500;
}

/**
 * The HTTP response of an error: status, the error's headers, and for a
 * condition a `DAV:error` XML body; otherwise a short plain-text reason. Messages
 * of 5xx answers are generic.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DavError } from "../dav_error.ts";
 * import { errorResponse } from "./errors.ts";
 * const response = errorResponse(new DavError(403, "no", { condition: "propfind-finite-depth" }));
 * assert.equal(response.status, 403);
 * assert.equal(response.headers.get("content-type"), "application/xml; charset=utf-8");
 * assert.ok((await response.text()).includes("<D:propfind-finite-depth"));
 * ```
 */
export function errorResponse(error: unknown, options?: { head?: boolean }): Response {
  const dav = toDavError(error);
  const headers = new Headers(dav.headers);
  let body: string;
  if (dav.condition !== undefined) {
    headers.set("Content-Type", "application/xml; charset=utf-8");
    body = errorXml(dav.condition, dav.hrefs);
  } else {
    headers.set("Content-Type", "text/plain; charset=utf-8");
    body = dav.status >= 500 ? genericMessage(dav.status) : `${dav.message}\n`;
  }
  if (options?.head || dav.status === 304) {
    return new Response(null, { status: dav.status, headers });
  }
  return new Response(body, { status: dav.status, headers });
}

function genericMessage(status: number): string {
  return status === 503 ? "Service temporarily unavailable\n" : "Internal server error\n";
}

/**
 * Whether a file system error means nothing is at the path: NotFound, or a path
 * below a file (NotADirectory). The one test of "missing" the handlers and the
 * lock guard share.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isMissing } from "./errors.ts";
 * assert.equal(isMissing(new Deno.errors.NotFound("gone")), true);
 * assert.equal(isMissing(new Deno.errors.PermissionDenied("no")), false);
 * ```
 */
export function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
}
