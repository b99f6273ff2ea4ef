// BackupFS behaviour, one suite run against both backends (in-process store and
// HTTP client ↔ storage service). Chunk size is 4 KiB here so multi-chunk files stay small.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
} from "../support/assert.ts";
import { bytesOf, fsTest } from "./support/backends.ts";
import { chunkChecksum } from "../../src/storage/checksum.ts";
import { DirectoryNotEmptyError } from "../../src/fs/fs_errors.ts";

const text = (s: string) => new TextEncoder().encode(s);

async function names(
  fs: { readDir(p: string): AsyncIterable<{ name: string; isDirectory: boolean }> },
  p: string,
) {
  const out: string[] = [];
  for await (const e of fs.readDir(p)) out.push(e.isDirectory ? `${e.name}/` : e.name);
  return out;
}

fsTest(
  "writeFile and readFile round-trip small, chunk-sized and multi-chunk files",
  async ({ fs }) => {
    for (const size of [0, 1, 4095, 4096, 4097, 3 * 4096 + 17]) {
      const data = bytesOf(size, size);
      await fs.writeFile(`/f${size}.bin`, data);
      assertEquals(await fs.readFile(`/f${size}.bin`), data, `size ${size}`);
      const info = await fs.stat(`/f${size}.bin`);
      assertEquals([info.isFile, info.isDirectory, info.size], [true, false, size]);
      assert(info.mtime instanceof Date);
    }
    await fs.writeTextFile("/hello.txt", "héllo");
    assertEquals(await fs.readTextFile("/hello.txt"), "héllo");
    assertEquals((await fs.stat("/hello.txt")).contentType, "text/plain");
  },
);

fsTest(
  "writeFile streams a ReadableStream and replaces the old version atomically",
  async ({ fs }) => {
    await fs.writeFile("/s.bin", bytesOf(1000, 1));
    const data = bytesOf(5 * 4096 + 3, 2);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (offset >= data.length) return c.close();
        c.enqueue(data.slice(offset, offset + 1500));
        offset += 1500;
      },
    });
    await fs.writeFile("/s.bin", stream);
    assertEquals(await fs.readFile("/s.bin"), data);
  },
);

fsTest("a failed stream leaves the old version intact", async ({ fs }) => {
  const old = bytesOf(9000, 3);
  await fs.writeFile("/keep.bin", old);
  let n = 0;
  const failing = new ReadableStream<Uint8Array>({
    pull(c) {
      if (n++ === 3) return c.error(new Error("source broke"));
      c.enqueue(bytesOf(4096, n));
    },
  });
  await assertRejects(() => fs.writeFile("/keep.bin", failing), Error, "source broke");
  assertEquals(await fs.readFile("/keep.bin"), old);
  const aborted = new AbortController();
  aborted.abort(new Error("stop"));
  await assertRejects(
    () => fs.writeFile("/keep.bin", bytesOf(10), { signal: aborted.signal }),
    Error,
  );
  assertEquals(await fs.readFile("/keep.bin"), old);
});

fsTest("errors are Deno.errors naming the path", async ({ fs }) => {
  const e = await assertRejects(() => fs.stat("/nope/x"), Deno.errors.NotFound);
  assertMatch(e.message, /\/nope\/x/);
  await assertRejects(() => fs.readFile("/missing.txt"), Deno.errors.NotFound, "/missing.txt");
  await fs.mkdir("/d");
  await assertRejects(() => fs.readFile("/d"), Deno.errors.IsADirectory, "/d");
  await fs.writeTextFile("/file", "x");
  await assertRejects(
    async () => {
      for await (const _ of fs.readDir("/file")) { /* nothing */ }
    },
    Deno.errors.NotADirectory,
    "/file",
  );
  await assertRejects(
    () => fs.writeTextFile("/file/child", "x"),
    Deno.errors.NotADirectory,
    "/file",
  );
  await assertRejects(
    () => fs.writeTextFile("/no-parent/child", "x"),
    Deno.errors.NotFound,
    "/no-parent",
  );
  await assertRejects(() => fs.mkdir("/d"), Deno.errors.AlreadyExists, "/d");
  await assertRejects(
    () => fs.writeTextFile("/file", "y", { createNew: true }),
    Deno.errors.AlreadyExists,
  );
  await assertRejects(() => fs.writeTextFile("/d", "y"), Deno.errors.IsADirectory);
});

fsTest("mkdir, readDir in byte order, empty directories persist, remove", async ({ fs }) => {
  await assertRejects(() => fs.mkdir("/a/b"), Deno.errors.NotFound);
  await fs.mkdir("/a/b/c", { recursive: true });
  await fs.mkdir("/a/b/c", { recursive: true }); // no error when it exists
  await fs.writeTextFile("/a/z.txt", "z");
  await fs.writeTextFile("/a/b!.txt", "!");
  await fs.writeTextFile("/a/b0", "0");
  await fs.writeTextFile("/a/B", "B");
  // The classic skip-scan pitfalls: "!" sorts before "/", "0" right after it.
  assertEquals((await names(fs, "/a")).sort(), ["B", "b!.txt", "b/", "b0", "z.txt"]);
  assertEquals(await names(fs, "/a/b"), ["c/"]);
  assertEquals(await names(fs, "/a/b/c"), []);
  assert((await fs.stat("/a/b/c")).isDirectory);
  // Non-empty without recursive: a clear error.
  const e = await assertRejects(() => fs.remove("/a"), DirectoryNotEmptyError);
  assertEquals(e.message, "Directory not empty: remove '/a'");
  await fs.remove("/a/b/c");
  assertEquals(await names(fs, "/a/b"), []);
  await fs.remove("/a", { recursive: true });
  await assertRejects(() => fs.stat("/a"), Deno.errors.NotFound);
  assertEquals(await names(fs, "/"), []);
  const root = await assertRejects(() => fs.remove("/"), Deno.errors.PermissionDenied);
  assertEquals(root.message, "Permission denied: remove '/': the root cannot be removed");
});

fsTest("a directory stays when its last file is removed", async ({ fs }) => {
  await fs.mkdir("/dir");
  await fs.writeTextFile("/dir/only.txt", "x");
  await fs.remove("/dir/only.txt");
  assert((await fs.stat("/dir")).isDirectory);
});

fsTest("an implicit directory stays when its last file is removed", async ({ fs, storage }) => {
  // Another tool wrote "imp/only.txt" without any directory marker.
  await storage.putObject({ BackupJobId: "fs-test", ObjectName: "imp/only.txt" });
  assert((await fs.stat("/imp")).isDirectory);
  await fs.remove("/imp/only.txt");
  assert((await fs.stat("/imp")).isDirectory);
  assertEquals(await names(fs, "/imp"), []);
});

fsTest("paths are normalized and never leave the root; NUL is refused", async ({ fs }) => {
  await fs.mkdir("/../etc");
  assertEquals(await names(fs, "/"), ["etc/"]);
  await fs.writeTextFile("/../../etc/passwd", "inside");
  assertEquals(await fs.readTextFile("/etc/passwd"), "inside");
  assertEquals(await fs.readTextFile("etc//./passwd"), "inside");
  await assertRejects(() => fs.writeTextFile("/bad\0name", "x"), TypeError);
});

fsTest(
  "open: sequential writes stream, become visible at close, read back",
  async ({ fs, other }) => {
    const file = await fs.open("/seq.bin", { write: true, create: true, truncate: true });
    const data = bytesOf(6 * 4096 + 100, 9);
    for (let i = 0; i < data.length; i += 1000) await file.write(data.subarray(i, i + 1000));
    // Invisible to anyone else until close.
    await assertRejects(() => other().stat("/seq.bin"), Deno.errors.NotFound);
    await file.close();
    assertEquals(await other().readFile("/seq.bin"), data);
  },
);

fsTest("open: seek back and overwrite, append, truncate, read own writes", async ({ fs }) => {
  await fs.writeFile("/edit.bin", bytesOf(10000, 4));
  const model = bytesOf(10000, 4).slice();
  await using file = await fs.open("/edit.bin", { read: true, write: true });
  await file.seek(5000, Deno.SeekMode.Start);
  await file.write(text("HELLO"));
  model.set(text("HELLO"), 5000);
  await file.seek(-2, Deno.SeekMode.End);
  await file.write(text("END!"));
  const grown = new Uint8Array(10002);
  grown.set(model);
  grown.set(text("END!"), 9998);
  await file.seek(4998, Deno.SeekMode.Start);
  const buf = new Uint8Array(9);
  assertEquals(await file.read(buf), 9);
  assertEquals(buf, grown.slice(4998, 5007));
  assertEquals((await file.stat()).size, 10002);
  await file.close();
  assertEquals(await fs.readFile("/edit.bin"), grown);

  await fs.writeFile("/edit.bin", text("-more"), { append: true });
  assertEquals(new TextDecoder().decode((await fs.readFile("/edit.bin")).slice(-9)), "END!-more");

  await fs.truncate("/edit.bin", 3);
  assertEquals(await fs.readFile("/edit.bin"), grown.slice(0, 3));
  await fs.truncate("/edit.bin", 6);
  assertEquals(await fs.readFile("/edit.bin"), new Uint8Array([...grown.slice(0, 3), 0, 0, 0]));
});

fsTest(
  "open: a write after streaming started, at an earlier position, still lands right",
  async ({ fs }) => {
    const file = await fs.open("/zip.bin", { write: true, create: true, truncate: true });
    const data = bytesOf(5 * 4096, 5).slice();
    await file.write(data);
    await file.seek(10, Deno.SeekMode.Start);
    await file.write(text("HEADER"));
    data.set(text("HEADER"), 10);
    await file.close();
    assertEquals(await fs.readFile("/zip.bin"), data);
  },
);

fsTest(
  "open flags: createNew, missing without create, directories, read-only handles",
  async ({ fs }) => {
    await fs.writeTextFile("/x.txt", "x");
    await assertRejects(
      () => fs.open("/x.txt", { write: true, createNew: true }),
      Deno.errors.AlreadyExists,
    );
    await assertRejects(() => fs.open("/y.txt", { write: true }), Deno.errors.NotFound);
    await fs.mkdir("/dd");
    await assertRejects(() => fs.open("/dd"), Deno.errors.IsADirectory);
    const r = await fs.open("/x.txt");
    await assertRejects(() => r.write(text("no")), Deno.errors.BadResource);
    await r.close();
    await assertRejects(() => r.read(new Uint8Array(1)), Deno.errors.BadResource);
    // create without writes makes an empty file.
    const c = await fs.open("/empty.txt", { write: true, create: true });
    await c.close();
    assertEquals((await fs.stat("/empty.txt")).size, 0);
  },
);

fsTest("abort leaves the previous version; a reader keeps its snapshot", async ({ fs }) => {
  await fs.writeFile("/v.bin", bytesOf(9000, 1));
  const reader = await fs.open("/v.bin");
  const w = await fs.open("/v.bin", { write: true, truncate: true });
  await w.write(bytesOf(20000, 2));
  await w.abort();
  assertEquals(await fs.readFile("/v.bin"), bytesOf(9000, 1));
  await fs.writeFile("/v.bin", bytesOf(5000, 3));
  // The reader opened before still reads the version it opened.
  const buf = new Uint8Array(9000);
  let got = 0;
  for (let i = 0; i < 20 && got < 9000; i++) {
    const n = await reader.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  assertEquals(buf.subarray(0, got), bytesOf(9000, 1));
  await reader.close();
});

fsTest("two writers of one path: the last close wins whole", async ({ fs, other }) => {
  const a = await fs.open("/race.bin", { write: true, create: true, truncate: true });
  const b = await other().open("/race.bin", { write: true, create: true, truncate: true });
  await a.write(bytesOf(3 * 4096, 1));
  await b.write(bytesOf(2 * 4096 + 5, 2));
  await b.close();
  await a.close();
  assertEquals(await fs.readFile("/race.bin"), bytesOf(3 * 4096, 1));
});

fsTest("rename and copy files and directories", async ({ fs }) => {
  await fs.mkdir("/src/deep", { recursive: true });
  await fs.writeFile("/src/a.bin", bytesOf(3 * 4096 + 1, 1));
  await fs.writeTextFile("/src/deep/b.txt", "bee");
  await fs.mkdir("/src/empty");
  await fs.copy("/src", "/copy", { recursive: true });
  assertEquals(await names(fs, "/copy"), ["a.bin", "deep/", "empty/"]);
  assertEquals(await fs.readFile("/copy/a.bin"), bytesOf(3 * 4096 + 1, 1));
  await fs.rename("/src", "/moved");
  await assertRejects(() => fs.stat("/src"), Deno.errors.NotFound);
  assertEquals(await fs.readTextFile("/moved/deep/b.txt"), "bee");
  assert((await fs.stat("/moved/empty")).isDirectory);
  await fs.copyFile("/moved/a.bin", "/moved/a2.bin");
  assertEquals(await fs.readFile("/moved/a2.bin"), bytesOf(3 * 4096 + 1, 1));
  await fs.rename("/moved/a2.bin", "/moved/deep/a3.bin");
  assertEquals(await names(fs, "/moved/deep"), ["a3.bin", "b.txt"]);
  await assertRejects(() => fs.rename("/moved", "/moved/deep/inside"), TypeError);
  await assertRejects(() => fs.copyFile("/moved", "/x"), Deno.errors.IsADirectory);
  await assertRejects(() => fs.rename("/nope", "/x"), Deno.errors.NotFound);
});

fsTest(
  "attributes: utime, mode, content type; extended attributes survive overwrite and rename",
  async ({ fs }) => {
    await fs.writeFile("/p.html", text("<p>"), { mode: 0o600 });
    let info = await fs.stat("/p.html");
    assertEquals([info.mode, info.contentType], [0o600, "text/html"]);
    await fs.utime("/p.html", new Date("2001-02-03T04:05:06Z"));
    info = await fs.stat("/p.html");
    assertEquals(info.mtime?.toISOString(), "2001-02-03T04:05:06.000Z");
    assertEquals(await fs.readTextFile("/p.html"), "<p>");
    await fs.setExtendedAttributes(
      "/p.html",
      (x) => ({ ...x, properties: { "{urn:x}color": "blue" } }),
    );
    await fs.writeTextFile("/p.html", "<p>new</p>");
    assertEquals((await fs.getExtendedAttributes("/p.html")).properties, {
      "{urn:x}color": "blue",
    });
    await fs.rename("/p.html", "/q.html");
    assertEquals((await fs.getExtendedAttributes("/q.html")).properties, {
      "{urn:x}color": "blue",
    });
    const long = "application/x-" + "very-long-type-".repeat(30);
    await fs.writeTextFile("/long", "x", { contentType: long });
    assertEquals(
      (await fs.stat("/long")).contentType ?? (await fs.getExtendedAttributes("/long")).contentType,
      long,
    );
  },
);

fsTest("objects written by other tools stat, list and read", async ({ fs, storage }) => {
  const data = bytesOf(7000, 8);
  const { UploadId } = await storage.startObject({
    BackupJobId: "fs-test",
    ObjectName: "foreign/raw.bin",
  });
  const parts = [data.subarray(0, 3000), data.subarray(3000)];
  const digests: Uint8Array[] = [];
  for (const [i, part] of parts.entries()) {
    await storage.putChunk({
      BackupJobId: "fs-test",
      UploadId,
      ChunkIndex: i,
      Data: part.slice(),
      Length: part.length,
      Checksum: chunkChecksum(part),
      ChecksumAlgorithm: "SHA256",
    });
    digests.push(new Uint8Array(await crypto.subtle.digest("SHA-256", part.slice())));
  }
  const { summaryChecksum } = await import("../../src/storage/checksum.ts");
  await storage.notifyObjectComplete({
    BackupJobId: "fs-test",
    UploadId,
    ObjectChecksum: summaryChecksum(digests),
    ObjectChecksumAlgorithm: "SUMMARY",
    MetadataString: "made by someone else",
  });
  assertEquals(await names(fs, "/"), ["foreign/"]);
  assertEquals(await names(fs, "/foreign"), ["raw.bin"]);
  const info = await fs.stat("/foreign/raw.bin");
  assertEquals([info.isFile, info.size], [true, 7000]);
  assertEquals(await fs.readFile("/foreign/raw.bin"), data);
});

fsTest("read-only file systems refuse every change", async ({ fs, other }) => {
  await fs.writeTextFile("/ro.txt", "x");
  const ro = other({ readOnly: true });
  assertEquals(await ro.readTextFile("/ro.txt"), "x");
  for (
    const attempt of [
      () => ro.writeTextFile("/ro.txt", "y"),
      () => ro.mkdir("/d"),
      () => ro.remove("/ro.txt"),
      () => ro.rename("/ro.txt", "/z"),
      () => ro.open("/ro.txt", { write: true }),
    ]
  ) {
    const e = await assertRejects(attempt, Deno.errors.PermissionDenied);
    assertInstanceOf(e, Deno.errors.PermissionDenied);
  }
  assertEquals(await fs.readTextFile("/ro.txt"), "x");
});

fsTest(
  "creating many files in one directory costs one lookup each, not a parent lookup too",
  async ({ fs }) => {
    await fs.mkdir("/many");
    await fs.writeTextFile("/many/0", "x");
    const before = fs.listCalls;
    for (let i = 1; i <= 20; i++) await fs.writeTextFile(`/many/${i}`, "x");
    // Each new file: one lookup of its own path (1 ListObjects); the parent stays cached.
    assertEquals(fs.listCalls - before, 20);
    assertEquals((await names(fs, "/many")).length, 21);
  },
  { metadataTtlMs: 60_000 },
);

fsTest(
  "readDir of a non-empty directory needs no lookup beyond the skip-scan",
  async ({ fs, storage }) => {
    for (const child of ["a", "b", "c"]) {
      for (let i = 0; i < 120; i++) {
        await storage.putObject({ BackupJobId: "fs-test", ObjectName: `tree/${child}/f${i}` });
      }
    }
    const before = fs.listCalls;
    assertEquals(await names(fs, "/tree"), ["a/", "b/", "c/"]);
    // One page per child directory plus the page that finds nothing more.
    assert(fs.listCalls - before <= 4, `${fs.listCalls - before} ListObjects calls`);
    await assertRejects(async () => {
      for await (const _ of fs.readDir("/tree/a/f1")) { /* a file */ }
    }, Deno.errors.NotADirectory);
    await assertRejects(async () => {
      for await (const _ of fs.readDir("/nothing")) { /* missing */ }
    }, Deno.errors.NotFound);
  },
);

fsTest("readDirInfo gives every entry's info from the listing alone", async ({ fs, storage }) => {
  await fs.mkdir("/info");
  await fs.mkdir("/info/sub");
  for (let i = 0; i < 30; i++) await fs.writeFile(`/info/f${i}.txt`, bytesOf(i * 100, i));
  await storage.putObject({ BackupJobId: "fs-test", ObjectName: "info/implicit/x" });
  const fresh = (await import("../../src/fs/backup_fs.ts")).BackupFS;
  const cold = new fresh(storage, { jobId: "fs-test", metadataTtlMs: 60_000 });
  const before = cold.listCalls;
  const entries: Array<{ name: string; size: number; dir: boolean; etag?: string }> = [];
  for await (const { name, info } of cold.readDirInfo("/info")) {
    entries.push({ name, size: info.size, dir: info.isDirectory, etag: info.etag });
  }
  // One skip-scan: a page of files, one restart per child directory, the empty end.
  assert(cold.listCalls - before <= 4, `${cold.listCalls - before} ListObjects calls`);
  assertEquals(entries.length, 32);
  for (const e of entries) {
    const info = await fs.stat(`/info/${e.name}`);
    assertEquals([e.size, e.dir, e.etag], [info.size, info.isDirectory, info.etag], e.name);
  }
  // The stat cache was primed: stats of the entries cost no listing.
  const primed = cold.listCalls;
  await cold.stat("/info/f7.txt");
  await cold.stat("/info/sub");
  assertEquals(cold.listCalls, primed);
});

Deno.test("extended attributes of a version without a blob cost no storage call", async () => {
  const { FaultyStorage } = await import("../support/faulty_storage.ts");
  const { openFs } = await import("./support/backends.ts");
  let counter: InstanceType<typeof FaultyStorage> | undefined;
  const fixture = await openFs("in-process", { metadataTtlMs: 60_000 }, (s) => {
    counter = new FaultyStorage(s);
    return counter;
  });
  try {
    const { fs } = fixture;
    await fs.writeTextFile("/plain.txt", "no properties");
    await fs.mkdir("/dir");
    const before = counter!.calls.GetObjectMetadata;
    assertEquals(await fs.getExtendedAttributes("/plain.txt"), {});
    assertEquals(await fs.getExtendedAttributes("/dir"), {});
    assertEquals(counter!.calls.GetObjectMetadata, before);
    // Once it has properties, they are read (and survive an overwrite).
    await fs.setExtendedAttributes("/plain.txt", () => ({ properties: { "{urn:x}a": "1" } }));
    await fs.writeTextFile("/plain.txt", "rewritten");
    assertEquals((await fs.getExtendedAttributes("/plain.txt")).properties, { "{urn:x}a": "1" });
    assert(counter!.calls.GetObjectMetadata > before);
    // And removing every property makes the version blob-less again.
    await fs.setExtendedAttributes("/plain.txt", () => ({}));
    const after = counter!.calls.GetObjectMetadata;
    assertEquals(await fs.getExtendedAttributes("/plain.txt"), {});
    assertEquals(counter!.calls.GetObjectMetadata, after);
  } finally {
    await fixture.close();
  }
});

fsTest(
  "writeFile resolves to the new version's info, as a later stat reports it",
  async ({ fs }) => {
    const mtime = Date.UTC(2024, 0, 2, 3, 4, 5);
    const first = await fs.writeFile("/info.txt", new TextEncoder().encode("hello"), { mtime });
    const stat = await fs.stat("/info.txt");
    assertEquals(first.size, 5);
    assertEquals(first.etag, stat.etag);
    assertEquals(first.mtime?.getTime(), mtime);
    assertEquals(first.contentType, stat.contentType);
    const second = await fs.writeFile("/info.txt", new TextEncoder().encode("hello, world"));
    assertEquals(second.size, 12);
    assertEquals(second.etag, (await fs.stat("/info.txt")).etag);
    assert(second.etag !== first.etag);
    const appended = await fs.writeFile("/info.txt", new TextEncoder().encode("!"), {
      append: true,
    });
    assertEquals(appended.size, 13);
    assertEquals(appended.etag, (await fs.stat("/info.txt")).etag);
  },
);

fsTest(
  "after a full listing, looking up names the directory lacks costs no ListObjects",
  async ({ fs }) => {
    await fs.mkdir("/finder");
    for (const name of ["a.txt", "b.txt"]) await fs.writeTextFile(`/finder/${name}`, name);
    const names: string[] = [];
    for await (const entry of fs.readDir("/finder")) names.push(entry.name);
    assertEquals(names, ["a.txt", "b.txt"]);
    const before = fs.listCalls;
    // What Finder asks after listing a folder.
    for (const probe of ["._a.txt", "._b.txt", ".DS_Store", "._.", "a.txt.tmp"]) {
      assertEquals(await fs.exists(`/finder/${probe}`), false);
      await assertRejects(() => fs.stat(`/finder/${probe}`), Deno.errors.NotFound);
    }
    assertEquals(fs.listCalls - before, 0);
    // Present names are still looked up (or primed), never invented.
    assertEquals((await fs.stat("/finder/a.txt")).size, 5);
    // A write under the directory drops what the listing said.
    await fs.writeTextFile("/finder/._a.txt", "resource fork");
    assertEquals(await fs.readTextFile("/finder/._a.txt"), "resource fork");
    assertEquals(await fs.exists("/finder/.DS_Store"), false);
    // readDirInfo remembers its listing too; a listing stopped early does not.
    for await (const _ of fs.readDirInfo("/finder")) { /* all of it */ }
    const afterInfo = fs.listCalls;
    assertEquals(await fs.exists("/finder/._b.txt"), false);
    assertEquals(fs.listCalls, afterInfo);
    await fs.writeTextFile("/other.txt", "x");
    await fs.mkdir("/big");
    for (const name of ["1", "2", "3"]) await fs.writeTextFile(`/big/${name}`, name);
    for await (const _ of fs.readDir("/big")) break;
    const partial = fs.listCalls;
    assertEquals(await fs.exists("/big/4"), false);
    assertEquals(fs.listCalls, partial + 1);
  },
  { metadataTtlMs: 60_000 },
);

fsTest(
  "a listed directory's absent names are found once another writer adds them and the TTL passes",
  async ({ fs, other }) => {
    await fs.mkdir("/shared");
    for await (const _ of fs.readDir("/shared")) { /* empty */ }
    assertEquals(await fs.exists("/shared/new.txt"), false);
    // Another BackupFS (another process) writes: this one learns of it after its TTL.
    await other().writeTextFile("/shared/new.txt", "hi");
    await new Promise((resolve) => setTimeout(resolve, 120));
    assertEquals(await fs.exists("/shared/new.txt"), true);
  },
  { metadataTtlMs: 50 },
);

Deno.test("a cancelled readStream aborts the chunk reads it still has in flight", async () => {
  const { StorageInterceptor } = await import("../support/storage_interceptor.ts");
  const { openFs } = await import("./support/backends.ts");
  const signals: AbortSignal[] = [];
  class SlowChunks extends StorageInterceptor {
    protected override async intercept<O>(
      operation: string,
      _input: unknown,
      options: { signal?: AbortSignal } | undefined,
      forward: () => Promise<O>,
    ): Promise<O> {
      if (operation === "GetChunk") {
        if (options?.signal) signals.push(options.signal);
        // Slow enough that reads are still in flight when the stream is cancelled.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return await forward();
    }
  }
  const fixture = await openFs("in-process", {}, (s) => new SlowChunks(s));
  try {
    const { fs } = fixture;
    await fs.writeFile("/many-chunks.bin", bytesOf(4096 * 40, 3));
    const stream = await fs.readStream("/many-chunks.bin");
    const reader = stream.getReader();
    const first = await reader.read();
    assertEquals(first.done, false);
    await reader.cancel(new Error("the client went away"));
    assert(signals.length > 0 && signals.length < 40, `${signals.length} GetChunk calls`);
    assert(signals.every((signal) => signal.aborted), "every chunk read was aborted");
    // Let the aborted reads settle before the store closes.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await fixture.close();
  }
});

fsTest(
  "info says when a version is known to have no extended attributes",
  async ({ fs, storage }) => {
    await fs.writeTextFile("/plain.txt", "x");
    await fs.mkdir("/marker");
    assertEquals((await fs.stat("/plain.txt")).hasExtendedAttributes, false);
    assertEquals((await fs.stat("/marker")).hasExtendedAttributes, false);
    await fs.setExtendedAttributes("/plain.txt", () => ({ properties: { "{urn:x}p": "1" } }));
    assertEquals((await fs.stat("/plain.txt")).hasExtendedAttributes, undefined);
    const listed = new Map<string, boolean | undefined>();
    for await (const { name, info } of fs.readDirInfo("/")) {
      listed.set(
        name,
        info.hasExtendedAttributes,
      );
    }
    assertEquals(listed.get("plain.txt"), undefined);
    assertEquals(listed.get("marker"), false);
    // An object another tool wrote: unknown.
    const data = new TextEncoder().encode("foreign");
    await storage.putObject({
      BackupJobId: fs.jobId,
      ObjectName: "foreign.bin",
      InlineChunk: data,
      InlineChunkLength: data.length,
      InlineChunkChecksum: chunkChecksum(data),
    });
    assertEquals((await fs.stat("/foreign.bin")).hasExtendedAttributes, undefined);
  },
);

Deno.test("a directory too big to remember (over 4,096 names) is looked up as usual", async () => {
  const { openFs } = await import("./support/backends.ts");
  const fixture = await openFs("in-process", { metadataTtlMs: 60_000 });
  try {
    const { fs, store } = fixture;
    for (let i = 0; i <= 4096; i++) {
      await store.putObject({
        BackupJobId: fs.jobId,
        ObjectName: `huge/f${i}`,
        InlineChunkLength: 0,
      });
    }
    let count = 0;
    for await (const _ of fs.readDir("/huge")) count++;
    assertEquals(count, 4097);
    const before = fs.listCalls;
    assertEquals(await fs.exists("/huge/._f1"), false);
    assertEquals(fs.listCalls, before + 1);
    // A smaller one is remembered.
    for await (const _ of fs.readDir("/")) { /* "huge" only */ }
    const after = fs.listCalls;
    assertEquals(await fs.exists("/.DS_Store"), false);
    assertEquals(fs.listCalls, after);
  } finally {
    await fixture.close();
  }
});

fsTest(
  "tryStat tells what stat tells, and undefined where stat throws NotFound",
  async ({ fs }) => {
    await fs.writeTextFile("/a.txt", "abc");
    await fs.mkdir("/d/e", { recursive: true });
    for (const p of ["/a.txt", "/d", "/d/e", "/", "d/../a.txt"]) {
      assertEquals(await fs.tryStat(p), await fs.stat(p), p);
    }
    for (const p of ["/missing", "/d/missing", "/a.txt/below-a-file"]) {
      await assertRejects(() => fs.stat(p), Deno.errors.NotFound);
      assertEquals(await fs.tryStat(p), undefined, p);
    }
  },
);

fsTest(
  "readDirInfoBatches primeStatCache: all entries, none, or those that may have extended attributes",
  async ({ fs, storage }) => {
    await fs.mkdir("/prime");
    await fs.writeTextFile("/prime/plain.txt", "a");
    await fs.writeTextFile("/prime/tagged.txt", "b");
    await fs.setExtendedAttributes("/prime/tagged.txt", (current) => ({
      ...current,
      xattrs: { "user.color": new TextEncoder().encode("red") },
    }));
    const { BackupFS } = await import("../../src/fs/backup_fs.ts");
    /** ListObjects calls a stat of each member costs right after a listing. */
    const statCalls = async (prime?: boolean | "extended-attributes") => {
      const cold = new BackupFS(storage, { jobId: "fs-test", metadataTtlMs: 60_000 });
      const batches = cold.readDirInfoBatches(
        "/prime",
        prime === undefined ? undefined : { primeStatCache: prime },
      );
      for await (const _ of batches) { /* listed */ }
      const calls: Record<string, number> = {};
      for (const name of ["plain.txt", "tagged.txt"]) {
        const before = cold.listCalls;
        await cold.stat(`/prime/${name}`);
        calls[name] = cold.listCalls - before;
      }
      return calls;
    };
    assertEquals(await statCalls(), { "plain.txt": 0, "tagged.txt": 0 });
    assertEquals(await statCalls(true), { "plain.txt": 0, "tagged.txt": 0 });
    assertEquals(await statCalls(false), { "plain.txt": 1, "tagged.txt": 1 });
    assertEquals(await statCalls("extended-attributes"), { "plain.txt": 1, "tagged.txt": 0 });
  },
);
