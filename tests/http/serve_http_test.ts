// The HTTP layer of both servers (src/http/): connection limits enforced on real
// sockets (a slow request head, an idle connection, an idle keep-alive connection, a
// client that stops reading; a stalled request body is in incoming_request_test.ts),
// the answers to heads that never reach a handler, and how responses are framed.

import { serveHttp } from "../../src/http/mod.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { readUntilClosed, withServer } from "../support/raw_http.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Reads until `done(text)` holds or the peer closes; after `deadlineMs` the
 * connection is closed (no read is left pending) and the test fails.
 */
async function readUntil(
  conn: Deno.Conn,
  done: (text: string) => boolean,
  deadlineMs: number,
): Promise<{ text: string; closed: boolean }> {
  let text = "";
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, deadlineMs);
  try {
    const buffer = new Uint8Array(64 * 1024);
    for (let i = 0; i < 10_000 && !done(text); i++) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) {
        assert(!timedOut, `nothing more within ${deadlineMs} ms; got: ${text}`);
        return { text, closed: true };
      }
      text += decoder.decode(buffer.subarray(0, n));
    }
    return { text, closed: false };
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `head` on a new connection and reads the answer until the server closes it (≤ 5 s). */
async function exchange(port: number, head: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encoder.encode(head));
    return (await readUntilClosed(conn, 5000)).text;
  } finally {
    conn.close();
  }
}

Deno.test("http: slow and silent request heads are cut off after the header timeout (408), while others are served", async () => {
  await withServer(() => new Response("ok"), {
    limits: { headersTimeoutMs: 600 },
  }, async (port) => {
    const slow: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        slow.push(conn);
        // Half of them send part of a head, the other half nothing at all.
        if (i % 2 === 0) await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
      }
      // Meanwhile a normal request is answered.
      const response = await fetch(`http://127.0.0.1:${port}/`);
      assertEquals(await response.text(), "ok");
      // A slowloris client that keeps trickling bytes is cut off too.
      const trickle = slow[0];
      const dribble = (async () => {
        for (let i = 0; i < 20; i++) {
          await new Promise((r) => setTimeout(r, 100));
          if (await trickle.write(encoder.encode("a")).catch(() => -1) === -1) return;
        }
      })();
      const results = await Promise.all(slow.map((conn) => readUntilClosed(conn, 8000)));
      await dribble;
      for (const [i, result] of results.entries()) {
        assert(result.closed, `connection ${i} still open after the header timeout`);
        if (i % 2 === 0) assertMatch(result.text, /^HTTP\/1\.1 408 /);
      }
    } finally {
      for (const conn of slow) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    }
  });
});

Deno.test("http: an idle keep-alive connection is closed after the keep-alive timeout", async () => {
  await withServer(() => new Response("ok"), {
    limits: { keepAliveTimeoutMs: 400, headersTimeoutMs: 10_000 },
  }, async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      const started = Date.now();
      const { text, closed } = await readUntilClosed(conn, 8000);
      assertMatch(text, /^HTTP\/1\.1 200 /);
      assert(closed, "the idle keep-alive connection was not closed");
      assert(Date.now() - started >= 300, "closed before the keep-alive timeout");
    } finally {
      conn.close();
    }
  });
});

Deno.test("http: a slow but steady body is not cut off (the body timeout is per wait, not per request)", async () => {
  await withServer(
    async (request) => {
      return new Response(String((await request.bytes()).byteLength));
    },
    { limits: { bodyIdleTimeoutMs: 500 } },
    async (port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(
          encoder.encode("PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"),
        );
        for (let i = 0; i < 10; i++) {
          await new Promise((r) => setTimeout(r, 150)); // 1.5 s in all, 3× the timeout
          await conn.write(encoder.encode("x"));
        }
        const { text } = await readUntilClosed(conn, 1500);
        assertMatch(text, /^HTTP\/1\.1 200 [\s\S]*\r\n\r\n10$/);
      } finally {
        conn.close();
      }
    },
  );
});

Deno.test("http: a client that stops reading a long response is disconnected and the body's producer cancelled", async () => {
  const cancelled = Promise.withResolvers<number>();
  await withServer(
    () => {
      let sent = 0;
      const piece = new Uint8Array(256 * 1024);
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            sent++;
            if (sent > 4096) controller.close(); // 1 GiB at most
            else controller.enqueue(piece);
          },
          cancel() {
            cancelled.resolve(sent);
          },
        }),
      );
    },
    { limits: { responseIdleTimeoutMs: 500 } },
    async (port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(encoder.encode("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
        // Read nothing: the server's socket buffer fills and the response idles.
        const pieces = await cancelled.promise;
        assert(pieces < 4096, "the whole body was produced for a client that read nothing");
      } finally {
        conn.close();
      }
    },
  );
});

Deno.test("http: a body that fails after the answer began cuts the connection (no chunked end) and is reported, path without query", async () => {
  const reported: unknown[] = [];
  await withServer(
    () => {
      let pulls = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            pulls++;
            if (pulls > 3) {
              // Later, as a fetch would: the pieces before are on the wire by then.
              await new Promise((resolve) => setTimeout(resolve, 100));
              controller.error(new Error("chunk 3 failed its digest"));
            } else controller.enqueue(encoder.encode(`piece ${pulls};`));
          },
        }),
      );
    },
    { onError: (error) => reported.push(error) },
    async (port) => {
      const text = await exchange(
        port,
        "GET /dir/f.bin?X-Amz-Signature=s3cr3t HTTP/1.1\r\nHost: x\r\n\r\n",
      );
      assertMatch(text, /^HTTP\/1\.1 200/);
      assert(text.includes("piece 2;"), "the pieces before the failure were sent");
      assert(!text.endsWith("0\r\n\r\n"), "a truncated body must not end like a whole one");
    },
  );
  assertEquals(reported.length, 1);
  const message = (reported[0] as Error).message;
  assertMatch(
    message,
    /^GET \/dir\/f\.bin: the response body failed midway: chunk 3 failed its digest$/,
  );
  assert(!message.includes("s3cr3t"), "the query (a presigned signature) is not logged");
});

Deno.test("http: heads that never reach the handler — unknown method 501, oversize head 431, bad Host 400", async () => {
  let calls = 0;
  await withServer(
    () => {
      calls++;
      return new Response("ok");
    },
    { limits: { maxHeaderBytes: 8192 } },
    async (port) => {
      const send = (head: string) => exchange(port, head);
      assertMatch(await send("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"), /^HTTP\/1\.1 501 /);
      assertMatch(
        await send(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(10_000)}\r\n\r\n`),
        /^HTTP\/1\.1 431 /,
      );
      assertMatch(await send("GET / HTTP/1.1\r\nHost: a/b@c\r\n\r\n"), /^HTTP\/1\.1 400 /);
      assertMatch(await send("GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n"), /^HTTP\/1\.1 400 /);
      assertEquals(calls, 0);
      // Still serving.
      assertMatch(
        await send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        /^HTTP\/1\.1 200 /,
      );
    },
  );
});

Deno.test("http: short bodies carry Content-Length, streamed ones are chunked, HEAD has no body, headers pass through", async () => {
  await withServer(
    (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/stream") {
        let n = 0;
        return new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              if (n++ < 3) controller.enqueue(encoder.encode(`piece${n};`));
              else controller.close();
            },
          }),
        );
      }
      const headers = new Headers({ "X-Echo": request.headers.get("x-in") ?? "" });
      headers.append("Set-Cookie", "a=1");
      headers.append("Set-Cookie", "b=2");
      return new Response(request.method === "HEAD" ? null : "hello", {
        status: 207,
        headers,
      });
    },
    {},
    async (port) => {
      const send = (head: string) => exchange(port, head);
      const short = await send(
        "GET /x HTTP/1.1\r\nHost: x\r\nX-In: v\r\nConnection: close\r\n\r\n",
      );
      assertMatch(short, /^HTTP\/1\.1 207 Multi-Status\r\n/);
      assertMatch(short, /\r\ncontent-length: 5\r\n/i);
      assertMatch(short, /\r\nx-echo: v\r\n/i);
      assertMatch(short, /\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n/i);
      assert(short.endsWith("\r\n\r\nhello"));
      const streamed = await send("GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertMatch(streamed, /\r\ntransfer-encoding: chunked\r\n/i);
      const response = await fetch(`http://127.0.0.1:${port}/stream`);
      assertEquals(await response.text(), "piece1;piece2;piece3;");
      const head = await send("HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert(head.endsWith("\r\n\r\n"), "HEAD carried a body");
    },
  );
});

Deno.test("http: an answer without a body says Content-Length: 0 (not chunked), except where HTTP forbids a length", async () => {
  await withServer(
    (request) => {
      const status = Number(new URL(request.url).pathname.slice(1));
      return new Response(null, { status, headers: { ETag: '"e"' } });
    },
    {},
    async (port) => {
      for (const status of [200, 201, 207, 404, 412]) {
        const answer = await exchange(
          port,
          `PUT /${status} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        assertMatch(answer, new RegExp(`^HTTP/1\\.1 ${status} `));
        assertMatch(answer, /\r\ncontent-length: 0\r\n/i);
        assert(!/transfer-encoding/i.test(answer), `${status} was framed chunked: ${answer}`);
        assert(answer.endsWith("\r\n\r\n"), `${status} carried a body`);
      }
      for (const status of [204, 304]) {
        const answer = await exchange(
          port,
          `GET /${status} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        assertMatch(answer, new RegExp(`^HTTP/1\\.1 ${status} `));
        assert(!/content-length|transfer-encoding/i.test(answer), `${status} framed: ${answer}`);
      }
    },
  );
});

Deno.test("http: a request body arrives whole and in order; a client that disconnects midway errors the read", async () => {
  const failures: string[] = [];
  await withServer(
    async (request) => {
      try {
        const bytes = await request.bytes();
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        return new Response(`${bytes.byteLength}:${digest.slice(0, 4).join(",")}`);
      } catch (error) {
        failures.push((error as Error).message);
        return new Response("failed", { status: 400 });
      }
    },
    {},
    async (port) => {
      const body = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) % 251);
      const response = await fetch(`http://127.0.0.1:${port}/up`, { method: "PUT", body });
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
      assertEquals(await response.text(), `${body.byteLength}:${digest.slice(0, 4).join(",")}`);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(
        encoder.encode(
          "PUT /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(500),
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
      conn.close();
      for (let i = 0; i < 100 && failures.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assertEquals(failures.length, 1);
    },
  );
});

Deno.test("http: shutdown lets a request in flight finish, then refuses connections", async () => {
  const started = Promise.withResolvers<void>();
  const server = await serveHttp(async () => {
    started.resolve();
    await new Promise((r) => setTimeout(r, 300));
    return new Response("late but whole");
  }, { hostname: "127.0.0.1", port: 0 });
  const port = server.addr.port;
  const pending = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  await started.promise;
  assertEquals(await server.shutdown(5000), true);
  assertEquals(await pending, "late but whole");
  let refused = false;
  try {
    await fetch(`http://127.0.0.1:${port}/`);
  } catch {
    refused = true;
  }
  assert(refused, "a connection was accepted after shutdown");
});

Deno.test("http: a request body left unread is not drained: the answer says Connection: close and the connection ends within the linger time", async () => {
  await withServer(
    async (request) => {
      await request.body?.cancel();
      return new Response("too large", { status: 413 });
    },
    {},
    async (port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      let trickling = true;
      try {
        await conn.write(
          encoder.encode("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n"),
        );
        await conn.write(new Uint8Array(100_000));
        // The client keeps sending (a byte every 50 ms), as a real one would.
        const trickle = (async () => {
          for (let i = 0; i < 200 && trickling; i++) {
            await new Promise((r) => setTimeout(r, 50));
            if (await conn.write(new Uint8Array(1)).catch(() => -1) === -1) return;
          }
        })();
        const { text, closed } = await readUntilClosed(conn, 6000);
        trickling = false;
        await trickle;
        assertMatch(text, /^HTTP\/1\.1 413 /);
        assertMatch(text, /\r\nconnection: close\r\n/i);
        assert(text.endsWith("too large"), "the answer did not arrive whole");
        assert(closed, "the server kept the connection to read the unread body");
      } finally {
        trickling = false;
        conn.close();
      }
    },
  );
});

/**
 * Sends `length` zero bytes as the body and checks the answer: 200 `got LENGTH`, the
 * connection kept open.
 */
async function sendBodyExpectingKeptAnswer(conn: Deno.Conn, length: number): Promise<void> {
  await conn.write(new Uint8Array(length));
  const answer = await readUntilClosed(conn, 1000);
  assertMatch(answer.text, /^HTTP\/1\.1 200 /);
  assert(answer.text.endsWith(`got ${length}`), `unexpected answer: ${answer.text}`);
  assert(!answer.closed, "the connection did not stay open after a body read whole");
}

Deno.test("http: Expect: 100-continue with a body over 64 KiB is answered 100 only once the handler reads the body; a request refused before that never needs its body", async () => {
  const started = Promise.withResolvers<void>();
  const readNow = Promise.withResolvers<void>();
  const length = 64 * 1024 + 1; // the shortest body that waits for the handler
  await withServer(
    async (request) => {
      if (new URL(request.url).pathname === "/refused") {
        // Refused on its head alone (as a PUT to a locked file is): the body is not read.
        return new Response("locked", { status: 423 });
      }
      started.resolve();
      await readNow.promise;
      const body = await request.bytes();
      return new Response(`got ${body.byteLength}`);
    },
    {},
    async (port) => {
      // Refused: the final answer comes without a 100, and the client sends no body.
      for (const head of [`Content-Length: ${length}`, "Transfer-Encoding: chunked"]) {
        const refused = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await refused.write(encoder.encode(
            `PUT /refused HTTP/1.1\r\nHost: x\r\n${head}\r\nExpect: 100-continue\r\n\r\n`,
          ));
          const { text } = await readUntilClosed(refused, 3000);
          assertMatch(text, /^HTTP\/1\.1 423 /);
          assert(!text.includes("100 Continue"), `${head}: a 100 was sent for a refused request`);
          assert(text.endsWith("locked"), "the answer did not arrive whole");
        } finally {
          refused.close();
        }
      }

      // Accepted: nothing until the handler reads, then 100, then the answer.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(encoder.encode(
          `PUT /accepted HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n` +
            "Expect: 100-continue\r\n\r\n",
        ));
        await started.promise;
        // One read, pending while the handler waits: nothing may arrive meanwhile.
        const buffer = new Uint8Array(1024);
        const first = conn.read(buffer);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const early = await Promise.race([
          first.then(() => "data"),
          new Promise<"nothing">((resolve) => timer = setTimeout(() => resolve("nothing"), 300)),
        ]);
        clearTimeout(timer);
        assertEquals(early, "nothing", "100 Continue before the body was read");
        readNow.resolve();
        const n = await first;
        assertEquals(decoder.decode(buffer.subarray(0, n ?? 0)), "HTTP/1.1 100 Continue\r\n\r\n");
        await sendBodyExpectingKeptAnswer(conn, length);
      } finally {
        readNow.resolve();
        conn.close();
      }
    },
  );
});

Deno.test("http: Expect: 100-continue with a body of at most 64 KiB is answered 100 at once, before the handler reads; refused, nothing in the body is taken for a request", async () => {
  const readNow = Promise.withResolvers<void>();
  const handled: string[] = [];
  await withServer(
    async (request) => {
      const path = new URL(request.url).pathname;
      handled.push(path);
      if (path === "/refused") return new Response("locked", { status: 423 });
      await readNow.promise;
      return new Response(`got ${(await request.bytes()).byteLength}`);
    },
    {},
    async (port) => {
      for (const length of [0, 5, 64 * 1024]) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await conn.write(encoder.encode(
            `PUT /accepted HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n` +
              "Expect: 100-continue\r\n\r\n",
          ));
          // The 100 comes while the handler still waits to read.
          const interim = await readUntil(conn, (text) => text.endsWith("\r\n\r\n"), 2000);
          assertEquals(interim.text, "HTTP/1.1 100 Continue\r\n\r\n", `${length} bytes`);
          readNow.resolve();
          await sendBodyExpectingKeptAnswer(conn, length);
        } finally {
          conn.close();
        }
      }
      // Refused on its head: the 100 went out already, so the body follows. The handler
      // never reads it, and nothing in it is taken for a request: the connection either
      // closes after the answer (the body was still coming) or, the body having arrived
      // whole, serves the next request.
      const refused = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        const smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        await refused.write(encoder.encode(
          `PUT /refused HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n` +
            "Expect: 100-continue\r\n\r\n",
        ));
        await refused.write(encoder.encode(smuggled));
        const answer = await readUntil(refused, (text) => text.endsWith("locked"), 3000);
        assertMatch(answer.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 423 /);
        if (!answer.closed) {
          const asked = await refused.write(
            encoder.encode("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"),
          )
            .then(() => true, () => false); // a connection closed meanwhile refuses it
          if (asked) {
            const next = await readUntil(refused, (text) => text.endsWith("got 0"), 3000);
            assert(next.closed || next.text.endsWith("got 0"), `next answer: ${next.text}`);
          }
        }
      } finally {
        refused.close();
      }
      assertEquals(handled.filter((path) => path === "/smuggled"), []);
    },
  );
});
