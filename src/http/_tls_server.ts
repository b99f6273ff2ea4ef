/**
 * The TLS side of {@link serveHttp}: node's HTTPS server (which keeps every
 * HTTP/1.1 bound of the plain server: head timeout, keep-alive idle time, head
 * size, connection count) offering HTTP/2 by ALPN, each connection that picks
 * `h2` handed to an HTTP/2 server whose requests go to the same `request`
 * listener. On top: a bound on the TLS handshake, and for HTTP/2 sessions the
 * head and idle bounds the HTTP/1.1 parser has (a session with no stream open
 * is closed after the head timeout at first, the keep-alive timeout later).
 *
 * Why not `http2.createSecureServer({ allowHTTP1: true })`: in Deno 2.9 its
 * HTTP/1.1 connections are not under the head timeout and keep their own
 * keep-alive time; the HTTPS server's are (measured: a silent head is cut off
 * with 408, an idle keep-alive connection closed, a large head answered 431).
 *
 * @module
 */

import {
  constants,
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2Session,
  type ServerHttp2Stream,
} from "node:http2";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { IncomingMessage, ServerOptions, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "./connection_limits.ts";
import type { TlsCredentials } from "./tls_credentials.ts";

/** Streams one HTTP/2 session may have open at once. */
const MAX_CONCURRENT_STREAMS = 100;

/** What {@link createTlsServer} builds. */
export interface TlsServerParts {
  /**
   * The listening server: `connection` is each TCP connection, `request` each
   * request of either protocol, `clientError` a bad HTTP/1.1 head.
   */
  server: HttpsServer;
  /** Tells each HTTP/2 session to take no new streams (GOAWAY); streams open finish. */
  closeSessions(): void;
}

function peerKey(socket: { remoteAddress?: string; remotePort?: number }): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

/**
 * Builds the server (not yet listening): `httpOptions` are the plain server's,
 * `limits` bound the handshake and the HTTP/2 sessions.
 */
export function createTlsServer(
  httpOptions: ServerOptions,
  tls: TlsCredentials,
  limits: ConnectionLimits,
): TlsServerParts {
  const server = createHttpsServer({
    ...httpOptions,
    cert: tls.cert,
    key: tls.key,
    ALPNProtocols: ["h2", "http/1.1"],
  });
  const h2 = createHttp2Server({
    maxSessionMemory: 16,
    settings: {
      maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
      maxHeaderListSize: limits.maxHeaderBytes,
    },
  });
  h2.on("request", (request, response) => server.emit("request", request, response));
  // `Expect: 100-continue` over HTTP/2 too: answered as over HTTP/1.1 (see serve_http.ts).
  h2.on("checkContinue", (request, response) => server.emit("checkContinue", request, response));

  // The handshake: a connection that never completes one is closed (node's own
  // `handshakeTimeout` does not hold in Deno 2.9). Turning the head timeout off
  // does not turn this off: it then keeps the default.
  const handshakeMs = limits.headersTimeoutMs > 0
    ? limits.headersTimeoutMs
    : DEFAULT_CONNECTION_LIMITS.headersTimeoutMs;
  const handshaking = new Map<string, ReturnType<typeof setTimeout>>();
  server.on("connection", (raw: Socket) => {
    const key = peerKey(raw);
    const timer = setTimeout(() => {
      handshaking.delete(key);
      raw.destroy();
    }, handshakeMs);
    handshaking.set(key, timer);
    raw.once("close", () => {
      if (handshaking.get(key) === timer) handshaking.delete(key);
      clearTimeout(timer);
    });
  });
  server.on("tlsClientError", (_error: Error, socket: TLSSocket) => socket.destroy());

  const http1 = server.listeners("secureConnection") as ((socket: TLSSocket) => void)[];
  server.removeAllListeners("secureConnection");
  server.on("secureConnection", (socket: TLSSocket) => {
    const key = peerKey(socket);
    clearTimeout(handshaking.get(key));
    handshaking.delete(key);
    if (socket.alpnProtocol === "h2") h2.emit("connection", socket);
    else for (const listener of http1) listener.call(server, socket);
  });

  const sessions = new Set<Http2Session>();
  h2.on("session", (session: Http2Session) => {
    sessions.add(session);
    boundSession(session, limits);
    session.once("close", () => sessions.delete(session));
  });

  return {
    server,
    closeSessions() {
      for (const session of sessions) {
        if (!session.closed && !session.destroyed) session.close();
      }
    },
  };
}

/**
 * While `session` has no stream open, it is closed after the head timeout (no
 * request yet) or the keep-alive timeout (after one): the bounds an HTTP/1.1
 * connection has between requests.
 */
function boundSession(session: Http2Session, limits: ConnectionLimits): void {
  let open = 0;
  let served = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const ms = served ? limits.keepAliveTimeoutMs : limits.headersTimeoutMs;
    if (ms <= 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (open > 0 || session.destroyed) return;
      session.close();
      // A client that keeps the connection after GOAWAY is not waited for.
      setTimeout(() => session.destroy(), 1000);
    }, ms);
  };
  session.on("stream", (stream: ServerHttp2Stream) => {
    open++;
    served = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    stream.once("close", () => {
      open--;
      if (open === 0 && !session.closed && !session.destroyed) arm();
    });
  });
  session.once("close", () => {
    if (timer !== undefined) clearTimeout(timer);
  });
  arm();
}

/**
 * The answer to an HTTP/2 request whose body was not read is about to go out:
 * what the client still sends of the body is discarded meanwhile, and once the
 * answer is all written the stream is reset with NO_ERROR, telling the client to
 * stop sending (RFC 9113 §8.1). The session and its other streams go on. A
 * request without a body is left alone.
 *
 * Deno 2.9's HTTP/2 server does not move a stream's answer while the client is
 * still sending more body than the flow-control window (measured: a 401 to a
 * 5 MB PUT never arrives). So such a stream is destroyed after `boundMs` if its
 * answer is not written by then: the client sees a reset stream, not a hang.
 */
export function endHttp2Stream(
  message: IncomingMessage,
  out: ServerResponse,
  boundMs: number,
): void {
  const stream = (message as unknown as Http2ServerRequest).stream;
  if (stream.endAfterHeaders || stream.destroyed || stream.closed) return;
  message.removeAllListeners("data");
  message.resume();
  const timer = setTimeout(() => {
    if (!stream.destroyed && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
  }, boundMs > 0 ? boundMs : DEFAULT_CONNECTION_LIMITS.responseIdleTimeoutMs);
  const reset = () => {
    clearTimeout(timer);
    if (!stream.destroyed && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
  };
  stream.once("close", () => clearTimeout(timer));
  if (out.writableFinished) reset();
  else out.once("finish", reset);
}

/**
 * Whether an HTTP/2 request's head (its fields, pseudo-fields included, counted
 * as HTTP/1.1 would send them) is larger than `maxBytes`. HTTP/1.1 requests are
 * measured by node's parser instead: `false` for them. (The HTTP/2 layer itself
 * refuses a header list above about 64 KiB whatever the setting says.)
 */
export function http2HeadTooLarge(message: IncomingMessage, maxBytes: number): boolean {
  if (message.httpVersionMajor !== 2 || maxBytes <= 0) return false;
  const raw = message.rawHeaders;
  let bytes = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) bytes += raw[i].length + raw[i + 1].length + 4;
  return bytes > maxBytes;
}
