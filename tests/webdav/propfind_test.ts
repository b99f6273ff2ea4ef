import {
  assert,
  assertEquals,
  assertMatch,
  davTest,
  PROPFIND_HEADERS,
  propfindBody,
  responsesByHref,
  startDav,
} from "./support/dav_server.ts";

const QUOTA = {
  quota: () => Promise.resolve({ usedBytes: 1234, availableBytes: 5678 }),
};

davTest(
  "PROPFIND Depth 1: one response per member, hrefs percent-encoded, only what is asked",
  async (dav) => {
    await dav.fs.mkdir("/dir");
    await dav.fs.writeTextFile("/dir/a b.txt", "hello");
    await dav.fs.writeTextFile("/dir/ünï#?.txt", "x");
    await dav.fs.mkdir("/dir/sub");
    await dav.fs.writeTextFile("/dir/sub/deep.txt", "not listed at depth 1");
    const { status, headers, body } = await dav.text("/dir/", {
      method: "PROPFIND",
      headers: { ...PROPFIND_HEADERS, Depth: "1" },
      body: propfindBody("<D:getcontentlength/>", "<D:resourcetype/>"),
    });
    assertEquals(status, 207);
    assertMatch(headers.get("content-type")!, /xml/);
    const responses = responsesByHref(body);
    assertEquals(
      [...responses.keys()].sort(),
      [
        "/dir/",
        "/dir/a%20b.txt",
        "/dir/sub/",
        "/dir/%C3%BCn%C3%AF%23%3F.txt",
      ].sort(),
    );
    assertMatch(responses.get("/dir/a%20b.txt")!, /<D:getcontentlength>5<\/D:getcontentlength>/);
    assertMatch(responses.get("/dir/sub/")!, /<D:resourcetype><D:collection\/><\/D:resourcetype>/);
    // A collection has no getcontentlength: 404 propstat.
    assertMatch(responses.get("/dir/sub/")!, /<D:getcontentlength\/>[\s\S]*404 Not Found/);
    // Only what was asked.
    assert(!body.includes("getetag"), "getetag was not asked for");
    assert(!body.includes("getlastmodified"), "getlastmodified was not asked for");
  },
);

davTest(
  "PROPFIND Depth 0 answers the resource only; with depthInfinity refuse, Depth infinity is refused with propfind-finite-depth",
  async (dav) => {
    await dav.fs.mkdir("/d");
    await dav.fs.writeTextFile("/d/f", "x");
    const zero = await dav.text("/d", { method: "PROPFIND", headers: { Depth: "0" } });
    assertEquals(zero.status, 207);
    assertEquals([...responsesByHref(zero.body).keys()], ["/d/"]);
    for (const depth of ["infinity", undefined]) {
      const headers: Record<string, string> = depth ? { Depth: depth } : {};
      const refused = await dav.text("/d", { method: "PROPFIND", headers });
      assertEquals(refused.status, 403);
      assertMatch(refused.body, /<D:error xmlns:D="DAV:"><D:propfind-finite-depth/);
    }
    const bad = await dav.text("/d", { method: "PROPFIND", headers: { Depth: "2" } });
    assertEquals(bad.status, 400);
  },
  { depthInfinity: "refuse" },
);

davTest(
  "PROPFIND allprop reports the live properties and dead ones; unknown properties are 404",
  async (dav) => {
    await dav.fs.writeTextFile("/f.txt", "abc");
    const info = await dav.fs.stat("/f.txt");
    await dav.fs.setExtendedAttributes("/f.txt", () => ({
      properties: { "{urn:x}color": '<x:color xmlns:x="urn:x">red</x:color>' },
    }));
    const all = await dav.text("/f.txt", { method: "PROPFIND", headers: { Depth: "0" } });
    assertEquals(all.status, 207);
    for (
      const name of [
        "resourcetype",
        "getcontentlength",
        "getlastmodified",
        "getetag",
        "getcontenttype",
        "creationdate",
        "displayname",
        "supportedlock",
        "lockdiscovery",
      ]
    ) {
      assertMatch(all.body, new RegExp(`<D:${name}[ />]`), name);
    }
    const etag = (await dav.fs.stat("/f.txt")).etag;
    assertMatch(all.body, new RegExp(`<D:getetag>"${etag!.replace(/[+/]/g, "\\$&")}"</D:getetag>`));
    assertMatch(all.body, /<D:getcontenttype>text\/plain/);
    assertMatch(all.body, /<x:color xmlns:x="urn:x">red<\/x:color>/);
    assertMatch(all.body, /<D:creationdate>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/D:creationdate>/);
    assertMatch(all.body, new RegExp(`<D:getlastmodified>${info.mtime!.toUTCString()}<`));
    // quota is not part of allprop (RFC 4331)
    assert(!all.body.includes("quota"));

    const some = await dav.text("/f.txt", {
      method: "PROPFIND",
      headers: { Depth: "0" },
      body: propfindBody('<y:nothing xmlns:y="urn:y"/>', '<x:color xmlns:x="urn:x"/>'),
    });
    assertMatch(
      some.body,
      /<D:propstat><D:prop><x:color xmlns:x="urn:x">red<\/x:color><\/D:prop><D:status>HTTP\/1.1 200 OK/,
    );
    assertMatch(
      some.body,
      /<x:nothing xmlns:x="urn:y"\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found/,
    );

    const names = await dav.text("/f.txt", {
      method: "PROPFIND",
      headers: { Depth: "0" },
      body: '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>',
    });
    assertMatch(names.body, /<D:getetag\/>/);
    assertMatch(names.body, /<x:color xmlns:x="urn:x"\/>/);
    assert(!names.body.includes(">red<"), "propname gives no values");
  },
);

davTest("quota-used-bytes and quota-available-bytes on collections", async (dav) => {
  await dav.fs.mkdir("/c");
  await dav.fs.writeTextFile("/c/f", "x");
  const { body } = await dav.text("/c/", {
    method: "PROPFIND",
    headers: { Depth: "1" },
    body: propfindBody("<D:quota-available-bytes/>", "<D:quota-used-bytes/>"),
  });
  const responses = responsesByHref(body);
  assertMatch(responses.get("/c/")!, /<D:quota-available-bytes>5678<\/D:quota-available-bytes>/);
  assertMatch(responses.get("/c/")!, /<D:quota-used-bytes>1234<\/D:quota-used-bytes>/);
  // A file has none.
  assertMatch(responses.get("/c/f")!, /<D:quota-used-bytes\/>[\s\S]*404/);
  const root = await dav.text("/", {
    method: "PROPFIND",
    headers: { Depth: "0" },
    body: propfindBody("<D:quota-used-bytes/>"),
  });
  assertMatch(root.body, /<D:quota-used-bytes>1234</);
}, QUOTA);

davTest("Win32 properties are readable", async (dav) => {
  await dav.fs.writeFile("/w.txt", new TextEncoder().encode("w"), {
    mtime: Date.UTC(2020, 0, 2, 3, 4, 5),
  });
  const { body } = await dav.text("/w.txt", {
    method: "PROPFIND",
    headers: { Depth: "0" },
    body: propfindBody(
      '<Z:Win32LastModifiedTime xmlns:Z="urn:schemas-microsoft-com:"/>',
      '<Z:Win32CreationTime xmlns:Z="urn:schemas-microsoft-com:"/>',
      '<Z:Win32LastAccessTime xmlns:Z="urn:schemas-microsoft-com:"/>',
      '<Z:Win32FileAttributes xmlns:Z="urn:schemas-microsoft-com:"/>',
    ),
  });
  assertMatch(
    body,
    /<x:Win32LastModifiedTime xmlns:x="urn:schemas-microsoft-com:">Thu, 02 Jan 2020 03:04:05 GMT</,
  );
  assertMatch(body, /<x:Win32CreationTime xmlns:x="urn:schemas-microsoft-com:">[^<]+ GMT</);
  assertMatch(body, /<x:Win32LastAccessTime xmlns:x="urn:schemas-microsoft-com:">[^<]+ GMT</);
  assertMatch(body, /<x:Win32FileAttributes xmlns:x="urn:schemas-microsoft-com:">\d{8}</);
  assert(!body.includes("404"));
});

davTest(
  "PROPFIND on a missing resource is 404; a large collection streams every member",
  async (dav) => {
    const missing = await dav.request("/nope", { method: "PROPFIND", headers: { Depth: "0" } });
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
    await dav.fs.mkdir("/many");
    for (let i = 0; i < 150; i++) {
      await dav.fs.writeFile(`/many/f${String(i).padStart(3, "0")}`, new Uint8Array([i]));
    }
    const { body } = await dav.text("/many", {
      method: "PROPFIND",
      headers: { Depth: "1" },
      body: propfindBody("<D:getcontentlength/>"),
    });
    const responses = responsesByHref(body);
    assertEquals(responses.size, 151);
    assertMatch(responses.get("/many/f149")!, /<D:getcontentlength>1</);
  },
);

Deno.test("Finder's flood of ._* and .DS_Store lookups after a listing costs no storage call", async () => {
  const dav = await startDav({}, { metadataTtlMs: 60_000 });
  try {
    await dav.request("/folder/", { method: "MKCOL" });
    for (const name of ["one.txt", "two.txt"]) {
      assertEquals(
        (await dav.request(`/folder/${name}`, { method: "PUT", body: name })).status,
        201,
      );
    }
    const listing = await dav.text("/folder/", { method: "PROPFIND", headers: { Depth: "1" } });
    assertEquals(listing.status, 207);
    const before = dav.fs.listCalls;
    for (const name of ["._one.txt", "._two.txt", ".DS_Store", "._folder", ".hidden"]) {
      const propfind = await dav.text(`/folder/${name}`, {
        method: "PROPFIND",
        headers: { Depth: "0" },
      });
      assertEquals(propfind.status, 404);
      const head = await dav.request(`/folder/${name}`, { method: "HEAD" });
      await head.body?.cancel();
      assertEquals(head.status, 404);
    }
    assertEquals(dav.fs.listCalls - before, 0);
    // Writing one makes it visible at once.
    assertEquals(
      (await dav.request("/folder/._one.txt", { method: "PUT", body: "fork" })).status,
      201,
    );
    assertEquals((await dav.text("/folder/._one.txt")).body, "fork");
  } finally {
    await dav.close();
  }
});
