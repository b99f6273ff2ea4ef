/**
 * How to mount the server from the common WebDAV clients, as printed by
 * `deno task serve` once it listens (and shown in the README).
 *
 * @module
 */

import type { ListenAddress } from "../../src/cli/listen_address.ts";

export type { ListenAddress } from "../../src/cli/listen_address.ts";

/** Options of {@link mountInstructions}. */
export interface MountInstructionsOptions {
  /** Whether Basic authentication is on. */
  auth?: boolean;
  /** A user name to show in the examples (default `NAME`). */
  user?: string;
  /** The URL path served (`--base-url`, default `/`), ending in `/`. */
  path?: string;
  /** Whether it serves HTTPS (`--tls-cert`): https URLs, `davs://` for GNOME. */
  secure?: boolean;
}

function isWildcard(hostname: string): boolean {
  return hostname === "0.0.0.0" || hostname === "::" || /^(0*:)+0*$/.test(hostname);
}

/**
 * The mount instructions for a server listening on `address`, one client per
 * paragraph: macOS Finder, Windows Explorer (`net use`, with the WebClient
 * `BasicAuthLevel` note when authentication runs over plain http), davfs2 and
 * GNOME (`gio mount`). A wildcard address is shown as `HOST`. With `secure`,
 * the URLs are https (`davs://`), with a note on trusting a private CA.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mountInstructions } from "./mount_instructions.ts";
 * const text = mountInstructions({ hostname: "127.0.0.1", port: 8080 });
 * assert.match(text, /net use Z: http:\/\/127\.0\.0\.1:8080\//);
 * assert.match(text, /gio mount dav:\/\/127\.0\.0\.1:8080\//);
 * const under = mountInstructions({ hostname: "127.0.0.1", port: 8080 }, { path: "/dav/" });
 * assert.match(under, /net use Z: http:\/\/127\.0\.0\.1:8080\/dav\//);
 * const tls = mountInstructions({ hostname: "127.0.0.1", port: 8443 }, { secure: true, auth: true });
 * assert.match(tls, /net use Z: https:\/\/127\.0\.0\.1:8443\/ \/user:NAME [*]/);
 * assert.match(tls, /gio mount davs:\/\/NAME@127\.0\.0\.1:8443\//);
 * assert.doesNotMatch(tls, /BasicAuthLevel/); // Basic over https needs no registry change
 * ```
 */
export function mountInstructions(
  address: ListenAddress,
  options?: MountInstructionsOptions,
): string {
  const wildcard = isWildcard(address.hostname);
  const host = wildcard
    ? "HOST"
    : address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname;
  const hostPort = `${host}:${address.port}`;
  const path = options?.path ?? "/";
  const secure = options?.secure ?? false;
  const url = `${secure ? "https" : "http"}://${hostPort}${path}`;
  const user = options?.user ?? "NAME";
  const lines = [
    "Mount it:",
    `  macOS Finder      Go → Connect to Server… (⌘K) → ${url}`,
    `  Windows Explorer  net use Z: ${url}${options?.auth ? ` /user:${user} *` : ""}`,
    "                    (needs the WebClient service: sc start webclient; files are limited",
    "                    to 50 MB unless FileSizeLimitInBytes is raised under",
    "                    HKLM\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters)",
  ];
  if (options?.auth && !secure) {
    lines.push(
      "                    Windows sends Basic credentials over plain http only with",
      "                    BasicAuthLevel = 2 (DWORD) under that same key; then restart WebClient:",
      "                    net stop webclient && net start webclient",
    );
  }
  lines.push(
    `  davfs2 (Linux)    sudo mount -t davfs ${url} /mnt/backupfs${
      options?.auth ? "   (asks for the user name and password)" : ""
    }`,
    `  GNOME             gio mount ${secure ? "davs" : "dav"}://${
      options?.auth ? `${user}@` : ""
    }${hostPort}${path}`,
  );
  if (secure) {
    lines.push(
      "  (a certificate from a private CA: trust the CA on each client first, e.g. davfs2's",
      "  trust_ca_cert in /etc/davfs2/davfs2.conf, or the system's store)",
    );
  }
  if (wildcard) lines.push("  (HOST: this machine's name or address)");
  return lines.join("\n");
}
