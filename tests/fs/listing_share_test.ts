// Concurrent listings of one directory share one storage listing (one skip-scan,
// one set of ListObjects calls) while nothing under it changed; a listing that
// starts after a write never joins one that started before it; a consumer left
// far behind continues on its own scan.

import { BackupFS } from "../../src/fs/backup_fs.ts";
import { DirectoryLister, type ListedEntry } from "../../src/fs/directory_lister.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { openTestStore } from "../support/test_store.ts";

const JOB = "share-job";

async function withFs(fn: (fs: BackupFS, store: EmbeddedStore) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-share-" });
  const store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
  try {
    await fn(new BackupFS(store, { jobId: JOB }), store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function fill(fs: BackupFS, dir: string, count: number): Promise<string[]> {
  await fs.mkdir(dir);
  const names = Array.from({ length: count }, (_, i) => `f${String(i).padStart(4, "0")}.txt`);
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((n) => fs.writeTextFile(`${dir}/${n}`, n)));
  }
  return names;
}

async function listNames(fs: BackupFS, dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of fs.readDirInfo(dir)) out.push(entry.name);
  return out;
}

Deno.test("concurrent identical listings share one storage listing", async () => {
  await withFs(async (fs) => {
    const names = await fill(fs, "/d", 450);
    await fs.stat("/d");
    let before = fs.listCalls;
    assertEquals(await listNames(fs, "/d"), names);
    const one = fs.listCalls - before;
    assert(one >= 5, `a listing of 450 names takes pages: ${one}`);
    before = fs.listCalls;
    const listings = await Promise.all(Array.from({ length: 20 }, () => listNames(fs, "/d")));
    const calls = fs.listCalls - before;
    for (const listing of listings) assertEquals(listing, names);
    assert(
      calls <= one + 2,
      `20 concurrent listings made ${calls} ListObjects calls (one: ${one})`,
    );
  });
});

Deno.test("a listing started after an acknowledged write does not join an older one", async () => {
  await withFs(async (fs) => {
    const names = await fill(fs, "/d", 250);
    // An older listing is in flight (first entry read, more pages to come).
    const older = fs.readDirInfo("/d")[Symbol.asyncIterator]();
    assertEquals((await older.next()).value?.name, names[0]);
    await fs.writeTextFile("/d/a-new.txt", "new");
    await fs.writeTextFile("/d/zz-new.txt", "new");
    const newer = await listNames(fs, "/d");
    assertEquals(newer, ["a-new.txt", ...names, "zz-new.txt"]);
    // The older one still completes (whatever it saw of the writes).
    const rest: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const next = await older.next();
      if (next.done) break;
      rest.push(next.value.name);
    }
    assert(rest.length >= names.length - 1, `older listing got ${rest.length} more`);
  });
});

Deno.test("listings that do not overlap in time list storage each time", async () => {
  await withFs(async (fs, store) => {
    // Without the metadata cache, which would answer the second (listing_cache_test.ts).
    fs = new BackupFS(store, { jobId: JOB, metadataTtlMs: 0 });
    const names = await fill(fs, "/d", 150);
    const before = fs.listCalls;
    assertEquals(await listNames(fs, "/d"), names);
    const one = fs.listCalls - before;
    assertEquals(await listNames(fs, "/d"), names);
    assertEquals(fs.listCalls - before, 2 * one);
  });
});

Deno.test("a consumer left far behind continues on its own scan, in order and complete", async () => {
  await withFs(async (fs, store) => {
    const names = await fill(fs, "/d", 400);
    await fs.mkdir("/d/f0100.txt.dir");
    await fs.mkdir("/d/f0200");
    await fs.writeTextFile("/d/f0200/inner.txt", "x");
    const expected = await listNames(fs, "/d");
    assert(expected.includes("f0200") && expected.includes("f0100.txt.dir"));
    assertEquals(expected.length, names.length + 2);
    const lister = new DirectoryLister(store, { jobId: JOB, pageSize: 10, maxShared: 40 });
    const name = (e: ListedEntry) => e.name;
    const slow = lister.list("/d")[Symbol.asyncIterator]();
    const slowNames: string[] = [];
    for (let i = 0; i < 5; i++) slowNames.push(name((await slow.next()).value as ListedEntry));
    const fast: string[] = [];
    for await (const entry of lister.list("/d")) fast.push(entry.name);
    assertEquals(fast, expected);
    for (let i = 0; i < 10_000; i++) {
      const next = await slow.next();
      if (next.done) break;
      slowNames.push(next.value.name);
    }
    assertEquals(slowNames, expected);
  });
});

Deno.test("a consumer that leaves early does not disturb the others", async () => {
  await withFs(async (fs) => {
    const names = await fill(fs, "/d", 300);
    const quitter = (async () => {
      const out: string[] = [];
      for await (const entry of fs.readDirInfo("/d")) {
        out.push(entry.name);
        if (out.length === 120) break;
      }
      return out;
    })();
    const full = await Promise.all([listNames(fs, "/d"), quitter, listNames(fs, "/d")]);
    assertEquals(full[0], names);
    assertEquals(full[1], names.slice(0, 120));
    assertEquals(full[2], names);
    // Nothing left in flight: a later listing works as usual.
    assertEquals(await listNames(fs, "/d"), names);
  });
});
