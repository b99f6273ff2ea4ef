import { assert, assertEquals, assertMatch, davTest } from "./support/dav_server.ts";

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:lolz xmlns:x="urn:x">&lol9;</x:lolz></D:prop></D:set></D:propertyupdate>`;

async function stillServing(dav: { request(path: string, init?: RequestInit): Promise<Response> }) {
  const response = await dav.request("/", { method: "OPTIONS" });
  await response.body?.cancel();
  assertEquals(response.status, 200);
}

davTest(
  "a DOCTYPE with entities (billion laughs) is refused with 400 and nothing is expanded or stored",
  async (dav) => {
    await dav.fs.writeTextFile("/f", "f");
    for (const method of ["PROPPATCH", "PROPFIND", "LOCK"]) {
      const response = await dav.request("/f", {
        method,
        body: BILLION_LAUGHS,
        headers: { Depth: "0" },
      });
      assertEquals(response.status, 400, method);
      const text = await response.text();
      assert(!text.includes("lollol"), "no expansion in the answer");
      await stillServing(dav);
    }
    assertEquals((await dav.fs.getExtendedAttributes("/f")).properties ?? {}, {});
    // An external entity is refused just the same.
    const xxe = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>` +
      `<D:propfind xmlns:D="DAV:"><D:prop><x xmlns="urn:x">&e;</x></D:prop></D:propfind>`;
    const response = await dav.request("/f", {
      method: "PROPFIND",
      body: xxe,
      headers: { Depth: "0" },
    });
    assertEquals(response.status, 400);
    assert(!(await response.text()).includes("root:"));
    // An undeclared entity without a DOCTYPE is malformed.
    const undeclared = await dav.request("/f", {
      method: "PROPFIND",
      body: '<D:propfind xmlns:D="DAV:"><D:prop><x xmlns="urn:x">&nope;</x></D:prop></D:propfind>',
      headers: { Depth: "0" },
    });
    assertEquals(undeclared.status, 400);
    await undeclared.body?.cancel();
  },
);

davTest("malformed XML, wrong root, bad UTF-8 → 400; the server keeps serving", async (dav) => {
  for (
    const body of [
      "<D:propfind xmlns:D='DAV:'><D:prop>",
      "<D:propfind><D:allprop/></D:propfind>", // unbound prefix
      "not xml at all",
      '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>',
      '<D:lockinfo xmlns:D="DAV:"/>',
      new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]),
    ]
  ) {
    const response = await dav.request("/", { method: "PROPFIND", body, headers: { Depth: "0" } });
    assertEquals(response.status, 400, String(body));
    await response.body?.cancel();
    await stillServing(dav);
  }
});

davTest("an XML body over the limit → 413 (declared or streamed)", async (dav) => {
  const big = `<D:propfind xmlns:D="DAV:"><D:prop>${
    "<D:getetag/>".repeat(200)
  }</D:prop></D:propfind>`;
  const declared = await dav.request("/", {
    method: "PROPFIND",
    body: big,
    headers: { Depth: "0" },
  });
  assertEquals(declared.status, 413);
  await declared.body?.cancel();
  let sent = 0;
  const streamed = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ >= 10) return controller.close();
      controller.enqueue(new TextEncoder().encode(big.slice(0, 500)));
    },
  });
  const chunked = await dav.request("/", {
    method: "PROPPATCH",
    body: streamed,
  }).then((r) => r.body?.cancel().then(() => r.status), () => "rejected");
  assert(chunked === 413 || chunked === "rejected", String(chunked));
  await stillServing(dav);
}, { maxXmlBytes: 1024 });

davTest(
  "NUL and bad percent-encoding in the path → 400; .. never escapes the root",
  async (dav) => {
    await dav.fs.writeTextFile("/top.txt", "top");
    for (const path of ["/a%00b", "/%E0%A4%A", "/x%"]) {
      const response = await dav.request(path, { method: "PUT", body: "x" });
      assertEquals(response.status, 400, path);
      await response.body?.cancel();
    }
    // fetch normalizes "..", but not an encoded slash: the server decodes it and stays in the root.
    const escaped = await dav.request("/nothing/..%2F..%2F..%2Ftop.txt");
    assertEquals(escaped.status, 200);
    assertEquals(await escaped.text(), "top");
    await stillServing(dav);
  },
);

davTest(
  "unknown methods → 501, known but not allowed → 405 with Allow; a fragment → 400",
  async (dav) => {
    const unknown = await dav.request("/", { method: "BREW" });
    assertEquals(unknown.status, 501);
    await unknown.body?.cancel();
    const post = await dav.request("/", { method: "POST", body: "x" });
    assertEquals(post.status, 405);
    assertMatch(post.headers.get("allow")!, /PROPFIND/);
    await post.body?.cancel();
    await stillServing(dav);
    // fetch never sends a fragment: speak HTTP by hand.
    const port = Number(new URL(dav.base).port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(
        new TextEncoder().encode(
          "DELETE /dir/#frag HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        ),
      );
      const chunks: Uint8Array[] = [];
      const buffer = new Uint8Array(4096);
      for (let i = 0; i < 100; i++) {
        const n = await conn.read(buffer);
        if (n === null) break;
        chunks.push(buffer.slice(0, n));
      }
      const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
      assertMatch(text, /^HTTP\/1.1 400/);
    } finally {
      conn.close();
    }
  },
);

davTest(
  "an upload the client abandons midway leaves the old version whole and nothing partial",
  async (dav) => {
    const port = Number(new URL(dav.base).port);
    await dav.fs.writeTextFile("/kept.txt", "the old version");
    const encoder = new TextEncoder();
    // Small (read whole), large (streamed in pieces) and chunked bodies, each cut short.
    const cases = [
      { label: "small", head: "Content-Length: 10000", body: "x".repeat(3000) },
      { label: "large", head: "Content-Length: 5000000", body: "y".repeat(300_000) },
      {
        label: "chunked",
        head: "Transfer-Encoding: chunked",
        body: `1000\r\n${"z".repeat(0x1000)}\r\n1000\r\n${"z".repeat(100)}`,
      },
    ];
    for (const { label, head, body } of cases) {
      for (const path of ["/kept.txt", `/new-${label}.txt`]) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await conn.write(
            encoder.encode(`PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}\r\n\r\n${body}`),
          );
          // Let the server start writing what it got, then go away.
          await new Promise((resolve) => setTimeout(resolve, 50));
        } finally {
          conn.close();
        }
      }
      // The server notices, drops the upload, and goes on.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await stillServing(dav);
      // A fresh BackupFS: nothing cached by the server's lookups hides a partial file.
      const fresh = dav.reopen();
      assertEquals(await fresh.readTextFile("/kept.txt"), "the old version", label);
      assertEquals(await fresh.exists(`/new-${label}.txt`), false, label);
    }
    const names: string[] = [];
    for await (const entry of dav.reopen().readDir("/")) names.push(entry.name);
    assertEquals(names, ["kept.txt"]);
  },
);
