// PROPFIND Depth 1 over collections larger than a listing page and a reply piece:
// every member carries every property (allprop) or exactly the asked ones (prop).
import {
  assert,
  assertEquals,
  assertMatch,
  davTest,
  PROPFIND_HEADERS,
  propfindBody,
  responsesByHref,
} from "./support/dav_server.ts";
import { livePropertyXml } from "../../webdav/properties/live_properties.ts";

const COUNT = 230; // > 2 ListObjects pages of 100, reply > one 64 KiB piece
const SUPPORTED_LOCK = "<D:supportedlock><D:lockentry><D:lockscope><D:exclusive/></D:lockscope>" +
  "<D:locktype><D:write/></D:locktype></D:lockentry><D:lockentry><D:lockscope><D:shared/>" +
  "</D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry></D:supportedlock>";
const LOCKINFO = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">` +
  `<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`;

const nameOf = (i: number) => `f-${String(i).padStart(3, "0")}.txt`;
const escapeXml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

async function fill(dav: Parameters<Parameters<typeof davTest>[1]>[0]): Promise<void> {
  await dav.fs.mkdir("/big");
  for (let i = 0; i < COUNT; i++) await dav.fs.writeTextFile(`/big/${nameOf(i)}`, "x".repeat(i));
  await dav.fs.writeTextFile("/big/a & <b>.txt", "odd");
  await dav.fs.mkdir("/big/sub");
  const patched = await dav.text("/big/f-007.txt", {
    method: "PROPPATCH",
    headers: PROPFIND_HEADERS,
    body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>` +
      `<Z:color>red</Z:color></D:prop></D:set></D:propertyupdate>`,
  });
  assertEquals(patched.status, 207);
  const locked = await dav.text("/big/f-009.txt", {
    method: "LOCK",
    headers: { ...PROPFIND_HEADERS, Timeout: "Second-600" },
    body: LOCKINFO,
  });
  assertEquals(locked.status, 200);
}

function hrefOf(name: string, collection = false): string {
  const encoded = encodeURIComponent(name).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `/dav/big/${encoded}${collection ? "/" : ""}`;
}

davTest(
  "PROPFIND Depth 1 allprop: every member once, in order, with every live property and its dead ones",
  async (dav) => {
    await fill(dav);
    const { status, body } = await dav.text("/big/", {
      method: "PROPFIND",
      headers: { Depth: "1" },
    });
    assertEquals(status, 207);
    assert(
      body.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">'),
    );
    assert(body.endsWith("</D:multistatus>\n"));
    const hrefs = [...body.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]!)
      .filter((href) => !href.startsWith("urn:uuid:") && href !== "/dav/big/f-009.txt");
    const names = [...Array(COUNT).keys()].map(nameOf);
    // Listing order: byte order of the names; the lock root href appears once more inside lockdiscovery.
    const expected = [
      "/dav/big/",
      ...["a & <b>.txt", ...names, "sub"].map((n) => n === "sub" ? hrefOf(n, true) : hrefOf(n)),
    ].filter((href) => href !== "/dav/big/f-009.txt");
    assertEquals(hrefs, expected);
    const responses = responsesByHref(body);
    assertEquals(responses.size, COUNT + 3);
    assert(!body.includes("404 Not Found"), "allprop reports nothing missing");
    for (const name of [...names, "a & <b>.txt"]) {
      const response = responses.get(hrefOf(name));
      assert(response !== undefined, `${name} is listed`);
      const info = await dav.fs.stat(`/big/${name}`);
      const props = [
        "<D:resourcetype/>",
        `<D:getcontentlength>${info.size}</D:getcontentlength>`,
        `<D:getlastmodified>${info.mtime!.toUTCString()}</D:getlastmodified>`,
        `<D:getetag>"${info.etag}"</D:getetag>`,
        "<D:getcontenttype>text/plain; charset=utf-8</D:getcontenttype>",
        `<D:creationdate>${
          info.birthtime!.toISOString().replace(/\.\d{3}Z$/, "Z")
        }</D:creationdate>`,
        `<D:displayname>${escapeXml(name)}</D:displayname>`,
        SUPPORTED_LOCK,
      ];
      let at = 0;
      for (const prop of props) {
        const found = response.indexOf(prop, at);
        assert(found >= 0, `${name}: ${prop} (in order)`);
        at = found + prop.length;
      }
      if (name === "f-009.txt") {
        assertMatch(
          response,
          /<D:lockdiscovery><D:activelock>[\s\S]*<D:exclusive\/>[\s\S]*<\/D:lockdiscovery>/,
        );
        assertMatch(response, /<D:lockroot><D:href>\/dav\/big\/f-009.txt<\/D:href><\/D:lockroot>/);
      } else {
        assert(response.includes("<D:lockdiscovery/>"), `${name}: empty lockdiscovery`);
      }
      assertEquals(response.includes("urn:z"), name === "f-007.txt", `${name}: dead property`);
      assertEquals(response.match(/<D:propstat>/g)?.length, 1);
    }
    assertMatch(
      responses.get("/dav/big/f-007.txt")!,
      /<Z:color xmlns:Z="urn:z">red<\/Z:color><\/D:prop>/,
    );
    const sub = responses.get("/dav/big/sub/")!;
    assertMatch(sub, /<D:resourcetype><D:collection\/><\/D:resourcetype>/);
    assertMatch(sub, /<D:displayname>sub<\/D:displayname>/);
    assert(
      !sub.includes("getcontentlength") && !sub.includes("getetag"),
      "a collection has no length or etag",
    );
  },
  { prefix: "/dav" },
);

davTest(
  "PROPFIND Depth 1 prop: exactly the asked properties for every member, missing ones as 404",
  async (dav) => {
    await fill(dav);
    const { status, body } = await dav.text("/big/", {
      method: "PROPFIND",
      headers: { ...PROPFIND_HEADERS, Depth: "1" },
      body: propfindBody(
        "<D:getetag/><D:getcontentlength/><D:getlastmodified/><D:resourcetype/>",
        '<Z:color xmlns:Z="urn:z"/>',
      ),
    });
    assertEquals(status, 207);
    const responses = responsesByHref(body);
    assertEquals(responses.size, COUNT + 3);
    for (
      const word of [
        "displayname",
        "supportedlock",
        "lockdiscovery",
        "creationdate",
        "getcontenttype",
      ]
    ) {
      assert(!body.includes(word), `${word} was not asked for`);
    }
    for (let i = 0; i < COUNT; i++) {
      const name = nameOf(i);
      const response = responses.get(hrefOf(name))!;
      const info = await dav.fs.stat(`/big/${name}`);
      const ok = `<D:propstat><D:prop><D:getetag>"${info.etag}"</D:getetag>` +
        `<D:getcontentlength>${i}</D:getcontentlength>` +
        `<D:getlastmodified>${info.mtime!.toUTCString()}</D:getlastmodified><D:resourcetype/>` +
        (i === 7 ? '<Z:color xmlns:Z="urn:z">red</Z:color>' : "") +
        "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>";
      const missing = i === 7 ? "" : `<D:propstat><D:prop><x:color xmlns:x="urn:z"/></D:prop>` +
        "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>";
      assertEquals(response, `<D:href>${hrefOf(name)}</D:href>${ok}${missing}`);
    }
    assertEquals(
      responses.get("/dav/big/sub/"),
      "<D:href>/dav/big/sub/</D:href><D:propstat><D:prop><D:getlastmodified>" +
        `${(await dav.fs.stat("/big/sub")).mtime!.toUTCString()}</D:getlastmodified>` +
        "<D:resourcetype><D:collection/></D:resourcetype></D:prop>" +
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat><D:propstat><D:prop><D:getetag/>" +
        '<D:getcontentlength/><x:color xmlns:x="urn:z"/></D:prop>' +
        "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>",
    );
  },
  { prefix: "/dav" },
);

davTest(
  "PROPFIND Depth 1 prop with quota (a value that waits): properties keep the asked order",
  async (dav) => {
    await dav.fs.mkdir("/q");
    await dav.fs.writeTextFile("/q/f", "abc");
    await dav.fs.mkdir("/q/d");
    const { body } = await dav.text("/q/", {
      method: "PROPFIND",
      headers: { ...PROPFIND_HEADERS, Depth: "1" },
      body: propfindBody(
        "<D:quota-used-bytes/><D:getcontentlength/><D:quota-available-bytes/>",
        '<Z:none xmlns:Z="urn:z"/>',
      ),
    });
    const responses = responsesByHref(body);
    assertEquals(
      responses.get("/q/f"),
      "<D:href>/q/f</D:href><D:propstat><D:prop><D:getcontentlength>3</D:getcontentlength></D:prop>" +
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat><D:propstat><D:prop>" +
        '<D:quota-used-bytes/><D:quota-available-bytes/><x:none xmlns:x="urn:z"/></D:prop>' +
        "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>",
    );
    assertEquals(
      responses.get("/q/d/"),
      "<D:href>/q/d/</D:href><D:propstat><D:prop><D:quota-used-bytes>1234</D:quota-used-bytes>" +
        "<D:quota-available-bytes>5678</D:quota-available-bytes></D:prop>" +
        "<D:status>HTTP/1.1 200 OK</D:status></D:propstat><D:propstat><D:prop>" +
        '<D:getcontentlength/><x:none xmlns:x="urn:z"/></D:prop>' +
        "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>",
    );
  },
  { quota: () => Promise.resolve({ usedBytes: 1234, availableBytes: 5678 }) },
);

Deno.test("livePropertyXml: synchronous for stat-based properties; dates per second, not per call", () => {
  const info = (ms: number) => ({
    isFile: true,
    isDirectory: false,
    isSymlink: false,
    size: 1,
    mtime: new Date(ms),
    atime: null,
    birthtime: new Date(ms),
    mode: null,
  } as const);
  const env = { ctx: {} as never };
  const at = (name: string, ms: number) =>
    livePropertyXml(name, { path: "/a", info: info(ms) }, env);
  for (
    const ms of [
      0,
      999,
      1000,
      1999,
      2000,
      1_700_000_000_123,
      1_700_000_000_999,
      1_700_000_001_000,
      999,
    ]
  ) {
    const date = new Date(ms);
    assertEquals(
      at("{DAV:}getlastmodified", ms),
      `<D:getlastmodified>${date.toUTCString()}</D:getlastmodified>`,
    );
    assertEquals(
      at("{DAV:}creationdate", ms),
      `<D:creationdate>${date.toISOString().replace(/\.\d{3}Z$/, "Z")}</D:creationdate>`,
    );
  }
  assertEquals(at("{DAV:}getcontentlength", 0), "<D:getcontentlength>1</D:getcontentlength>");
  assertEquals(at("{DAV:}resourcetype", 0), "<D:resourcetype/>");
  assertEquals(at("{urn:x}unknown", 0), undefined);
  assert(at("{DAV:}quota-used-bytes", 0) instanceof Promise, "quota may wait");
});

davTest(
  "PROPFIND allprop with include: a waiting live value keeps its place before the dead properties",
  async (dav) => {
    await dav.fs.mkdir("/c");
    await dav.fs.mkdir("/c/sub");
    const patched = await dav.text("/c/sub", {
      method: "PROPPATCH",
      headers: PROPFIND_HEADERS,
      body:
        `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>` +
        `<Z:color>blue</Z:color></D:prop></D:set></D:propertyupdate>`,
    });
    assertEquals(patched.status, 207);
    const { body } = await dav.text("/c/", {
      method: "PROPFIND",
      headers: { ...PROPFIND_HEADERS, Depth: "1" },
      body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/><D:include>` +
        `<D:quota-used-bytes/><Z:absent xmlns:Z="urn:z"/></D:include></D:propfind>`,
    });
    const sub = responsesByHref(body).get("/c/sub/")!;
    assertMatch(
      sub,
      /<D:lockdiscovery\/><D:quota-used-bytes>1234<\/D:quota-used-bytes><Z:color xmlns:Z="urn:z">blue<\/Z:color><\/D:prop><D:status>HTTP\/1\.1 200 OK<\/D:status><\/D:propstat><D:propstat><D:prop><x:absent xmlns:x="urn:z"\/><\/D:prop><D:status>HTTP\/1\.1 404 Not Found/,
    );
  },
  { quota: () => Promise.resolve({ usedBytes: 1234, availableBytes: 5678 }) },
);
