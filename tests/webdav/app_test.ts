import { assert, assertEquals, assertMatch, davTest, startDav } from "./support/dav_server.ts";

davTest("OPTIONS: DAV 1, 2, Allow with every method, MS-Author-Via, empty 200", async (dav) => {
  const response = await dav.request("/", { method: "OPTIONS" });
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("dav"), "1, 2");
  assertEquals(response.headers.get("ms-author-via"), "DAV");
  const allow = response.headers.get("allow")!.split(/,\s*/);
  for (const method of ["GET", "PUT", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "MOVE", "COPY"]) {
    assert(allow.includes(method), method);
  }
  assertEquals(await response.text(), "");
});

davTest(
  "GET on a collection: an HTML listing with escaped names, sizes, links and a parent link",
  async (dav) => {
    await dav.fs.mkdir("/docs");
    await dav.fs.writeTextFile("/docs/<script>alert(1)<\\script>", "evil");
    await dav.fs.writeTextFile('/docs/a&b "q".txt', "12345");
    await dav.fs.mkdir("/docs/sub");
    const response = await dav.request("/docs/");
    assertEquals(response.status, 200);
    assertMatch(response.headers.get("content-type")!, /^text\/html/);
    const html = await response.text();
    assert(!html.includes("<script>alert"), "names are escaped");
    assertMatch(html, /&lt;script&gt;alert\(1\)&lt;\\script&gt;/);
    assertMatch(html, /href="\/docs\/%3Cscript%3Ealert%281%29%3C%5Cscript%3E"/);
    assertMatch(html, /a&amp;b &quot;q&quot;\.txt<\/a><\/td><td class="size"[^>]*>5 B</);
    assertMatch(html, /href="\/docs\/sub\/">sub\/</);
    assertMatch(html, /href="\/">\.\.\/</);
    const head = await dav.request("/docs/", { method: "HEAD" });
    assertEquals(head.status, 200);
    assertEquals(await head.text(), "");
  },
);

Deno.test("a mount prefix: hrefs carry it, paths outside it are 404, Destination must be under it", async () => {
  const dav = await startDav({ prefix: "/dav/" });
  try {
    await dav.fs.writeTextFile("/x.txt", "x");
    const outside = await fetch(`${dav.origin}/x.txt`);
    assertEquals(outside.status, 404);
    await outside.body?.cancel();
    const inside = await fetch(`${dav.origin}/dav/x.txt`);
    assertEquals(await inside.text(), "x");
    const list = await fetch(`${dav.origin}/dav/`, { method: "PROPFIND", headers: { Depth: "1" } });
    const body = await list.text();
    assertMatch(body, /<D:href>\/dav\/<\/D:href>/);
    assertMatch(body, /<D:href>\/dav\/x\.txt<\/D:href>/);
    const elsewhere = await fetch(`${dav.origin}/dav/x.txt`, {
      method: "COPY",
      headers: { Destination: `${dav.origin}/other/y.txt` },
    });
    assertEquals(elsewhere.status, 502);
    await elsewhere.body?.cancel();
  } finally {
    await dav.close();
  }
});

davTest("read-only: every change is 403, reads work", async (dav) => {
  await dav.fs.writeTextFile("/r.txt", "r");
  for (
    const [method, extra] of [
      ["PUT", { body: "x" }],
      ["DELETE", {}],
      ["MKCOL", {}],
      ["PROPPATCH", { body: "<x/>" }],
      ["COPY", { headers: { Destination: "/c" } }],
      ["MOVE", { headers: { Destination: "/c" } }],
    ] as const
  ) {
    const response = await dav.request("/r.txt", { method, ...extra });
    assertEquals(response.status, 403, method);
    await response.body?.cancel();
  }
  assertEquals(await (await dav.request("/r.txt")).text(), "r");
}, { readOnly: true });

davTest(
  "the authenticate hook: a Response is answered as is, a string becomes the principal",
  async (dav) => {
    const denied = await dav.request("/", { method: "PROPFIND", headers: { Depth: "0" } });
    assertEquals(denied.status, 401);
    assertEquals(denied.headers.get("www-authenticate"), 'Basic realm="test"');
    await denied.body?.cancel();
    const allowed = await dav.request("/", {
      method: "PROPFIND",
      headers: { Depth: "0", Authorization: "Bearer ok" },
    });
    assertEquals(allowed.status, 207);
    await allowed.body?.cancel();
  },
  {
    authenticate: (request) =>
      Promise.resolve(
        request.headers.get("authorization") === "Bearer ok" ? "alice" : new Response("who?", {
          status: 401,
          headers: { "WWW-Authenticate": 'Basic realm="test"' },
        }),
      ),
  },
);

davTest("storage failures answer 500 with a generic message (no internals)", async (dav) => {
  await dav.fs.writeTextFile("/f.txt", "f");
  // Break the store underneath: every later storage call fails.
  await dav.store.close();
  const response = await dav.request("/g.txt", { method: "PUT", body: "g" });
  assert(response.status >= 500, String(response.status));
  const text = await response.text();
  assert(!text.includes("/tmp") && !text.toLowerCase().includes("sqlite"), text);
  assertMatch(text, /^(Internal server error|Service temporarily unavailable)\n$/);
});
