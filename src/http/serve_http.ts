/**
 * The HTTP/1.1 server of `deno task serve` and `deno task storage`: any fetch
 * handler (a Hono app's `fetch`) served over node's HTTP server, which, unlike
 * `Deno.serve`, can bound how long a client may take to send its request head and
 * how long a keep-alive connection may idle. On top of that it bounds the wait for
 * request body bytes and for a client to take response bytes (see
 * {@link ConnectionLimits}), caps the head's size and the number of connections,
 * and shuts down gracefully.
 *
 * @module
 */

import { createServer, type IncomingMessage, METHODS, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "./connection_limits.ts";
import { toRequest } from "./_node_request.ts";
import { writeResponse } from "./_node_response.ts";
import { attachRecord, type RequestObserver, RequestRecord } from "./request_record.ts";
import { peerAddress } from "./peer_address.ts";
import { createTlsServer, endHttp2Stream, http2HeadTooLarge } from "./_tls_server.ts";

function reply(status: string): string {
  return `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/** What a request that never reached a handler is answered, by node's error code. */
const CLIENT_ERROR_REPLIES: Record<string, string> = {
  // A method node's parser does not know (RFC 9110 §15.6.2).
  HPE_INVALID_METHOD: reply("501 Not Implemented"),
  HPE_HEADER_OVERFLOW: reply("431 Request Header Fields Too Large"),
  ERR_HTTP_REQUEST_TIMEOUT: reply("408 Request Timeout"),
  default: reply("400 Bad Request"),
};

/** A well-formed request line whose method node's parser does not know. */
function unknownMethod(packet: Uint8Array | undefined): boolean {
  if (!packet) return false;
  const line = new TextDecoder().decode(packet.subarray(0, 200));
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) \S+ HTTP\/1\.[01]\r?\n/.exec(line);
  return match !== null && !METHODS.includes(match[1]);
}

/** How much of an unread request body is discarded after the answer, at most. */
const LINGER_BYTES = 256 * 1024;
/** How long the connection lingers after the answer to an unread body, at most. */
const LINGER_MS = 2000;

/**
 * After answering a request whose body was not read: takes and discards what the
 * client still sends, up to {@link LINGER_BYTES} or {@link LINGER_MS}, so that closing
 * does not reset the connection before the client read the answer (a lingering
 * close, as Apache's), then closes it.
 */
function lingerThenClose(message: IncomingMessage): void {
  const socket = message.socket;
  let discarded = 0;
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  message.on("data", (piece: Uint8Array) => {
    discarded += piece.byteLength;
    if (discarded > LINGER_BYTES) close();
  });
  message.once("end", close);
  message.resume();
}

/** A record of `message` for the observer: method, target and client as sent. */
function newRecord(message: IncomingMessage): RequestRecord {
  const record = new RequestRecord(
    message.method ?? "",
    message.url ?? "",
    message.socket.remoteAddress ?? "-",
  );
  record.httpVersion = message.httpVersion;
  return record;
}

/** Options of {@link serveHttp}. */
export interface ServeHttpOptions {
  /** Host name or address to listen on (default `127.0.0.1`). */
  hostname?: string;
  /** Port (default 0: the OS picks one). */
  port?: number;
  /**
   * Bind with `SO_REUSEPORT` (Linux): several servers, each with this set, share
   * the port and the kernel spreads new connections among them (default false).
   * The workers of one command use it; with it, a second server on the port is
   * not refused, so check that the port is free first.
   */
  reusePort?: boolean;
  /** Connection bounds; each one not given keeps its default. */
  limits?: Partial<ConnectionLimits>;
  /** Called once listening, with the bound address. */
  onListen?: (address: { hostname: string; port: number }) => void;
  /** Where a handler's failure is reported (default `console.error`, message only). */
  onError?: (error: unknown) => void;
  /**
   * Told about each request once its response is over (the access log, the
   * metrics; see `request_record.ts`). Without it, no record is made.
   */
  observer?: RequestObserver;
  /**
   * Serve HTTPS with this certificate and key (see `tls_credentials.ts`), HTTP/2
   * offered by ALPN beside HTTP/1.1, every bound above holding for both. Without
   * it: plain HTTP/1.1.
   */
  tls?: {
    /** The certificate chain, PEM (the server's certificate first). */
    cert: string;
    /** Its private key, PEM. */
    key: string;
  };
}

/** A running server. */
export interface HttpServerHandle {
  /** The address it listens on. */
  readonly addr: { hostname: string; port: number };
  /** The limits in force. */
  readonly limits: Readonly<ConnectionLimits>;
  /** Connections open right now. */
  connections(): number;
  /**
   * Stops accepting connections, closes idle ones, lets requests in flight finish
   * for up to `graceMs` (default 10 s), then closes the rest. Resolves `true` when
   * everything finished within the grace time.
   */
  shutdown(graceMs?: number): Promise<boolean>;
}

/**
 * Serves `handler` over HTTP/1.1 until {@link HttpServerHandle.shutdown}.
 * Rejects when the address cannot be bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveHttp } from "./serve_http.ts";
 * const server = await serveHttp(() => new Response("hello"), { hostname: "127.0.0.1", port: 0 });
 * assert.equal(server.addr.hostname, "127.0.0.1");
 * assert.notEqual(server.addr.port, 0); // the port the OS picked
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(response.status, 200);
 * assert.equal(await response.text(), "hello");
 * assert.equal(await server.shutdown(), true); // nothing was left in flight
 * ```
 */
export function serveHttp(
  handler: (request: Request) => Response | Promise<Response>,
  options?: ServeHttpOptions,
): Promise<HttpServerHandle> {
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options?.limits };
  const hostname = options?.hostname ?? "127.0.0.1";
  const onError = options?.onError ?? ((error: unknown) => {
    console.error(`http: handler failed: ${error instanceof Error ? error.message : error}`);
  });
  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  const httpOptions = {
    headersTimeout: limits.headersTimeoutMs,
    // The whole request is not timed: a large upload may take as long as it needs
    // while bytes keep coming (the body idle time bounds a stall).
    requestTimeout: 0,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    connectionsCheckingInterval: Math.max(
      100,
      Math.min(1000, Math.floor((limits.headersTimeoutMs || 1000) / 4)),
    ),
  };
  const tls = options?.tls === undefined
    ? undefined
    : createTlsServer(httpOptions, options.tls, limits);
  const server = tls?.server ?? createServer(httpOptions);
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("clientError", (error: Error & { code?: string; rawPacket?: Uint8Array }, socket) => {
    // A request head that is malformed, too large or too slow: answer briefly if the
    // socket can still take it, and close.
    if (socket.writable && !socket.destroyed) {
      const code = unknownMethod(error.rawPacket) ? "HPE_INVALID_METHOD" : error.code ?? "";
      socket.end(CLIENT_ERROR_REPLIES[code] ?? CLIENT_ERROR_REPLIES.default);
    } else {
      socket.destroy();
    }
  });

  let fallbackHost = hostname;
  const track = (task: Promise<void>) => {
    const tracked = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  server.on("request", (message: IncomingMessage, out: ServerResponse) => {
    track(answer(message, out, false));
  });
  // `Expect: 100-continue` (curl, Windows, .NET, cadaver…): node would answer
  // `100 Continue` at once. For a body of unknown length or longer than
  // EARLY_CONTINUE_BYTES it is sent when the handler first reads the body instead,
  // as Apache and Go do: a request refused before that (401, 403, 409, 412, 413,
  // 423, 507) is answered without the client sending its body at all. A short body
  // is asked for at once: it then arrives while the handler looks the path up and
  // checks locks and conditions, instead of one round trip after that; a refusal
  // costs at most that many bytes sent for nothing.
  server.on("checkContinue", (message: IncomingMessage, out: ServerResponse) => {
    const short = declaredLength(message) <= EARLY_CONTINUE_BYTES;
    if (short) sendContinue(out);
    track(answer(message, out, !short));
  });

  const observer = options?.observer;

  async function answer(
    message: IncomingMessage,
    out: ServerResponse,
    expectsContinue: boolean,
  ): Promise<void> {
    const aborted = new AbortController();
    const record = observer === undefined ? undefined : newRecord(message);
    if (record !== undefined) observer!.requestStarted?.(record);
    out.once("close", () => {
      if (!out.writableFinished) aborted.abort(new Error("the client went away"));
      if (record !== undefined) endRecord(record, out);
    });
    if (tls !== undefined && http2HeadTooLarge(message, limits.maxHeaderBytes)) {
      // HTTP/1.1's parser answers this itself (431 in CLIENT_ERROR_REPLIES).
      endHttp2Stream(message, out, limits.responseIdleTimeoutMs);
      out.writeHead(431, { "content-type": "text/plain; charset=utf-8" });
      out.end("Request Header Fields Too Large\n");
      return;
    }
    const request = toRequest(message, {
      fallbackHost,
      ...(tls === undefined ? {} : { secure: true }),
      bodyIdleTimeoutMs: limits.bodyIdleTimeoutMs,
      signal: aborted.signal,
      ...(record === undefined ? {} : { record }),
      ...(expectsContinue ? { onBodyWanted: () => sendContinue(out) } : {}),
    });
    if (request !== undefined && record !== undefined) {
      attachRecord(request, record);
      record.client = peerAddress(request)?.address ?? record.client;
    }
    if (request === undefined) {
      message.resume();
      out.writeHead(400, {
        "content-type": "text/plain; charset=utf-8",
        // HTTP/2 has no Connection field (RFC 9113 §8.2.2); its stream just ends.
        ...(message.httpVersionMajor === 2 ? {} : { connection: "close" }),
      });
      out.end("Bad Request: the request target or a header is malformed\n");
      return;
    }
    let response: Response;
    try {
      response = await handler(request);
    } catch (error) {
      onError(error);
      response = new Response("Internal Server Error\n", { status: 500 });
    }
    const unread = !message.complete;
    // A request body not read to its end is not read at all: no keep-alive after
    // the answer (reading an arbitrary amount to discard it would cost memory and time).
    if (unread) out.shouldKeepAlive = false;
    // HTTP/2: the unread body is discarded while the answer goes out, then the stream reset.
    if (unread && message.httpVersionMajor === 2) {
      endHttp2Stream(message, out, limits.responseIdleTimeoutMs);
    }
    await writeResponse(out, response, {
      responseIdleTimeoutMs: limits.responseIdleTimeoutMs,
      head: request.method === "HEAD",
      ...(record === undefined ? {} : { sent: record }),
      onBodyError: (error) => onError(bodyFailure(request, error)),
    });
    if (unread && !message.complete && message.httpVersionMajor !== 2) {
      // A client that already went away gets nothing more: close at once.
      if (aborted.signal.aborted || out.destroyed) message.socket.destroy();
      else lingerThenClose(message);
    }
  }

  function endRecord(record: RequestRecord, out: ServerResponse): void {
    record.status = out.statusCode;
    record.completed = out.writableFinished;
    record.durationMs = performance.now() - record.startMark;
    try {
      observer!.requestEnded(record);
    } catch (error) {
      onError(error);
    }
  }

  return new Promise((resolve, reject) => {
    const onListenError = (error: Error) => reject(error);
    server.once("error", onListenError);
    const listen = {
      port: options?.port ?? 0,
      host: hostname,
      ...(options?.reusePort ? { reusePort: true } : {}),
    };
    server.listen(listen, () => {
      server.off("error", onListenError);
      const address = server.address() as AddressInfo;
      const addr = { hostname: address.address, port: address.port };
      fallbackHost = address.family === "IPv6"
        ? `[${address.address}]:${address.port}`
        : `${address.address}:${address.port}`;
      options?.onListen?.(addr);
      resolve({
        addr,
        limits,
        connections: () => sockets.size,
        shutdown: (graceMs = 10_000) => shutdown(graceMs),
      });
    });
  });

  async function shutdown(graceMs: number): Promise<boolean> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    tls?.closeSessions();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    // Requests that start meanwhile (the next one on a connection that was busy) are
    // waited for too; connections that became idle are closed as they do.
    const drained = (async () => {
      for (let round = 0; round < 10_000 && inFlight.size > 0; round++) {
        await Promise.all([...inFlight]);
        server.closeIdleConnections();
        if (inFlight.size === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      return true as const;
    })();
    const inTime = await Promise.race([drained, graceOver]);
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    await closed;
    return inTime;
  }
}

/**
 * Request bodies declared at most this long (`Content-Length`) are told to go on
 * (`100 Continue`) as soon as their head arrived, before the handler runs.
 */
const EARLY_CONTINUE_BYTES = 64 * 1024;

/**
 * The body length a request declares with `Content-Length` alone; `Infinity` when it
 * declares none, a malformed one, or also a transfer coding (its length is then unknown).
 */
function declaredLength(message: IncomingMessage): number {
  const value = message.headers["content-length"];
  if (typeof value !== "string" || !/^\d{1,15}$/.test(value)) return Infinity;
  if (message.headers["transfer-encoding"] !== undefined) return Infinity;
  return Number(value);
}

/** `100 Continue`, unless the answer already began (a late read sends nothing). */
function sendContinue(out: ServerResponse): void {
  if (!out.headersSent && !out.writableEnded && !out.destroyed) out.writeContinue();
}

/** A response body's failure, named by its request (method and path, never the query). */
function bodyFailure(request: Request, error: unknown): Error {
  const path = new URL(request.url).pathname;
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`${request.method} ${path}: the response body failed midway: ${reason}`, {
    cause: error,
  });
}
