import { DirectoryLister, type ListedEntry } from "../../src/fs/directory_lister.ts";
import { compareNames } from "../../src/fs/name_order.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { chunkChecksum } from "../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import type { BackupObject } from "../../src/storage/types.ts";
import { FaultyStorage } from "../support/faulty_storage.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { withStore } from "../storage/store/support/store_fixtures.ts";

const JOB = "lister-job";
const encoder = new TextEncoder();

/** A store in a fresh temp dir on the real clock (see `withStore` of the store's fixtures). */
function withRealTimeStore(fn: (store: EmbeddedStore) => Promise<void>): Promise<void> {
  return withStore((store) => fn(store), { now: Date.now });
}

/** Puts objects (files get a small inline chunk, markers none), 100 at a time. */
async function put(storage: BackupStorage, names: Iterable<string>): Promise<void> {
  let batch: Promise<unknown>[] = [];
  for (const name of names) {
    if (name.endsWith("/")) {
      batch.push(storage.putObject({ BackupJobId: JOB, ObjectName: name }));
    } else {
      const data = encoder.encode(name);
      batch.push(storage.putObject({
        BackupJobId: JOB,
        ObjectName: name,
        InlineChunk: data,
        InlineChunkLength: data.byteLength,
        InlineChunkChecksum: chunkChecksum(data),
      }));
    }
    if (batch.length === 100) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
}

/** Empty objects, as fast as the store takes them. */
async function putEmpty(storage: BackupStorage, names: Iterable<string>): Promise<void> {
  let batch: Promise<unknown>[] = [];
  for (const name of names) {
    batch.push(storage.putObject({ BackupJobId: JOB, ObjectName: name }));
    if (batch.length === 500) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
}

function byteOrder(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

interface Expected {
  name: string;
  isDirectory: boolean;
  marker?: string;
}

/**
 * The listing of `directory` (an object-name prefix, "" for the root) computed the
 * slow, obvious way from every name: first segment after the prefix, a directory
 * when anything follows it, unreachable names dropped, UTF-8 byte order.
 */
function expectedListing(allNames: string[], prefix: string): Expected[] {
  const children = new Map<string, Expected>();
  for (const name of allNames) {
    if (!name.startsWith(prefix) || name === prefix) continue;
    const rest = name.slice(prefix.length);
    const segments = rest.split("/");
    const child = segments[0];
    if (child === "" || child === "." || child === "..") continue;
    const isDirectory = segments.length > 1;
    const known = children.get(child) ?? { name: child, isDirectory: false };
    known.isDirectory ||= isDirectory;
    if (rest === child + "/") known.marker = name;
    children.set(child, known);
  }
  for (const entry of children.values()) if (!entry.isDirectory) delete entry.marker;
  return [...children.values()].sort((a, b) => byteOrder(a.name, b.name));
}

async function listed(
  lister: DirectoryLister,
  path: string,
  allNames: Set<string>,
  prefix: string,
): Promise<Expected[]> {
  const out: Expected[] = [];
  for await (const entry of lister.list(path)) {
    assertEquals(entry.isFile, !entry.isDirectory);
    const item: Expected = { name: entry.name, isDirectory: entry.isDirectory };
    if (entry.isFile) {
      assertEquals(entry.object?.Name, prefix + entry.name, "a file carries its object");
    } else if (entry.object !== undefined) {
      item.marker = entry.object.Name;
      assertEquals(entry.object.Name, prefix + entry.name + "/");
    } else {
      assert(!allNames.has(prefix + entry.name + "/"), `marker of ${entry.name} not reported`);
    }
    out.push(item);
  }
  return out;
}

/** Every directory prefix that occurs in the names (the root included). */
function directoryPrefixes(allNames: string[]): string[] {
  const prefixes = new Set<string>([""]);
  for (const name of allNames) {
    const segments = name.split("/");
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join("/") + "/";
      if (!prefix.split("/").slice(0, -1).some((s) => s === "" || s === "." || s === "..")) {
        prefixes.add(prefix);
      }
    }
  }
  return [...prefixes];
}

const PITFALLS = [
  "a/",
  "a/b!c",
  "a/b.c",
  "a/b/",
  "a/b/x",
  "a/b/y/z",
  "a/b0",
  "a/b0/deep/er", // "b0" is a file and a directory: the directory wins
  "a/b-",
  "a/b-/in",
  "a/b-.x/y",
  "a/b--",
  "a/c/", // marker-only (empty) directory
  "a/d/e/f/g", // implicit directory
  "a/ space",
  "a/ space/",
  "a/x.txt",
  "a/x/inner",
  "a/x!/inner",
  "a/x!",
  "a/x!!",
  "a/é",
  "a/\uFF01", // U+FF01 sorts before U+1F600 in UTF-8 but after it in UTF-16
  "a/😀",
  "a/😀/in",
  "a//weird", // empty segment: unreachable, not a child
  "a/./dot", // "." is unreachable
  "a/.hidden",
  "a/..x",
  "a/back\\slash",
  "a!b/c",
  "ab",
  "ab/",
  "top.txt",
  "a.txt",
  "a0",
];

Deno.test("list: skip-scan pitfalls match an independently computed listing, for every directory and page size", async () => {
  await withRealTimeStore(async (store) => {
    await put(store, PITFALLS);
    const names = new Set(PITFALLS);
    for (const pageSize of [1, 2, 3, 7, 100]) {
      for (const maxHeld of [1, 2, 1000]) {
        const lister = new DirectoryLister(store, { jobId: JOB, pageSize, maxHeld });
        for (const prefix of directoryPrefixes(PITFALLS)) {
          const path = "/" + prefix.slice(0, -1);
          const actual = await listed(lister, path, names, prefix);
          assertEquals(
            actual,
            expectedListing(PITFALLS, prefix),
            `list(${JSON.stringify(path)}), pageSize ${pageSize}, maxHeld ${maxHeld}`,
          );
        }
      }
    }
    // The listing of "a" spelled out, for a reader of this test.
    const lister = new DirectoryLister(store, { jobId: JOB });
    const entries: ListedEntry[] = [];
    for await (const e of lister.list("/a")) entries.push(e);
    assertEquals(entries.map((e) => e.name + (e.isDirectory ? "/" : "")), [
      " space/",
      "..x",
      ".hidden",
      "b/",
      "b!c",
      "b-/",
      "b--",
      "b-.x/",
      "b.c",
      "b0/",
      "back\\slash",
      "c/",
      "d/",
      "x/",
      "x!/",
      "x!!",
      "x.txt",
      "é",
      "！",
      "😀/",
    ]);
    assertEquals(entries.find((e) => e.name === "c")?.object?.Name, "a/c/");
    assertEquals(entries.find((e) => e.name === "d")?.object, undefined);
  });
});

Deno.test("list: random trees match the independently computed listing", async () => {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const alphabet = ["a", "b", "0", "/", "!", ".", "-", " ", "é", "😀", "\uFF01", "z"];
  for (let round = 0; round < 4; round++) {
    await withRealTimeStore(async (store) => {
      const all = new Set<string>();
      for (let i = 0; i < 300; i++) {
        let name = "";
        const length = 1 + Math.floor(next() * 7);
        for (let j = 0; j < length; j++) name += alphabet[Math.floor(next() * alphabet.length)];
        if (name.startsWith("/")) name = "r" + name;
        if (name === "." || name === "..") continue;
        all.add(name);
      }
      const names = [...all];
      await put(store, names);
      for (const pageSize of [1, 4, 100]) {
        const lister = new DirectoryLister(store, { jobId: JOB, pageSize, maxHeld: 1 + round * 3 });
        for (const prefix of directoryPrefixes(names)) {
          const path = "/" + prefix.slice(0, -1);
          assertEquals(
            await listed(lister, path, all, prefix),
            expectedListing(names, prefix),
            `round ${round}, list(${JSON.stringify(path)}), pageSize ${pageSize}`,
          );
        }
      }
    });
  }
});

Deno.test("list: 10 child directories of 10,000 descendants each take 11 ListObjects calls", async () => {
  await withRealTimeStore(async (store) => {
    const started = performance.now();
    const names: string[] = ["big/"];
    for (let d = 0; d < 10; d++) {
      names.push(`big/sub${d}/`);
      for (let i = 0; i < 9999; i++) names.push(`big/sub${d}/n${i % 100}/f${i}`);
    }
    await putEmpty(store, names);
    const putMs = Math.round(performance.now() - started);
    console.log(`  put ${names.length} empty objects in ${putMs} ms`);

    const counting = new FaultyStorage(store);
    const lister = new DirectoryLister(counting, { jobId: JOB });
    const entries: ListedEntry[] = [];
    for await (const entry of lister.list("/big")) entries.push(entry);
    assertEquals(entries.map((e) => e.name), [...Array(10).keys()].map((d) => `sub${d}`));
    assert(entries.every((e) => e.isDirectory && e.object?.Name === `big/${e.name}/`));
    // One call per child directory, plus the one that finds nothing after the last.
    assertEquals(lister.listCalls, 11);
    assertEquals(counting.calls.ListObjects, 11);

    // The root has one child, "big": 2 calls (one page, then the skip past "big/").
    const rootEntries: string[] = [];
    for await (const entry of lister.list("/")) rootEntries.push(entry.name);
    assertEquals(rootEntries, ["big"]);
    assertEquals(lister.listCalls, 13);
    assertEquals(counting.calls.ListObjects, 13);
  });
});

Deno.test("list: 250 files take 3 ListObjects calls; a small page size scales the count", async () => {
  await withRealTimeStore(async (store) => {
    const names = [...Array(250).keys()].map((i) => `flat/file${String(i).padStart(3, "0")}.txt`);
    await putEmpty(store, names);
    const counting = new FaultyStorage(store);
    const lister = new DirectoryLister(counting, { jobId: JOB });
    const listedNames: string[] = [];
    for await (const entry of lister.list("/flat")) {
      assert(entry.isFile);
      listedNames.push(entry.name);
    }
    assertEquals(listedNames, names.map((n) => n.slice("flat/".length)));
    assertEquals(lister.listCalls, 3);
    assertEquals(counting.calls.ListObjects, 3);

    const small = new DirectoryLister(store, { jobId: JOB, pageSize: 10 });
    let count = 0;
    for await (const _ of small.list("/flat")) count++;
    assertEquals(count, 250);
    assertEquals(small.listCalls, 25);
  });
});

Deno.test("list: many children waiting on one stem are settled by one extra call (memory stays bounded)", async () => {
  await withRealTimeStore(async (store) => {
    const files = [...Array(50).keys()].map((i) => `p/img.${String(i).padStart(3, "0")}`);
    const names = [...files, "p/img", "p/img/inside", "p/img0"];
    await put(store, names);
    const lister = new DirectoryLister(store, { jobId: JOB, maxHeld: 10 });
    const iterator = lister.list("/p")[Symbol.asyncIterator]();
    const first = await iterator.next();
    // The directory "img" sorts before "img.000" but shows up after "img.049" in the
    // scan; with at most 10 children held, a probe of "p/img/" found it early.
    assertEquals(first.value, { name: "img", isFile: false, isDirectory: true });
    assertEquals(lister.listCalls, 2);
    const rest: string[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(r.value.name);
    assertEquals(rest, [...files.map((f) => f.slice(2)), "img0"]);
    assertEquals(lister.listCalls, 2); // one page and one probe; the scan skips "p/img/…"

    // Without the bound, the same listing takes one call and holds everything.
    const unbounded = new DirectoryLister(store, { jobId: JOB });
    const all: string[] = [];
    for await (const entry of unbounded.list("/p")) all.push(entry.name);
    assertEquals(all, ["img", ...rest]);
    assertEquals(unbounded.listCalls, 1);
  });
});

Deno.test("list: a missing directory, a file and an empty marker directory list nothing", async () => {
  await withRealTimeStore(async (store) => {
    await put(store, ["f.txt", "empty/", "emptyish/", "emptyish0"]);
    const lister = new DirectoryLister(store, { jobId: JOB });
    for (const path of ["/missing", "/f.txt", "/empty", "/emptyish"]) {
      const entries = [];
      for await (const entry of lister.list(path)) entries.push(entry);
      assertEquals(entries, [], path);
    }
  });
});

Deno.test("list: an aborted signal stops the listing", async () => {
  await withRealTimeStore(async (store) => {
    await put(store, ["a/1", "a/2"]);
    const lister = new DirectoryLister(store, { jobId: JOB });
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await assertRejects(
      async () => {
        for await (const _ of lister.list("/a", { signal: controller.signal })) { /* nothing */ }
      },
      Error,
      "stop",
    );
  });
});

Deno.test("lookup: file, marker-only directory, implicit directory, both, missing, root", async () => {
  await withRealTimeStore(async (store) => {
    await put(store, [
      "docs/readme.md",
      "docs/readme.md.bak",
      "empty/",
      "implicit/deep/file",
      "both",
      "both/child",
      "pre",
      "prefix-only/x",
      "sp ace/",
    ]);
    const counting = new FaultyStorage(store);
    const lister = new DirectoryLister(counting, { jobId: JOB });

    const file = await lister.lookup("/docs/readme.md");
    assertEquals(file?.kind, "file");
    assertEquals((file as { object: BackupObject }).object.Name, "docs/readme.md");
    assertEquals(counting.calls.ListObjects, 1);

    assertEquals((await lister.lookup("/docs"))?.kind, "directory");
    const marker = await lister.lookup("/empty/");
    assertEquals(marker?.kind, "directory");
    assertEquals((marker as { marker?: BackupObject }).marker?.Name, "empty/");
    assertEquals(await lister.lookup("/implicit"), { kind: "directory" });
    assertEquals(await lister.lookup("/implicit/deep"), { kind: "directory" });
    assertEquals((await lister.lookup("/sp ace"))?.kind, "directory");
    // A name that is both a file and a directory is a directory.
    assertEquals(await lister.lookup("/both"), { kind: "directory" });
    assertEquals((await lister.lookup("/both/child"))?.kind, "file");
    // "pre" is a file; "prefix" is only a prefix of a name: missing.
    assertEquals((await lister.lookup("/pre"))?.kind, "file");
    assertEquals(await lister.lookup("/prefix"), undefined);
    assertEquals(await lister.lookup("/missing"), undefined);
    assertEquals(await lister.lookup("/docs/readme"), undefined);
    assertEquals(await lister.lookup("/"), { kind: "directory" });
    assertEquals(await lister.lookup("/../.."), { kind: "directory" });
    // Every lookup but the root took exactly 1 call.
    assertEquals(counting.calls.ListObjects, 12);
    assertEquals(lister.listCalls, 12);
  });
});

Deno.test("lookup: siblings sorting between a file and its directory need a second call", async () => {
  await withRealTimeStore(async (store) => {
    // "-" and "." sort below "/": a.1 … sit between "a" and "a/child".
    const siblings = (stem: string) => ["-1", ".1", ".2", ".3", ".4"].map((s) => stem + s);
    await put(store, [
      "a",
      ...siblings("a"),
      "a/child",
      "f",
      ...siblings("f"),
      "g",
      "g0",
      "g1",
      "g2",
      "g3",
      "g4",
      "h/x",
    ]);
    const counting = new FaultyStorage(store);
    const lister = new DirectoryLister(counting, { jobId: JOB });
    // The page fills with siblings before reaching "a/": the directory probe finds it.
    assertEquals(await lister.lookup("/a"), { kind: "directory" });
    assertEquals(counting.calls.ListObjects, 2);
    // Same without a directory: still a file, after the probe.
    assertEquals((await lister.lookup("/f"))?.kind, "file");
    assertEquals(counting.calls.ListObjects, 4);
    // Siblings sorting after "/" ("g0" …) prove there is no "g/": one call.
    assertEquals((await lister.lookup("/g"))?.kind, "file");
    assertEquals(counting.calls.ListObjects, 5);
    assertEquals((await lister.lookup("/a.1"))?.kind, "file");
    assertEquals(await lister.lookup("/h"), { kind: "directory" });
    assertEquals(await lister.lookup("/h/x/y"), undefined);
  });
});

Deno.test("hasChildren ignores the directory's own marker; 1 call each", async () => {
  await withRealTimeStore(async (store) => {
    const lister = new DirectoryLister(store, { jobId: JOB });
    assertEquals(await lister.hasChildren("/"), false);
    await put(store, [
      "empty/",
      "full/",
      "full/x",
      "implicit/y/z",
      "file",
      "emptyish/",
      "emptyish0",
    ]);
    const before = lister.listCalls;
    assertEquals(await lister.hasChildren("/"), true);
    assertEquals(await lister.hasChildren("/empty"), false);
    assertEquals(await lister.hasChildren("/emptyish"), false);
    assertEquals(await lister.hasChildren("/full"), true);
    assertEquals(await lister.hasChildren("/implicit"), true);
    assertEquals(await lister.hasChildren("/implicit/y"), true);
    assertEquals(await lister.hasChildren("/file"), false);
    assertEquals(await lister.hasChildren("/missing"), false);
    assertEquals(lister.listCalls - before, 8);
  });
});

Deno.test("walk yields every object under a directory, marker first, in byte order", async () => {
  await withRealTimeStore(async (store) => {
    const names = [
      "t/",
      "t/a",
      "t/a/",
      "t/a/b/c",
      "t/a!",
      "t/😀",
      "t/\uFF01",
      "t0",
      "t!x",
      "u/v",
      ...[...Array(120).keys()].map((i) => `t/many/${i}`),
    ];
    await put(store, names);
    const lister = new DirectoryLister(store, { jobId: JOB, pageSize: 50 });
    const walked: string[] = [];
    for await (const object of lister.walk("/t")) walked.push(object.Name);
    const expected = names.filter((n) => n.startsWith("t/")).sort(byteOrder);
    assertEquals(walked, expected);
    assertEquals(walked[0], "t/");
    assertEquals(lister.listCalls, 3); // 127 objects in pages of 50

    const all: string[] = [];
    for await (const object of lister.walk("/")) all.push(object.Name);
    assertEquals(all, [...names].sort(byteOrder));

    const none: string[] = [];
    for await (const object of lister.walk("/nothing")) none.push(object.Name);
    assertEquals(none, []);
  });
});

Deno.test("compareNames is UTF-8 byte order", () => {
  const names = ["b", "a", "\u{1F600}", "\uFF01", "a/b", "a!", "a0", "é", "\uE000", "\u{10000}"];
  assertEquals([...names].sort(compareNames), [...names].sort(byteOrder));
});

Deno.test("invalid options are RangeErrors", async () => {
  await withRealTimeStore((store) => {
    let thrown = 0;
    for (const options of [{ pageSize: 0 }, { pageSize: 101 }, { maxHeld: 0 }]) {
      try {
        new DirectoryLister(store, { jobId: JOB, ...options });
      } catch (error) {
        assert(error instanceof RangeError);
        thrown++;
      }
    }
    assertEquals(thrown, 3);
    return Promise.resolve();
  });
});
