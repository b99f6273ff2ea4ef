/**
 * A minimal HTTP/1.1 client connection for the load phase of the WebDAV benchmark:
 * one keep-alive TCP connection, one request at a time, the answer's body counted and
 * discarded (Content-Length or chunked). Far cheaper per request than `fetch` or a
 * curl process, so the client takes little of the CPU the servers need.
 *
 * @module
 */

const CRLF2 = [13, 10, 13, 10];
const decoder = new TextDecoder("latin1");

/**
 * What one request got: its status and the bytes of the answer's body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Answer } from "./_http1_connection.ts";
 * const answer: Answer = { status: 200, bodyBytes: 65536 };
 * assert.equal(answer.status, 200);
 * ```
 */
export interface Answer {
  /** HTTP status. */
  status: number;
  /** Bytes of the body (after de-chunking). */
  bodyBytes: number;
}

/**
 * The request head of `method` on `path` with `headers` (Host added), as bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestHead } from "./_http1_connection.ts";
 * const head = new TextDecoder().decode(requestHead("GET", "/a", { host: "h:1" }));
 * assert.equal(head, "GET /a HTTP/1.1\r\nHost: h:1\r\n\r\n");
 * ```
 */
export function requestHead(
  method: string,
  path: string,
  options: { host: string; headers?: Record<string, string> },
): Uint8Array {
  let text = `${method} ${path} HTTP/1.1\r\nHost: ${options.host}\r\n`;
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    text += `${name}: ${value}\r\n`;
  }
  return new TextEncoder().encode(`${text}\r\n`);
}

/**
 * One keep-alive connection to a server on 127.0.0.1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Http1Connection, requestHead } from "./_http1_connection.ts";
 * const big = new Uint8Array(300_000);
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
 *   const path = new URL(request.url).pathname;
 *   if (path === "/chunked") {
 *     // A streamed body: chunked transfer encoding.
 *     return new Response(ReadableStream.from([big.subarray(0, 100_000), big.subarray(0, 7)]));
 *   }
 *   if (path === "/close") return new Response("bye", { headers: { Connection: "close" } });
 *   return new Response(path === "/big" ? big : "hello", { status: 207 });
 * });
 * const connection = await Http1Connection.open(server.addr.port);
 * const get = (path: string) => connection.request(requestHead("GET", path, { host: "x" }));
 * for (let i = 0; i < 3; i++) assert.deepEqual(await get("/"), { status: 207, bodyBytes: 5 });
 * assert.deepEqual(await get("/big"), { status: 207, bodyBytes: 300_000 });
 * assert.deepEqual(await get("/chunked"), { status: 200, bodyBytes: 100_007 });
 * assert.deepEqual(await get("/"), { status: 207, bodyBytes: 5 });
 * assert.equal(connection.opened, 1);
 * assert.deepEqual(await get("/close"), { status: 200, bodyBytes: 3 });
 * assert.deepEqual(await get("/"), { status: 207, bodyBytes: 5 });
 * assert.equal(connection.opened, 2);
 * connection.close();
 * await server.shutdown();
 * ```
 */
export class Http1Connection {
  #port: number;
  #conn: Deno.TcpConn | undefined;
  #buffer = new Uint8Array(256 * 1024);
  #start = 0;
  #end = 0;
  /** Connections opened so far (a new one after the server closed one). */
  opened = 0;

  private constructor(port: number) {
    this.#port = port;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async open(port: number): Promise<Http1Connection> {
    const connection = new Http1Connection(port);
    await connection.#connect();
    return connection;
  }

  async #connect(): Promise<Deno.TcpConn> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.#port });
    conn.setNoDelay(true);
    this.#conn = conn;
    this.#start = this.#end = 0;
    this.opened++;
    return conn;
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn?.close();
    } catch { /* closed */ }
    this.#conn = undefined;
  }

  /** Reads more bytes into the buffer; false at the end of the stream. */
  async #fill(conn: Deno.TcpConn): Promise<boolean> {
    if (this.#end === this.#buffer.length) {
      if (this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buffer.length * 2);
        bigger.set(this.#buffer);
        this.#buffer = bigger;
      }
    }
    const n = await conn.read(this.#buffer.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  /** The index just past the first CRLF (or CRLFCRLF) at or after `from`, or -1. */
  #find(from: number, pattern: readonly number[]): number {
    const buffer = this.#buffer;
    outer: for (let i = from; i + pattern.length <= this.#end; i++) {
      for (let j = 0; j < pattern.length; j++) if (buffer[i + j] !== pattern[j]) continue outer;
      return i + pattern.length;
    }
    return -1;
  }

  /** Discards `count` body bytes (reading as needed). */
  async #skip(conn: Deno.TcpConn, count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      if (this.#start === this.#end) {
        this.#start = this.#end = 0;
        if (!(await this.#fill(conn))) throw new Error("connection closed in a body");
      }
      const take = Math.min(left, this.#end - this.#start);
      this.#start += take;
      left -= take;
    }
  }

  /** A line ending in CRLF, without it. */
  async #line(conn: Deno.TcpConn): Promise<string> {
    for (let i = 0; i < 10_000; i++) {
      const end = this.#find(this.#start, [13, 10]);
      if (end >= 0) {
        const line = decoder.decode(this.#buffer.subarray(this.#start, end - 2));
        this.#start = end;
        return line;
      }
      if (!(await this.#fill(conn))) throw new Error("connection closed in a chunk header");
    }
    throw new Error("a chunk header line too long");
  }

  /**
   * Sends `request` (head and body, as bytes) and reads the whole answer; a new
   * connection when the server closed the last one (`Connection: close`).
   */
  async request(request: Uint8Array): Promise<Answer> {
    const conn = this.#conn ?? await this.#connect();
    for (let written = 0; written < request.length;) {
      written += await conn.write(request.subarray(written));
    }
    let headEnd = -1;
    for (let i = 0; i < 10_000 && headEnd < 0; i++) {
      headEnd = this.#find(this.#start, CRLF2);
      if (headEnd < 0 && !(await this.#fill(conn))) {
        this.close();
        throw new Error("connection closed before an answer");
      }
    }
    const head = decoder.decode(this.#buffer.subarray(this.#start, headEnd));
    this.#start = headEnd;
    const status = Number(head.slice(9, 12));
    const header = (name: string) =>
      new RegExp(`\r\n${name}:[ \t]*([^\r]*)`, "i").exec(head)?.[1].trim();
    let bodyBytes = 0;
    if (/chunked/i.test(header("transfer-encoding") ?? "")) {
      for (let i = 0; i < 100_000_000; i++) {
        const size = parseInt((await this.#line(conn)).split(";")[0], 16);
        if (!Number.isSafeInteger(size)) throw new Error("a bad chunk size");
        if (size === 0) {
          // Trailers, up to the empty line.
          for (let j = 0; j < 1000 && (await this.#line(conn)) !== ""; j++) { /* skip */ }
          break;
        }
        await this.#skip(conn, size + 2);
        bodyBytes += size;
      }
    } else {
      const length = Number(header("content-length") ?? 0);
      await this.#skip(conn, length);
      bodyBytes = length;
    }
    if (/close/i.test(header("connection") ?? "")) this.close();
    return { status, bodyBytes };
  }
}
