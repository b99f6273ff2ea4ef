/**
 * Writes a web `Response` to a node `ServerResponse`: status and headers as
 * given, a body that fits in its first two pieces with a `Content-Length`,
 * anything longer streamed with backpressure. A client that stops taking bytes
 * for the response idle time, or goes away, ends the body's stream (its producer
 * sees a cancel) and the connection.
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import { releasePiece } from "./reusable_piece.ts";

/** Writes `response` to `out`; resolves when done or abandoned, never rejects. */
export async function writeResponse(
  out: ServerResponse,
  response: Response,
  options: {
    responseIdleTimeoutMs: number;
    head: boolean;
    /** Where the body bytes node reports written are counted, when observed. */
    sent?: { bytesOut: number };
    /** Told when the body fails after the answer began (the connection is then cut). */
    onBodyError?: (error: unknown) => void;
  },
): Promise<void> {
  const sent = options.sent;
  const headers: string[] = [];
  let hasLength = false;
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    if (name === "content-length") hasLength = true;
    headers.push(name, value);
  }
  for (const cookie of response.headers.getSetCookie()) headers.push("set-cookie", cookie);
  if (isHttp2(out)) dropConnectionHeaders(headers);
  const body = response.body;
  if (body === null || options.head) {
    if (body !== null) await body.cancel().catch(() => {});
    // node would frame an answer whose head is written first as chunked, with an
    // empty chunk for its body: say it has none (not where a length is forbidden).
    if (body === null && !options.head && !hasLength && mayHaveLength(response.status)) {
      headers.push("content-length", "0");
    }
    out.writeHead(response.status, headers);
    out.end();
    return;
  }
  const reader = body.getReader();
  try {
    // Short bodies (texts, errors, small files) go out with a length, in one write.
    const first = await reader.read();
    const second = first.done ? first : await reader.read();
    if (second.done) {
      const bytes = first.done ? undefined : first.value;
      if (!hasLength) headers.push("content-length", String(bytes?.byteLength ?? 0));
      out.writeHead(response.status, headers);
      if (sent !== undefined && bytes !== undefined) {
        out.end(bytes, () => void (sent.bytesOut += bytes.byteLength));
      } else {
        out.end(bytes);
      }
      return;
    }
    out.writeHead(response.status, headers);
    if (!await send(out, first.value!, options.responseIdleTimeoutMs, sent)) return;
    if (!await send(out, second.value, options.responseIdleTimeoutMs, sent)) return;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!await send(out, value, options.responseIdleTimeoutMs, sent)) return;
    }
    out.end();
  } catch (error) {
    // The body failed midway: the client must not take a truncated reply for a whole one.
    out.destroy();
    options.onBodyError?.(error);
  } finally {
    if (!out.writableFinished) await reader.cancel().catch(() => {});
  }
}

/**
 * Writes one piece; waits for the socket to drain when its buffer is full, up to
 * `idleMs`. `false` when the connection closed or the client stopped reading (the
 * connection is then destroyed). A piece marked reusable (`reusable_piece.ts`) is
 * released once node reports it written (its callback, without an error): node
 * holds it no more, so its producer may fill it again. Then too its bytes are
 * counted in `sent`, when given.
 */
function send(
  out: ServerResponse,
  piece: Uint8Array,
  idleMs: number,
  sent: { bytesOut: number } | undefined,
): Promise<boolean> | boolean {
  if (out.destroyed || streamGone(out)) return false;
  const written = out.write(piece, (error) => {
    if (error === null || error === undefined) {
      releasePiece(piece);
      if (sent !== undefined) sent.bytesOut += piece.byteLength;
    }
  });
  if (written) return true;
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (ok: boolean) => {
      if (timer !== undefined) clearTimeout(timer);
      out.off("drain", onDrain);
      out.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.on("drain", onDrain);
    out.on("close", onClose);
    if (idleMs > 0) {
      timer = setTimeout(() => {
        out.destroy();
        done(false);
      }, idleMs);
    }
  });
}

/**
 * Whether an answer of `status` may carry `Content-Length`: not 1xx or 204 (RFC 9110
 * §8.6), and not 304, whose length would be that of the representation it stands for.
 */
function mayHaveLength(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}

/** Whether `out` answers an HTTP/2 stream (node's compatibility response). */
function isHttp2(out: ServerResponse): boolean {
  return (out as unknown as { stream?: unknown }).stream !== undefined;
}

/** An HTTP/2 response whose stream is gone (it has no `destroyed` of its own). */
function streamGone(out: ServerResponse): boolean {
  const stream = (out as unknown as { stream?: { destroyed: boolean } }).stream;
  return stream !== undefined && stream.destroyed;
}

/** Header fields HTTP/2 forbids (RFC 9113 §8.2.2): connection-specific ones. */
const CONNECTION_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/** Removes the connection-specific fields from a flat name, value list, in place. */
function dropConnectionHeaders(headers: string[]): void {
  let kept = 0;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (CONNECTION_HEADERS.has(headers[i])) continue;
    headers[kept++] = headers[i];
    headers[kept++] = headers[i + 1];
  }
  headers.length = kept;
}
