/**
 * A node `IncomingMessage` as a web `Request`: URL from the Host header (or the
 * listen address), headers as sent, and the body as a stream that reads the
 * socket only when asked (backpressure), errors when the client goes away, and
 * gives up on a client that stops sending while the server waits for its bytes.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { RequestRecord } from "./request_record.ts";
import { recordPeerAddress } from "./peer_address.ts";

/** Thrown into a request body whose client sent nothing for the body idle time. */
export class BodyIdleTimeout extends Error {
  override name = "BodyIdleTimeout";
}

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
  const init: RequestInit & { duplex?: "half" } = { method, signal: options.signal };
  if (!BODYLESS.has(method) && (http2 ? hasHttp2Body(message) : hasBody(message))) {
    init.body = bodyStream(message, {
      idleMs: options.bodyIdleTimeoutMs,
      record: options.record,
      onBodyWanted: options.onBodyWanted,
    });
    init.duplex = "half";
  }
  // A body nothing reads stays unread: the server closes the connection after the
  // answer (see serve_http.ts) rather than read an arbitrary amount to discard it.
  let request: Request;
  try {
    request = new Request(url, init);
  } catch {
    return undefined;
  }
  // Appended to the request's own list: a `Headers` given to the constructor is
  // copied entry by entry through Web IDL conversions (measured: 17 µs a request
  // against 8, with six headers).
  try {
    const headers = request.headers;
    const raw = message.rawHeaders;
    if (http2) {
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if (raw[i].charCodeAt(0) !== 0x3a) headers.append(raw[i], raw[i + 1]); // not ":…"
      }
    } else {
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    }
  } catch {
    request.body?.cancel().catch(() => {});
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

/**
 * The body as a pull stream of node's own buffers (no copy). While a read waits
 * for bytes, the idle timer runs; when it fires, the request is destroyed and the
 * stream errors with {@link BodyIdleTimeout}. The first read calls `onBodyWanted`.
 *
 * The timer is armed once and re-armed only when it fires early: a piece that
 * arrives notes the time, it does not clear and set a timer (an upload of 1 GiB
 * arrives in 16,384 pieces of 64 KiB).
 */
function bodyStream(
  message: IncomingMessage,
  options: {
    idleMs: number;
    record: RequestRecord | undefined;
    onBodyWanted: (() => void) | undefined;
  },
): ReadableStream<Uint8Array> {
  const { idleMs, record } = options;
  let onBodyWanted = options.onBodyWanted;
  /** Since when a read has been waiting for bytes (`undefined`: none waits). */
  let waitingSince: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const stopTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: Error) => {
    if (finished) return;
    finished = true;
    stopTimer();
    controller.error(error);
  };
  /** Fails the stream when a read has waited `idleMs`; else waits for what is left. */
  const checkIdle = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    timer = undefined;
    if (finished || waitingSince === undefined) return; // the next read arms it again
    const waited = performance.now() - waitingSince;
    if (waited < idleMs) {
      timer = setTimeout(() => checkIdle(controller), Math.ceil(idleMs - waited));
      return;
    }
    const error = new BodyIdleTimeout(
      `no request body bytes for ${idleMs / 1000} s: upload abandoned`,
    );
    fail(controller, error);
    message.destroy(error);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      message.pause();
      message.on("data", (piece: Uint8Array) => {
        if (finished) return;
        waitingSince = undefined;
        if (record !== undefined) record.bytesIn += piece.byteLength;
        controller.enqueue(
          new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength),
        );
        if ((controller.desiredSize ?? 0) <= 0) message.pause();
      });
      message.on("end", () => {
        if (finished) return;
        finished = true;
        stopTimer();
        controller.close();
      });
      message.on("error", (error: Error) => fail(controller, error));
      message.on("close", () => {
        if (!message.complete) fail(controller, new Error("the client closed the connection"));
      });
    },
    pull(controller) {
      if (finished) return;
      if (onBodyWanted !== undefined) {
        const wanted = onBodyWanted;
        onBodyWanted = undefined;
        wanted();
      }
      waitingSince ??= performance.now();
      if (idleMs > 0 && timer === undefined) {
        timer = setTimeout(() => checkIdle(controller), idleMs);
      }
      message.resume();
    },
    cancel() {
      // Nobody wants the rest: it stays unread, and the connection closes after the answer.
      finished = true;
      stopTimer();
    },
  }, {
    // One piece read ahead, so bytes flow while the reader works on the last one;
    // none when the first read must be the reader's own (it sends 100 Continue).
    highWaterMark: onBodyWanted === undefined ? 1 : 0,
  });
}
