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
 * import { options } from "./options.ts";
 * const response = await options({ request: new Request("http://localhost/", { method: "OPTIONS" }) } as never);
 * console.log(response.headers.get("dav")); // 1, 2
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
