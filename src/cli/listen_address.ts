/**
 * Parsing of a `HOST:PORT` listen address (`127.0.0.1:9000`, `[::1]:9000`,
 * `localhost:0`) and formatting of the URL a server listens on, for both
 * commands (`deno task serve`, `deno task storage`).
 *
 * @module
 */

/**
 * A host and port to listen on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ListenAddress, listenUrl } from "./listen_address.ts";
 * const address: ListenAddress = { hostname: "127.0.0.1", port: 0 }; // port 0: the OS picks one
 * assert.equal(listenUrl(address), "http://127.0.0.1:0");
 * ```
 */
export interface ListenAddress {
  /** Host name or address, without brackets. */
  hostname: string;
  /** Port, 0–65535 (0: the OS picks one). */
  port: number;
}

/**
 * Options of {@linkcode parseListenAddress}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseListenAddress, type ParseListenOptions } from "./listen_address.ts";
 * const options: ParseListenOptions = { examplePort: 8080 };
 * assert.throws(() => parseListenAddress("8080", options), /e\.g\. 127\.0\.0\.1:8080/);
 * ```
 */
export interface ParseListenOptions {
  /** The port the error message's examples use (default 9000, the storage service's). */
  examplePort?: number;
}

/**
 * Parses `HOST:PORT`; IPv6 addresses go in brackets. Throws `TypeError` with a
 * readable message on anything else (a port above 65535 is reported out of range).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseListenAddress } from "./listen_address.ts";
 * assert.deepEqual(parseListenAddress("[::1]:9000"), { hostname: "::1", port: 9000 });
 * ```
 */
export function parseListenAddress(
  value: string,
  options?: ParseListenOptions,
): ListenAddress {
  const example = options?.examplePort ?? 9000;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d+)$/.exec(value);
  if (!m) {
    throw new TypeError(
      `invalid listen address "${value}": expected HOST:PORT, ` +
        `e.g. 127.0.0.1:${example} or [::1]:${example}`,
    );
  }
  const port = Number(m[3]);
  if (m[3].length > 5 || port > 65535) {
    throw new TypeError(
      `invalid listen address "${value}": port ${m[3]} is out of range (0–65535)`,
    );
  }
  return { hostname: m[1] ?? m[2], port };
}

/**
 * The URL of a listening server (`http://[::1]:9000` for IPv6).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenUrl } from "./listen_address.ts";
 * assert.equal(listenUrl({ hostname: "::1", port: 9000 }), "http://[::1]:9000");
 * ```
 */
export function listenUrl(address: ListenAddress): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `http://${host}:${address.port}`;
}
