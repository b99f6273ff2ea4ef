// serveHttp hands a piece marked reusable (src/http/reusable_piece.ts) back to its
// producer only once node reported it written: a producer that refills the same few
// buffers piece after piece (as a GET's scan does with its pool) serves a download
// whose every byte is intact, however slowly the client reads.

import { createHash } from "node:crypto";
import { serveHttp } from "../../src/http/mod.ts";
import { markReusable } from "../../src/http/reusable_piece.ts";
import { assert, assertEquals } from "../support/assert.ts";

const PIECE = 4 * 1024; // under node's high-water mark: several pieces queue at once
const PIECES = 4096; // 16 MiB: many times what the socket and node's buffers hold

/** Fills `buffer` with bytes that differ from piece to piece and within a piece. */
function fill(buffer: Uint8Array, index: number): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  for (let i = 0; i + 4 <= buffer.byteLength; i += 4) {
    view.setUint32(i, (Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(i, 0x85ebca6b)) >>> 0);
  }
}

/** A body of PIECES pieces refilling the buffers it gets back; its stats and expected digest. */
function recyclingBody() {
  const free: Uint8Array[] = [];
  const stats = { allocated: 0, released: 0 };
  const expected = createHash("sha256");
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index === PIECES) {
        controller.close();
        return;
      }
      let buffer = free.pop();
      if (buffer === undefined) {
        buffer = new Uint8Array(PIECE);
        stats.allocated++;
      }
      fill(buffer, index++);
      expected.update(buffer);
      const piece = buffer;
      markReusable(piece, () => {
        stats.released++;
        free.push(piece);
      });
      controller.enqueue(piece);
    },
  }, { highWaterMark: 0 });
  return { body, stats, digest: () => expected.digest("hex") };
}

Deno.test("serveHttp: reusable pieces come back once written; a slow client gets every byte intact", async () => {
  let current: ReturnType<typeof recyclingBody> | undefined;
  const server = await serveHttp((request) => {
    current = recyclingBody();
    // With a length, or chunked (node then writes each piece between its framing).
    const headers: Record<string, string> = new URL(request.url).pathname === "/sized"
      ? { "content-length": String(PIECES * PIECE) }
      : {};
    return new Response(current.body, { headers });
  }, { hostname: "127.0.0.1", port: 0 });
  try {
    for (const [path, slow] of [["/sized", false], ["/sized", true], ["/chunked", true]] as const) {
      const response = await fetch(`http://127.0.0.1:${server.addr.port}${path}`);
      const reader = response.body!.getReader();
      const received = createHash("sha256");
      let bytes = 0;
      // Bounded by the body's length (each read returns at least one byte).
      for (let reads = 0; reads < PIECES * PIECE; reads++) {
        const { done, value } = await reader.read();
        if (done) break;
        received.update(value);
        bytes += value.byteLength;
        // A slow client: node's buffers fill up while pieces wait to be written.
        if (slow && reads % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
      assertEquals(bytes, PIECES * PIECE);
      assertEquals(received.digest("hex"), current!.digest(), `${path}, slow: ${slow}`);
      // The feature itself: buffers were handed back and refilled.
      assert(current!.stats.released > 0, "no piece was released");
      assert(current!.stats.allocated < PIECES, `every piece allocated (${path}, slow: ${slow})`);
    }
  } finally {
    await server.shutdown();
  }
});
