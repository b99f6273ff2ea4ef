// WebDAV GET over the embedded store in-process (issue #12): chunk files checked by
// the CRC-32 recorded at write time, read into buffers of a pool that serveHttp hands
// back once written. A GET is exact, again and again on reused buffers; a flipped bit
// in a chunk file cuts a whole or ranged GET short before any byte of that chunk.

import { createHash } from "node:crypto";
import { SCAN_BUFFERS } from "../../src/fs/_buffer_pool.ts";
import { BackupFS } from "../../src/fs/backup_fs.ts";
import { serveHttp } from "../../src/http/mod.ts";
import { checksumToDigest } from "../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import type { LocalChunkStore } from "../../src/storage/store/chunks/local_chunk_store.ts";
import { createWebDavApp } from "../../webdav/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { patterned } from "../fs/support/read_fixtures.ts";

const JOB = "verified-get";
const CHUNK = 128 * 1024;
const DATA = patterned(12 * CHUNK + 777, 5); // 13 chunks, each a chunk file
const BAD = 6;

interface Fixture extends AsyncDisposable {
  store: EmbeddedStore;
  url(path: string): string;
}

async function start(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-verified-get-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  // 512 KiB cache: a GET of the file is a scan (longer than 1/8 of the cache).
  const fs = new BackupFS(store, { jobId: JOB, chunkSize: CHUNK, cacheBytes: 512 * 1024 });
  await fs.writeFile("/big.bin", DATA);
  const server = await serveHttp(createWebDavApp(fs, { onError: () => {} }).fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  return {
    store,
    url: (path) => `http://127.0.0.1:${server.addr.port}${path}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Reads a body until it ends or fails: the bytes received and whether it failed. */
async function drain(body: ReadableStream<Uint8Array>) {
  const pieces: Uint8Array[] = [];
  let failed = false;
  try {
    for await (const piece of body) pieces.push(piece);
  } catch {
    failed = true;
  }
  const bytes = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.byteLength;
  }
  return { bytes, failed };
}

const hash = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

Deno.test("GET over the embedded store: exact, again and again, on read buffers handed back once written", async () => {
  await using t = await start();
  const before = SCAN_BUFFERS.freeBytes;
  // Bounded: a few GETs, each reusing the buffers the one before handed back.
  for (let round = 0; round < 4; round++) {
    const response = await fetch(t.url("/big.bin"));
    assertEquals(response.status, 200);
    const { bytes, failed } = await drain(response.body!);
    assertEquals(failed, false);
    assertEquals(hash(bytes), hash(DATA), `round ${round}`);
    const ranged = await fetch(t.url("/big.bin"), {
      headers: { Range: `bytes=${CHUNK + 5}-${9 * CHUNK + 4}` },
    });
    assertEquals(ranged.status, 206);
    assertEquals(
      hash((await drain(ranged.body!)).bytes),
      hash(DATA.subarray(CHUNK + 5, 9 * CHUNK + 5)),
    );
  }
  // The buffers came back to the pool (none would without the release).
  assert(SCAN_BUFFERS.freeBytes > before, `free ${SCAN_BUFFERS.freeBytes}, before ${before}`);
});

Deno.test("GET over the embedded store: a flipped bit in a chunk file cuts a whole or ranged GET short", async () => {
  await using t = await start();
  const [object] = (await t.store.listObjects({ StorageJobId: JOB })).ObjectList;
  const { ChunkList } = await t.store.listChunks({
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });
  assertEquals(ChunkList.length, 13);
  const path = (t.store.chunkStore as LocalChunkStore).path(
    checksumToDigest(ChunkList[BAD].Checksum)!,
  );
  const damaged = await Deno.readFile(path);
  damaged[CHUNK - 1] ^= 0x01; // its last byte
  await Deno.writeFile(path, damaged);
  for (const range of [undefined, `bytes=${2 * CHUNK}-${10 * CHUNK}`]) {
    const response = await fetch(t.url("/big.bin"), range ? { headers: { Range: range } } : {});
    assertEquals(response.status, range ? 206 : 200);
    const start = range ? 2 * CHUNK : 0;
    const { bytes, failed } = await drain(response.body!);
    assertEquals(failed, true, `${range}: the response is cut short, never completed`);
    assert(start + bytes.length <= BAD * CHUNK, `${range}: ${bytes.length} bytes received`);
    assertEquals(hash(bytes), hash(DATA.subarray(start, start + bytes.length))); // verified bytes only
  }
  // A range that does not touch the damaged chunk is served whole.
  const clean = await fetch(t.url("/big.bin"), {
    headers: { Range: `bytes=${(BAD + 1) * CHUNK}-` },
  });
  assertEquals(hash((await drain(clean.body!)).bytes), hash(DATA.subarray((BAD + 1) * CHUNK)));
});
