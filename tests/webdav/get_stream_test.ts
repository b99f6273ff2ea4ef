// GET of files much larger than BackupFS's chunk cache (a scan): exact bytes, the
// cache's other entries untouched, and a chunk that stays corrupt aborts the response
// before any byte of it is sent. GET of cached files, written out from the cache's own
// bytes: they stay intact.

import { serveHttp } from "../../src/http/mod.ts";
import { BackupFS } from "../../src/fs/backup_fs.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { createWebDavApp } from "../../webdav/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { corruptChunk } from "../support/faulty_storage.ts";
import { concat, patterned, wrapStorage } from "../fs/support/read_fixtures.ts";

const JOB = "dav-get-stream";
const CHUNK = 64 * 1024;
const DATA = patterned(16 * CHUNK + 123, 5); // 17 chunks, the last one short

interface Fixture extends AsyncDisposable {
  fs: BackupFS;
  store: EmbeddedStore;
  /** GetChunk calls per chunk token. */
  fetches: Map<string, number>;
  /** Tokens whose GetChunk answers with a byte flipped. */
  corrupt: Set<string>;
  url(path: string): string;
}

async function start(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-get-stream-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  const fetches = new Map<string, number>();
  const corrupt = new Set<string>();
  const storage: BackupStorage = wrapStorage(store, {
    getChunk: async (input, options) => {
      const output = await store.getChunk(input, options);
      fetches.set(input.ChunkToken, (fetches.get(input.ChunkToken) ?? 0) + 1);
      return corrupt.has(input.ChunkToken) ? corruptChunk(output) : output;
    },
  });
  // 256 KiB cache: a GET of the 1 MiB file is a scan (longer than 1/8 of the cache).
  const fs = new BackupFS(storage, { jobId: JOB, chunkSize: CHUNK, cacheBytes: 256 * 1024 });
  // The production HTTP layer: a body that fails midway ends the connection (and is
  // reported to onError, kept quiet here).
  const server = await serveHttp(createWebDavApp(fs, { onError: () => {} }).fetch, {
    hostname: "127.0.0.1",
    port: 0,
    onError: () => {},
  });
  return {
    fs,
    store,
    fetches,
    corrupt,
    url: (path) => `http://127.0.0.1:${server.addr.port}${path}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The chunk tokens of the only version of `name`, in order. */
async function chunkTokens(store: EmbeddedStore, name: string): Promise<string[]> {
  const objects = await store.listObjects({ StorageJobId: JOB });
  const object = objects.ObjectList.find((o) => o.Name === name || o.Name.endsWith(name));
  assert(object, `no object named ${name}`);
  const tokens: string[] = [];
  let next: string | undefined;
  // Bounded: 17 chunks fit in one page; a few pages at most.
  for (let page = 0; page < 10; page++) {
    const listed = await store.listChunks({
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
      ...(next === undefined ? {} : { NextToken: next }),
    });
    tokens.push(...listed.ChunkList.map((chunk) => chunk.ChunkToken));
    next = listed.NextToken;
    if (next === undefined) break;
  }
  return tokens;
}

/** Reads a body until it ends or fails; the bytes received and whether it failed. */
async function drain(
  body: ReadableStream<Uint8Array>,
): Promise<{ bytes: Uint8Array; failed: boolean }> {
  const pieces: Uint8Array[] = [];
  const reader = body.getReader();
  let failed = false;
  try {
    // Bounded by the body's length.
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(value);
    }
  } catch {
    failed = true;
  } finally {
    reader.releaseLock();
  }
  return { bytes: concat(pieces), failed };
}

Deno.test("GET of a file larger than the chunk cache: exact bytes, each chunk fetched once, other cached chunks kept", async () => {
  await using t = await start();
  await t.fs.writeFile("/big.bin", DATA);
  const small = patterned(1000, 6);
  await t.fs.writeFile("/small.txt", small);
  assertEquals(await t.fs.readFile("/small.txt"), small);
  const cached = t.fs.chunkCache.size;
  assert(cached >= 1);
  const cachedBytes = t.fs.chunkCache.bytes;
  t.fetches.clear();
  const response = await fetch(t.url("/big.bin"));
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-length"), String(DATA.length));
  const { bytes, failed } = await drain(response.body!);
  assertEquals(failed, false);
  assertEquals(bytes, DATA);
  assertEquals(t.fetches.size, 17);
  assert([...t.fetches.values()].every((count) => count === 1));
  // The scan kept nothing in the cache and evicted nothing from it.
  assertEquals(t.fs.chunkCache.size, cached);
  assertEquals(t.fs.chunkCache.bytes, cachedBytes);
  // A long range is a scan too.
  const ranged = await fetch(t.url("/big.bin"), {
    headers: { Range: `bytes=${CHUNK - 10}-${10 * CHUNK + 9}` },
  });
  assertEquals(ranged.status, 206);
  assertEquals(
    new Uint8Array(await ranged.arrayBuffer()),
    DATA.subarray(CHUNK - 10, 10 * CHUNK + 10),
  );
});

Deno.test("GET of a file larger than the chunk cache stops before the bytes of a chunk that stays corrupt", async () => {
  await using t = await start();
  await t.fs.writeFile("/big.bin", DATA);
  const tokens = await chunkTokens(t.store, "big.bin");
  assertEquals(tokens.length, 17);
  t.corrupt.add(tokens[8]);
  const response = await fetch(t.url("/big.bin"));
  assertEquals(response.status, 200);
  const { bytes, failed } = await drain(response.body!);
  assertEquals(failed, true); // the response is cut short, never completed
  assert(bytes.length <= 8 * CHUNK, `${bytes.length} bytes received`);
  assertEquals(bytes, DATA.subarray(0, bytes.length)); // only verified bytes, in order
  assertEquals(t.fetches.get(tokens[8]), 2); // fetched again once before giving up
  // The damaged chunk was not cached: once the storage answers right, the GET is whole.
  t.corrupt.clear();
  const again = await fetch(t.url("/big.bin"));
  const whole = await drain(again.body!);
  assertEquals(whole.failed, false);
  assertEquals(whole.bytes, DATA);
});

Deno.test("GET of cached files: answers written from the cache's own bytes (no copy) leave them intact for every later read", async () => {
  await using t = await start();
  // A file of several cached chunks and one of a single short chunk (both cached whole:
  // shorter than an eighth of the 256 KiB cache).
  const files = new Map<string, Uint8Array>();
  files.set("/three.bin", patterned(2 * CHUNK + 500, 7));
  files.set("/one.txt", patterned(3000, 8));
  for (const [path, bytes] of files) await t.fs.writeFile(path, bytes);
  for (let round = 0; round < 3; round++) {
    // From the second round on, every chunk comes from the cache.
    if (round === 1) t.fetches.clear();
    // Concurrent GETs of the same cached chunks, whole, by range and multipart.
    const answers = await Promise.all([...files].flatMap(([path, bytes]) => [
      fetch(t.url(path)).then(async (r) => [await r.arrayBuffer(), bytes] as const),
      fetch(t.url(path), { headers: { Range: "bytes=100-2099" } })
        .then(async (r) => [await r.arrayBuffer(), bytes.subarray(100, 2100)] as const),
    ]));
    for (const [got, want] of answers) assertEquals(new Uint8Array(got), want);
    const multipart = await fetch(t.url("/three.bin"), { headers: { Range: "bytes=0-9,-10" } });
    assertEquals(multipart.status, 206);
    const text = await multipart.text();
    assert(text.includes("Content-Range: bytes 0-9/"), text.slice(0, 200));
  }
  assertEquals(t.fetches.size, 0, "rounds 2 and 3 were not served from the cache");
  // The cache still holds the exact bytes.
  for (const [path, bytes] of files) assertEquals(await t.fs.readFile(path), bytes);
});
