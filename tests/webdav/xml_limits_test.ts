// Hostile XML request bodies: nesting depth is bounded (400 as soon as the bound
// is crossed), parsing and serializing cost linear time, and PROPPATCH answers
// 4xx / 207 instead of 500 for values too deep or too big to store.

import { startServe } from "./support/serve_process.ts";
import { assert, assertEquals, assertMatch, davTest, propfindBody } from "./support/dav_server.ts";
import { parseXml, readBoundedBody } from "../../webdav/xml/parse.ts";
import { DavError } from "../../webdav/dav_error.ts";

/** Long enough to detect the old behaviour (minutes), short next to the fixed one (ms). */
const DEADLINE_MS = 5_000;

const LOCK_HEAD = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">` +
  `<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>`;

function nested(levels: number, text = "x"): string {
  return "<a>".repeat(levels) + text + "</a>".repeat(levels);
}

function propertyUpdate(inner: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">` +
    `${inner}</D:propertyupdate>`;
}

function setProperties(...properties: string[]): string {
  return propertyUpdate(`<D:set><D:prop>${properties.join("")}</D:prop></D:set>`);
}

/** A property element with `levels` nested elements below it. */
function deepProperty(name: string, levels: number): string {
  return `<Z:${name}>${nested(levels)}</Z:${name}>`;
}

Deno.test({
  name:
    "XML limits: deep and unclosed bodies (PROPFIND, PROPPATCH, LOCK) answer 400 quickly while another connection is served",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "backupfs-xml-limits-" });
    const server = await startServe(["--listen", "127.0.0.1:0", "--data", dir]);
    let healthy = false;
    // Separate clients: the OPTIONS goes over its own connection.
    const hostile = Deno.createHttpClient({});
    const bystander = Deno.createHttpClient({});
    try {
      const put = await fetch(`${server.origin}/f.txt`, { method: "PUT", body: "f" });
      await put.body?.cancel();
      assertEquals(put.status, 201);
      const wide = (() => {
        // Many prefixes in scope and many elements below them: serialization
        // must not copy the scope per element.
        let attributes = "";
        for (let i = 0; i < 20_000; i++) attributes += ` xmlns:p${i}="u${i}" p${i}:a=""`;
        return setProperties(`<Z:wide${attributes}>${"<b/>".repeat(100_000)}</Z:wide>`);
      })();
      const cases: { label: string; method: string; body: string; status: number }[] = [
        {
          label: "PROPFIND, 100,000 nested elements",
          method: "PROPFIND",
          body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:">${nested(100_000)}</D:propfind>`,
          status: 400,
        },
        {
          label: "PROPFIND, 60,000 unclosed elements",
          method: "PROPFIND",
          body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:">${"<a>".repeat(60_000)}`,
          status: 400,
        },
        {
          label: "PROPPATCH, 100,000 levels",
          method: "PROPPATCH",
          body: setProperties(deepProperty("deep", 100_000)),
          status: 400,
        },
        {
          label: "LOCK, 100,000 levels in the owner",
          method: "LOCK",
          body: `${LOCK_HEAD}<D:owner>${nested(100_000)}</D:owner></D:lockinfo>`,
          status: 400,
        },
        {
          label: "PROPPATCH, 20,000 prefixes in scope",
          method: "PROPPATCH",
          body: wide,
          status: 207,
        },
      ];
      for (const c of cases) {
        assert(new TextEncoder().encode(c.body).byteLength <= 1024 * 1024, c.label);
        const deep = fetch(`${server.origin}/f.txt`, {
          method: c.method,
          body: c.body,
          headers: { "Content-Type": "application/xml; charset=utf-8", Depth: "0" },
          client: hostile,
          signal: AbortSignal.timeout(DEADLINE_MS),
        }).then(async (response) => ({ status: response.status, body: await response.text() }));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const options = fetch(`${server.origin}/`, {
          method: "OPTIONS",
          client: bystander,
          signal: AbortSignal.timeout(DEADLINE_MS),
        }).then(async (response) => {
          await response.body?.cancel();
          return response.status;
        });
        const [answer, optionsStatus] = await Promise.all([
          deep.catch((error) => {
            throw new Error(`${c.label}: no answer within ${DEADLINE_MS} ms (${error})`);
          }),
          options.catch((error) => {
            throw new Error(
              `OPTIONS during ${c.label}: no answer within ${DEADLINE_MS} ms (${error})`,
            );
          }),
        ]);
        assertEquals(answer.status, c.status, `${c.label}: ${answer.body.slice(0, 200)}`);
        assertEquals(optionsStatus, 200, `OPTIONS during ${c.label}`);
      }
      healthy = true;
    } finally {
      hostile.close();
      bystander.close();
      // A server still stuck in a parse cannot run its SIGTERM handler.
      await server.stop(healthy ? "SIGTERM" : "SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("XML limits: parsing stops with 400 at the depth bound", () => {
  const shallow = parseXml(`<r>${nested(31)}</r>`);
  assertEquals(shallow.local, "r");
  for (const text of [`<r>${nested(32)}</r>`, `<r>${"<a>".repeat(100_000)}`]) {
    let caught: unknown;
    try {
      parseXml(text);
    } catch (error) {
      caught = error;
    }
    assert(caught instanceof DavError, String(caught));
    assertEquals(caught.status, 400);
    assertMatch(caught.message, /deeper than 32 levels/);
  }
  // A caller may allow more.
  assertEquals(parseXml(`<r>${nested(99)}</r>`, { maxDepth: 100 }).local, "r");
});

Deno.test("XML limits: namespaces are still checked and resolved", () => {
  for (
    const bad of [
      "<p:a/>", // unbound prefix
      '<a xmlns:p=""/>', // undeclaring a prefix (not XML Namespaces 1.0)
      '<a xmlns:xml="urn:other"/>',
      '<a xmlns:x="http://www.w3.org/XML/1998/namespace"/>',
      '<a xmlns:xmlns="urn:x"/>',
      '<a xmlns="http://www.w3.org/2000/xmlns/"/>',
      "<xmlns:a/>",
      '<a xmlns:p="urn:x" xmlns:q="urn:x" p:b="1" q:b="2"/>', // same expanded attribute twice
      "<a:b:c xmlns:a='urn:a'/>",
      "<a><b></a></b>",
      "<a/><b/>",
    ]
  ) {
    let caught: unknown;
    try {
      parseXml(bad);
    } catch (error) {
      caught = error;
    }
    assert(caught instanceof DavError && caught.status === 400, `${bad}: ${caught}`);
  }
  const root = parseXml(
    `<D:r xmlns:D="DAV:" xmlns="urn:d" xml:lang="en"><x y="1" xmlns:p="urn:p" p:z="2">` +
      `<p:q xmlns="">t<![CDATA[<c>]]></p:q></x><x/></D:r>`,
  );
  assertEquals(root, {
    namespace: "DAV:",
    local: "r",
    prefix: "D",
    attributes: [{
      namespace: "http://www.w3.org/XML/1998/namespace",
      local: "lang",
      prefix: "xml",
      value: "en",
    }],
    lang: "en",
    children: [
      {
        namespace: "urn:d",
        local: "x",
        prefix: "",
        attributes: [
          { namespace: "", local: "y", prefix: "", value: "1" },
          { namespace: "urn:p", local: "z", prefix: "p", value: "2" },
        ],
        lang: "en",
        children: [{
          namespace: "urn:p",
          local: "q",
          prefix: "p",
          attributes: [],
          lang: "en",
          children: ["t<c>"],
        }],
      },
      { namespace: "urn:d", local: "x", prefix: "", attributes: [], lang: "en", children: [] },
    ],
  });
});

davTest("XML limits: a PROPFIND body deeper than 32 levels is 400", async (dav) => {
  await dav.fs.writeTextFile("/f.txt", "f");
  const ok = await dav.text("/f.txt", {
    method: "PROPFIND",
    headers: { Depth: "0" },
    body: propfindBody("<D:getetag/>"),
  });
  assertEquals(ok.status, 207);
  const deep = await dav.text("/f.txt", {
    method: "PROPFIND",
    headers: { Depth: "0" },
    body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>${
      nested(31)
    }</D:prop></D:propfind>`,
  });
  assertEquals(deep.status, 400);
});

davTest("XML limits: PROPPATCH of a property 5,000 levels deep is 400, not 500", async (dav) => {
  await dav.fs.writeTextFile("/f.txt", "f");
  const response = await dav.text("/f.txt", {
    method: "PROPPATCH",
    body: setProperties(deepProperty("deep", 5_000)),
  });
  assertEquals(response.status, 400);
  assertEquals((await dav.fs.getExtendedAttributes("/f.txt")).properties ?? {}, {});
});

davTest(
  "XML limits: dead property values keep 256 levels below the property element (100 round-trip through PROPFIND); 257 is 400",
  async (dav) => {
    await dav.fs.writeTextFile("/f.txt", "f");
    const hundred = deepProperty("hundred", 100);
    const most = deepProperty("most", 256);
    const set = await dav.text("/f.txt", {
      method: "PROPPATCH",
      body: setProperties(hundred, most),
    });
    assertEquals(set.status, 207);
    assertMatch(set.body, /HTTP\/1.1 200 OK/);
    const found = await dav.text("/f.txt", {
      method: "PROPFIND",
      headers: { Depth: "0" },
      body: propfindBody('<Z:hundred xmlns:Z="urn:z"/>', '<Z:most xmlns:Z="urn:z"/>'),
    });
    assertEquals(found.status, 207);
    assert(
      found.body.includes(
        `<Z:hundred xmlns:Z="urn:z">${nested(100).replace("<a>", '<a xmlns="">')}</Z:hundred>`,
      ),
      found.body.slice(0, 400),
    );
    assert(found.body.includes(`${nested(256).slice(3)}</Z:most>`));
    // The value is parsed again as XML by a client: it must be well-formed.
    assertEquals(parseXml(found.body, { maxDepth: 300 }).local, "multistatus");

    const tooDeep = await dav.text("/f.txt", {
      method: "PROPPATCH",
      body: setProperties(deepProperty("over", 257)),
    });
    assertEquals(tooDeep.status, 400);
    assertMatch(tooDeep.body, /deeper than/);
    const stored = (await dav.fs.getExtendedAttributes("/f.txt")).properties ?? {};
    assertEquals(Object.keys(stored).sort(), ["{urn:z}hundred", "{urn:z}most"]);
  },
);

davTest(
  "XML limits: a LOCK owner keeps 256 levels below DAV:owner; 257 is 400",
  async (dav) => {
    await dav.fs.writeTextFile("/f.txt", "f");
    const ok = await dav.text("/f.txt", {
      method: "LOCK",
      headers: { Depth: "0" },
      body: `${LOCK_HEAD}<D:owner>${nested(256)}</D:owner></D:lockinfo>`,
    });
    assertEquals(ok.status, 200);
    assert(ok.body.includes(`<D:owner xmlns:D="DAV:">${'<a xmlns="">'.repeat(256)}x`));
    const token = ok.headers.get("Lock-Token")!;
    const unlock = await dav.request("/f.txt", {
      method: "UNLOCK",
      headers: { "Lock-Token": token },
    });
    await unlock.body?.cancel();
    assertEquals(unlock.status, 204);

    const deep = await dav.text("/f.txt", {
      method: "LOCK",
      headers: { Depth: "0" },
      body: `${LOCK_HEAD}<D:owner>${nested(257)}</D:owner></D:lockinfo>`,
    });
    assertEquals(deep.status, 400);
    assertMatch(deep.body, /deeper than/);
  },
);

davTest(
  "XML limits: PROPPATCH beyond the 4 MiB of dead properties is 207 with 507 for the growing property, 424 for the others, nothing changed",
  async (dav) => {
    await dav.fs.writeTextFile("/f.txt", "f");
    // Four requests of ~1,000,000 bytes each (the body cap is 1 MiB): ~3.8 MiB stored.
    for (let i = 1; i <= 4; i++) {
      const response = await dav.text("/f.txt", {
        method: "PROPPATCH",
        body: setProperties(`<Z:big${i}>${"x".repeat(1_000_000)}</Z:big${i}>`),
      });
      assertEquals(response.status, 207);
      assertMatch(response.body, /HTTP\/1.1 200 OK/);
    }
    const small = await dav.text("/f.txt", {
      method: "PROPPATCH",
      body: setProperties("<Z:small>1</Z:small>"),
    });
    assertEquals(small.status, 207);
    const before = await dav.fs.getExtendedAttributes("/f.txt");
    const beforeInfo = await dav.fs.stat("/f.txt");

    const response = await dav.text("/f.txt", {
      method: "PROPPATCH",
      body: propertyUpdate(
        `<D:set><D:prop><Z:big5>${"y".repeat(500_000)}</Z:big5>` +
          `<D:getlastmodified>Mon, 01 Jan 2001 00:00:00 GMT</D:getlastmodified></D:prop></D:set>` +
          `<D:remove><D:prop><Z:small/></D:prop></D:remove>`,
      ),
    });
    assertEquals(response.status, 207, response.body.slice(0, 300));
    assertMatch(
      response.body,
      /<D:propstat><D:prop><x:big5 xmlns:x="urn:z"\/><\/D:prop><D:status>HTTP\/1.1 507 Insufficient Storage<\/D:status><\/D:propstat>/,
    );
    assertMatch(
      response.body,
      /<D:propstat><D:prop><D:getlastmodified\/><x:small xmlns:x="urn:z"\/><\/D:prop><D:status>HTTP\/1.1 424 Failed Dependency<\/D:status><\/D:propstat>/,
    );
    assert(!response.body.includes("200 OK"));
    const after = await dav.fs.getExtendedAttributes("/f.txt");
    assertEquals(Object.keys(after.properties ?? {}).sort(), [
      "{urn:z}big1",
      "{urn:z}big2",
      "{urn:z}big3",
      "{urn:z}big4",
      "{urn:z}small",
    ]);
    assertEquals(after.properties, before.properties);
    const afterInfo = await dav.fs.stat("/f.txt");
    assertEquals(afterInfo.mtime, beforeInfo.mtime);
    assertEquals(afterInfo.objectToken, beforeInfo.objectToken);
  },
);

Deno.test("XML limits: a body over the bound is 413 whether its length is declared, understated or unknown; one within it is read exact", async () => {
  const body = new TextEncoder().encode("<a>0123456789</a>"); // 17 bytes
  const request = (headers: Record<string, string>, stream = false) =>
    new Request("http://h/", {
      method: "PROPFIND",
      headers,
      body: stream ? new Blob([body]).stream() : body,
    });
  const refused = async (r: Request) => {
    try {
      await readBoundedBody(r, { maxBytes: 16 });
      return "read";
    } catch (error) {
      return error instanceof DavError ? error.status : String(error);
    }
  };
  assertEquals(await refused(request({ "content-length": "17" })), 413); // declared
  assertEquals(await refused(request({ "content-length": "3" })), 413); // understated
  assertEquals(await refused(request({}, true)), 413); // unknown
  const exact = await readBoundedBody(request({ "content-length": "17" }), { maxBytes: 17 });
  assertEquals(new TextDecoder().decode(exact), "<a>0123456789</a>");
});
