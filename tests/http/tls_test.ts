// serveHttp over TLS (HTTPS, HTTP/2 offered by ALPN): curl with the test CA puts and
// gets bytes exactly over HTTP/2 and HTTP/1.1; plain http to the port and a client
// without the CA fail; every bound of the plain server holds (handshake, head, idle
// keep-alive, head size, connection count, HTTP/2 session idle, body idle, shutdown);
// certificate and key files are checked at start-up, naming the file.

import { connect as connectHttp2 } from "node:http2";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { type ConnectionLimits, type HttpServerHandle, serveHttp } from "../../src/http/mod.ts";
import { loadTlsCredentials, TlsFileError } from "../../src/http/tls_credentials.ts";
import { makeTestCertificates, type TestCertificates } from "../support/test_certificates.ts";
import {
  patternBytes,
  requireTool,
  runTool,
  sameBytes,
} from "../webdav/clients/support/client_tools.ts";

/** An in-memory PUT/GET handler; any other request is echoed as text. */
function memoryHandler(): (request: Request) => Promise<Response> {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (request.method === "PUT") {
      files.set(path, new Uint8Array(await request.arrayBuffer()));
      return new Response(null, { status: 201 });
    }
    if (request.method === "GET" && files.has(path)) return new Response(files.get(path)!);
    return new Response(`${request.method} ${request.url}\n`);
  };
}

async function withTlsServer(
  limits: Partial<ConnectionLimits>,
  body: (server: HttpServerHandle, certs: TestCertificates) => Promise<void>,
  handler: (request: Request) => Response | Promise<Response> = memoryHandler(),
): Promise<void> {
  const certs = await makeTestCertificates();
  try {
    const tls = await loadTlsCredentials(certs.serverCert, certs.serverKey);
    const server = await serveHttp(handler, { hostname: "127.0.0.1", port: 0, tls, limits });
    try {
      await body(server, certs);
    } finally {
      await server.shutdown(2000);
    }
  } finally {
    await certs.remove();
  }
}

/** Reads until the peer closes (or `guardMs` passes: then `"still open"`). */
async function readToClose(
  conn: Deno.Conn | Deno.TlsConn,
  guardMs = 15_000,
): Promise<string> {
  let text = "";
  let open = true;
  const guard = setTimeout(() => {
    open = false;
    try {
      conn.close();
    } catch { /* closed */ }
  }, guardMs);
  const buffer = new Uint8Array(16 * 1024);
  try {
    for (let i = 0; i < 10_000; i++) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch {
    // reset or unexpected EOF: closed by the peer
  } finally {
    clearTimeout(guard);
  }
  if (!open) return "still open";
  try {
    conn.close();
  } catch { /* closed */ }
  return text;
}

const CURL = ["/usr/bin/curl", "/usr/local/bin/curl"];

/** A TLS connection to 127.0.0.1:`port` trusting the PEM `ca`, offering `alpn` (default HTTP/1.1). */
function connectTo(port: number, ca: string, alpn = "http/1.1"): Promise<Deno.TlsConn> {
  return Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca], alpnProtocols: [alpn] });
}

Deno.test("tls: curl with the CA puts and gets bytes exactly over HTTP/2 and HTTP/1.1; the URL is https", async () => {
  const curl = await requireTool(CURL, "curl");
  await withTlsServer({}, async (server, certs) => {
    const origin = `https://127.0.0.1:${server.addr.port}`;
    const dir = await Deno.makeTempDir();
    try {
      const bytes = patternBytes(3 * 1024 * 1024 + 17, 7);
      await Deno.writeFile(`${dir}/up.bin`, bytes);
      for (const [flag, version] of [["--http2", "2"], ["--http1.1", "1.1"]]) {
        // Every request with the CA, over `flag`'s HTTP version, printing version and status.
        const send = (...args: string[]) =>
          runTool(curl, {
            args: [
              "-sS",
              flag,
              "--cacert",
              certs.caCert,
              ...args,
              "-w",
              "%{http_version} %{http_code}",
            ],
          });
        const put = await send("-T", `${dir}/up.bin`, `${origin}/f${version}`);
        assertEquals(put.stdout, `${version} 201`, put.stderr);
        const get = await send("-o", `${dir}/down.bin`, `${origin}/f${version}`);
        assertEquals(get.stdout, `${version} 200`, get.stderr);
        assert(
          sameBytes(await Deno.readFile(`${dir}/down.bin`), bytes),
          `bytes differ over ${version}`,
        );
      }
      // curl's default over https: HTTP/2, chosen by ALPN; the request URL is https.
      const echo = await runTool(curl, {
        args: ["-sS", "--cacert", certs.caCert, "-w", "%{http_version}", `${origin}/echo?x=1`],
      });
      assertEquals(echo.stdout, `GET ${origin}/echo?x=1\n2`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("tls: plain http to the TLS port fails, and so does a client without the CA", async () => {
  const curl = await requireTool(CURL, "curl");
  await withTlsServer({}, async (server) => {
    const plain = await runTool(curl, {
      args: [
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `http://127.0.0.1:${server.addr.port}/`,
      ],
    });
    assert(plain.code !== 0, `plain http must fail: ${plain.stdout}`);
    assertEquals(plain.stdout, "000");
    const untrusted = await runTool(curl, {
      args: ["-sS", "-o", "/dev/null", `https://127.0.0.1:${server.addr.port}/`],
      env: { CURL_CA_BUNDLE: "/etc/ssl/certs/ca-certificates.crt" },
    });
    assertEquals(untrusted.code, 60, `certificate verification must fail: ${untrusted.stderr}`);
  });
});

Deno.test("tls: a handshake that never comes, a silent head, an idle keep-alive connection and an idle HTTP/2 session are all closed", async () => {
  await withTlsServer(
    { headersTimeoutMs: 1500, keepAliveTimeoutMs: 1000 },
    async (server, certs) => {
      const port = server.addr.port;
      const ca = await Deno.readTextFile(certs.caCert);
      // TCP only: no ClientHello ever.
      const silent = await Deno.connect({ hostname: "127.0.0.1", port });
      assertEquals(await readToClose(silent), "");
      // A request head that never ends: 408.
      const slow = await connectTo(port, ca);
      await slow.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n"));
      assertMatch(await readToClose(slow), /^HTTP\/1\.1 408 /);
      // One request, then idle: answered, then closed.
      const idle = await connectTo(port, ca);
      await idle.write(new TextEncoder().encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
      assertMatch(await readToClose(idle), /^HTTP\/1\.1 200 [^]*GET https:\/\/x\/a\n$/);
      // HTTP/2 chosen, then nothing sent: the session is closed.
      const h2 = await connectTo(port, ca, "h2");
      const info = await h2.handshake();
      assertEquals(info.alpnProtocol, "h2");
      assert(await readToClose(h2) !== "still open", "an idle HTTP/2 session must be closed");
      for (let i = 0; i < 100 && server.connections() > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assertEquals(server.connections(), 0);
    },
  );
});

Deno.test("tls: an oversize head is answered 431 over HTTP/1.1 and HTTP/2, and connections beyond the maximum are closed", async () => {
  await withTlsServer({ maxHeaderBytes: 8 * 1024, maxConnections: 1 }, async (server, certs) => {
    const port = server.addr.port;
    const ca = await Deno.readTextFile(certs.caCert);
    const big = await connectTo(port, ca);
    await big.write(
      new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(20_000)}\r\n\r\n`),
    )
      .catch(() => {});
    assertMatch(await readToClose(big), /^HTTP\/1\.1 431 /);
    for (let i = 0; i < 100 && server.connections() > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The same head over HTTP/2: 431 too.
    const session = connectHttp2(`https://127.0.0.1:${port}`, { ca });
    session.on("error", () => {});
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ":path": "/", "x-big": "a".repeat(20_000) });
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      stream.on("error", reject);
      stream.resume();
      stream.end();
    });
    assertEquals(status, 431);
    session.destroy();
    for (let i = 0; i < 100 && server.connections() > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // One connection held open; a second one is closed before any handshake.
    const first = await connectTo(port, ca);
    await first.handshake();
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    assertEquals(await readToClose(second), "");
    first.close();
  });
});

Deno.test("tls: HTTP/2 streams share one session; an unread body does not block its answer; a stalled HTTP/2 body errors the handler's read; shutdown lets a stream in flight finish", async () => {
  let stalledError = "";
  const release = Promise.withResolvers<void>();
  const handler = async (request: Request) => {
    const path = new URL(request.url).pathname;
    if (path === "/stall") {
      try {
        await request.arrayBuffer();
      } catch (error) {
        stalledError = (error as Error).name;
      }
      return new Response("stalled");
    }
    if (path === "/refuse") return new Response("no\n", { status: 401 });
    if (path === "/slow") {
      await release.promise;
      return new Response("finished");
    }
    return new Response(`ok ${path}`);
  };
  await withTlsServer({ bodyIdleTimeoutMs: 500 }, async (server, certs) => {
    const ca = await Deno.readTextFile(certs.caCert);
    const session = connectHttp2(`https://127.0.0.1:${server.addr.port}`, { ca });
    session.on("error", () => {});
    const request = (path: string, init?: (stream: ReturnType<typeof session.request>) => void) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const stream = session.request({ ":path": path, ":method": init ? "PUT" : "GET" });
        let status = 0;
        let text = "";
        stream.on("response", (headers) => status = Number(headers[":status"]));
        stream.setEncoding("utf8");
        stream.on("data", (piece: string) => text += piece);
        stream.on("end", () => resolve({ status, text }));
        stream.on("error", reject);
        if (init) init(stream);
        else stream.end();
      });
    const answers = await Promise.all([request("/a"), request("/b"), request("/c")]);
    assertEquals(answers.map((a) => a.text), ["ok /a", "ok /b", "ok /c"]);
    assertEquals(server.connections(), 1); // one TCP connection for the three streams
    // Some body bytes, then nothing: the handler's read fails with the body timeout.
    const stalled = await request("/stall", (stream) => stream.write(new Uint8Array(1000)));
    assertEquals(stalled.text, "stalled");
    assertEquals(stalledError, "BodyIdleTimeout");
    // A large body the handler never reads: the answer arrives, the stream is reset with
    // NO_ERROR once it is written, and the session serves the next request.
    let giveUp: ReturnType<typeof setTimeout> | undefined;
    const refused = await new Promise<{ status: number; text: string; rst: number }>(
      (resolve, reject) => {
        const stream = session.request({ ":path": "/refuse", ":method": "PUT" });
        let status = 0;
        let text = "";
        stream.on("response", (headers) => status = Number(headers[":status"]));
        stream.setEncoding("utf8");
        stream.on("data", (piece: string) => text += piece);
        stream.on("close", () => resolve({ status, text, rst: stream.rstCode ?? -1 }));
        stream.on("error", (error: Error & { code?: string }) => {
          if (error.code !== "ERR_HTTP2_STREAM_ERROR") reject(error);
        });
        const piece = new Uint8Array(64 * 1024);
        let sent = 0;
        const pump = () => {
          while (sent < 8 * 1024 * 1024 && !stream.destroyed && !stream.closed) {
            sent += piece.byteLength;
            if (!stream.write(piece)) return void stream.once("drain", pump);
          }
          if (!stream.destroyed && !stream.closed) stream.end();
        };
        pump();
        giveUp = setTimeout(() => reject(new Error("the answer never came")), 30_000);
      },
    ).finally(() => clearTimeout(giveUp));
    assertEquals(refused, { status: 401, text: "no\n", rst: 0 });
    assertEquals((await request("/after")).text, "ok /after");
    // A stream in flight during shutdown finishes; then the port refuses.
    const slow = request("/slow");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = server.shutdown(10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    release.resolve();
    assertEquals((await slow).text, "finished");
    assertEquals(await stopped, true);
    session.destroy();
    await assertRefused(server.addr.port);
  }, handler);
});

async function assertRefused(port: number): Promise<void> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    throw new Error("the port still accepts connections");
  } catch (error) {
    assert(error instanceof Deno.errors.ConnectionRefused, String(error));
  }
}

Deno.test("tls: bad certificate or key files are refused at start-up, naming the file and never its contents", async () => {
  const certs = await makeTestCertificates();
  try {
    const secret = (await Deno.readTextFile(certs.serverKey)).split("\n")[1];
    const attempts: [string, string, RegExp][] = [
      [
        `${certs.dir}/missing.pem`,
        certs.serverKey,
        /missing\.pem: cannot read the certificate: no such file/,
      ],
      [certs.serverKey, certs.serverKey, /server\.key: not a PEM certificate/],
      [certs.serverCert, certs.serverCert, /server\.pem: not a PEM private key/],
      [
        certs.serverCert,
        certs.otherKey,
        /other\.key: the private key does not belong to the certificate in .*server\.pem/,
      ],
    ];
    for (const [cert, key, message] of attempts) {
      let caught: unknown;
      try {
        await loadTlsCredentials(cert, key);
      } catch (error) {
        caught = error;
      }
      assert(caught instanceof TlsFileError, `expected a TlsFileError for ${cert} ${key}`);
      assertMatch(caught.message, message);
      assert(!caught.message.includes(secret), "the message must not hold key material");
    }
    const chain = `${certs.dir}/chain.pem`;
    await Deno.writeTextFile(
      chain,
      (await Deno.readTextFile(certs.serverCert)) + (await Deno.readTextFile(certs.caCert)),
    );
    const loaded = await loadTlsCredentials(chain, certs.serverKey);
    assertEquals(loaded.cert.match(/BEGIN CERTIFICATE/g)?.length, 2);
  } finally {
    await certs.remove();
  }
});

Deno.test("tls: the handshake bound ends with the handshake: a busy connection lives past it", async () => {
  await withTlsServer(
    { headersTimeoutMs: 2000, keepAliveTimeoutMs: 10_000 },
    async (server, certs) => {
      const ca = await Deno.readTextFile(certs.caCert);
      const conn = await connectTo(server.addr.port, ca);
      const buffer = new Uint8Array(4096);
      try {
        // Six requests 800 ms apart on one connection: well past the 2 s bound.
        for (let i = 0; i < 6; i++) {
          await conn.write(new TextEncoder().encode(`GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
          const n = await conn.read(buffer);
          assert(n !== null, `closed before request ${i}`);
          assertMatch(new TextDecoder().decode(buffer.subarray(0, n)), /^HTTP\/1\.1 200 /);
          await new Promise((resolve) => setTimeout(resolve, 800));
        }
      } finally {
        conn.close();
      }
    },
  );
});

Deno.test("tls: a client that stops reading a long answer is cut off and the producer cancelled, over HTTP/1.1 and HTTP/2", async () => {
  const cancelled: string[] = [];
  const handler = (request: Request) => {
    const path = new URL(request.url).pathname;
    const piece = new Uint8Array(64 * 1024);
    let sent = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          // 1 GiB at most: far more than any buffer between here and the client.
          if ((sent += piece.byteLength) > 1024 ** 3) controller.close();
          else controller.enqueue(piece.slice());
        },
        cancel() {
          cancelled.push(path);
        },
      }),
    );
  };
  await withTlsServer({ responseIdleTimeoutMs: 500 }, async (server, certs) => {
    const ca = await Deno.readTextFile(certs.caCert);
    const waitForCancel = async (path: string) => {
      for (let i = 0; i < 400 && !cancelled.includes(path); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert(cancelled.includes(path), `${path}: the producer was not cancelled`);
    };
    // HTTP/1.1 over TLS: the request, then nothing read.
    const conn = await connectTo(server.addr.port, ca);
    await conn.write(new TextEncoder().encode("GET /h1 HTTP/1.1\r\nHost: x\r\n\r\n"));
    await waitForCancel("/h1");
    conn.close();
    // HTTP/2: the stream paused, the session alive.
    const session = connectHttp2(`https://127.0.0.1:${server.addr.port}`, { ca });
    session.on("error", () => {});
    const stream = session.request({ ":path": "/h2" });
    stream.on("error", () => {});
    stream.pause();
    stream.end();
    await waitForCancel("/h2");
    session.destroy();
  }, handler);
});

Deno.test("tls: Expect: 100-continue over HTTP/2: a body over 64 KiB gets its 100 only when the handler reads it, a refused one none; a short body at once", async () => {
  const handler = async (request: Request) => {
    if (new URL(request.url).pathname === "/refuse") return new Response("no\n", { status: 423 });
    return new Response(`got ${(await request.bytes()).byteLength}`, { status: 201 });
  };
  await withTlsServer({ responseIdleTimeoutMs: 500 }, async (server, certs) => {
    const ca = await Deno.readTextFile(certs.caCert);
    const session = connectHttp2(`https://127.0.0.1:${server.addr.port}`, { ca });
    session.on("error", () => {});
    try {
      const put = (path: string, body: string) =>
        new Promise<{ status: number; text: string; continued: boolean }>((resolve, reject) => {
          const stream = session.request({
            ":path": path,
            ":method": "PUT",
            "content-length": String(body.length),
            expect: "100-continue",
          }, { endStream: false });
          let status = 0;
          let text = "";
          let continued = false;
          stream.on("continue", () => {
            continued = true;
            stream.end(body);
          });
          stream.on("response", (headers) => status = Number(headers[":status"]));
          stream.setEncoding("utf8");
          stream.on("data", (piece: string) => text += piece);
          // A final answer without a 100: the body is never sent; the server ends the
          // stream (within the response bound, here 0.5 s).
          stream.on("close", () => resolve({ status, text, continued }));
          stream.on("error", reject);
        });
      const long = "x".repeat(64 * 1024 + 1);
      assertEquals(await put("/refuse", long), { status: 423, text: "no\n", continued: false });
      assertEquals(await put("/accept", long), {
        status: 201,
        text: `got ${long.length}`,
        continued: true,
      });
      // A short body is asked for at once: a refusal comes after the 100.
      assertEquals(await put("/refuse", "hello"), { status: 423, text: "no\n", continued: true });
      assertEquals(await put("/accept", "hello"), { status: 201, text: "got 5", continued: true });
    } finally {
      session.close();
    }
  }, handler);
});
