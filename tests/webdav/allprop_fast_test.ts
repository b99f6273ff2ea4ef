// The fast path of PROPFIND allprop (webdav/methods/allprop_fast.ts) against its
// slow path, the generic renderResponse over the live property registry: the same
// bytes for the same resources, one by one and in whole Depth 1 replies (the same
// collection asked with a plain allprop, fast, and with an include of a property
// allprop already reports, generic); a member with dead properties or a lock is
// still written by the slow path.

import { type BackupFileInfo, BackupFS } from "../../src/fs/mod.ts";
import { isPlainAllprop, plainAllpropResponse } from "../../webdav/methods/allprop_fast.ts";
import { NO_DEAD, propfindPlan, renderResponse } from "../../webdav/methods/propfind_response.ts";
import type { DavResource } from "../../webdav/properties/live_property.ts";
import { createWebDavApp } from "../../webdav/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { openTestStore } from "../support/test_store.ts";

const BASE: BackupFileInfo = {
  isFile: true,
  isDirectory: false,
  isSymlink: false,
  size: 5,
  mtime: new Date("2024-05-06T07:08:09.250Z"),
  atime: null,
  birthtime: new Date("2023-01-02T03:04:05Z"),
  mode: 0o644,
  etag: "abc=",
};

const RESOURCES: DavResource[] = [
  { path: "/a.txt", name: "a.txt", info: BASE },
  { path: "/a.bin", name: "a.bin", info: { ...BASE, size: 0, contentType: "application/x-y" } },
  { path: "/t", name: "t", info: { ...BASE, contentType: "text/csv" } },
  { path: "/empty-type", name: "empty-type", info: { ...BASE, contentType: "" } },
  { path: "/odd", name: "a & <b>", info: { ...BASE, etag: "a&b<c>" } },
  { path: "/no-etag", name: "no-etag", info: { ...BASE, etag: undefined } },
  { path: "/no-dates", name: "no-dates", info: { ...BASE, mtime: null, birthtime: null } },
  { path: "/born", name: "born", info: { ...BASE, mtime: null } },
  { path: "/unnamed.png", info: BASE },
  { path: "/d", name: "d", info: { ...BASE, isFile: false, isDirectory: true, size: 0 } },
  {
    path: "/implicit",
    name: "implicit",
    info: { ...BASE, isFile: false, isDirectory: true, mtime: null, birthtime: null },
  },
  { path: "/é ü", name: "é ü", info: { ...BASE, contentType: "a/b\r&c" } },
];

Deno.test("plainAllpropResponse writes what renderResponse writes for allprop", () => {
  const plan = propfindPlan({ kind: "allprop", include: [] });
  assert(isPlainAllprop(plan), "a plain allprop takes the fast path");
  const env = { ctx: { locks: { locksCovering: () => [] }, href: (p: string) => p } as never };
  for (const resource of RESOURCES) {
    for (const href of [resource.path, `/dav${resource.path}/`, "/x?&<y>"]) {
      const slow = renderResponse(href, resource, { plan, env, dead: NO_DEAD });
      assertEquals(typeof slow, "string");
      assertEquals(plainAllpropResponse(href, resource), slow, `${resource.path} as ${href}`);
    }
  }
});

Deno.test("only a plain allprop takes the fast path", () => {
  assertEquals(isPlainAllprop(propfindPlan({ kind: "allprop", include: [] })), true);
  for (
    const request of [
      { kind: "allprop" as const, include: ["{DAV:}resourcetype"] },
      { kind: "prop" as const, names: ["{DAV:}getetag"] },
      { kind: "propname" as const },
    ]
  ) {
    assertEquals(isPlainAllprop(propfindPlan(request)), false, JSON.stringify(request));
  }
});

Deno.test("PROPFIND Depth 1: the fast and the slow path answer the same bytes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-allprop-fast-" });
  const store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
  try {
    const fs = new BackupFS(store, { jobId: "fast" });
    const app = createWebDavApp(fs);
    await fs.mkdir("/c/sub", { recursive: true });
    for (let i = 0; i < 150; i++) {
      await fs.writeTextFile(`/c/f${String(i).padStart(3, "0")}.txt`, "x".repeat(i));
    }
    await fs.writeFile("/c/a & <b>.bin", new Uint8Array(3), { contentType: "image/png" });
    await fs.writeTextFile("/c/é ü.txt", "unicode");
    await store.putObject({ BackupJobId: "fast", ObjectName: "c/foreign.dat" });
    const request = (method: string, path: string, body?: string, headers?: HeadersInit) =>
      app.fetch(
        new Request(`http://127.0.0.1${path}`, {
          method,
          headers: { Depth: "1", ...headers },
          body,
        }),
      );
    const plain = async () => {
      const response = await request("PROPFIND", "/c/");
      assertEquals(response.status, 207);
      return await response.text();
    };
    // allprop with an include of a property it reports anyway: the same reply, slow path.
    const generic = async () => {
      const response = await request(
        "PROPFIND",
        "/c/",
        '<D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:resourcetype/></D:include>' +
          "</D:propfind>",
      );
      assertEquals(response.status, 207);
      return await response.text();
    };
    const fast = await plain();
    assertEquals(fast, await generic());
    assert(fast.includes("<D:displayname>a &amp; &lt;b&gt;.bin</D:displayname>"));
    // A member with dead properties, and one locked: both as the slow path writes them.
    const patched = await request(
      "PROPPATCH",
      "/c/f007.txt",
      '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:color>red</Z:color>' +
        "</D:prop></D:set></D:propertyupdate>",
    );
    assertEquals(patched.status, 207);
    const locked = await request(
      "LOCK",
      "/c/f009.txt",
      '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
        "<D:locktype><D:write/></D:locktype></D:lockinfo>",
      { Depth: "0", Timeout: "Second-600" },
    );
    assertEquals(locked.status, 200);
    await locked.body?.cancel();
    const withLock = await plain();
    assertEquals(withLock, await generic());
    assert(withLock.includes('<Z:color xmlns:Z="urn:z">red</Z:color>'), "the dead property");
    assert(withLock.includes("<D:activelock>"), "the lock");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
