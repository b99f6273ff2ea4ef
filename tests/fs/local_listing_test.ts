// The in-process listing (src/storage/store/local_listing.ts) against its slow
// path on the same data: a BackupFS over the EmbeddedStore itself (fast: rows read
// in-process, tokens signed only when read) and one over the same store behind a
// plain BackupStorage wrapper (slow: ListObjects pages, a signed token per object)
// must list identically (names, sizes, dates, etags, tokens, content types, dead
// properties), and the fast one signs a token only where one is used (a foreign
// object's size from ListChunks, a member's dead properties).

import { type BackupFileInfo, BackupFS } from "../../src/fs/mod.ts";
import type { EmbeddedStore } from "../../src/storage/store/embedded_store.ts";
import { localListing } from "../../src/storage/store/local_listing.ts";
import type { OperationName, OperationOptions } from "../../src/storage/types.ts";
import { createWebDavApp } from "../../webdav/mod.ts";
import { updateDeadProperties } from "../../webdav/properties/dead_properties.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { StorageInterceptor } from "../support/storage_interceptor.ts";
import { withStore } from "../storage/store/support/store_fixtures.ts";

const JOB = "local-listing";

/** Forwards every call: hides the store's in-process listing, counts ListObjects. */
class PlainStorage extends StorageInterceptor {
  listCalls = 0;
  protected intercept<O>(
    operation: OperationName,
    _input: unknown,
    _options: OperationOptions | undefined,
    forward: () => Promise<O>,
  ): Promise<O> {
    if (operation === "ListObjects") this.listCalls++;
    return forward();
  }
}

/** Counts the tokens the store signs for the in-process listing. */
function countTokens(store: EmbeddedStore): { signed: number } {
  const counter = { signed: 0 };
  const sign = store.objectTokenOf.bind(store);
  store.objectTokenOf = (job, id) => {
    counter.signed++;
    return sign(job, id);
  };
  return counter;
}

/** A store in a fresh temp dir on the real clock (see `withStore` of the store's fixtures). */
function withRealTimeStore(fn: (store: EmbeddedStore) => Promise<void>): Promise<void> {
  return withStore((store) => fn(store), { now: Date.now });
}

/** Files, markers, implicit directories, a foreign object, dead properties, odd names. */
async function fill(store: EmbeddedStore): Promise<void> {
  const fs = new BackupFS(store, { jobId: JOB });
  await fs.mkdir("/d/sub", { recursive: true });
  await fs.writeTextFile("/d/a.txt", "hello");
  await fs.writeFile("/d/b.bin", new Uint8Array(3000), { contentType: "application/x-test" });
  await fs.writeTextFile("/d/sub.txt", "sorted after the directory sub");
  await fs.writeTextFile("/d/é ü.txt", "unicode");
  await fs.writeTextFile("/d/a-b", "a character below / in the name");
  await fs.writeFile("/d/dated", new Uint8Array(1), { mtime: new Date("2001-02-03T04:05:06Z") });
  await updateDeadProperties(fs, "/d/a.txt", [
    { name: "{urn:x}color", value: '<x:color xmlns:x="urn:x">red</x:color>' },
  ]);
  await updateDeadProperties(fs, "/d/sub", [
    { name: "{urn:x}kind", value: '<x:kind xmlns:x="urn:x">folder</x:kind>' },
  ]);
  // Written by another tool: an implicit directory and an object without attributes.
  await store.putObject({ BackupJobId: JOB, ObjectName: "d/implicit/x" });
  await store.putObject({ BackupJobId: JOB, ObjectName: "d/foreign.dat" });
  await fs.mkdir("/d/many");
  for (let i = 0; i < 120; i++) {
    await fs.writeTextFile(`/d/many/f${String(i).padStart(3, "0")}.txt`, `file ${i}`);
  }
}

/** Every field of an info, the token read (on the fast path, a getter of the class). */
function fields(info: BackupFileInfo): Record<string, unknown> {
  return { ...info, objectToken: info.objectToken };
}

async function listing(fs: BackupFS, path: string): Promise<[string, Record<string, unknown>][]> {
  const out: [string, Record<string, unknown>][] = [];
  for await (const { name, info } of fs.readDirInfo(path)) out.push([name, fields(info)]);
  return out;
}

Deno.test("the in-process listing lists as ListObjects does: names, infos, tokens", async () => {
  await withRealTimeStore(async (store) => {
    await fill(store);
    const tokens = countTokens(store);
    const plain = new PlainStorage(store);
    const fast = new BackupFS(store, { jobId: JOB });
    const slow = new BackupFS(plain, { jobId: JOB });
    for (const path of ["/", "/d", "/d/sub", "/d/implicit", "/d/many"]) {
      const expected = await listing(slow, path);
      const signedBefore = tokens.signed;
      const entries: { name: string; info: BackupFileInfo }[] = [];
      for await (const entry of fast.readDirInfo(path)) entries.push(entry);
      // Only the foreign objects', whose sizes come from ListChunks.
      const foreign = path === "/d" || path === "/d/implicit" ? 1 : 0;
      assertEquals(tokens.signed - signedBefore, foreign, `tokens signed listing ${path}`);
      assertEquals(entries.map((e) => [e.name, fields(e.info)]), expected, path);
    }
    assert(plain.listCalls > 0, "the slow path went through ListObjects");
    // Reading a listed file signs its token then, the same as the slow path's.
    assertEquals(await fast.readTextFile("/d/a.txt"), "hello");
    assertEquals(await fast.readTextFile("/d/many/f007.txt"), "file 7");
    assertEquals((await fast.stat("/d/foreign.dat")).size, 0);
  });
});

Deno.test("PROPFIND Depth 1 answers byte for byte the same on the fast and the slow path", async () => {
  await withRealTimeStore(async (store) => {
    await fill(store);
    const tokens = countTokens(store);
    const fast = createWebDavApp(new BackupFS(store, { jobId: JOB }));
    const slow = createWebDavApp(new BackupFS(new PlainStorage(store), { jobId: JOB }));
    const propfind = async (app: typeof fast, path: string, body?: string) => {
      const response = await app.fetch(
        new Request(`http://127.0.0.1${path}`, {
          method: "PROPFIND",
          headers: { Depth: "1" },
          body,
        }),
      );
      assertEquals(response.status, 207, path);
      return await response.text();
    };
    const bodies = [
      undefined, // allprop
      '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>',
      '<D:propfind xmlns:D="DAV:" xmlns:x="urn:x"><D:prop><D:getetag/><x:color/>' +
      "<D:getcontentlength/></D:prop></D:propfind>",
    ];
    for (const path of ["/d/", "/d/sub/", "/d/many/", "/"]) {
      for (const body of bodies) {
        const expected = await propfind(slow, path, body);
        const signedBefore = tokens.signed;
        const text = await propfind(fast, path, body);
        assertEquals(text, expected, `${path} ${body ?? "allprop"}`);
        // Only for the foreign object's size and the members with dead properties.
        const most = path === "/d/" ? 3 : path === "/d/many/" ? 0 : 1;
        const signed = tokens.signed - signedBefore;
        assert(signed <= most, `${path}: ${signed} tokens signed`);
      }
    }
    const all = await propfind(fast, "/d/");
    assert(all.includes('<x:color xmlns:x="urn:x">red</x:color>'), "a dead property listed");
    assert(all.includes("<D:getcontenttype>application/x-test</D:getcontenttype>"));
  });
});

Deno.test("localListing pages as ListObjects does, with an in-process cursor", async () => {
  await withRealTimeStore(async (store) => {
    const names = ["a", "a/b", "a/c", "a0", "b/é", "b/z", "c"];
    for (const name of names) {
      await store.putObject({ BackupJobId: JOB, ObjectName: name, MetadataString: `m ${name}` });
    }
    const list = localListing(store);
    assert(list !== undefined, "an EmbeddedStore lists in-process");
    assertEquals(localListing(new PlainStorage(store)), undefined);
    const tokens = countTokens(store);
    for (
      const input of [{}, { StartingObjectPrefix: "a/" }, { StartingObjectName: "a0" }, {
        StartingObjectPrefix: "b/",
        StartingObjectName: "b/f",
      }]
    ) {
      const expected = (await store.listObjects({ StorageJobId: JOB, ...input })).ObjectList;
      const got = [];
      let page = await list({ StorageJobId: JOB, ...input, MaxResults: 2 });
      for (let i = 0; i < 10; i++) {
        got.push(...page.ObjectList);
        if (page.NextToken === undefined) break;
        page = await list({ StorageJobId: JOB, NextToken: page.NextToken, MaxResults: 2 });
      }
      assertEquals(tokens.signed, 0, "nothing signed before a token is read");
      // JSON has every token (reading them); a listed object's is a getter of its class.
      assertEquals(JSON.parse(JSON.stringify(got)), expected, JSON.stringify(input));
      assertEquals(tokens.signed, expected.length);
      tokens.signed = 0;
    }
    let refused = false;
    try {
      await list({ StorageJobId: JOB, NextToken: "not-a-cursor" });
    } catch {
      refused = true;
    }
    assert(refused, "a foreign NextToken is refused");
  });
});

Deno.test("readDirInfoBatches yields readDirInfo's entries, a page at a time", async () => {
  await withRealTimeStore(async (store) => {
    await fill(store);
    for (
      const fs of [
        new BackupFS(store, { jobId: JOB }),
        new BackupFS(new PlainStorage(store), { jobId: JOB }),
      ]
    ) {
      for (const path of ["/d", "/d/many", "/d/implicit"]) {
        const batches = await Array.fromAsync(fs.readDirInfoBatches(path));
        assert(batches.every((batch) => batch.length > 0), "no empty batch");
        const flat = batches.flat().map((e) => [e.name, fields(e.info)]);
        assertEquals(flat, await listing(fs, path), path);
      }
      const pages = (await Array.fromAsync(fs.readDirInfoBatches("/d/many"))).length;
      assert(pages <= 3, `120 entries in ${pages} batches`); // pages of 100
      let missing: unknown;
      try {
        await Array.fromAsync(fs.readDirInfoBatches("/nothing"));
      } catch (error) {
        missing = error;
      }
      assert(missing instanceof Deno.errors.NotFound, "a missing directory is NotFound");
    }
  });
});
