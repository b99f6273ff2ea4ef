// PROPFIND Depth: infinity: a deep tree listed in one reply equals the union of
// its Depth 1 listings (hrefs and every response's properties), implicit and
// explicit empty directories included, dead properties reported; refused with 403
// when so configured; streamed (a reader that takes one piece has not made the
// server list the tree) with a bounded number of members held back; and the
// `webdav` npm client's deep listing finds every file.

import { createClient, type FileStat } from "../../deps/webdav_client.ts";
import { BackupFS } from "../../src/fs/mod.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { createWebDavApp } from "../../webdav/mod.ts";
import { subtreeBatches, type SubtreeCounters } from "../../webdav/methods/propfind_subtree.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  responsesByHref,
  startDav,
} from "./support/dav_server.ts";
import { davTest } from "./support/dav_server.ts";

const JOB = "dav-test";

/**
 * A tree of several levels: files at every level, explicit empty directories,
 * directories that exist only as prefixes of objects another tool wrote, a name
 * that is both a file and a directory, names that sort between (`x.txt` < `x/`),
 * escaping, and dead properties on a file and a collection. Returns the file paths.
 */
async function buildTree(fs: BackupFS): Promise<string[]> {
  const files: string[] = [];
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 5; b++) {
      await fs.mkdir(`/tree/d${a}/e${b}`, { recursive: true });
      for (let c = 0; c < 12; c++) {
        const path = `/tree/d${a}/e${b}/f ${c}.txt`;
        await fs.writeTextFile(path, `file ${a}/${b}/${c}`);
        files.push(path);
      }
      await fs.mkdir(`/tree/d${a}/e${b}/empty`);
    }
    const top = `/tree/d${a}.txt`; // sorts before the directory d${a}
    await fs.writeTextFile(top, "top");
    files.push(top);
  }
  await fs.mkdir("/tree/ünï #?/deep/deeper/deepest", { recursive: true });
  await fs.writeTextFile("/tree/ünï #?/deep/deeper/deepest/leaf.bin", "leaf");
  files.push("/tree/ünï #?/deep/deeper/deepest/leaf.bin");
  // Written by another tool: no markers, no BackupFS attributes.
  for (const name of ["tree/raw/one/two/a.dat", "tree/raw/one/two/b.dat", "tree/raw/x.dat"]) {
    await fs.storage.putObject({ BackupJobId: JOB, ObjectName: name });
    files.push(`/${name}`);
  }
  // A file and a directory of one name: the directory wins (as BackupFS reads it).
  await fs.storage.putObject({ BackupJobId: JOB, ObjectName: "tree/both" });
  await fs.storage.putObject({ BackupJobId: JOB, ObjectName: "tree/both.txt" });
  await fs.storage.putObject({ BackupJobId: JOB, ObjectName: "tree/both/inside" });
  files.push("/tree/both.txt", "/tree/both/inside");
  await fs.setExtendedAttributes("/tree/d1/e2/f 3.txt", () => ({
    properties: { "{urn:x}color": '<x:color xmlns:x="urn:x">red</x:color>' },
  }));
  await fs.setExtendedAttributes("/tree/d2", () => ({
    properties: { "{urn:x}color": '<x:color xmlns:x="urn:x">blue</x:color>' },
  }));
  return files;
}

/** Every response of the Depth 1 listings of `href` and the collections under it, by href. */
async function depthOneUnion(
  propfind: (href: string, depth: string) => Promise<string>,
  root: string,
): Promise<Map<string, string>> {
  const union = new Map<string, string>();
  const first = responsesByHref(await propfind(root, "0"));
  for (const [href, xml] of first) union.set(href, xml);
  const queue = [root];
  for (let guard = 0; queue.length > 0 && guard < 10_000; guard++) {
    const collection = queue.shift()!;
    for (const [href, xml] of responsesByHref(await propfind(collection, "1"))) {
      if (href === collection) continue; // its own response: from its parent's listing
      union.set(href, xml);
      if (href.endsWith("/")) queue.push(href);
    }
  }
  return union;
}

for (
  const [label, body] of [
    ["allprop", undefined],
    [
      "prop",
      '<D:propfind xmlns:D="DAV:" xmlns:x="urn:x"><D:prop><D:getcontentlength/><D:resourcetype/>' +
      "<D:getetag/><x:color/></D:prop></D:propfind>",
    ],
    ["propname", '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>'],
  ] as const
) {
  davTest(
    `PROPFIND Depth infinity (${label}) equals the union of the Depth 1 listings`,
    async (dav) => {
      const files = await buildTree(dav.fs);
      const propfind = async (href: string, depth: string) => {
        const response = await dav.request(href, {
          method: "PROPFIND",
          headers: { Depth: depth, "Content-Type": "application/xml" },
          ...(body === undefined ? {} : { body }),
        });
        assertEquals(response.status, 207, `${href} Depth ${depth}`);
        return await response.text();
      };
      const deep = await propfind("/tree/", "infinity");
      const hrefs = [...deep.matchAll(/<D:response><D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]);
      assertEquals(new Set(hrefs).size, hrefs.length, "no href twice");
      const infinity = responsesByHref(deep);
      const union = await depthOneUnion(propfind, "/tree/");
      assert(union.size > 300, `a few hundred members (${union.size})`);
      assertEquals([...infinity.keys()].sort(), [...union.keys()].sort());
      for (const [href, xml] of union) assertEquals(infinity.get(href), xml, href);
      // Every file, the implicit directories, the explicit empty ones; the file shadowed by a directory is not.
      for (const file of files) {
        const href = file.split("/").map(encodeURIComponent).join("/");
        assert(infinity.has(href), `${href} listed`);
      }
      for (
        const href of ["/tree/raw/", "/tree/raw/one/two/", "/tree/d3/e4/empty/", "/tree/both/"]
      ) {
        assert(infinity.has(href), `${href} listed`);
      }
      assert(!infinity.has("/tree/both"), "the file hidden by the directory of its name");
      if (label !== "propname") {
        assertMatch(
          infinity.get("/tree/d1/e2/f%203.txt")!,
          /<x:color xmlns:x="urn:x">red<\/x:color>/,
        );
        assertMatch(infinity.get("/tree/d2/")!, /<x:color xmlns:x="urn:x">blue<\/x:color>/);
      } else {
        assertMatch(infinity.get("/tree/d2/")!, /<x:color xmlns:x="urn:x"\/>/);
      }
      // A PROPFIND without Depth is Depth infinity (RFC 4918 §9.1); a second run is the same reply.
      const none = await dav.text("/tree/", {
        method: "PROPFIND",
        ...(body === undefined ? {} : { body }),
      });
      assertEquals(none.body, deep);
    },
  );
}

davTest(
  "PROPFIND Depth infinity of the root lists everything; of a file, the file",
  async (dav) => {
    await dav.fs.mkdir("/a/b", { recursive: true });
    await dav.fs.writeTextFile("/a/b/c.txt", "c");
    await dav.fs.writeTextFile("/z.txt", "z");
    const root = await dav.text("/", { method: "PROPFIND", headers: { Depth: "infinity" } });
    assertEquals([...responsesByHref(root.body).keys()], [
      "/",
      "/a/",
      "/a/b/",
      "/a/b/c.txt",
      "/z.txt",
    ]);
    const file = await dav.text("/z.txt", { method: "PROPFIND", headers: { Depth: "infinity" } });
    assertEquals(file.status, 207);
    assertEquals([...responsesByHref(file.body).keys()], ["/z.txt"]);
  },
);

davTest(
  "PROPFIND Depth infinity with depthInfinity refuse: 403 propfind-finite-depth, Depth 1 still answered",
  async (dav) => {
    await dav.fs.mkdir("/d");
    for (const headers of [{ Depth: "infinity" }, {} as Record<string, string>]) {
      const refused = await dav.text("/d/", { method: "PROPFIND", headers });
      assertEquals(refused.status, 403);
      assertMatch(refused.body, /<D:propfind-finite-depth/);
    }
    const one = await dav.text("/d/", { method: "PROPFIND", headers: { Depth: "1" } });
    assertEquals(one.status, 207);
  },
  { depthInfinity: "refuse" },
);

/** A storage whose in-process listing calls are counted. */
function countingStorage(store: EmbeddedStore): { storage: BackupStorage; calls: () => number } {
  let calls = 0;
  const storage = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (key === "listObjectsLocally" || key === "listObjects") {
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { storage: storage as unknown as BackupStorage, calls: () => calls };
}

Deno.test("PROPFIND Depth infinity streams: one piece read, the tree not listed; all read, every member", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-infinity-" });
  try {
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    // 3,000 files under 30 directories: 30 pages and more of object names.
    for (let d = 0; d < 30; d++) {
      for (let f = 0; f < 100; f++) {
        await store.putObject({ BackupJobId: JOB, ObjectName: `big/d${d}/f${f}` });
      }
    }
    const { storage, calls } = countingStorage(store);
    const dav = createWebDavApp(new BackupFS(storage, { jobId: JOB }), { onError: () => {} });
    const response = await dav.fetch(
      new Request("http://h/big/", {
        method: "PROPFIND",
        headers: { Depth: "infinity" },
        body: '<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>',
      }),
    );
    assertEquals(response.status, 207);
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert(!first.done && first.value.byteLength > 0);
    const callsAfterOnePiece = calls();
    // One piece (~64 KiB of text, a few hundred members) needs a few pages, not the 30+ of the tree.
    assert(callsAfterOnePiece < 10, `listing calls after one piece: ${callsAfterOnePiece}`);
    let text = new TextDecoder().decode(first.value);
    for (let i = 0; i < 10_000; i++) {
      const next = await reader.read();
      if (next.done) break;
      text += new TextDecoder().decode(next.value, { stream: true });
    }
    assertEquals(responsesByHref(text).size, 1 + 30 + 3000);
    assert(calls() >= 30, `the whole tree listed in the end (${calls()} calls)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("subtree scan: members held back stay bounded (a file followed by many names sorting before its directory)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-infinity-" });
  try {
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    const fs = new BackupFS(store, { jobId: JOB });
    // "p/x" waits until the scan passes "p/x/": 500 names "p/x.NNN" sort between.
    await store.putObject({ BackupJobId: JOB, ObjectName: "p/x" });
    for (let i = 0; i < 500; i++) {
      await store.putObject({ BackupJobId: JOB, ObjectName: `p/x.${String(i).padStart(3, "0")}` });
    }
    await store.putObject({ BackupJobId: JOB, ObjectName: "p/y/inside" });
    for (const [hidden, label] of [[false, "no directory x"], [true, "a directory x"]] as const) {
      if (hidden) await store.putObject({ BackupJobId: JOB, ObjectName: "p/x/z" });
      const counters: SubtreeCounters = { objects: 0, yielded: 0, mostHeld: 0, calls: 0 };
      let streamedBeforeEnd = 0;
      const paths: string[] = [];
      for await (const batch of subtreeBatches(fs, "/p", { maxHeld: 50, counters })) {
        paths.push(...batch.map((m) => m.info.isDirectory ? `${m.path}/` : m.path));
        if (counters.objects < 500) streamedBeforeEnd += batch.length;
      }
      assert(counters.mostHeld <= 51, `${label}: at most maxHeld + 1 held (${counters.mostHeld})`);
      assert(streamedBeforeEnd > 0, `${label}: members streamed before the scan ended`);
      assertEquals(counters.yielded, paths.length);
      assertEquals(paths.includes("/p/x"), !hidden, `${label}: the file x`);
      assertEquals(paths.includes("/p/x/"), hidden, `${label}: the directory x`);
      assertEquals(new Set(paths).size, paths.length, `${label}: nothing twice`);
      assertEquals(paths.filter((p) => p.startsWith("/p/x.")).length, 500);
      assert(paths.includes("/p/y/") && paths.includes("/p/y/inside"));
      // The same members as the directory listings give (through a file system that
      // caches none: the objects were put behind this one's back, and a listing of up
      // to 4,096 children is cached for the TTL, like a stat).
      const uncached = new BackupFS(store, { jobId: JOB, metadataTtlMs: 0 });
      const listed = (await Array.fromAsync(uncached.readDirInfoBatches("/p"))).flat().map((e) =>
        `/p/${e.name}${e.info.isDirectory ? "/" : ""}`
      );
      for (const path of listed) assert(paths.includes(path), `${label}: ${path}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the webdav npm client's deep listing (Depth infinity) returns every file", async () => {
  const dav = await startDav({}, { chunkSize: 4096 });
  try {
    const files = await buildTree(dav.fs);
    const client = createClient(dav.base);
    const contents = await client.getDirectoryContents("/", { deep: true }) as FileStat[];
    const listed = new Set(contents.filter((s) => s.type === "file").map((s) => s.filename));
    assertEquals([...listed].sort(), [...files].sort());
    const sizes = new Map(contents.map((s) => [s.filename, s.size]));
    assertEquals(sizes.get("/tree/d0/e0/f 0.txt"), "file 0/0/0".length);
    assert(
      contents.some((s) => s.type === "directory" && s.filename === "/tree/d3/e4/empty"),
      "an empty directory",
    );
  } finally {
    await dav.close();
  }
});
