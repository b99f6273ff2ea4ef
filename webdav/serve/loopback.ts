/**
 * Whether a listen host is reachable from this machine only.
 *
 * @module
 */

/**
 * `true` for `localhost`, `127.0.0.0/8`, `::1` (in any spelling) and
 * `::ffff:127.x.y.z`; `false` for everything else, wildcards (`0.0.0.0`, `::`)
 * included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopbackHost } from "./loopback.ts";
 * assert.equal(isLoopbackHost("127.0.0.1"), true);
 * assert.equal(isLoopbackHost("0:0::1"), true);
 * assert.equal(isLoopbackHost("0.0.0.0"), false);
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost") return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    return host.split(".").every((part) => Number(part) <= 255);
  }
  if (!host.includes(":")) return false;
  let normalized: string;
  try {
    normalized = new URL(`http://[${host}]/`).hostname;
  } catch {
    return false;
  }
  if (normalized === "[::1]") return true;
  // An IPv4-mapped loopback address: the URL parser writes it as ::ffff:7fxx:xxxx.
  return /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(normalized);
}
