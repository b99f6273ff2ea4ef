import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { chunkChecksum, sha256 } from "../../../src/storage/checksum.ts";
import { ResourceNotFoundException } from "../../../src/storage/errors.ts";
import {
  allNames,
  assertRejects,
  countStoredChunks,
  putSmall,
  readObject,
  seededBytes,
  summaryOf,
  uploadObject,
  withStore,
} from "./support/store_fixtures.ts";

const JOB = "gc-job";
const GRACE = 60_000;

Deno.test("GC: a superseded version is readable until the grace period ends, then gone", async () => {
  await withStore(async (store, { clock }) => {
    const shared = seededBytes("shared", 5000);
    const onlyOld = seededBytes("only-old", 7000);
    const onlyNew = seededBytes("only-new", 3000);
    await uploadObject(store, JOB, "doc", [shared, onlyOld]);
    const old = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0];
    const oldChunks = await store.listChunks({ StorageJobId: JOB, ObjectToken: old.ObjectToken });
    await uploadObject(store, JOB, "doc", [shared, onlyNew]);
    assertEquals(await countStoredChunks(store), 3);

    clock.advance(GRACE - 1);
    let report = await store.collectGarbage();
    assertEquals(report, {
      expiredUploads: 0,
      expiredVersions: 0,
      chunksDeleted: 0,
      bytesFreed: 0,
    });
    assertEquals((await readObject(store, JOB, old.ObjectToken)).chunks, [shared, onlyOld]);

    clock.advance(1);
    // Unreadable from the moment the grace period ends, even before GC runs.
    await assertRejects(
      store.listChunks({ StorageJobId: JOB, ObjectToken: old.ObjectToken }),
      ResourceNotFoundException,
    );
    report = await store.collectGarbage();
    assertEquals(report, {
      expiredUploads: 0,
      expiredVersions: 1,
      chunksDeleted: 1,
      bytesFreed: 7000,
    });
    assertEquals(await countStoredChunks(store), 2);
    await assertRejects(
      store.getObjectMetadata({ StorageJobId: JOB, ObjectToken: old.ObjectToken }),
      ResourceNotFoundException,
    );
    await assertRejects(
      store.getChunk({ StorageJobId: JOB, ChunkToken: oldChunks.ChunkList[0].ChunkToken }),
      ResourceNotFoundException,
    );
    // The current version, sharing a chunk, is intact.
    const current = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0];
    assertEquals((await readObject(store, JOB, current.ObjectToken)).chunks, [shared, onlyNew]);
  }, { gracePeriodMs: GRACE });
});

Deno.test("GC: a deleted object's unshared chunks and metadata blob are freed after grace", async () => {
  await withStore(async (store, { clock }) => {
    const data = seededBytes("d", 1234);
    const blob = seededBytes("blob", 99);
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "x" });
    await store.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: 0,
      Data: data,
      Length: data.length,
      Checksum: chunkChecksum(data),
      ChecksumAlgorithm: "SHA256",
    });
    await store.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: summaryOf([data]),
      ObjectChecksumAlgorithm: "SUMMARY",
      MetadataBlob: blob,
      MetadataBlobLength: blob.length,
      MetadataBlobChecksum: chunkChecksum(blob),
      MetadataBlobChecksumAlgorithm: "SHA256",
    });
    await putSmall(store, JOB, "keeper", seededBytes("k", 10));
    await store.deleteObject({ BackupJobId: JOB, ObjectName: "x" });
    assertEquals(await countStoredChunks(store), 3);
    clock.advance(GRACE);
    const report = await store.collectGarbage();
    assertEquals(report.expiredVersions, 1);
    assertEquals(report.chunksDeleted, 2);
    assertEquals(report.bytesFreed, 1234 + 99);
    assertEquals(await countStoredChunks(store), 1);
    assertEquals(await allNames(store, JOB), ["keeper"]);
  }, { gracePeriodMs: GRACE });
});

Deno.test("GC: abandoned uploads expire with their chunks; completed ones are remembered until TTL", async () => {
  const TTL = 3_600_000;
  await withStore(async (store, { clock }) => {
    const data = seededBytes("abandoned", 4000);
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "a" });
    await store.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: 0,
      Data: data,
      Length: data.length,
      Checksum: chunkChecksum(data),
      ChecksumAlgorithm: "SHA256",
    });
    const done = await uploadObject(store, JOB, "done", [seededBytes("done", 10)]);
    clock.advance(TTL - 1);
    assertEquals((await store.collectGarbage()).expiredUploads, 0);
    // Still pending: completing works until the TTL... but do not; let it expire.
    clock.advance(1);
    await assertRejects(
      store.putChunk({
        BackupJobId: JOB,
        UploadId,
        ChunkIndex: 1,
        Data: data,
        Length: data.length,
        Checksum: chunkChecksum(data),
        ChecksumAlgorithm: "SHA256",
      }),
      ResourceNotFoundException,
    );
    const report = await store.collectGarbage();
    assertEquals(report.expiredUploads, 1);
    assertEquals(report.chunksDeleted, 1);
    assertEquals(report.bytesFreed, 4000);
    assertEquals(await countStoredChunks(store), 1);
    // The completed upload's object is untouched; its retry memory is gone.
    assertEquals(await allNames(store, JOB), ["done"]);
    await assertRejects(
      store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId: done.UploadId,
        ObjectChecksum: done.ObjectChecksum,
        ObjectChecksumAlgorithm: "SUMMARY",
      }),
      ResourceNotFoundException,
    );
  }, { uploadTtlMs: TTL });
});

Deno.test("GC: a replaced chunk index of a pending upload is freed", async () => {
  await withStore(async (store) => {
    const first = seededBytes("first", 100);
    const second = seededBytes("second", 100);
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "r" });
    for (const data of [first, second]) {
      await store.putChunk({
        BackupJobId: JOB,
        UploadId,
        ChunkIndex: 0,
        Data: data,
        Length: data.length,
        Checksum: chunkChecksum(data),
        ChecksumAlgorithm: "SHA256",
      });
    }
    assertEquals(await countStoredChunks(store), 2);
    const report = await store.collectGarbage();
    assertEquals(report.chunksDeleted, 1);
    assertEquals(await countStoredChunks(store), 1);
  });
});

Deno.test("GC: orphan chunks (crash between install and commit) are swept", async () => {
  await withStore(async (store) => {
    await putSmall(store, JOB, "real", seededBytes("real", 10));
    // What a crash between the chunk store's put and the record's commit leaves.
    const bytes = seededBytes("orphan", 77);
    const staged = await store.chunkStore.stage();
    await staged.write(bytes);
    await store.chunkStore.put(sha256(bytes), staged);
    const report = await store.sweepOrphans();
    assertEquals(report.chunksDeleted, 1);
    assertEquals(report.bytesFreed, 77);
    assertEquals(await countStoredChunks(store), 1);
    assertEquals(
      (await readObject(
        store,
        JOB,
        (await store.listObjects({ StorageJobId: JOB })).ObjectList[0].ObjectToken,
      )).bytes,
      seededBytes("real", 10),
    );
  });
});

Deno.test("GC racing with PutChunk of the same content never loses the chunk", async () => {
  await withStore(async (store, { clock }) => {
    const data = seededBytes("contended", 64 * 1024);
    for (let round = 0; round < 8; round++) {
      // Make the content garbage: an object using it is deleted and its grace passes.
      await putSmall(store, JOB, `victim-${round}`, data);
      await store.deleteObject({ BackupJobId: JOB, ObjectName: `victim-${round}` });
      clock.advance(GRACE);
      const { UploadId } = await store.startObject({
        BackupJobId: JOB,
        ObjectName: `new-${round}`,
      });
      const put = store.putChunk({
        BackupJobId: JOB,
        UploadId,
        ChunkIndex: 0,
        Data: new ReadableStream({
          start(c) {
            c.enqueue(data.subarray(0, 1000));
            setTimeout(() => {
              c.enqueue(data.subarray(1000));
              c.close();
            }, round);
          },
        }),
        Length: data.length,
        Checksum: chunkChecksum(data),
        ChecksumAlgorithm: "SHA256",
      });
      const gcs = [store.collectGarbage(), store.collectGarbage()];
      await Promise.all([put, ...gcs]);
      await store.collectGarbage();
      await store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId,
        ObjectChecksum: summaryOf([data]),
        ObjectChecksumAlgorithm: "SUMMARY",
      });
      await store.collectGarbage();
      const object = (await store.listObjects({
        StorageJobId: JOB,
        StartingObjectName: `new-${round}`,
        MaxResults: 1,
      })).ObjectList[0];
      assert(object.Name === `new-${round}`);
      assertEquals((await readObject(store, JOB, object.ObjectToken)).bytes, data);
    }
  }, { gracePeriodMs: GRACE });
});
