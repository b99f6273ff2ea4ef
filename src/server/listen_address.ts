/**
 * Parsing of a `HOST:PORT` listen address (`127.0.0.1:9000`, `[::1]:9000`,
 * `localhost:0`) and formatting of the URL a server listens on.
 *
 * @module
 */

/** A host and port to listen on. */
export interface ListenAddress {
  /** Host name or address, without brackets. */
  hostname: string;
  /** Port, 0–65535 (0: the OS picks one). */
  port: number;
}

/**
 * Parses `HOST:PORT`; IPv6 addresses go in brackets. Throws `TypeError` with a
 * readable message on anything else.
 *
 * @example
 * ```ts
 * import { parseListenAddress } from "./listen_address.ts";
 * console.log(parseListenAddress("[::1]:9000")); // { hostname: "::1", port: 9000 }
 * ```
 */
export function parseListenAddress(value: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new TypeError(
      `invalid listen address "${value}": expected HOST:PORT, e.g. 127.0.0.1:9000 or [::1]:9000`,
    );
  }
  return { hostname: m[1] ?? m[2], port };
}

/**
 * The URL of a listening server (`http://[::1]:9000` for IPv6).
 *
 * @example
 * ```ts
 * import { listenUrl } from "./listen_address.ts";
 * console.log(listenUrl({ hostname: "::1", port: 9000 })); // http://[::1]:9000
 * ```
 */
export function listenUrl(address: ListenAddress): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `http://${host}:${address.port}`;
}
