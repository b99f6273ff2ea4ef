import { BackupFS } from "../../src/fs/backup_fs.ts";
import { assert, assertEquals, assertMatch, davTest, propfindBody } from "./support/dav_server.ts";

const update = (inner: string) =>
  `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">${inner}</D:propertyupdate>`;

davTest(
  "PROPPATCH stores dead properties as XML (namespaces, xml:lang, mixed content) and they survive a restart",
  async (dav) => {
    await dav.fs.writeTextFile("/p.txt", "p");
    const value =
      '<Z:note xml:lang="fr">un <b xmlns="urn:b">gras</b> &amp; <Z:i attr="a&quot;b">x</Z:i></Z:note>';
    const response = await dav.text("/p.txt", {
      method: "PROPPATCH",
      body: update(`<D:set><D:prop>${value}<Z:plain>v</Z:plain></D:prop></D:set>`),
    });
    assertEquals(response.status, 207);
    assertMatch(response.body, /<x:note xmlns:x="urn:z"\/>[\s\S]*HTTP\/1.1 200 OK/);
    // Stored in the extended attributes, read back by a new BackupFS (as after a restart).
    const fresh: BackupFS = dav.reopen();
    const stored = (await fresh.getExtendedAttributes("/p.txt")).properties!;
    assertEquals(
      stored["{urn:z}note"],
      '<Z:note xmlns:Z="urn:z" xml:lang="fr">un <b xmlns="urn:b">gras</b> &amp; <Z:i attr="a&quot;b">x</Z:i></Z:note>',
    );
    const found = await dav.text("/p.txt", {
      method: "PROPFIND",
      headers: { Depth: "0" },
      body: propfindBody('<Z:note xmlns:Z="urn:z"/>', '<Z:plain xmlns:Z="urn:z"/>'),
    });
    assertMatch(
      found.body,
      /<Z:note xmlns:Z="urn:z" xml:lang="fr">un <b xmlns="urn:b">gras<\/b> &amp; /,
    );
    assertMatch(found.body, /<Z:plain xmlns:Z="urn:z">v<\/Z:plain>/);
    // The content is untouched.
    assertEquals(await dav.fs.readTextFile("/p.txt"), "p");
    // xml:lang inherited from an ancestor element is kept on the property.
    await dav.text("/p.txt", {
      method: "PROPPATCH",
      body: update(`<D:set xml:lang="de"><D:prop><Z:lang>hallo</Z:lang></D:prop></D:set>`),
    });
    const lang = (await dav.fs.getExtendedAttributes("/p.txt")).properties!["{urn:z}lang"];
    assertEquals(lang, '<Z:lang xmlns:Z="urn:z" xml:lang="de">hallo</Z:lang>');
  },
);

davTest(
  "PROPPATCH is all or nothing: a protected property is 403, every other one 424, nothing stored",
  async (dav) => {
    await dav.fs.writeTextFile("/p.txt", "p");
    const before = await dav.fs.stat("/p.txt");
    const response = await dav.text("/p.txt", {
      method: "PROPPATCH",
      body: update(
        `<D:set><D:prop><Z:a>1</Z:a><D:getetag>"forged"</D:getetag><D:getlastmodified>Mon, 01 Jan 2001 00:00:00 GMT</D:getlastmodified></D:prop></D:set>` +
          `<D:remove><D:prop><Z:b/><D:resourcetype/></D:prop></D:remove>`,
      ),
    });
    assertEquals(response.status, 207);
    assertMatch(
      response.body,
      /<D:propstat><D:prop><D:getetag\/><D:resourcetype\/><\/D:prop><D:status>HTTP\/1.1 403 Forbidden<\/D:status><D:error><D:cannot-modify-protected-property\/><\/D:error>/,
    );
    assertMatch(
      response.body,
      /<D:propstat><D:prop><x:a xmlns:x="urn:z"\/><D:getlastmodified\/><x:b xmlns:x="urn:z"\/><\/D:prop><D:status>HTTP\/1.1 424 Failed Dependency/,
    );
    const after = await dav.fs.stat("/p.txt");
    assertEquals(after.mtime, before.mtime);
    assertEquals((await dav.fs.getExtendedAttributes("/p.txt")).properties ?? {}, {});
  },
);

davTest(
  "PROPPATCH remove, set-then-remove order, and removing a missing property is fine",
  async (dav) => {
    await dav.fs.mkdir("/c");
    await dav.text("/c", {
      method: "PROPPATCH",
      body: update("<D:set><D:prop><Z:a>1</Z:a><Z:b>2</Z:b></D:prop></D:set>"),
    });
    const r = await dav.text("/c/", {
      method: "PROPPATCH",
      body: update(
        "<D:remove><D:prop><Z:a/><Z:never/></D:prop></D:remove><D:set><D:prop><Z:c>3</Z:c></D:prop></D:set><D:remove><D:prop><Z:c/></D:prop></D:remove>",
      ),
    });
    assertEquals(r.status, 207);
    assert(!r.body.includes("424") && !r.body.includes("403"), r.body);
    assertEquals(Object.keys((await dav.fs.getExtendedAttributes("/c")).properties!), ["{urn:z}b"]);
  },
);

davTest(
  "PROPPATCH of Win32LastModifiedTime, Win32CreationTime and getlastmodified sets the real times",
  async (dav) => {
    await dav.fs.writeTextFile("/w.txt", "w");
    const response = await dav.text("/w.txt", {
      method: "PROPPATCH",
      body:
        `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>` +
        `<Z:Win32CreationTime>Wed, 01 Jan 2020 10:00:00 GMT</Z:Win32CreationTime>` +
        `<Z:Win32LastModifiedTime>Thu, 02 Jan 2020 11:00:00 GMT</Z:Win32LastModifiedTime>` +
        `<Z:Win32LastAccessTime>Fri, 03 Jan 2020 12:00:00 GMT</Z:Win32LastAccessTime>` +
        `<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>` +
        `</D:prop></D:set></D:propertyupdate>`,
    });
    assertEquals(response.status, 207);
    assert(!response.body.includes("424"), response.body);
    const info = await dav.fs.stat("/w.txt");
    assertEquals(info.mtime?.toISOString(), "2020-01-02T11:00:00.000Z");
    assertEquals(info.birthtime?.toISOString(), "2020-01-01T10:00:00.000Z");
    const head = await dav.request("/w.txt", { method: "HEAD" });
    assertEquals(head.headers.get("last-modified"), "Thu, 02 Jan 2020 11:00:00 GMT");
    await head.body?.cancel();
    await dav.text("/w.txt", {
      method: "PROPPATCH",
      body: update(
        "<D:set><D:prop><D:getlastmodified>Sat, 04 Jan 2020 00:00:00 GMT</D:getlastmodified></D:prop></D:set>",
      ),
    });
    assertEquals((await dav.fs.stat("/w.txt")).mtime?.toISOString(), "2020-01-04T00:00:00.000Z");
    assertEquals(await dav.fs.readTextFile("/w.txt"), "w");
    const props = await dav.text("/w.txt", {
      method: "PROPFIND",
      headers: { Depth: "0" },
      body: propfindBody('<Z:Win32LastAccessTime xmlns:Z="urn:schemas-microsoft-com:"/>'),
    });
    assertMatch(props.body, /Fri, 03 Jan 2020 12:00:00 GMT/);
    // A date that does not parse fails the request (409), nothing changes.
    const bad = await dav.text("/w.txt", {
      method: "PROPPATCH",
      body: update(
        "<D:set><D:prop><D:getlastmodified>yesterday-ish</D:getlastmodified><Z:x>1</Z:x></D:prop></D:set>",
      ),
    });
    assertMatch(bad.body, /409 Conflict/);
    assertMatch(bad.body, /424 Failed Dependency/);
    assertEquals((await dav.fs.stat("/w.txt")).mtime?.toISOString(), "2020-01-04T00:00:00.000Z");
  },
);

davTest("PROPPATCH: missing resource 404, not a propertyupdate 400", async (dav) => {
  const missing = await dav.request("/nope", {
    method: "PROPPATCH",
    body: update("<D:set><D:prop><Z:a>1</Z:a></D:prop></D:set>"),
  });
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  await dav.fs.writeTextFile("/f", "f");
  const wrong = await dav.request("/f", {
    method: "PROPPATCH",
    body: '<D:propfind xmlns:D="DAV:"/>',
  });
  assertEquals(wrong.status, 400);
  await wrong.body?.cancel();
});
