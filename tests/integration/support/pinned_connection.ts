// One HTTP/1.1 keep-alive connection under the test's control, with a fetch
// over it: every request of a `PinnedConnection` goes to the one server worker
// the kernel gave the connection to (tests/integration/workers_test.ts).

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Most reads of one response (each at least a byte): a bound, never a timing. */
const MAX_READS = 1_000_000;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.byteLength - needle.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const CRLF = encoder.encode("\r\n");
const HEAD_END = encoder.encode("\r\n\r\n");

/** A connection to `origin` (http://HOST:PORT) that sends one request at a time. */
export class PinnedConnection {
  readonly #conn: Deno.TcpConn;
  readonly #origin: string;
  #buffer: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(conn: Deno.TcpConn, origin: string) {
    this.#conn = conn;
    this.#origin = origin;
  }

  /** Connects to `origin`. */
  static async open(origin: string): Promise<PinnedConnection> {
    const url = new URL(origin);
    const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
    return new PinnedConnection(conn, origin);
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  }

  /** A `fetch` whose every request goes over this connection (bodies are buffered). */
  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const run = this.#queue.then(() => this.#exchange(new Request(input, init)));
    this.#queue = run.catch(() => {});
    return run;
  };

  async #exchange(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = new Uint8Array(await request.arrayBuffer());
    const origin = new URL(this.#origin);
    let head =
      `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${origin.host}\r\n`;
    for (const [name, value] of request.headers) {
      if (name !== "host" && name !== "content-length" && name !== "connection") {
        head += `${name}: ${value}\r\n`;
      }
    }
    head += `content-length: ${body.byteLength}\r\n\r\n`;
    await this.#writeAll(concat(encoder.encode(head), body));
    const { status, statusText, headers } = await this.#readHead();
    let bytes: Uint8Array<ArrayBuffer>;
    if (request.method === "HEAD" || status === 204 || status === 304) {
      bytes = new Uint8Array(0);
    } else if (headers.get("transfer-encoding")?.toLowerCase().includes("chunked")) {
      bytes = await this.#readChunked();
    } else if (headers.has("content-length")) {
      bytes = await this.#take(Number(headers.get("content-length")));
    } else {
      bytes = await this.#readToEnd();
    }
    headers.delete("transfer-encoding");
    const nullBody = status === 204 || status === 304 || request.method === "HEAD";
    return new Response(nullBody ? null : bytes, { status, statusText, headers });
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    for (let at = 0, i = 0; at < bytes.byteLength && i < MAX_READS; i++) {
      at += await this.#conn.write(bytes.subarray(at));
    }
  }

  /** Reads more bytes into the buffer; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    const piece = new Uint8Array(64 * 1024);
    const n = await this.#conn.read(piece);
    if (n === null) return false;
    this.#buffer = concat(this.#buffer, piece.subarray(0, n));
    return true;
  }

  async #readUntil(marker: Uint8Array): Promise<Uint8Array> {
    for (let i = 0; i < MAX_READS; i++) {
      const at = indexOf(this.#buffer, marker);
      if (at >= 0) {
        const found = this.#buffer.subarray(0, at);
        this.#buffer = this.#buffer.slice(at + marker.byteLength);
        return found;
      }
      if (!(await this.#fill())) throw new Error("the connection closed mid-response");
    }
    throw new Error("a response too long to read");
  }

  async #take(n: number): Promise<Uint8Array<ArrayBuffer>> {
    for (let i = 0; i < MAX_READS && this.#buffer.byteLength < n; i++) {
      if (!(await this.#fill())) throw new Error("the connection closed mid-body");
    }
    const bytes = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return bytes;
  }

  async #readHead(): Promise<{ status: number; statusText: string; headers: Headers }> {
    const lines = decoder.decode(await this.#readUntil(HEAD_END)).split("\r\n");
    const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!match) throw new Error(`not an HTTP response: ${lines[0]}`);
    const headers = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return { status: Number(match[1]), statusText: match[2], headers };
  }

  async #readChunked(): Promise<Uint8Array<ArrayBuffer>> {
    let body = new Uint8Array(0);
    for (let i = 0; i < MAX_READS; i++) {
      const size = parseInt(decoder.decode(await this.#readUntil(CRLF)), 16);
      if (size === 0) {
        await this.#readUntil(CRLF); // no trailers
        return body;
      }
      body = concat(body, await this.#take(size));
      await this.#readUntil(CRLF);
    }
    throw new Error("too many chunks");
  }

  async #readToEnd(): Promise<Uint8Array<ArrayBuffer>> {
    for (let i = 0; i < MAX_READS && (await this.#fill()); i++) { /* read on */ }
    const bytes = this.#buffer;
    this.#buffer = new Uint8Array(0);
    return bytes;
  }
}

/**
 * Connections to `origin`, one per server worker, found by opening new ones
 * (at most `attempts`) and asking each, with `probe`, which worker answers it
 * (the `x-backupfs-worker` diagnostic header). The spare ones are closed.
 */
export async function connectionPerWorker(
  origin: string,
  options: {
    workers: number;
    attempts?: number;
    probe: (c: PinnedConnection) => Promise<Response>;
  },
): Promise<{ connections: PinnedConnection[]; opened: number }> {
  const found = new Map<number, PinnedConnection>();
  let opened = 0;
  for (; opened < (options.attempts ?? 200) && found.size < options.workers; opened++) {
    const connection = await PinnedConnection.open(origin);
    const response = await options.probe(connection);
    await response.body?.cancel();
    const worker = Number(response.headers.get("x-backupfs-worker"));
    if (!Number.isInteger(worker)) throw new Error("no x-backupfs-worker header");
    if (found.has(worker)) connection.close();
    else found.set(worker, connection);
  }
  const connections = [...found.keys()].sort().map((worker) => found.get(worker)!);
  return { connections, opened };
}
