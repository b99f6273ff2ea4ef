/**
 * One conformance suite over the `ChunkStore` seam, run against every
 * implementation: the local chunk files always, an S3-compatible bucket on Ceph
 * RGW when the test engines provide one. Then the race the seam's pins protect:
 * an ingest of content a slow delete is removing waits for that delete.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { sha256 } from "../../../src/storage/checksum.ts";
import { toHex } from "../../../src/storage/store/chunk_files.ts";
import type { ChunkStore, StagedChunk } from "../../../src/storage/store/chunks/chunk_store.ts";
import { LocalChunkStore } from "../../../src/storage/store/chunks/local_chunk_store.ts";
import { S3ChunkStore } from "../../../src/storage/store/chunks/s3_chunk_store.ts";
import { CreateBucketCommand, S3Client } from "../../../deps/aws_s3.ts";
import { findBinary } from "../../support/engines/_process.ts";
import { startCephRgw } from "../../support/engines/ceph_rgw.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import {
  assertRejects,
  ManualClock,
  putSmall,
  readAll,
  readObject,
  seededBytes,
} from "./support/store_fixtures.ts";

/** A chunk store to test, and how to dispose of it. */
interface Subject {
  chunks: ChunkStore;
  dispose(): Promise<void>;
}

async function putBytes(chunks: ChunkStore, bytes: Uint8Array): Promise<Uint8Array> {
  const digest = sha256(bytes);
  const staged = await chunks.stage();
  await writeAll(staged, bytes);
  await chunks.put(digest, staged);
  return digest;
}

async function writeAll(staged: StagedChunk, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += await staged.file.write(bytes.subarray(offset));
  }
}

async function listAll(chunks: ChunkStore): Promise<string[]> {
  const shards = await Promise.all(Array.from({ length: 256 }, (_, shard) => chunks.list(shard)));
  const all: string[] = [];
  shards.forEach((digests, shard) => {
    for (const digest of digests) {
      assertEquals(digest[0], shard, "a digest listed in its own shard");
      all.push(toHex(digest));
    }
  });
  return all.sort();
}

async function deleteAll(chunks: ChunkStore): Promise<void> {
  const digests = (await listAll(chunks)).map((hex) => new Uint8Array(Buffer.from(hex, "hex")));
  await Promise.all(digests.map((digest) => chunks.delete(digest)));
}

function conformance(name: string, open: () => Promise<Subject | undefined>): void {
  Deno.test(`ChunkStore conformance: ${name}`, async (t) => {
    const subject = await open();
    if (!subject) return;
    const { chunks } = subject;
    try {
      await t.step("get after put returns the bytes; list names the digest", async () => {
        const bytes = seededBytes(`${name}-a`, 100_000);
        const digest = await putBytes(chunks, bytes);
        assertEquals(await readAll((await chunks.get(digest, bytes.length))!), bytes);
        assert((await chunks.list(digest[0])).some((d) => toHex(d) === toHex(digest)));
      });

      await t.step("put of a stored digest succeeds and keeps one copy", async () => {
        const bytes = seededBytes(`${name}-twice`, 70_000);
        const digest = await putBytes(chunks, bytes);
        await putBytes(chunks, bytes);
        const hex = toHex(digest);
        assertEquals((await chunks.list(digest[0])).filter((d) => toHex(d) === hex).length, 1);
        assertEquals(await readAll((await chunks.get(digest, bytes.length))!), bytes);
      });

      await t.step("concurrent puts of one digest all succeed, one copy stays", async () => {
        const bytes = seededBytes(`${name}-race`, 200_000);
        const digests = await Promise.all(
          Array.from({ length: 8 }, () => putBytes(chunks, bytes)),
        );
        const hex = toHex(digests[0]);
        assertEquals((await chunks.list(digests[0][0])).filter((d) => toHex(d) === hex).length, 1);
        assertEquals(await readAll((await chunks.get(digests[0], bytes.length))!), bytes);
      });

      await t.step("get of a digest never stored is undefined", async () => {
        assertEquals(await chunks.get(sha256(seededBytes(`${name}-never`, 10)), 10), undefined);
      });

      await t.step("a stream of fewer stored bytes than asked for errors", async () => {
        const bytes = seededBytes(`${name}-short`, 5000);
        const digest = await putBytes(chunks, bytes);
        await assertRejects(
          readAll((await chunks.get(digest, 6000))!),
          Error,
          /after 5000 of 6000/,
        );
      });

      await t.step(
        "delete frees the bytes once; the digest is gone from get and list",
        async () => {
          const bytes = seededBytes(`${name}-delete`, 80_000);
          const digest = await putBytes(chunks, bytes);
          assertEquals(await chunks.delete(digest), bytes.length);
          assertEquals(await chunks.delete(digest), -1);
          assertEquals(await chunks.get(digest, bytes.length), undefined);
          assert(!(await chunks.list(digest[0])).some((d) => toHex(d) === toHex(digest)));
          // Stored again after a delete, it is there again.
          await putBytes(chunks, bytes);
          assertEquals(await readAll((await chunks.get(digest, bytes.length))!), bytes);
        },
      );

      await t.step(
        "a discarded staging stores nothing; the shards list exactly what is stored",
        async () => {
          await deleteAll(chunks);
          const staged = await chunks.stage();
          await writeAll(staged, seededBytes(`${name}-discarded`, 1000));
          await staged.discard();
          assertEquals(await listAll(chunks), []);
          const stored = await Promise.all(
            Array.from(
              { length: 20 },
              (_, i) => putBytes(chunks, seededBytes(`${name}-${i}`, 300 + i)),
            ),
          );
          assertEquals(await listAll(chunks), stored.map(toHex).sort());
        },
      );

      await t.step("an EmbeddedStore keeps its long chunks there and collects them", async () => {
        await deleteAll(chunks); // the collector's sweep would count them
        const dir = await Deno.makeTempDir({ prefix: "chunk_store_test_" });
        const { store, clock } = await storeOver(dir, chunks);
        try {
          const data = seededBytes(`${name}-embedded`, 300_000);
          const digest = sha256(data);
          await putSmall(store, "job", "big", data);
          const [object] = (await store.listObjects({ StorageJobId: "job" })).ObjectList;
          assertEquals((await readObject(store, "job", object.ObjectToken)).chunks, [data]);
          assertEquals((await chunks.list(digest[0])).map(toHex), [toHex(digest)]);
          await store.deleteObject({ BackupJobId: "job", ObjectName: "big" });
          clock.advance(1000);
          const report = await store.collectGarbage();
          assertEquals([report.chunksDeleted, report.bytesFreed], [1, data.length]);
          assertEquals(await chunks.get(digest, data.length), undefined);
        } finally {
          await store.close();
          await Deno.remove(dir, { recursive: true });
        }
      });
    } finally {
      await subject.dispose();
    }
  });
}

conformance("LocalChunkStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chunk_store_test_" });
  const chunks = await LocalChunkStore.open(dir, { durable: false });
  return { chunks, dispose: () => Deno.remove(dir, { recursive: true }) };
});

/** Ceph RGW's binaries, without which the S3 case cannot run here. */
const HAS_RGW = ["radosgw", "ceph-mon", "ceph-osd"].every((name) => findBinary(name));

conformance("S3ChunkStore on Ceph RGW", async () => {
  if (!HAS_RGW) {
    console.warn("S3ChunkStore conformance skipped: install radosgw ceph-mon ceph-osd");
    return undefined;
  }
  const rgw = await startCephRgw();
  try {
    const credentials = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
    const s3 = new S3Client({
      endpoint: rgw.endpoint,
      region: rgw.region,
      credentials,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
    });
    await s3.send(new CreateBucketCommand({ Bucket: "chunks" }));
    s3.destroy();
    const chunks = new S3ChunkStore("chunks", {
      endpoint: rgw.endpoint,
      region: rgw.region,
      forcePathStyle: true,
      prefix: "store-1/",
      credentials,
    });
    return {
      chunks,
      dispose: async () => {
        await chunks.close();
        await rgw.stop();
      },
    };
  } catch (error) {
    await rgw.stop();
    throw error;
  }
});

/** Wraps a chunk store so each delete waits for a gate the test opens. */
class GatedDeletes implements ChunkStore {
  #inner: ChunkStore;
  gate = Promise.withResolvers<void>();
  deleteStarted = Promise.withResolvers<void>();

  constructor(inner: ChunkStore) {
    this.#inner = inner;
  }
  stage(): Promise<StagedChunk> {
    return this.#inner.stage();
  }
  put(digest: Uint8Array, staged: StagedChunk): Promise<void> {
    return this.#inner.put(digest, staged);
  }
  get(digest: Uint8Array, length: number): Promise<ReadableStream<Uint8Array> | undefined> {
    return this.#inner.get(digest, length);
  }
  async delete(digest: Uint8Array): Promise<number> {
    this.deleteStarted.resolve();
    await this.gate.promise;
    return await this.#inner.delete(digest);
  }
  list(shard: number): Promise<Uint8Array[]> {
    return this.#inner.list(shard);
  }
}

/** An embedded store in `dir` over `chunks`, on a manual clock with a 1 s grace period. */
async function storeOver(
  dir: string,
  chunks: ChunkStore,
): Promise<{ store: EmbeddedStore; clock: ManualClock }> {
  const clock = new ManualClock();
  const store = await EmbeddedStore.open(dir, {
    gcIntervalMs: 0,
    durable: false,
    now: clock.now,
    gracePeriodMs: 1000,
    chunkStore: chunks,
  });
  return { store, clock };
}

Deno.test("an ingest of content a slow delete is removing waits for it, then stores it again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chunk_store_test_" });
  const chunks = new GatedDeletes(await LocalChunkStore.open(dir, { durable: false }));
  const { store, clock } = await storeOver(dir, chunks);
  try {
    const data = seededBytes("slow-delete", 100_000); // above the inline limit: in the chunk store
    await putSmall(store, "job", "first", data);
    await store.deleteObject({ BackupJobId: "job", ObjectName: "first" });
    clock.advance(1000);
    const collecting = store.collectGarbage();
    await chunks.deleteStarted.promise;
    // The same content arrives while its delete is in flight.
    let stored = false;
    const ingest = putSmall(store, "job", "second", data).then(() => (stored = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert(!stored, "the ingest waits for the delete");
    chunks.gate.resolve();
    const report = await collecting;
    assertEquals(report.chunksDeleted, 1);
    await ingest;
    const [second] = (await store.listObjects({ StorageJobId: "job" })).ObjectList;
    assertEquals((await readObject(store, "job", second.ObjectToken)).chunks, [data]);
    assertEquals((await store.storedChunks()).files, 1);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
