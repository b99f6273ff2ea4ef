import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { chunkChecksum, sha256, summaryChecksum } from "../../../src/storage/checksum.ts";
import {
  DataAlreadyExistsException,
  IllegalArgumentException,
  NotReadableInputStreamException,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from "../../../src/storage/errors.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { TokenKind, TokenSigner } from "../../../src/storage/store/tokens.ts";
import { onLocalFiles } from "../../support/test_store.ts";
import { stagedLeftovers } from "../../support/staged_leftovers.ts";
import {
  allNames,
  assertRejects,
  chunkInput,
  countStoredChunks,
  putSmall,
  readAll,
  readObject,
  seededBytes,
  streamOf,
  summaryOf,
  uploadObject,
  withStore,
} from "./support/store_fixtures.ts";

const JOB = "job-1";
const EMPTY = chunkChecksum(new Uint8Array());
const enc = new TextEncoder();

Deno.test("multi-chunk upload round-trips bytes, checksums, metadata and usage", async () => {
  await withStore(async (store) => {
    const chunks = [seededBytes("a", 1000), seededBytes("b", 70_000), seededBytes("c", 0)];
    const done = await uploadObject(store, JOB, "dir/file.bin", chunks, {
      metadataString: "v1;size=71000",
    });
    assertEquals(done.ObjectChecksum, summaryOf(chunks));
    const page = await store.listObjects({ StorageJobId: JOB });
    assertEquals(page.ObjectList.length, 1);
    const object = page.ObjectList[0];
    assertEquals(object.Name, "dir/file.bin");
    assertEquals(object.ChunksCount, 3);
    assertEquals(object.MetadataString, "v1;size=71000");
    assertEquals(object.ObjectChecksumAlgorithm, "SUMMARY");
    assertEquals(object.ObjectChecksum, summaryOf(chunks));
    assertEquals(page.NextToken, undefined);
    const read = await readObject(store, JOB, object.ObjectToken);
    assertEquals(read.chunks, chunks);
    const meta = await store.getObjectMetadata({
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
    });
    assertEquals(meta.MetadataString, "v1;size=71000");
    assertEquals(meta.MetadataBlobLength, 0);
    assertEquals(meta.MetadataBlobChecksum, undefined);
    assertEquals((await readAll(meta.MetadataBlob)).byteLength, 0);
    assertEquals(await store.usage(JOB), { objects: 1, bytes: 71_000 });
    assertEquals(await store.usage("unknown-job"), { objects: 0, bytes: 0 });
  });
});

Deno.test("outputs carry $metadata and the documented algorithms", async () => {
  await withStore(async (store) => {
    const data = seededBytes("x", 10);
    const { UploadId, $metadata } = await store.startObject({ BackupJobId: JOB, ObjectName: "o" });
    assertEquals($metadata, {});
    assert(/^[A-Za-z0-9_-]{22,}$/.test(UploadId));
    const put = await store.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: 0,
      Data: data,
      Length: 10,
      Checksum: chunkChecksum(data),
      ChecksumAlgorithm: "SHA256",
    });
    assertEquals(put, {
      $metadata: {},
      ChunkChecksum: chunkChecksum(data),
      ChunkChecksumAlgorithm: "SHA256",
    });
    const done = await store.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: summaryOf([data]),
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    assertEquals(done, {
      $metadata: {},
      ObjectChecksum: summaryOf([data]),
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    assertEquals(await store.deleteObject({ BackupJobId: JOB, ObjectName: "o" }), {
      $metadata: {},
    });
  });
});

Deno.test("upload ids are unguessable and distinct", async () => {
  await withStore(async (store) => {
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      ids.add((await store.startObject({ BackupJobId: JOB, ObjectName: "n" })).UploadId);
    }
    assertEquals(ids.size, 50);
    for (const id of ids) assert(id.length >= 22); // >= 128 bits of base64url
  });
});

Deno.test("pending uploads are invisible until completed", async () => {
  await withStore(async (store) => {
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "p" });
    assertEquals((await store.listObjects({ StorageJobId: JOB })).ObjectList, []);
    await store.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: EMPTY,
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    const list = (await store.listObjects({ StorageJobId: JOB })).ObjectList;
    assertEquals(list.map((o) => [o.Name, o.ChunksCount, o.ObjectChecksum]), [["p", 0, EMPTY]]);
  });
});

Deno.test("listing an unknown job is empty, not an error", async () => {
  await withStore(async (store) => {
    assertEquals((await store.listObjects({ StorageJobId: "nobody" })).ObjectList, []);
  });
});

Deno.test("input validation names the problem", async () => {
  await withStore(async (store) => {
    await assertRejects(
      store.startObject({ BackupJobId: "bad job!", ObjectName: "x" }),
      IllegalArgumentException,
      /Job id/,
    );
    await assertRejects(
      store.startObject({ BackupJobId: JOB, ObjectName: "" }),
      IllegalArgumentException,
      /empty/,
    );
    await assertRejects(
      store.startObject({ BackupJobId: JOB, ObjectName: "a\0b" }),
      IllegalArgumentException,
      /NUL/,
    );
    await assertRejects(
      store.startObject({ BackupJobId: JOB, ObjectName: "x".repeat(1025) }),
      IllegalArgumentException,
      /1024 bytes/,
    );
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "x" });
    const data = seededBytes("d", 8);
    const base = {
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: 0,
      Data: data,
      Length: 8,
      Checksum: chunkChecksum(data),
      ChecksumAlgorithm: "SHA256" as const,
    };
    await assertRejects(
      // deno-lint-ignore no-explicit-any
      store.putChunk({ ...base, ChecksumAlgorithm: "MD5" as any }),
      IllegalArgumentException,
      /ChecksumAlgorithm must be SHA256/,
    );
    await assertRejects(
      store.putChunk({ ...base, Length: -1 }),
      IllegalArgumentException,
      /Length must be an integer/,
    );
    await assertRejects(
      store.putChunk({ ...base, Length: 1.5 }),
      IllegalArgumentException,
      /Length must be an integer/,
    );
    await assertRejects(
      store.putChunk({ ...base, ChunkIndex: -1 }),
      IllegalArgumentException,
      /ChunkIndex/,
    );
    await assertRejects(
      store.putChunk({ ...base, ChunkIndex: 10_000_000 }),
      IllegalArgumentException,
      /ChunkIndex/,
    );
    await assertRejects(
      store.putChunk({ ...base, Checksum: "not-base64" }),
      IllegalArgumentException,
      /Checksum must be the base64/,
    );
    await assertRejects(
      store.putChunk({ ...base, Checksum: "AAAA" }),
      IllegalArgumentException,
      /Checksum must be the base64/,
    );
    await assertRejects(
      store.putChunk({ ...base, Checksum: chunkChecksum(new Uint8Array([1])) }),
      IllegalArgumentException,
      /Checksum does not match/,
    );
    await assertRejects(
      store.putChunk({ ...base, Length: 9 }),
      IllegalArgumentException,
      /Data has 8 bytes but Length says 9/,
    );
    await assertRejects(
      store.putChunk({ ...base, UploadId: "nope" }),
      ResourceNotFoundException,
      /No pending upload/,
    );
    await assertRejects(
      store.putChunk({ ...base, BackupJobId: "other-job" }),
      ResourceNotFoundException,
      /No pending upload/,
    );
    await assertRejects(
      store.listObjects({ StorageJobId: JOB, MaxResults: 0 }),
      IllegalArgumentException,
      /MaxResults/,
    );
    await assertRejects(
      store.listObjects({ StorageJobId: JOB, MaxResults: 101 }),
      IllegalArgumentException,
      /MaxResults/,
    );
    await assertRejects(
      store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId,
        ObjectChecksum: EMPTY,
        // deno-lint-ignore no-explicit-any
        ObjectChecksumAlgorithm: "LINEAR" as any,
      }),
      IllegalArgumentException,
      /ObjectChecksumAlgorithm must be SUMMARY/,
    );
    await assertRejects(
      store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId,
        ObjectChecksum: EMPTY,
        ObjectChecksumAlgorithm: "SUMMARY",
        MetadataString: "x".repeat(257),
      }),
      IllegalArgumentException,
      /MetadataString/,
    );
    await assertRejects(
      store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId: "unknown",
        ObjectChecksum: EMPTY,
        ObjectChecksumAlgorithm: "SUMMARY",
      }),
      ResourceNotFoundException,
    );
  });
});

Deno.test("a chunk larger than maxChunkLength is refused", async () => {
  await withStore(async (store) => {
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "x" });
    const data = seededBytes("big", 2048);
    await assertRejects(
      store.putChunk({
        BackupJobId: JOB,
        UploadId,
        ChunkIndex: 0,
        Data: streamOf([data]),
        Length: 2048,
        Checksum: chunkChecksum(data),
        ChecksumAlgorithm: "SHA256",
      }),
      IllegalArgumentException,
      /Length must be an integer from 0 to 1024/,
    );
  }, { maxChunkLength: 1024 });
});

Deno.test("streamed chunks: longer, shorter, erroring, and bad checksum store nothing", async () => {
  await withStore(async (store, { dir }) => {
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "s" });
    const piece = seededBytes("p", 1000);
    const put = (data: ReadableStream<Uint8Array>, length: number, checksum: string) =>
      store.putChunk({
        BackupJobId: JOB,
        UploadId,
        ChunkIndex: 0,
        Data: data,
        Length: length,
        Checksum: checksum,
        ChecksumAlgorithm: "SHA256",
      });
    const three = new Uint8Array(3000);
    three.set(piece, 0);
    three.set(piece, 1000);
    three.set(piece, 2000);
    // Longer: fails as soon as the limit is passed; the rest of the stream is cancelled.
    let cancelled = false;
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        if (pulls > 1000) controller.close();
        else controller.enqueue(piece);
      },
      cancel() {
        cancelled = true;
      },
    });
    await assertRejects(
      put(endless, 2500, chunkChecksum(three)),
      IllegalArgumentException,
      /more bytes than Length/,
    );
    assert(cancelled);
    assert(pulls < 10);
    // Shorter.
    await assertRejects(
      put(streamOf([piece, piece]), 3000, chunkChecksum(three)),
      IllegalArgumentException,
      /Data has 2000 bytes but Length says 3000/,
    );
    // Erroring mid-way.
    await assertRejects(
      put(streamOf([piece, piece, piece], { errorAfter: 2 }), 3000, chunkChecksum(three)),
      NotReadableInputStreamException,
    );
    // Wrong checksum.
    await assertRejects(
      put(streamOf([piece, piece, piece]), 3000, chunkChecksum(piece)),
      IllegalArgumentException,
      /Checksum does not match/,
    );
    assertEquals(await countStoredChunks(store), 0);
    // Nothing staged is left behind (the default stages in DIR/tmp): what tmp/ holds
    // are the empty files kept ready for the next chunks, which close removes.
    if (onLocalFiles) assertEquals(await stagedLeftovers(`${dir}/tmp`), []);
    await assertRejects(
      store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId,
        ObjectChecksum: summaryOf([three]),
        ObjectChecksumAlgorithm: "SUMMARY",
      }),
      IllegalArgumentException,
      /does not match the SUMMARY of the 0 chunks/,
    );
    // The right stream works, in uneven pieces.
    const out = await put(
      streamOf([three.subarray(0, 1), three.subarray(1, 2999), three.subarray(2999)]),
      3000,
      chunkChecksum(three),
    );
    assertEquals(out.ChunkChecksum, chunkChecksum(three));
    assertEquals(await countStoredChunks(store), 1);
  });
});

Deno.test("NotifyObjectComplete: gaps, wrong summary, retries, and replaced chunks", async () => {
  await withStore(async (store) => {
    const chunks = [seededBytes("0", 10), seededBytes("1", 10), seededBytes("2", 10)];
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "g" });
    const put = (index: number, data: Uint8Array) =>
      store.putChunk(chunkInput(JOB, UploadId, index, data));
    const complete = (checksum: string) =>
      store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId,
        ObjectChecksum: checksum,
        ObjectChecksumAlgorithm: "SUMMARY",
      });
    await put(0, chunks[0]);
    await put(2, chunks[2]);
    await assertRejects(
      complete(summaryOf(chunks)),
      IllegalArgumentException,
      /Chunk index 1 is missing/,
    );
    await put(1, seededBytes("wrong", 10));
    await assertRejects(
      complete(summaryOf(chunks)),
      IllegalArgumentException,
      /does not match the SUMMARY/,
    );
    await put(1, chunks[1]); // replacing an index is a safe retry
    const first = await complete(summaryOf(chunks));
    assertEquals(first.ObjectChecksum, summaryOf(chunks));
    // Retry of the same completion answers the same; a different checksum is refused.
    assertEquals(await complete(summaryOf(chunks)), first);
    await assertRejects(complete(EMPTY), IllegalArgumentException, /different ObjectChecksum/);
    // The upload is no longer pending.
    await assertRejects(put(3, chunks[0]), ResourceNotFoundException);
    const list = (await store.listObjects({ StorageJobId: JOB })).ObjectList;
    assertEquals(list.length, 1);
    assertEquals((await readObject(store, JOB, list[0].ObjectToken)).chunks, chunks);
  });
});

Deno.test("idempotent re-put of a chunk index with identical content", async () => {
  await withStore(async (store) => {
    const data = seededBytes("same", 500);
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "i" });
    for (let i = 0; i < 3; i++) {
      await store.putChunk({
        BackupJobId: JOB,
        UploadId,
        ChunkIndex: 0,
        Data: data,
        Length: 500,
        Checksum: chunkChecksum(data),
        ChecksumAlgorithm: "SHA256",
      });
    }
    await store.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: summaryOf([data]),
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    assertEquals(await countStoredChunks(store), 1);
    await store.collectGarbage();
    assertEquals(await countStoredChunks(store), 1);
  });
});

Deno.test("concurrent PutChunks of one upload", async () => {
  await withStore(async (store) => {
    const chunks = Array.from({ length: 12 }, (_, i) => seededBytes(`c${i}`, 4096 + i));
    // Several chunks with the same content, in flight at once.
    chunks[5] = chunks[3];
    chunks[7] = chunks[3];
    await uploadObject(store, JOB, "concurrent", chunks);
    const object = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0];
    assertEquals((await readObject(store, JOB, object.ObjectToken)).chunks, chunks);
  });
});

Deno.test("metadata blob: stored, checked, returned", async () => {
  await withStore(async (store) => {
    const blob = seededBytes("blob", 100_000);
    const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "m" });
    const complete = (extra: Record<string, unknown>) =>
      store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId,
        ObjectChecksum: EMPTY,
        ObjectChecksumAlgorithm: "SUMMARY",
        ...extra,
      });
    await assertRejects(
      complete({ MetadataBlob: blob }),
      IllegalArgumentException,
      /MetadataBlobLength/,
    );
    await assertRejects(
      complete({ MetadataBlob: blob, MetadataBlobLength: blob.length }),
      IllegalArgumentException,
      /MetadataBlobChecksum must be/,
    );
    await assertRejects(
      complete({
        MetadataBlob: blob,
        MetadataBlobLength: blob.length,
        MetadataBlobChecksum: chunkChecksum(blob),
      }),
      IllegalArgumentException,
      /MetadataBlobChecksumAlgorithm must be SHA256/,
    );
    await assertRejects(
      complete({
        MetadataBlob: blob,
        MetadataBlobLength: 4 * 1024 * 1024 + 1,
        MetadataBlobChecksum: chunkChecksum(blob),
        MetadataBlobChecksumAlgorithm: "SHA256",
      }),
      IllegalArgumentException,
      /MetadataBlobLength must be an integer from 0 to 4194304/,
    );
    await assertRejects(
      complete({
        MetadataBlob: streamOf([blob]),
        MetadataBlobLength: blob.length,
        MetadataBlobChecksum: chunkChecksum(new Uint8Array([1])),
        MetadataBlobChecksumAlgorithm: "SHA256",
      }),
      IllegalArgumentException,
      /MetadataBlobChecksum does not match/,
    );
    await complete({
      MetadataString: "attrs",
      MetadataBlob: streamOf([blob.subarray(0, 10), blob.subarray(10)]),
      MetadataBlobLength: blob.length,
      MetadataBlobChecksum: chunkChecksum(blob),
      MetadataBlobChecksumAlgorithm: "SHA256",
    });
    const object = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0];
    const meta = await store.getObjectMetadata({
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
    });
    assertEquals(meta.MetadataString, "attrs");
    assertEquals(meta.MetadataBlobLength, blob.length);
    assertEquals(meta.MetadataBlobChecksum, chunkChecksum(blob));
    assertEquals(meta.MetadataBlobChecksumAlgorithm, "SHA256");
    assertEquals(await readAll(meta.MetadataBlob), blob);
  });
});

Deno.test("PutObject: inline chunk, empty object, checks, and output", async () => {
  await withStore(async (store) => {
    const data = seededBytes("inline", 3000);
    const out = await putSmall(store, JOB, "small", data, { MetadataString: "m" });
    assertEquals(out, {
      $metadata: {},
      InlineChunkChecksum: chunkChecksum(data),
      InlineChunkChecksumAlgorithm: "SHA256",
      ObjectChecksum: summaryOf([data]),
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    const empty = await store.putObject({ BackupJobId: JOB, ObjectName: "dir/" });
    assertEquals(empty.InlineChunkChecksum, EMPTY);
    assertEquals(empty.ObjectChecksum, EMPTY);
    const emptyStream = await store.putObject({
      BackupJobId: JOB,
      ObjectName: "e2",
      InlineChunk: streamOf([]),
      InlineChunkChecksum: EMPTY,
    });
    assertEquals(emptyStream.ObjectChecksum, EMPTY);
    await assertRejects(
      store.putObject({
        BackupJobId: JOB,
        ObjectName: "e3",
        InlineChunk: new Uint8Array(),
        InlineChunkChecksum: chunkChecksum(data),
      }),
      IllegalArgumentException,
      /InlineChunkChecksum does not match/,
    );
    await assertRejects(
      store.putObject({ BackupJobId: JOB, ObjectName: "e4", InlineChunk: streamOf([data]) }),
      IllegalArgumentException,
      /InlineChunkLength is required/,
    );
    await assertRejects(
      store.putObject({
        BackupJobId: JOB,
        ObjectName: "e5",
        InlineChunk: data,
        InlineChunkLength: data.length,
      }),
      IllegalArgumentException,
      /InlineChunkChecksum must be/,
    );
    await assertRejects(
      store.putObject({
        BackupJobId: JOB,
        ObjectName: "e6",
        InlineChunk: data,
        InlineChunkLength: data.length,
        InlineChunkChecksum: chunkChecksum(data),
        InlineChunkChecksumAlgorithm: "CRC32",
      }),
      IllegalArgumentException,
      /InlineChunkChecksumAlgorithm must be SHA256/,
    );
    await assertRejects(
      store.putObject({
        BackupJobId: JOB,
        ObjectName: "e7",
        InlineChunk: data,
        InlineChunkLength: data.length,
        InlineChunkChecksum: chunkChecksum(data),
        ObjectChecksum: EMPTY,
      }),
      IllegalArgumentException,
      /ObjectChecksum does not match/,
    );
    const withSummary = await store.putObject({
      BackupJobId: JOB,
      ObjectName: "e8",
      InlineChunk: streamOf([data]),
      InlineChunkLength: data.length,
      InlineChunkChecksum: chunkChecksum(data),
      ObjectChecksum: summaryOf([data]),
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    assertEquals(withSummary.ObjectChecksum, summaryChecksum([sha256(data)]));
    assertEquals(await allNames(store, JOB), ["dir/", "e2", "e8", "small"]);
    const list = (await store.listObjects({ StorageJobId: JOB })).ObjectList;
    const small = list.find((o) => o.Name === "small")!;
    assertEquals(small.ChunksCount, 1);
    assertEquals(small.MetadataString, "m");
    assertEquals((await readObject(store, JOB, small.ObjectToken)).bytes, data);
    assertEquals(list.find((o) => o.Name === "dir/")!.ChunksCount, 0);
  });
});

Deno.test("ThrowOnDuplicate: at start, at completion, and for PutObject", async () => {
  await withStore(async (store) => {
    const data = seededBytes("dup", 10);
    await putSmall(store, JOB, "taken", data);
    const error = await assertRejects(
      store.startObject({ BackupJobId: JOB, ObjectName: "taken", ThrowOnDuplicate: true }),
      DataAlreadyExistsException,
      /already exists/,
    );
    assertEquals(error.Checksum, summaryOf([data]));
    assertEquals(error.ChecksumAlgorithm, "SUMMARY");
    const e2 = await assertRejects(
      putSmall(store, JOB, "taken", seededBytes("other", 10), { ThrowOnDuplicate: true }),
      DataAlreadyExistsException,
    );
    assertEquals(e2.Checksum, summaryOf([data]));
    // An object that appears between StartObject and completion.
    const { UploadId } = await store.startObject({
      BackupJobId: JOB,
      ObjectName: "race",
      ThrowOnDuplicate: true,
    });
    await putSmall(store, JOB, "race", data);
    const e3 = await assertRejects(
      store.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId,
        ObjectChecksum: EMPTY,
        ObjectChecksumAlgorithm: "SUMMARY",
      }),
      DataAlreadyExistsException,
    );
    assertEquals(e3.Checksum, summaryOf([data]));
    // Without the flag, replace is allowed.
    await putSmall(store, JOB, "taken", seededBytes("new", 10));
    assertEquals(await allNames(store, JOB), ["race", "taken"]);
  });
});

Deno.test("replace: the old version stays readable by token, the new one is listed", async () => {
  await withStore(async (store) => {
    const v1 = [seededBytes("v1", 100)];
    const v2 = [seededBytes("v2", 200), seededBytes("v2b", 5)];
    await uploadObject(store, JOB, "doc", v1);
    const old = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0];
    await uploadObject(store, JOB, "doc", v2);
    const list = (await store.listObjects({ StorageJobId: JOB })).ObjectList;
    assertEquals(list.length, 1);
    assertEquals(list[0].ObjectChecksum, summaryOf(v2));
    assert(list[0].ObjectToken !== old.ObjectToken);
    assertEquals((await readObject(store, JOB, old.ObjectToken)).chunks, v1);
    assertEquals((await readObject(store, JOB, list[0].ObjectToken)).chunks, v2);
    assertEquals(await store.usage(JOB), { objects: 1, bytes: 205 });
  });
});

Deno.test("DeleteObject: unlisted at once, readable by token, unknown name is not found", async () => {
  await withStore(async (store) => {
    const data = seededBytes("del", 50);
    await putSmall(store, JOB, "gone", data);
    const token = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0].ObjectToken;
    await store.deleteObject({ BackupJobId: JOB, ObjectName: "gone" });
    assertEquals(await allNames(store, JOB), []);
    assertEquals((await readObject(store, JOB, token)).bytes, data);
    await assertRejects(
      store.deleteObject({ BackupJobId: JOB, ObjectName: "gone" }),
      ResourceNotFoundException,
      /No object named "gone"/,
    );
    assertEquals(await store.usage(JOB), { objects: 0, bytes: 0 });
  });
});

Deno.test("jobs are separate namespaces", async () => {
  await withStore(async (store) => {
    await putSmall(store, "job-a", "x", seededBytes("a", 5));
    await putSmall(store, "job-b", "x", seededBytes("b", 5));
    await putSmall(store, "job-b", "y", seededBytes("b", 5));
    assertEquals(await allNames(store, "job-a"), ["x"]);
    assertEquals(await allNames(store, "job-b"), ["x", "y"]);
  });
});

Deno.test("dedup: identical chunks across objects are stored once", async () => {
  await withStore(async (store) => {
    const shared = seededBytes("shared", 10_000);
    await uploadObject(store, JOB, "one", [shared, seededBytes("u1", 10)]);
    await uploadObject(store, JOB, "two", [shared, seededBytes("u2", 10)]);
    await putSmall(store, "job-2", "three", shared);
    assertEquals(await countStoredChunks(store), 3);
  });
});

Deno.test("close is idempotent, waits for writes, and later calls fail", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await EmbeddedStore.open(`${dir}/nested/store`, { gcIntervalMs: 0 });
    const data = seededBytes("late", 100_000);
    const pending = putSmall(store, JOB, "late", data);
    await Promise.all([store.close(), store.close()]);
    await pending; // finished, not torn
    await assertRejects(store.listObjects({ StorageJobId: JOB }), ServiceUnavailableException);
    await assertRejects(store.collectGarbage(), ServiceUnavailableException);
    await using reopened = await EmbeddedStore.open(`${dir}/nested/store`, { gcIntervalMs: 0 });
    assertEquals(await allNames(reopened, JOB), ["late"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two stores over one directory (two gateways) share it: objects, tokens, uploads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using a = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
    await using b = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
    await putSmall(a, JOB, "from-a", enc.encode("written by a"));
    // Listed by the other at once, and its token (signed by a) is accepted by b.
    const listed = (await b.listObjects({ StorageJobId: JOB })).ObjectList;
    assertEquals(listed.map((o) => o.Name), ["from-a"]);
    assertEquals(
      new TextDecoder().decode((await readObject(b, JOB, listed[0].ObjectToken)).bytes),
      "written by a",
    );
    // An upload started on one continues and completes on the other.
    const data = enc.encode("half here, half there");
    const { UploadId } = await a.startObject({ BackupJobId: JOB, ObjectName: "moved" });
    await b.putChunk(chunkInput(JOB, UploadId, 0, data));
    const done = await a.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: summaryChecksum([sha256(data)]),
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    // A repeated completion on the other answers the same.
    const again = await b.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: summaryChecksum([sha256(data)]),
      ObjectChecksumAlgorithm: "SUMMARY",
    });
    assertEquals(again.ObjectChecksum, done.ObjectChecksum);
    assertEquals((await a.usage(JOB)).objects, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the token key lives in the metadata database and survives reopening; an old token-secret file is kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A data directory from before the key moved into the database.
    const legacy = new Uint8Array(32).map((_, i) => i * 7);
    await Deno.writeFile(`${dir}/token-secret`, legacy, { mode: 0o600 });
    let token: string;
    {
      await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
      await putSmall(store, JOB, "keep", enc.encode("kept"));
      token = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0].ObjectToken;
    }
    // Signed with the old key: tokens handed out before the upgrade stay valid.
    assert(new TokenSigner(legacy).verify(TokenKind.Object, JOB, token) !== undefined);
    await Deno.remove(`${dir}/token-secret`);
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
    assertEquals(new TextDecoder().decode((await readObject(store, JOB, token)).bytes), "kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stale temp files are removed at open; fresh ones (another process staging) stay", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await (await EmbeddedStore.open(dir, { gcIntervalMs: 0 })).close();
    await Deno.writeFile(`${dir}/tmp/leftover.part`, new Uint8Array(10));
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
    await Deno.utime(`${dir}/tmp/leftover.part`, twoHoursAgo, twoHoursAgo);
    // Another process sharing the directory may be staging this one right now.
    await Deno.writeFile(`${dir}/tmp/in-progress.part`, new Uint8Array(10));
    await using _store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
    assertEquals([...Deno.readDirSync(`${dir}/tmp`)].map((e) => e.name), ["in-progress.part"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
