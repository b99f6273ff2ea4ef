/**
 * Questions about a request's body that need not make it: whether there is one.
 *
 * @module
 */

import { IncomingRequest } from "./_incoming_request.ts";

/**
 * Whether `request` carries a body: what `request.body !== null` says, without
 * making the body's stream of a request `serveHttp` received (a handler that only
 * asks then reads it whole, with `bytes()`, never pays for a stream).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasBody } from "./request_body.ts";
 * assert.equal(hasBody(new Request("http://h/f", { method: "PUT", body: "x" })), true);
 * assert.equal(hasBody(new Request("http://h/f", { method: "PUT" })), false);
 * assert.equal(hasBody(new Request("http://h/f")), false);
 * ```
 */
export function hasBody(request: Request): boolean {
  return IncomingRequest.hasBody(request) ?? request.body !== null;
}
