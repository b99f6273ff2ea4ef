// The request's public origin: forwarded headers believed only from a trusted
// TCP peer (served over a real socket, so the peer is the test's connection), the
// nearest proxy's value of a list, Forwarded over X-Forwarded-*, bad values
// ignored; and peerAddress over a real socket.

import { assertEquals } from "../../support/assert.ts";
import { serveHttp } from "../../../src/http/mod.ts";
import { peerAddress } from "../../../src/http/peer_address.ts";
import { forwardedOrigin, TrustedProxies } from "../../../webdav/http/public_origin.ts";

/** Sends one raw HTTP/1.1 request with `headers`; returns the body the server answered. */
async function rawRequest(
  port: number,
  headers: string[],
): Promise<{ body: string; localPort: number }> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const localPort = (connection.localAddr as Deno.NetAddr).port;
  const head = ["GET /dav/x HTTP/1.1", `Host: 127.0.0.1:${port}`, "Connection: close", ...headers];
  await connection.write(new TextEncoder().encode(head.join("\r\n") + "\r\n\r\n"));
  const text = await new Response(connection.readable).text();
  return { body: text.slice(text.indexOf("\r\n\r\n") + 4), localPort };
}

async function withServer(
  trusted: string[],
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const proxies = TrustedProxies.parse(trusted);
  const server = await serveHttp(
    (request) =>
      new Response(
        JSON.stringify({ origin: forwardedOrigin(request, proxies), peer: peerAddress(request) }),
      ),
    { hostname: "127.0.0.1", port: 0 },
  );
  try {
    await fn(server.addr.port);
  } finally {
    await server.shutdown();
  }
}

Deno.test("peerAddress: the TCP peer of a request served over a socket", async () => {
  await withServer([], async (port) => {
    const { body, localPort } = await rawRequest(port, []);
    assertEquals(JSON.parse(body).peer, { address: "127.0.0.1", port: localPort });
  });
});

Deno.test("public origin: forwarded headers from a trusted peer", async () => {
  await withServer(["127.0.0.0/8"], async (port) => {
    const origin = async (...headers: string[]) =>
      JSON.parse((await rawRequest(port, headers)).body).origin;
    assertEquals(await origin(), `http://127.0.0.1:${port}`);
    assertEquals(
      await origin("X-Forwarded-Proto: https", "X-Forwarded-Host: files.example"),
      "https://files.example",
    );
    assertEquals(
      await origin("X-Forwarded-Proto: https", "X-Forwarded-Host: files.example:443"),
      "https://files.example",
    );
    assertEquals(await origin("X-Forwarded-Host: files.example:8443"), "http://files.example:8443");
    // Of a list, the value the nearest proxy added (the client may have sent the first).
    assertEquals(
      await origin(
        "X-Forwarded-Host: evil.example, files.example",
        "X-Forwarded-Proto: http, https",
      ),
      "https://files.example",
    );
    // Forwarded (RFC 7239) when no X-Forwarded-*: its last element counts; quoted values.
    assertEquals(
      await origin(
        'Forwarded: for=1.2.3.4;host=evil.example, for=10.0.0.1;proto=https;host="dav.example:9443"',
      ),
      "https://dav.example:9443",
    );
    // X-Forwarded-Host (which Apache always sets) wins over a Forwarded the client may have sent.
    assertEquals(
      await origin("Forwarded: host=evil.example", "X-Forwarded-Host: files.example"),
      "http://files.example",
    );
    // Bad values are ignored, each on its own.
    assertEquals(
      await origin("X-Forwarded-Proto: gopher", "X-Forwarded-Host: a b/c"),
      `http://127.0.0.1:${port}`,
    );
    assertEquals(await origin("X-Forwarded-Host: [::1]:8080"), "http://[::1]:8080");
  });
});

Deno.test("public origin: forwarded headers from a peer that is not trusted are ignored", async () => {
  for (const trusted of [[], ["127.0.0.2"], ["10.0.0.0/8", "::1"]]) {
    await withServer(trusted, async (port) => {
      const { body } = await rawRequest(port, [
        "X-Forwarded-Proto: https",
        "X-Forwarded-Host: files.example",
        "Forwarded: proto=https;host=files.example",
      ]);
      assertEquals(JSON.parse(body).origin, `http://127.0.0.1:${port}`, trusted.join(","));
    });
  }
});
