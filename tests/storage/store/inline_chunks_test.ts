// Small chunks and metadata blobs kept in the store's database instead of files:
// where they go, that they read back, dedupe, survive a change of the limit and a
// reopen, and are freed by garbage collection like files.

import { assertEquals, assertRejects } from "../../support/assert.ts";
import { chunkChecksum } from "../../../src/storage/checksum.ts";
import { IllegalArgumentException } from "../../../src/storage/errors.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import {
  allNames,
  putSmall,
  readObject,
  seededBytes,
  streamOf,
  uploadObject,
  withStore,
} from "./support/store_fixtures.ts";

const JOB = "inline-job";
const KiB = 1024;
const GRACE = 1000;

async function tokenOf(store: EmbeddedStore, name: string): Promise<string> {
  const listed = await store.listObjects({ StorageJobId: JOB, StartingObjectName: name });
  assertEquals(listed.ObjectList[0]?.Name, name);
  return listed.ObjectList[0].ObjectToken;
}

Deno.test("chunks up to the inline limit go to the database, longer ones to files", async () => {
  await withStore(async (store) => {
    const atLimit = seededBytes("at", 64 * KiB);
    const over = seededBytes("over", 64 * KiB + 1);
    await putSmall(store, JOB, "at", atLimit);
    assertEquals(await store.storedChunks(), { files: 0, inline: 1, inlineBytes: 64 * KiB });
    await putSmall(store, JOB, "over", over);
    assertEquals(await store.storedChunks(), { files: 1, inline: 1, inlineBytes: 64 * KiB });
    // A multi-chunk upload mixes both: a big chunk in a file, a short tail inline.
    const tail = seededBytes("tail", 100);
    await uploadObject(store, JOB, "mixed", [seededBytes("big", 100 * KiB), tail]);
    assertEquals((await store.storedChunks()).files, 2);
    assertEquals((await store.storedChunks()).inline, 2);
    assertEquals((await readObject(store, JOB, await tokenOf(store, "at"))).bytes, atLimit);
    assertEquals((await readObject(store, JOB, await tokenOf(store, "over"))).bytes, over);
    const mixed = await readObject(store, JOB, await tokenOf(store, "mixed"));
    assertEquals(mixed.chunks[1], tail);
  });
});

Deno.test("inlineChunkBytes 0 keeps every chunk in a file; out-of-range limits are refused", async () => {
  await withStore(async (store) => {
    await putSmall(store, JOB, "tiny", seededBytes("tiny", 5));
    assertEquals(await store.storedChunks(), { files: 1, inline: 0, inlineBytes: 0 });
  }, { inlineChunkBytes: 0 });
  for (const bad of [-1, 1.5, 1024 * 1024 + 1, Number.NaN]) {
    await assertRejects(
      () => withStore(() => Promise.resolve(), { inlineChunkBytes: bad }),
      RangeError,
      "inlineChunkBytes",
    );
  }
});

Deno.test("inline bodies are checked like file bodies: short, long, erroring, wrong checksum", async () => {
  await withStore(async (store) => {
    const data = seededBytes("checked", 3000);
    const put = (body: Uint8Array | ReadableStream<Uint8Array>, length: number, checksum: string) =>
      store.putObject({
        BackupJobId: JOB,
        ObjectName: "checked",
        InlineChunk: body,
        InlineChunkLength: length,
        InlineChunkChecksum: checksum,
      });
    await assertRejects(
      () => put(streamOf([data.subarray(0, 2000)]), 3000, chunkChecksum(data)),
      IllegalArgumentException,
      "2000 bytes but InlineChunkLength says 3000",
    );
    await assertRejects(
      () => put(streamOf([data, data.subarray(0, 1)]), 3000, chunkChecksum(data)),
      IllegalArgumentException,
      "more bytes than InlineChunkLength",
    );
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(data.subarray(0, 10));
        controller.error(new Error("client went away"));
      },
    });
    await assertRejects(() => put(failing, 3000, chunkChecksum(data)), Error, "stream failed");
    await assertRejects(
      () => put(data, 3000, chunkChecksum(seededBytes("other", 3000))),
      IllegalArgumentException,
      "does not match the SHA-256",
    );
    // Nothing of those stayed.
    assertEquals(await store.storedChunks(), { files: 0, inline: 0, inlineBytes: 0 });
    assertEquals(await allNames(store, JOB), []);
    // In uneven pieces it works.
    await put(
      streamOf([data.subarray(0, 1), data.subarray(1, 2999), data.subarray(2999)]),
      3000,
      chunkChecksum(data),
    );
    assertEquals((await readObject(store, JOB, await tokenOf(store, "checked"))).bytes, data);
  });
});

Deno.test("the bytes kept are a copy: changing the caller's buffer afterwards changes nothing", async () => {
  await withStore(async (store) => {
    const data = seededBytes("mine", 4096);
    const original = data.slice();
    const pending = putSmall(store, JOB, "copy", data);
    data.fill(0); // a careless caller reusing its buffer while the put runs
    await pending;
    assertEquals((await readObject(store, JOB, await tokenOf(store, "copy"))).bytes, original);
  });
});

Deno.test("identical small chunks are kept once and freed after the last reference goes", async () => {
  await withStore(async (store, { clock }) => {
    const shared = seededBytes("shared", 2000);
    await putSmall(store, JOB, "a", shared);
    await putSmall(store, JOB, "b", shared);
    await uploadObject(store, JOB, "c", [shared, shared]);
    assertEquals(await store.storedChunks(), { files: 0, inline: 1, inlineBytes: 2000 });
    await store.deleteObject({ BackupJobId: JOB, ObjectName: "a" });
    await store.deleteObject({ BackupJobId: JOB, ObjectName: "c" });
    clock.advance(GRACE);
    let report = await store.collectGarbage();
    assertEquals(report.expiredVersions, 2);
    assertEquals(report.chunksDeleted, 0);
    assertEquals((await readObject(store, JOB, await tokenOf(store, "b"))).bytes, shared);
    await store.deleteObject({ BackupJobId: JOB, ObjectName: "b" });
    clock.advance(GRACE);
    report = await store.collectGarbage();
    assertEquals(report.chunksDeleted, 1);
    assertEquals(report.bytesFreed, 2000);
    assertEquals(await store.storedChunks(), { files: 0, inline: 0, inlineBytes: 0 });
  }, { gracePeriodMs: GRACE });
});

Deno.test("small metadata blobs are kept inline and read back by GetObjectMetadata", async () => {
  await withStore(async (store) => {
    const blob = seededBytes("blob", 500);
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "m" });
    await store.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
      ObjectChecksumAlgorithm: "SUMMARY",
      MetadataBlob: blob,
      MetadataBlobLength: blob.length,
      MetadataBlobChecksum: chunkChecksum(blob),
      MetadataBlobChecksumAlgorithm: "SHA256",
    });
    assertEquals(await store.storedChunks(), { files: 0, inline: 1, inlineBytes: 500 });
    const out = await store.getObjectMetadata({
      StorageJobId: JOB,
      ObjectToken: await tokenOf(store, "m"),
    });
    assertEquals(out.MetadataBlobLength, 500);
    assertEquals(out.MetadataBlobChecksum, chunkChecksum(blob));
    assertEquals(new Uint8Array(await new Response(out.MetadataBlob).arrayBuffer()), blob);
  });
});

Deno.test("a store reopened with another inline limit reads and frees both kinds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "inline_chunks_test_" });
  try {
    const small = seededBytes("small", 1000);
    {
      await using store = await EmbeddedStore.open(dir, {
        gcIntervalMs: 0,
        durable: false,
        inlineChunkBytes: 0,
      });
      await putSmall(store, JOB, "file", small);
      assertEquals(await store.storedChunks(), { files: 1, inline: 0, inlineBytes: 0 });
    }
    await using store = await EmbeddedStore.open(dir, {
      gcIntervalMs: 0,
      durable: false,
      gracePeriodMs: 0,
    });
    // The same content again, now inline: both copies exist until GC.
    await putSmall(store, JOB, "inline", small);
    assertEquals(await store.storedChunks(), { files: 1, inline: 1, inlineBytes: 1000 });
    assertEquals((await readObject(store, JOB, await tokenOf(store, "inline"))).bytes, small);
    assertEquals((await readObject(store, JOB, await tokenOf(store, "file"))).bytes, small);
    // One reference left: nothing is freed.
    await store.deleteObject({ BackupJobId: JOB, ObjectName: "inline" });
    assertEquals((await store.collectGarbage()).chunksDeleted, 0);
    assertEquals((await readObject(store, JOB, await tokenOf(store, "file"))).bytes, small);
    await store.deleteObject({ BackupJobId: JOB, ObjectName: "file" });
    const report = await store.collectGarbage();
    assertEquals(report.chunksDeleted, 2);
    assertEquals(report.bytesFreed, 2000);
    assertEquals(await store.storedChunks(), { files: 0, inline: 0, inlineBytes: 0 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
