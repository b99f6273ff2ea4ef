/**
 * The origin (scheme, host, port) a client used to reach the server, which behind
 * a reverse proxy is not the one the server sees: the proxy says it in
 * `Forwarded` (RFC 7239) or `X-Forwarded-Proto` / `X-Forwarded-Host`, and those
 * are believed only when the TCP peer is a trusted proxy (`--trusted-proxy`);
 * from anyone else they are ignored, since any client can send them.
 *
 * Where the server compares a URL with its own (COPY/MOVE `Destination`, the
 * `If` header's resource tags, a browser's `Origin`), it uses
 * {@link publicOrigin}.
 *
 * @module
 */

import { ipaddr } from "../../deps/ipaddr.ts";
import { peerAddress } from "../../src/http/peer_address.ts";
import { forwardedElement, lastValue } from "./_forwarded_headers.ts";

type Address = ReturnType<typeof ipaddr.parse>;
type Range = [Address, number];

/** An IPv4 address in dotted-quad form (not ipaddr.js's shorthand `1.2.3`). */
function isDottedQuad(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** One `--trusted-proxy` entry as a range, or `undefined` when it is not an address or CIDR. */
function parseEntry(text: string): Range | undefined {
  const [address, bits, ...rest] = text.split("/");
  if (rest.length > 0) return undefined;
  const v4 = isDottedQuad(address);
  if (!v4 && !ipaddr.IPv6.isValid(address)) return undefined;
  const parsed = ipaddr.process(address);
  const max = parsed.kind() === "ipv4" ? 32 : 128;
  if (bits === undefined) return [parsed, max];
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  // An IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) is matched as its IPv4 range.
  if (!v4 && parsed.kind() === "ipv4") {
    const v4Bits = Number(bits) - 96;
    return v4Bits < 0 ? undefined : [parsed, v4Bits];
  }
  return [parsed, Number(bits)];
}

/**
 * The reverse proxies whose forwarded headers are believed: IPv4 and IPv6
 * addresses and CIDR ranges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TrustedProxies } from "./public_origin.ts";
 * const trusted = TrustedProxies.parse(["127.0.0.1", "10.0.0.0/8,fd00::/8"]);
 * assert.equal(trusted.includes("127.0.0.1"), true);
 * assert.equal(trusted.includes("::ffff:10.2.3.4"), true); // IPv4-mapped
 * assert.equal(trusted.includes("fd12::1"), true);
 * assert.equal(trusted.includes("192.0.2.1"), false);
 * assert.throws(() => TrustedProxies.parse(["proxy.example"]), TypeError);
 * ```
 */
export class TrustedProxies {
  readonly #ranges: Range[];
  /** The entries as given (normalized: one per address or range). */
  readonly entries: readonly string[];

  private constructor(ranges: Range[], entries: string[]) {
    this.#ranges = ranges;
    this.entries = entries;
  }

  /**
   * Parses `--trusted-proxy` values: each an address or CIDR range, or several
   * separated by commas. Throws `TypeError` naming an entry that is neither.
   */
  static parse(values: readonly string[]): TrustedProxies {
    const ranges: Range[] = [];
    const entries: string[] = [];
    for (const value of values) {
      for (const raw of value.split(",")) {
        const entry = raw.trim();
        if (entry === "") continue;
        const range = parseEntry(entry);
        if (range === undefined) {
          throw new TypeError(
            `invalid --trusted-proxy "${entry}": expected an IP address or a CIDR range ` +
              `(127.0.0.1, 10.0.0.0/8, ::1, fd00::/8)`,
          );
        }
        ranges.push(range);
        entries.push(entry);
      }
    }
    return new TrustedProxies(ranges, entries);
  }

  /** Whether no proxy is trusted. */
  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  /** Whether `address` (a peer's IP address as text) is one of the trusted proxies. */
  includes(address: string): boolean {
    if (this.#ranges.length === 0 || !ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    for (const [base, bits] of this.#ranges) {
      if (base.kind() === parsed.kind() && parsed.match(base, bits)) return true;
    }
    return false;
  }
}

/** A host (name, IPv4, or bracketed IPv6) with an optional port, as in a Host header. */
const VALID_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin the client used: from the forwarded headers when the request's TCP
 * peer (see `src/http/peer_address.ts`) is one of `trusted`, else the request
 * URL's own. `X-Forwarded-Proto` and `X-Forwarded-Host` (which Apache, nginx and
 * most proxies set) win over `Forwarded`'s `proto` and `host`; of a list, the
 * last value counts (the one the proxy in front added: an earlier one may come
 * from the client). A trusted proxy should set, not pass on, the headers it uses.
 * A scheme other than http/https or a malformed host is ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordPeerAddress } from "../../src/http/peer_address.ts";
 * import { forwardedOrigin, TrustedProxies } from "./public_origin.ts";
 * const trusted = TrustedProxies.parse(["127.0.0.1"]);
 * const headers = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "files.example" };
 * const proxied = new Request("http://127.0.0.1:8080/dav/", { headers });
 * recordPeerAddress(proxied, { address: "127.0.0.1", port: 40000 });
 * assert.equal(forwardedOrigin(proxied, trusted), "https://files.example");
 * const direct = new Request("http://127.0.0.1:8080/dav/", { headers });
 * recordPeerAddress(direct, { address: "192.0.2.9", port: 40000 });
 * assert.equal(forwardedOrigin(direct, trusted), "http://127.0.0.1:8080"); // not trusted: ignored
 * ```
 */
export function forwardedOrigin(request: Request, trusted: TrustedProxies | undefined): string {
  const own = new URL(request.url);
  const peer = trusted === undefined || trusted.empty ? undefined : peerAddress(request);
  if (peer === undefined || !trusted!.includes(peer.address)) return own.origin;
  const headers = request.headers;
  const forwarded = forwardedElement(headers.get("forwarded"));
  const proto = (lastValue(headers.get("x-forwarded-proto")) ?? forwarded.proto)?.toLowerCase();
  const host = lastValue(headers.get("x-forwarded-host")) ?? forwarded.host;
  const scheme = proto === "http" || proto === "https" ? proto : own.protocol.slice(0, -1);
  const authority = host !== undefined && VALID_HOST.test(host) ? host : own.host;
  try {
    return new URL(`${scheme}://${authority}/`).origin;
  } catch {
    return own.origin;
  }
}

const origins = new WeakMap<Request, string>();

/**
 * Works out the public origin of `request` once ({@link forwardedOrigin}) and
 * remembers it, so that {@link publicOrigin} gives it anywhere later. The WebDAV
 * app does this first thing for every request when proxies are trusted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicOrigin, recordPublicOrigin, TrustedProxies } from "./public_origin.ts";
 * const request = new Request("http://127.0.0.1:8080/", { headers: { "X-Forwarded-Proto": "https" } });
 * assert.equal(recordPublicOrigin(request, TrustedProxies.parse([])), "http://127.0.0.1:8080");
 * assert.equal(publicOrigin(request), "http://127.0.0.1:8080");
 * ```
 */
export function recordPublicOrigin(request: Request, trusted: TrustedProxies | undefined): string {
  const origin = forwardedOrigin(request, trusted);
  origins.set(request, origin);
  return origin;
}

/**
 * The request's public origin (`scheme://host[:port]`, as the client used it):
 * the one the app recorded ({@link recordPublicOrigin}, which honours forwarded
 * headers from trusted proxies only), else the request URL's origin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicOrigin } from "./public_origin.ts";
 * assert.equal(publicOrigin(new Request("http://localhost:8080/a/b")), "http://localhost:8080");
 * ```
 */
export function publicOrigin(request: Request): string {
  return origins.get(request) ?? new URL(request.url).origin;
}
