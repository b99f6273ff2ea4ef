/**
 * The `--endpoint URL` flag of `serve` and of the `backupfs` file tools: a
 * BackupStorage service instead of the embedded store. Checked once, here.
 *
 * @module
 */

import type { FlagValues } from "./flags.ts";
import { STORE_FLAGS } from "./store_flags.ts";

/**
 * The other flag values {@link checkEndpointFlag} looks at: `--data` and the
 * store flags, which an endpoint excludes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { EndpointExclusions } from "./endpoint_flag.ts";
 * const values: EndpointExclusions = { data: "/srv/backupfs", chunks: "s3://bucket/prefix" };
 * assert.equal(values.metadata, undefined);
 * ```
 */
export type EndpointExclusions = { data?: string | undefined } & FlagValues<typeof STORE_FLAGS>;

/**
 * Checks an `--endpoint` value: an `http://` or `https://` URL without
 * credentials (those come from the AWS credential chain), given without
 * `--data` or a store flag. Returns the endpoint; throws a `TypeError` with the
 * message a command prints before exiting 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkEndpointFlag } from "./endpoint_flag.ts";
 * assert.equal(checkEndpointFlag("http://127.0.0.1:9000", {}), "http://127.0.0.1:9000");
 * assert.throws(() => checkEndpointFlag("ftp://x", {}), {
 *   message: 'invalid --endpoint "ftp://x": expected an http:// or https:// URL',
 * });
 * assert.throws(() => checkEndpointFlag("http://u:p@x", {}), /must not hold credentials/);
 * assert.throws(() => checkEndpointFlag("http://x", { data: "d" }), {
 *   message: "--data and --endpoint exclude each other",
 * });
 * assert.throws(() => checkEndpointFlag("http://x", { chunks: "s3://b/p" }), {
 *   message: "--chunks and --endpoint exclude each other",
 * });
 * ```
 */
export function checkEndpointFlag(endpoint: string, values: EndpointExclusions): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch { /* reported below */ }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError(`invalid --endpoint "${endpoint}": expected an http:// or https:// URL`);
  }
  if (url.username || url.password) {
    throw new TypeError("--endpoint must not hold credentials; use the AWS credential chain");
  }
  if (values.data !== undefined) throw new TypeError("--data and --endpoint exclude each other");
  for (const flag of Object.keys(STORE_FLAGS) as (keyof typeof STORE_FLAGS)[]) {
    if (values[flag] !== undefined) {
      throw new TypeError(`--${flag} and --endpoint exclude each other`);
    }
  }
  return endpoint;
}
