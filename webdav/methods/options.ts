/**
 * OPTIONS: the server's WebDAV compliance (`DAV: 1, 2`), the methods it allows
 * and Microsoft's `MS-Author-Via: DAV`.
 *
 * @module
 */

import type { DavHandler } from "../dav_context.ts";
import { ALLOWED_METHODS } from "./common.ts";

/**
 * The OPTIONS handler: 200, empty body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DavRequestContext } from "../dav_context.ts";
 * import { options } from "./options.ts";
 * const request = new Request("http://localhost/", { method: "OPTIONS" });
 * const response = await options({ request } as DavRequestContext);
 * assert.equal(response.status, 200);
 * assert.equal(response.headers.get("DAV"), "1, 2");
 * assert.ok(response.headers.get("Allow")?.includes("PROPFIND"));
 * ```
 */
export const options: DavHandler = () => {
  return Promise.resolve(
    new Response(null, {
      status: 200,
      headers: {
        "DAV": "1, 2",
        "Allow": ALLOWED_METHODS.join(", "),
        "MS-Author-Via": "DAV",
        "Accept-Ranges": "bytes",
        "Content-Length": "0",
      },
    }),
  );
};
