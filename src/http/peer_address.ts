/**
 * The TCP peer of a request served by {@link serveHttp}: its address and port,
 * kept beside the `Request` (a `WeakMap`, no header: a client cannot forge it)
 * for access logs and for deciding whether forwarded headers come from a
 * trusted reverse proxy.
 *
 * @module
 */

/** A request's TCP peer. */
export interface PeerAddress {
  /**
   * The peer's IP address as text: IPv4 dotted (an IPv4-mapped IPv6 address such
   * as `::ffff:127.0.0.1` is given as `127.0.0.1`), or IPv6 without brackets.
   */
  readonly address: string;
  /** The peer's TCP port. */
  readonly port: number;
}

const peers = new WeakMap<Request, PeerAddress>();

/** `::ffff:a.b.c.d` as `a.b.c.d`; anything else unchanged. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/**
 * The TCP peer of `request`, or `undefined` for a request that did not come from
 * a socket (built in-process, e.g. by a test calling `app.fetch`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peerAddress, recordPeerAddress } from "./peer_address.ts";
 * const request = new Request("http://localhost/");
 * assert.equal(peerAddress(request), undefined);
 * recordPeerAddress(request, { address: "::ffff:192.0.2.7", port: 50123 });
 * assert.deepEqual(peerAddress(request), { address: "192.0.2.7", port: 50123 });
 * ```
 */
export function peerAddress(request: Request): PeerAddress | undefined {
  return peers.get(request);
}

/**
 * Records the TCP peer of `request` (the HTTP server does, once per request, as
 * it builds it). An address or port the socket no longer knows (it closed) is
 * not recorded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peerAddress, recordPeerAddress } from "./peer_address.ts";
 * const request = new Request("http://localhost/");
 * recordPeerAddress(request, { address: "2001:db8::1", port: 443 });
 * assert.equal(peerAddress(request)?.address, "2001:db8::1");
 * const gone = new Request("http://localhost/");
 * recordPeerAddress(gone, { address: undefined, port: undefined });
 * assert.equal(peerAddress(gone), undefined);
 * ```
 */
export function recordPeerAddress(
  request: Request,
  peer: { address?: string; port?: number },
): void {
  if (peer.address === undefined || peer.port === undefined) return;
  peers.set(request, { address: unmapped(peer.address), port: peer.port });
}
