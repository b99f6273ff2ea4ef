// Chunk files written past the page cache (`directWrites`, `--direct-writes`): the
// whole blocks of a chunk go through the store's aligned buffers with O_DIRECT, the
// rest (a tail under a block, or what finds no buffer free) through the cache; the
// bytes read back are the bytes written, whatever the length or the concurrency;
// a damaged file is still caught; where the probe fails, none go direct.

import { sha256 } from "../../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { LocalChunkStore } from "../../../src/storage/store/chunks/local_chunk_store.ts";
import { DirectIo } from "../../../src/storage/store/chunks/_direct_io.ts";
import { storeLocationFromFlags } from "../../../src/cli/store_flags.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../../support/assert.ts";
import { chunkInput, seededBytes, streamOf, summaryOf } from "./support/store_fixtures.ts";

const MIB = 1024 * 1024;
const JOB = "direct-writes";

async function withDir(fn: (dir: string) => Promise<void>, parent?: string): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-direct-", dir: parent });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Stages `bytes` in the given writes, stores them, reads the file back. */
async function storeIn(chunks: LocalChunkStore, pieces: Uint8Array[]): Promise<Uint8Array> {
  const whole = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const piece of pieces) {
    whole.set(piece, at);
    at += piece.byteLength;
  }
  const staged = await chunks.stage();
  for (const piece of pieces) await staged.write(piece);
  const digest = sha256(whole);
  await chunks.put(digest, staged);
  const back = new Uint8Array(whole.byteLength);
  assertEquals(await chunks.readInto(digest, back), true);
  assertEquals(back, whole, `${whole.byteLength} bytes read back differ`);
  return digest;
}

Deno.test("direct writes: every length reads back as written, whole blocks went direct", async () => {
  await withDir(async (dir) => {
    const chunks = await LocalChunkStore.open(dir, { durable: true, directWrites: true });
    try {
      assert(
        chunks.directBytesWritten === 0,
        "nothing written yet",
      );
      let expected = 0;
      for (const length of [4096, 3 * 4096 + 17, MIB + 1, 4 * MIB, 9 * MIB + 5, 5000]) {
        await storeIn(chunks, [seededBytes(`len-${length}`, length)]);
        expected += length - (length % 4096);
      }
      assertEquals(
        chunks.directBytesWritten,
        expected,
        "the whole blocks of every chunk go direct (is the temp directory on a file system " +
          "without O_DIRECT, such as tmpfs?)",
      );
      // Several writes to one chunk: direct while the length stays whole blocks, then
      // through the cache once a write leaves a partial block.
      const before = chunks.directBytesWritten;
      await storeIn(chunks, [
        seededBytes("p1", MIB),
        seededBytes("p2", 100),
        seededBytes("p3", 2 * MIB),
      ]);
      assertEquals(chunks.directBytesWritten - before, MIB);
    } finally {
      await chunks.close();
    }
  });
});

Deno.test("direct writes: more chunks at once than aligned buffers all store intact", async () => {
  await withDir(async (dir) => {
    const chunks = await LocalChunkStore.open(dir, { durable: true, directWrites: true });
    try {
      const datas = Array.from({ length: 12 }, (_, i) => seededBytes(`many-${i}`, 4 * MIB + 3));
      await Promise.all(datas.map((data) => storeIn(chunks, [data])));
      const total = datas.length * 4 * MIB;
      // Some went direct; those that found no buffer free went through the cache.
      assert(chunks.directBytesWritten > 0, "none went direct");
      assert(chunks.directBytesWritten <= total);
    } finally {
      await chunks.close();
    }
  });
});

Deno.test("direct writes: PutChunk, streamed or whole, reads back verified; a flipped bit is caught", async () => {
  await withDir(async (dir) => {
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, directWrites: true });
    const whole = seededBytes("whole", 4 * MIB + 123);
    const streamed = seededBytes("streamed", 2 * MIB + 4096 * 3 + 1);
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "o" });
    await store.putChunk(chunkInput(JOB, UploadId, 0, whole));
    const pieces = [];
    for (let at = 0; at < streamed.byteLength; at += 65536) {
      pieces.push(streamed.subarray(at, at + 65536));
    }
    await store.putChunk({ ...chunkInput(JOB, UploadId, 1, streamed), Data: streamOf(pieces) });
    await store.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: summaryOf([whole, streamed]),
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    const local = store.chunkStore as LocalChunkStore;
    assert(local.directBytesWritten >= 6 * MIB, `${local.directBytesWritten} bytes went direct`);
    const object = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0];
    const listed = await store.listChunks({ StorageJobId: JOB, ObjectToken: object.ObjectToken });
    const [first, second] = listed.ChunkList;
    assertEquals(await store.readVerifiedChunk(JOB, first.ChunkToken), whole);
    assertEquals(await store.readVerifiedChunk(JOB, second.ChunkToken), streamed);
    // A bit flipped on disk, in a block written direct and in the tail.
    for (const at of [4096 * 100 + 7, whole.byteLength - 2]) {
      const path = local.path(sha256(whole));
      const bytes = await Deno.readFile(path);
      bytes[at] ^= 0x10;
      await Deno.writeFile(path, bytes);
      await assertRejects(
        () => store.readVerifiedChunk(JOB, first.ChunkToken),
        Deno.errors.InvalidData,
        "CRC-32",
      );
      bytes[at] ^= 0x10;
      await Deno.writeFile(path, bytes);
    }
    assertEquals(await store.readVerifiedChunk(JOB, first.ChunkToken), whole);
  });
});

Deno.test("direct writes: where the probe write fails, none are used", async () => {
  await withDir(async (dir) => {
    // The probe is a block written direct to a new file of the staging directory.
    assertEquals(await DirectIo.open(`${dir}/missing`), undefined);
    const direct = await DirectIo.open(dir);
    assert(direct, "this file system takes direct writes");
    direct.close();
    assertEquals(direct.enabled, false);
    // Closed: nothing more goes direct.
    await Deno.writeFile(`${dir}/after`, new Uint8Array());
    assertEquals(await direct.write(`${dir}/after`, new Uint8Array(4096), 0), 0);
    await Deno.remove(`${dir}/after`);
    assertEquals([...Deno.readDirSync(dir)], [], "the probe file is removed");
  });
});

Deno.test("direct writes: off unless asked; --direct-writes asks, and refuses --chunks", async () => {
  await withDir(async (dir) => {
    const chunks = await LocalChunkStore.open(dir, { durable: true });
    try {
      await storeIn(chunks, [seededBytes("default", MIB)]);
      assertEquals(chunks.directBytesWritten, 0);
    } finally {
      await chunks.close();
    }
  });
  assertEquals(storeLocationFromFlags({ "direct-writes": true }, "/data").directWrites, true);
  assertEquals(storeLocationFromFlags({}, "/data").directWrites, undefined);
  assertThrows(
    () => storeLocationFromFlags({ "direct-writes": true, chunks: "s3://bucket/p" }, "/data"),
    TypeError,
    "--direct-writes",
  );
});

Deno.test("direct writes: a chunk store that fails to open leaves no writing thread running", async () => {
  await withDir(async (dir) => {
    // A file where a fan-out directory must go: the open fails after the probe.
    await Deno.mkdir(`${dir}/chunks`, { recursive: true });
    await Deno.writeFile(`${dir}/chunks/00`, new Uint8Array());
    const before = await workerThreads();
    await assertRejects(
      () => LocalChunkStore.open(dir, { durable: true, directWrites: true }),
      Error,
    );
    // The thread the open started stops (a terminated worker's thread exits shortly).
    for (let i = 0; i < 40 && await workerThreads() > before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assertEquals(await workerThreads(), before, "the direct-write thread outlived the failed open");
  });
});

/** This process's threads that run Web Workers (Deno names them `worker-N`), by their names in /proc. */
async function workerThreads(): Promise<number> {
  // Deno reads /proc/self only with every permission; `cat` reads it for us.
  const output = await new Deno.Command("sh", {
    args: ["-c", `cat /proc/${Deno.pid}/task/*/comm`],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const names = new TextDecoder().decode(output.stdout).split("\n");
  assert(names.length > 1, "no thread names read from /proc");
  return names.filter((name) => name.startsWith("worker-")).length;
}
