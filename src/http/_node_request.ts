/**
 * A node `IncomingMessage` as a web `Request`: URL from the Host header (or the
 * listen address), headers as sent, and the body read from the socket only when
 * asked (see `_incoming_body.ts`). The `Request` is an `IncomingRequest`, made
 * only as far as it is used (see `_incoming_request.ts`).
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { RequestRecord } from "./request_record.ts";
import { recordPeerAddress } from "./peer_address.ts";
import { IncomingBody } from "./_incoming_body.ts";
import { IncomingRequest } from "./_incoming_request.ts";

/** A Host header value: a name or IPv4 address, or an IPv6 address in brackets, and a port. */
const VALID_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Methods whose `Request` may not carry a body. */
const BODYLESS = new Set(["GET", "HEAD"]);

/**
 * Builds the `Request`, or `undefined` when the request line or headers cannot
 * form one (the caller answers 400).
 */
export function toRequest(
  message: IncomingMessage,
  options: {
    fallbackHost: string;
    /** Whether the request came over TLS: its URL is then `https:` (default false). */
    secure?: boolean;
    bodyIdleTimeoutMs: number;
    signal: AbortSignal;
    /** Where the body bytes read are counted (`bytesIn`), when the request is observed. */
    record?: RequestRecord;
    /**
     * Called once, when something first reads the body: a request that sent
     * `Expect: 100-continue` is told to go on only then (see serve_http.ts).
     */
    onBodyWanted?: () => void;
  },
): Request | undefined {
  const method = message.method ?? "GET";
  const target = message.url ?? "/";
  // HTTP/2 (over TLS): the authority is a pseudo-header, and so are the method and path.
  const http2 = message.httpVersionMajor === 2;
  const scheme = options.secure ? "https" : "http";
  let url: URL;
  try {
    if (target.startsWith("/")) {
      const host = message.headers.host || authority(message, http2) || options.fallbackHost;
      if (!VALID_HOST.test(host)) return undefined;
      url = new URL(`${scheme}://${host}${target}`);
    } else if (/^https?:\/\//i.test(target)) {
      url = new URL(target); // absolute-form (RFC 7230 §5.3.2)
    } else if (target === "*" && method === "OPTIONS") {
      const host = message.headers.host || authority(message, http2) || options.fallbackHost;
      if (!VALID_HOST.test(host)) return undefined;
      url = new URL(`${scheme}://${host}/`);
    } else {
      return undefined;
    }
  } catch {
    return undefined;
  }
  const hasRequestBody = !BODYLESS.has(method) &&
    (http2 ? hasHttp2Body(message) : hasBody(message));
  // A body nothing reads stays unread: the server closes the connection after the
  // answer (see serve_http.ts) rather than read an arbitrary amount to discard it.
  const headers = new Headers();
  try {
    // Appended one by one: a `Headers` built from a list or record goes through Web
    // IDL conversions (measured: 17 µs a request against 8, with six headers).
    const raw = message.rawHeaders;
    if (http2) {
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if (raw[i].charCodeAt(0) !== 0x3a) headers.append(raw[i], raw[i + 1]); // not ":…"
      }
    } else {
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    }
  } catch {
    return undefined;
  }
  let request: Request;
  try {
    request = new IncomingRequest({
      method,
      url: url.href,
      headers,
      signal: options.signal,
      body: hasRequestBody
        ? new IncomingBody(message, {
          idleMs: options.bodyIdleTimeoutMs,
          record: options.record,
          onBodyWanted: options.onBodyWanted,
        })
        : undefined,
    }) as unknown as Request;
  } catch {
    return undefined;
  }
  try {
    recordPeerAddress(request, {
      address: message.socket?.remoteAddress,
      port: message.socket?.remotePort,
    });
    return request;
  } catch {
    return undefined;
  }
}

/** An HTTP/2 request's `:authority`, when it is one. */
function authority(message: IncomingMessage, http2: boolean): string | undefined {
  if (!http2) return undefined;
  const value = message.headers[":authority"];
  return typeof value === "string" ? value : undefined;
}

/** An HTTP/2 request has a body unless its stream ended with its headers. */
function hasHttp2Body(message: IncomingMessage): boolean {
  const stream = (message as unknown as { stream?: { endAfterHeaders?: boolean } }).stream;
  return stream?.endAfterHeaders !== true;
}

function hasBody(message: IncomingMessage): boolean {
  if (message.headers["transfer-encoding"] !== undefined) return true;
  const length = message.headers["content-length"];
  return length !== undefined && length !== "0";
}
