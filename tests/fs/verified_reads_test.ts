// A flipped bit in a chunk file is caught on every read path of BackupFS (issue #12):
// in-process over the embedded store (chunk files checked by the CRC-32 recorded at
// write time: readFile, a long readStream, a short range, a file handle's reads
// through the cache), over the BackupStorage HTTP service (the typed client gets the
// stored bytes and their SHA-256, BackupFS checks it), and for chunks written before
// CRCs were recorded (SHA-256). Never a wrong byte: an InvalidData error naming the
// path, and the other chunks still read.

import { DatabaseSync } from "node:sqlite";
import { BackupFS } from "../../src/fs/backup_fs.ts";
import { createStorageApp } from "../../src/server/mod.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { checksumToDigest, sha256 } from "../../src/storage/checksum.ts";
import { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import type { LocalChunkStore } from "../../src/storage/store/chunks/local_chunk_store.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { bytesOf } from "./support/backends.ts";

const JOB = "verified-fs";
const CHUNK = 64 * 1024;
const DATA = bytesOf(8 * CHUNK + 100, 3); // 9 chunks, each a chunk file
const BAD = 3; // the chunk whose file gets a flipped bit

interface Fixture extends AsyncDisposable {
  store: EmbeddedStore;
  dir: string;
  /** A new BackupFS over the store (in-process) or the storage service (http). */
  fs(via: "in-process" | "http"): BackupFS;
  client: BackupStorageClient;
}

async function start(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-verified-fs-" });
  // No chunk kept inline: every chunk is a file of the local chunk store.
  const store = await EmbeddedStore.open(dir, {
    gcIntervalMs: 0,
    durable: false,
    inlineChunkBytes: 0,
  });
  const app = createStorageApp(store, {
    credentials: new Map([["VKEY", { secretAccessKey: "v-secret" }]]),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const client = new BackupStorageClient({
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "VKEY", secretAccessKey: "v-secret" },
  });
  const options = { jobId: JOB, chunkSize: CHUNK, cacheBytes: 1024 * 1024, metadataTtlMs: 0 };
  return {
    store,
    dir,
    client,
    fs: (via) => new BackupFS(via === "http" ? client : store as BackupStorage, options),
    async [Symbol.asyncDispose]() {
      await client.close();
      await server.shutdown();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The chunk list of the only object. */
async function chunkList(storage: BackupStorage) {
  const [object] = (await storage.listObjects({ StorageJobId: JOB })).ObjectList;
  return (await storage.listChunks({ StorageJobId: JOB, ObjectToken: object.ObjectToken }))
    .ChunkList;
}

/** Flips one bit in the middle of chunk `index`'s file. */
async function flipBit(t: Fixture, index: number): Promise<void> {
  const chunk = (await chunkList(t.store))[index];
  const path = (t.store.chunkStore as LocalChunkStore).path(checksumToDigest(chunk.Checksum)!);
  const bytes = await Deno.readFile(path);
  bytes[bytes.length >> 1] ^= 0x04;
  await Deno.writeFile(path, bytes);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Every read path touching chunk BAD fails with InvalidData; the others read right. */
async function assertCaught(fs: BackupFS): Promise<void> {
  const inBad = BAD * CHUNK + 10;
  await assertRejects(() => fs.readFile("/f.bin"), Deno.errors.InvalidData, "/f.bin");
  await assertRejects(
    async () => readAll(await fs.readStream("/f.bin")), // a scan: longer than 1/8 of the cache
    Deno.errors.InvalidData,
  );
  await assertRejects(
    async () => readAll(await fs.readStream("/f.bin", { start: inBad, end: inBad + 100 })),
    Deno.errors.InvalidData,
  );
  const file = await fs.open("/f.bin");
  try {
    await file.seek(inBad, Deno.SeekMode.Start);
    await assertRejects(() => file.read(new Uint8Array(100)), Deno.errors.InvalidData);
    // A chunk before it: read through the cache, right.
    await file.seek(CHUNK, Deno.SeekMode.Start);
    const buffer = new Uint8Array(100);
    assertEquals(await file.read(buffer), 100);
    assertEquals(buffer, DATA.subarray(CHUNK, CHUNK + 100));
  } finally {
    await file.close();
  }
  const after = (BAD + 1) * CHUNK;
  assertEquals(
    await readAll(await fs.readStream("/f.bin", { start: after, end: DATA.length })),
    DATA.subarray(after),
  );
}

Deno.test("in-process over the embedded store: a flipped bit in a chunk file fails every read path", async () => {
  await using t = await start();
  const fs = t.fs("in-process");
  await fs.writeFile("/f.bin", DATA);
  assertEquals(await fs.readFile("/f.bin"), DATA);
  const db = new DatabaseSync(`${t.dir}/metadata.db`);
  try {
    const row = db.prepare("SELECT count(*) AS n FROM chunks WHERE crc32 IS NOT NULL").get();
    assertEquals(row?.n, 9); // every chunk's CRC-32 recorded: checked by it
  } finally {
    db.close();
  }
  await flipBit(t, BAD);
  await assertCaught(t.fs("in-process")); // a new BackupFS: nothing cached
});

Deno.test("in-process, chunks written before CRCs were recorded: a flipped bit fails every read path", async () => {
  await using t = await start();
  await t.fs("in-process").writeFile("/f.bin", DATA);
  const db = new DatabaseSync(`${t.dir}/metadata.db`);
  try {
    db.exec("UPDATE chunks SET crc32 = NULL");
  } finally {
    db.close();
  }
  assertEquals(await t.fs("in-process").readFile("/f.bin"), DATA);
  await flipBit(t, BAD);
  await assertCaught(t.fs("in-process"));
});

Deno.test("over the storage service: GetChunk hands the typed client the stored bytes and their SHA-256; BackupFS refuses them", async () => {
  await using t = await start();
  await t.fs("in-process").writeFile("/f.bin", DATA);
  await flipBit(t, BAD);
  const chunk = (await chunkList(t.client))[BAD];
  const output = await t.client.getChunk({ StorageJobId: JOB, ChunkToken: chunk.ChunkToken });
  const bytes = new Uint8Array(await new Response(output.Data).arrayBuffer());
  assertEquals(bytes.length, chunk.Length);
  assertEquals(output.Checksum, chunk.Checksum);
  // What the client can see: the bytes do not match their checksum.
  assert(btoa(String.fromCharCode(...sha256(bytes))) !== output.Checksum);
  await assertCaught(t.fs("http"));
});
