// The Request a handler of serveHttp gets (src/http/_incoming_request.ts): made only
// as far as it is used. A body read whole (`bytes`) comes straight from the socket,
// one read as a stream through the real Request: both give the same bytes, fail the
// same way when the client stalls or goes away, and the request behaves as a
// `Request` whichever members a handler asks for.

import { hasBody, readBodyUpTo } from "../../src/http/mod.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { readUntilClosed, withServer } from "../support/raw_http.ts";

const encoder = new TextEncoder();

type ReadWay = "whole" | "stream";

/** The body of `request`, read whole or through `request.body`'s reader. */
async function readBody(request: Request, way: ReadWay): Promise<Uint8Array> {
  return way === "whole" ? await request.bytes() : await readBodyUpTo(request.body, Infinity);
}

/** `length:first 8 hex digits of the SHA-256`. */
async function fingerprint(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${bytes.byteLength}:${hex}`;
}

Deno.test("incoming request: bodies read whole and as a stream are the same bytes, by length and chunked", async () => {
  await withServer(
    async (request) => {
      const way = new URL(request.url).searchParams.get("way") as ReadWay;
      const sent = hasBody(request);
      const bytes = await readBody(request, way);
      return new Response(`${sent} ${await fingerprint(bytes as Uint8Array<ArrayBuffer>)}`);
    },
    {},
    async (port) => {
      const sizes = [1, 4096, 65_537, 3 * 1024 * 1024 + 17];
      for (const size of sizes) {
        const body = new Uint8Array(size).map((_, i) => (i * 31 + size) % 251);
        const expected = `true ${await fingerprint(body)}`;
        for (const way of ["whole", "stream"] as const) {
          const url = `http://127.0.0.1:${port}/f?way=${way}`;
          const byLength = await fetch(url, { method: "PUT", body });
          assertEquals(await byLength.text(), expected, `${size} bytes by length, ${way}`);
          // A stream body goes out chunked (no Content-Length).
          const chunked = await fetch(url, {
            method: "PUT",
            body: new Blob([body]).stream(),
          });
          assertEquals(await chunked.text(), expected, `${size} bytes chunked, ${way}`);
        }
      }
      for (const way of ["whole", "stream"] as const) {
        // No body at all: nothing to read, whichever way.
        const get = await fetch(`http://127.0.0.1:${port}/f?way=${way}`);
        assertEquals(await get.text(), `false ${await fingerprint(new Uint8Array(0))}`);
      }
    },
  );
});

Deno.test("incoming request: a Request to handlers — members, a body used once, the real request made when asked", async () => {
  const seen: Record<string, unknown> = {};
  await withServer(
    async (request) => {
      const name = new URL(request.url).pathname;
      if (name === "/put") {
        seen.instance = request instanceof Request;
        seen.method = request.method;
        seen.header = request.headers.get("x-test");
        seen.usedBefore = request.bodyUsed;
        seen.text = await request.text();
        seen.usedAfter = request.bodyUsed;
        seen.again = await request.bytes().then(() => "read again", (e) => (e as Error).name);
        // The real request, made now, has a used body as well.
        seen.realUsed = request.body !== null && request.bodyUsed;
        seen.clone = (() => {
          try {
            request.clone();
            return "cloned";
          } catch (error) {
            return (error as Error).name;
          }
        })();
      } else {
        seen.getBody = request.body;
        seen.getText = await request.text();
        seen.getClone = request.clone().url === request.url;
        seen.cache = request.cache;
        seen.signal = request.signal instanceof AbortSignal && !request.signal.aborted;
        seen.json = await new Request(request.url, {
          method: "POST",
          body: JSON.stringify({ ok: 1 }),
        }).json();
      }
      return new Response("ok");
    },
    {},
    async (port) => {
      const put = await fetch(`http://127.0.0.1:${port}/put`, {
        method: "PUT",
        headers: { "x-test": "a value" },
        body: "héllo",
      });
      assertEquals(await put.text(), "ok");
      const get = await fetch(`http://127.0.0.1:${port}/get`);
      assertEquals(await get.text(), "ok");
    },
  );
  assertEquals(seen, {
    instance: true,
    method: "PUT",
    header: "a value",
    usedBefore: false,
    text: "héllo",
    usedAfter: true,
    again: "TypeError",
    realUsed: true,
    clone: "TypeError",
    getBody: null,
    getText: "",
    getClone: true,
    cache: "default",
    signal: true,
    json: { ok: 1 },
  });
});

for (const way of ["whole", "stream"] as const) {
  Deno.test(`incoming request: a stalled body read ${way} fails after the body timeout; a client gone midway fails the read`, async () => {
    const outcomes: string[] = [];
    const settled = Promise.withResolvers<void>();
    await withServer(
      async (request) => {
        try {
          const bytes = await readBody(request, way);
          outcomes.push(`read ${bytes.byteLength}`);
        } catch (error) {
          outcomes.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
        if (outcomes.length === 2) settled.resolve();
        return new Response("done");
      },
      { limits: { bodyIdleTimeoutMs: 400 } },
      async (port) => {
        const stalled = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await stalled.write(
            encoder.encode("PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"),
          );
          const { closed } = await readUntilClosed(stalled, 8000);
          assert(closed, "the stalled upload's connection stayed open");
        } finally {
          stalled.close();
        }
        const cut = await Deno.connect({ hostname: "127.0.0.1", port });
        await cut.write(
          encoder.encode("PUT /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x"),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        cut.close();
        const timer = setTimeout(() => settled.reject(new Error("no outcome in 5 s")), 5000);
        try {
          await settled.promise;
        } finally {
          clearTimeout(timer);
        }
      },
    );
    assertMatch(outcomes[0], /^BodyIdleTimeout: no request body bytes for 0\.4 s/);
    assertMatch(outcomes[1], /closed|aborted|reset/);
  });
}

Deno.test("incoming request: its signal aborts when the client goes away before the answer", async () => {
  const aborted = Promise.withResolvers<string>();
  await withServer(
    (request) => {
      request.signal.addEventListener("abort", () => aborted.resolve("aborted"));
      // Answers only once the client is gone.
      return new Promise<Response>((resolve) => {
        request.signal.addEventListener("abort", () => resolve(new Response("late")));
      });
    },
    {},
    async (port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(encoder.encode("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"));
      await new Promise((resolve) => setTimeout(resolve, 100));
      conn.close();
      const timer = setTimeout(() => aborted.resolve("never aborted"), 5000);
      assertEquals(await aborted.promise, "aborted");
      clearTimeout(timer);
    },
  );
});

Deno.test("incoming request: a method Request refuses (TRACE) is answered 400 and never reaches the handler", async () => {
  let reached = false;
  await withServer(
    () => {
      reached = true;
      return new Response("ok");
    },
    {},
    async (port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(encoder.encode("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n"));
        const { text } = await readUntilClosed(conn, 5000);
        assertMatch(text, /^HTTP\/1\.1 400 /);
      } finally {
        conn.close();
      }
    },
  );
  assertEquals(reached, false);
});
