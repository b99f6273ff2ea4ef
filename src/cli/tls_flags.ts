/**
 * The flags both commands share to serve HTTPS (`--tls-cert FILE --tls-key
 * FILE`): their `parseArgs` definitions, their `--help` text, their check (both
 * or neither), and the warning `deno task serve` gives when Basic-auth passwords
 * would cross the network in clear.
 *
 * @module
 */

import { nonEmptyFlag } from "./flags.ts";
import { type ListenAddress, listenUrl } from "./listen_address.ts";

/**
 * The flag definitions, to spread into a command's `parseFlags` call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TLS_FLAGS } from "./tls_flags.ts";
 * assert.equal(TLS_FLAGS["tls-cert"].type, "string");
 * ```
 */
export const TLS_FLAGS = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
} as const;

/**
 * The `--help` lines of {@link TLS_FLAGS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TLS_USAGE } from "./tls_flags.ts";
 * assert.match(TLS_USAGE, /--tls-cert FILE/);
 * ```
 */
export const TLS_USAGE = `HTTPS (both or neither):
  --tls-cert FILE       Serve HTTPS with this certificate (PEM; the server's certificate
                        first, then any intermediate ones). HTTP/2 is offered beside
                        HTTP/1.1 (ALPN); every connection limit holds for both.
  --tls-key FILE        Its private key (PEM, unencrypted; keep it mode 0600).`;

/** The certificate and key files the flags name. */
export interface TlsFiles {
  /** The certificate (chain) file, PEM. */
  certFile: string;
  /** The private key file, PEM. */
  keyFile: string;
}

/**
 * The files the flags name, or `undefined` without them. Throws `TypeError` when
 * one is given without the other, or empty. (The files are read and checked at
 * start-up: `loadTlsCredentials` in src/http/tls_credentials.ts.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tlsFilesFromFlags } from "./tls_flags.ts";
 * assert.deepEqual(tlsFilesFromFlags({ "tls-cert": "c.pem", "tls-key": "k.pem" }), {
 *   certFile: "c.pem",
 *   keyFile: "k.pem",
 * });
 * assert.equal(tlsFilesFromFlags({}), undefined);
 * assert.throws(() => tlsFilesFromFlags({ "tls-cert": "c.pem" }), {
 *   message: "--tls-cert needs --tls-key FILE (the certificate's private key)",
 * });
 * ```
 */
export function tlsFilesFromFlags(
  values: { "tls-cert"?: string; "tls-key"?: string },
): TlsFiles | undefined {
  const certFile = nonEmptyFlag("tls-cert", values["tls-cert"]);
  const keyFile = nonEmptyFlag("tls-key", values["tls-key"]);
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (keyFile === undefined) {
    throw new TypeError("--tls-cert needs --tls-key FILE (the certificate's private key)");
  }
  if (certFile === undefined) {
    throw new TypeError("--tls-key needs --tls-cert FILE (the certificate it belongs to)");
  }
  return { certFile, keyFile };
}

/**
 * The warning for a server that would take Basic-auth passwords in clear over
 * the network (listening off loopback, authentication on, no TLS), or
 * `undefined` when there is nothing to warn about.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleartextPasswordWarning } from "./tls_flags.ts";
 * assert.match(
 *   cleartextPasswordWarning({ loopback: false, auth: true, tls: false }) ?? "",
 *   /passwords cross the network in clear/,
 * );
 * assert.equal(cleartextPasswordWarning({ loopback: false, auth: true, tls: true }), undefined);
 * assert.equal(cleartextPasswordWarning({ loopback: true, auth: true, tls: false }), undefined);
 * ```
 */
export function cleartextPasswordWarning(
  server: { loopback: boolean; auth: boolean; tls: boolean },
): string | undefined {
  if (server.loopback || !server.auth || server.tls) return undefined;
  return "warning: serving HTTP Basic authentication over plain http off loopback: " +
    "passwords cross the network in clear. Add --tls-cert FILE --tls-key FILE, or put a " +
    "TLS reverse proxy in front";
}

/**
 * The URL a server listens on, `https:` when it serves TLS (the `listening on`
 * line and the messages about the address).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenUrlOf } from "./tls_flags.ts";
 * assert.equal(listenUrlOf({ hostname: "::1", port: 8443 }, { tls: true }), "https://[::1]:8443");
 * assert.equal(listenUrlOf({ hostname: "127.0.0.1", port: 80 }, { tls: false }), "http://127.0.0.1:80");
 * ```
 */
export function listenUrlOf(address: ListenAddress, options: { tls: boolean }): string {
  const url = listenUrl(address);
  return options.tls ? `https${url.slice("http".length)}` : url;
}
