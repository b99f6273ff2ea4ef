// Raw HTTP/1.1 exchanges with a server of src/http/ in tests: start one around a
// test, and read a connection until the server closes it.

import { serveHttp, type ServeHttpOptions } from "../../src/http/mod.ts";

const decoder = new TextDecoder();

/** Reads until the peer closes or `deadlineMs` passes; returns the text and whether it closed. */
export async function readUntilClosed(
  conn: Deno.Conn,
  deadlineMs: number,
): Promise<{ text: string; closed: boolean }> {
  const chunks: string[] = [];
  const buffer = new Uint8Array(64 * 1024);
  const deadline = Date.now() + deadlineMs;
  for (let i = 0; i < 10_000; i++) {
    const left = deadline - Date.now();
    if (left <= 0) return { text: chunks.join(""), closed: false };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), left);
    });
    const n = await Promise.race([conn.read(buffer).catch(() => null), timeout]);
    clearTimeout(timer);
    if (n === "timeout") return { text: chunks.join(""), closed: false };
    if (n === null) return { text: chunks.join(""), closed: true };
    chunks.push(decoder.decode(buffer.subarray(0, n)));
  }
  return { text: chunks.join(""), closed: false };
}

/** Runs `body` with a `serveHttp` server of `handler` on a port of its own, then shuts it down. */
export async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  options: ServeHttpOptions,
  body: (port: number) => Promise<void>,
): Promise<void> {
  const server = await serveHttp(handler, { hostname: "127.0.0.1", port: 0, ...options });
  try {
    await body(server.addr.port);
  } finally {
    await server.shutdown(2000);
  }
}
