/**
 * The authentication middleware: the server's hook decides who the request comes
 * from — or answers it itself (e.g. 401 with a challenge) — before anything else
 * is looked at.
 *
 * @module
 */

import type { DavMiddleware } from "./dav_env.ts";

/**
 * The `authenticate` hook of `createWebDavApp`: a `Response` is answered as is
 * (e.g. 401 with a challenge), a string is the authenticated principal,
 * `undefined` is anonymous. `createBasicAuth` makes one.
 */
export type AuthenticateHook = (request: Request) => Promise<string | undefined | Response>;

/**
 * Runs `hook` on each request: its `Response` is the answer; otherwise the
 * principal it names (if any) is set as `c.var.principal` and the request goes on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import type { DavEnv } from "./dav_env.ts";
 * import { authentication } from "./authentication.ts";
 * const app = new Hono<DavEnv>();
 * app.use(authentication((request) =>
 *   Promise.resolve(request.headers.has("Authorization") ? "alice" : new Response(null, { status: 401 }))
 * ));
 * app.get("*", (c) => c.text(c.var.principal ?? "anonymous"));
 * assert.equal((await app.fetch(new Request("http://h/"))).status, 401);
 * const ok = await app.fetch(new Request("http://h/", { headers: { Authorization: "x" } }));
 * assert.equal(await ok.text(), "alice");
 * ```
 */
export function authentication(hook: AuthenticateHook): DavMiddleware {
  return async (c, next) => {
    const outcome = await hook(c.req.raw);
    if (outcome instanceof Response) return outcome;
    if (outcome !== undefined) c.set("principal", outcome);
    await next();
  };
}
