// A directory of up to 4,096 children listed with their infos (readDirInfo, a PROPFIND
// Depth 1) is listed again from the cache within the metadata TTL: no ListObjects
// call, the same entries. Every write through the file system that changes what
// the listing shows drops it first; a bigger directory keeps only its names, the cache
// keeps 16,384 children in all (least recently used out first); a TTL of
// 0 caches nothing.

import { BackupFS } from "../../src/fs/backup_fs.ts";
import type { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { openTestStore } from "../support/test_store.ts";

const JOB = "listing-cache";

async function withStore(fn: (store: EmbeddedStore) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-listing-cache-" });
  const store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
  try {
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Names, kinds and sizes of a directory's entries, with their infos. */
async function listing(fs: BackupFS, dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of fs.readDirInfo(dir)) {
    out.push(`${entry.name}:${entry.info.isDirectory ? "dir" : entry.info.size}`);
  }
  return out;
}

/** Long enough that nothing expires while a slow machine runs a test. */
const LONG_TTL_MS = 60_000;

Deno.test("a small directory is listed again from the cache, and every write drops it", async () => {
  await withStore(async (store) => {
    const fs = new BackupFS(store, { jobId: JOB, metadataTtlMs: LONG_TTL_MS });
    await fs.mkdir("/d");
    await fs.writeTextFile("/d/a.txt", "a");
    await fs.mkdir("/d/sub");
    const first = await listing(fs, "/d");
    assertEquals(first, ["a.txt:1", "sub:dir"]);
    let before = fs.listCalls;
    assertEquals(await listing(fs, "/d"), first);
    assertEquals(fs.listCalls, before, "listed again within the TTL: no ListObjects call");

    // A new file, a rewritten one, a write deeper down, a removal, a rename: each shows at once.
    const changes: [string, () => Promise<unknown>, string[]][] = [
      ["new file", () => fs.writeTextFile("/d/b.txt", "bb"), ["a.txt:1", "b.txt:2", "sub:dir"]],
      ["rewrite", () => fs.writeTextFile("/d/a.txt", "aaa"), ["a.txt:3", "b.txt:2", "sub:dir"]],
      ["removal", () => fs.remove("/d/b.txt"), ["a.txt:3", "sub:dir"]],
      ["rename", () => fs.rename("/d/a.txt", "/d/c.txt"), ["c.txt:3", "sub:dir"]],
      ["subtree", () => fs.remove("/d/sub", { recursive: true }), ["c.txt:3"]],
    ];
    for (const [what, change, expected] of changes) {
      await change();
      before = fs.listCalls;
      assertEquals(await listing(fs, "/d"), expected, what);
      assert(fs.listCalls > before, `${what}: listed from storage`);
      before = fs.listCalls;
      assertEquals(await listing(fs, "/d"), expected, what);
      assertEquals(fs.listCalls, before, `${what}: then from the cache`);
    }
  });
});

Deno.test("another file system's write shows once the TTL has passed", async () => {
  await withStore(async (store) => {
    const fs = new BackupFS(store, { jobId: JOB, metadataTtlMs: 200 });
    const other = new BackupFS(store, { jobId: JOB }); // another process, in effect
    await fs.mkdir("/d");
    await fs.writeTextFile("/d/a.txt", "a");
    assertEquals(await listing(fs, "/d"), ["a.txt:1"]);
    await other.writeTextFile("/d/b.txt", "bb");
    // Within the TTL the cached listing stands (as a cached stat does) …
    const listed = await listing(fs, "/d");
    assert(listed.length === 1 || listed.length === 2);
    // … and once it has passed, the other's file shows.
    await new Promise((resolve) => setTimeout(resolve, 250));
    assertEquals(await listing(fs, "/d"), ["a.txt:1", "b.txt:2"]);
  });
});

Deno.test("a directory of more than 4,096 children, and a TTL of 0, list storage each time", async () => {
  await withStore(async (store) => {
    // Objects put straight into the store (quicker than 4,097 file writes): BackupFS
    // lists them as files another tool wrote.
    for (let i = 0; i < 4097; i++) {
      await store.putObject({ BackupJobId: JOB, ObjectName: `big/f${i}` });
    }
    const fs = new BackupFS(store, { jobId: JOB, metadataTtlMs: LONG_TTL_MS });
    assertEquals((await listing(fs, "/big")).length, 4097);
    let before = fs.listCalls;
    assertEquals((await listing(fs, "/big")).length, 4097);
    assert(fs.listCalls > before, "a big directory is listed again");

    const uncached = new BackupFS(store, { jobId: JOB, metadataTtlMs: 0 });
    await uncached.mkdir("/small");
    assertEquals(await listing(uncached, "/small"), []);
    before = uncached.listCalls;
    assertEquals(await listing(uncached, "/small"), []);
    assert(uncached.listCalls > before, "TTL 0: listed again");
  });
});

Deno.test("the cached listings keep 16,384 children in all: the least recently used go first", async () => {
  await withStore(async (store) => {
    // Five directories of 4,000 children: four fit, the fifth pushes out the oldest.
    for (let d = 0; d < 5; d++) {
      for (let i = 0; i < 4000; i++) {
        await store.putObject({ BackupJobId: JOB, ObjectName: `d${d}/f${i}` });
      }
    }
    const fs = new BackupFS(store, { jobId: JOB, metadataTtlMs: LONG_TTL_MS });
    for (let d = 0; d < 5; d++) assertEquals((await listing(fs, `/d${d}`)).length, 4000);
    let before = fs.listCalls;
    for (let d = 1; d < 5; d++) assertEquals((await listing(fs, `/d${d}`)).length, 4000);
    assertEquals(fs.listCalls, before, "the four most recent listings are cached");
    before = fs.listCalls;
    assertEquals((await listing(fs, "/d0")).length, 4000);
    assert(fs.listCalls > before, "the oldest went");
  });
});
