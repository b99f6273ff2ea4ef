/**
 * The Hono environment of the WebDAV app and the shape of its middleware: what
 * one middleware hands on to the next — the authenticated principal, then the
 * request's `DavRequestContext`, which the method routes give their handler.
 *
 * @module
 */

import type { Context } from "../../deps/hono.ts";
import type { DavRequestContext } from "../dav_context.ts";

/** The Hono environment of the WebDAV app: its context variables. */
export interface DavEnv {
  /** Values set with `c.set` and read with `c.var`. */
  Variables: {
    /** The user the authentication hook named; absent when anonymous. */
    principal?: string;
    /** The request's context, set by the request-context middleware. */
    dav: DavRequestContext;
  };
}

/**
 * A middleware of the WebDAV app: answers (a `Response`, or a thrown error) or
 * hands the request on with `next()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import type { DavEnv, DavMiddleware } from "./dav_env.ts";
 * const guest: DavMiddleware = async (c, next) => {
 *   c.set("principal", "guest");
 *   await next();
 * };
 * const app = new Hono<DavEnv>();
 * app.use(guest);
 * app.get("*", (c) => c.text(c.var.principal ?? "anonymous"));
 * assert.equal(await (await app.fetch(new Request("http://h/"))).text(), "guest");
 * ```
 */
export type DavMiddleware = (
  c: Context<DavEnv>,
  next: () => Promise<void>,
) => Promise<Response | void>;
