/**
 * The forwarded-origin middleware: first thing for every request, works out the
 * origin the client used (forwarded headers believed from trusted proxies only,
 * see `http/public_origin.ts`) so that `publicOrigin(request)` gives it to every
 * check after it, and, when requests are observed, puts the client's address
 * the proxy reports in the request's record (`http/forwarded_client.ts`), so
 * that the access log names the client rather than the proxy.
 *
 * @module
 */

import { recordOf } from "../../src/http/request_record.ts";
import { forwardedClient } from "../http/forwarded_client.ts";
import { recordPublicOrigin, type TrustedProxies } from "../http/public_origin.ts";
import type { DavMiddleware } from "./dav_env.ts";

/**
 * Records each request's public origin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "../../deps/hono.ts";
 * import { publicOrigin, TrustedProxies } from "../http/public_origin.ts";
 * import type { DavEnv } from "./dav_env.ts";
 * import { forwardedOrigin } from "./forwarded_origin.ts";
 * const app = new Hono<DavEnv>();
 * app.use(forwardedOrigin(TrustedProxies.parse(["127.0.0.1"])));
 * app.all("*", (c) => c.text(publicOrigin(c.req.raw)));
 * // Built in-process: no TCP peer, so the forwarded header is not believed.
 * const request = new Request("http://h:8080/", { headers: { "X-Forwarded-Host": "x.example" } });
 * assert.equal(await (await app.fetch(request)).text(), "http://h:8080");
 * ```
 */
export function forwardedOrigin(trusted: TrustedProxies): DavMiddleware {
  return async (c, next) => {
    const request = c.req.raw;
    recordPublicOrigin(request, trusted);
    const record = recordOf(request);
    if (record !== undefined) {
      const client = forwardedClient(request, trusted);
      if (client !== undefined) record.client = client;
    }
    await next();
  };
}
