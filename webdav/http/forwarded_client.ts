/**
 * The address of the client behind a reverse proxy, for the access log: the
 * proxy names it in `X-Forwarded-For` (Apache, nginx) or `Forwarded: for=`
 * (RFC 7239), believed only when the TCP peer is a trusted proxy
 * (`--trusted-proxy`), as for the public origin (`public_origin.ts`).
 *
 * @module
 */

import { ipaddr } from "../../deps/ipaddr.ts";
import { peerAddress } from "../../src/http/peer_address.ts";
import { forwardedElement, lastValue } from "./_forwarded_headers.ts";
import type { TrustedProxies } from "./public_origin.ts";

/** An IP address from a `for=` value: `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:80"`. */
function addressOfNode(node: string): string | undefined {
  let text = node;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return undefined;
    text = text.slice(1, close);
  } else if (/^[0-9.]+:\d+$/.test(text)) {
    text = text.slice(0, text.indexOf(":"));
  }
  if (!ipaddr.isValid(text)) return undefined;
  const parsed = ipaddr.process(text);
  // Only canonical forms: not ipaddr.js's shorthand such as `1.2.3`.
  if (parsed.kind() === "ipv4" && !/^\d+\.\d+\.\d+\.\d+$/.test(text)) return undefined;
  return parsed.toString();
}

/**
 * The client's address as the trusted proxy in front reports it (the last
 * `X-Forwarded-For` value, else the last `Forwarded` element's `for=`), or
 * `undefined` when the TCP peer is not a trusted proxy or the proxy named no
 * valid IP address (`unknown`, an obfuscated `_name`, garbage).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordPeerAddress } from "../../src/http/peer_address.ts";
 * import { forwardedClient } from "./forwarded_client.ts";
 * import { TrustedProxies } from "./public_origin.ts";
 * const trusted = TrustedProxies.parse(["127.0.0.1"]);
 * const headers = { "X-Forwarded-For": "203.0.113.9, 198.51.100.4" };
 * const proxied = new Request("http://127.0.0.1:8080/", { headers });
 * recordPeerAddress(proxied, { address: "127.0.0.1", port: 40000 });
 * assert.equal(forwardedClient(proxied, trusted), "198.51.100.4"); // the proxy's own entry
 * const direct = new Request("http://127.0.0.1:8080/", { headers });
 * recordPeerAddress(direct, { address: "192.0.2.9", port: 40000 });
 * assert.equal(forwardedClient(direct, trusted), undefined); // not a trusted proxy
 * ```
 */
export function forwardedClient(
  request: Request,
  trusted: TrustedProxies | undefined,
): string | undefined {
  if (trusted === undefined || trusted.empty) return undefined;
  const peer = peerAddress(request);
  if (peer === undefined || !trusted.includes(peer.address)) return undefined;
  const headers = request.headers;
  const node = lastValue(headers.get("x-forwarded-for")) ??
    forwardedElement(headers.get("forwarded")).for;
  return node === undefined ? undefined : addressOfNode(node);
}
