import { inlineChunkMembers } from "../support/inline_chunk.ts";
import { ObjectWriter, type WriterResult } from "../../src/fs/object_writer.ts";
import { checksumToDigest, chunkChecksum, summaryChecksum } from "../../src/storage/checksum.ts";
import {
  IllegalArgumentException,
  ResourceNotFoundException,
  ThrottlingException,
} from "../../src/storage/errors.ts";
import { FaultyStorage } from "../support/faulty_storage.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import {
  expectedSummary,
  GatedStorage,
  JOB,
  listAll,
  listNamed,
  openTestStore,
  patternBytes,
  readCurrent,
  readVersion,
  settled,
} from "./support/write_fixtures.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { createStorageApp } from "../../src/server/mod.ts";
import { BackupStorageClient } from "../../src/storage/client/mod.ts";

const KiB = 1024;
const MiB = 1024 * 1024;

function writer(
  storage: BackupStorage,
  name: string,
  options: Partial<ConstructorParameters<typeof ObjectWriter>[1]> = {},
): ObjectWriter {
  return new ObjectWriter(storage, { jobId: JOB, objectName: name, path: `/${name}`, ...options });
}

/** Writes `data` in pieces of the given sizes, cycling, reusing (and scribbling over) one buffer. */
async function feed(w: ObjectWriter, data: Uint8Array, pieces: number[]): Promise<void> {
  const scratch = new Uint8Array(Math.max(...pieces));
  let offset = 0;
  for (let i = 0; offset < data.byteLength; i++) {
    const n = Math.min(pieces[i % pieces.length], data.byteLength - offset);
    const view = scratch.subarray(0, n);
    view.set(data.subarray(offset, offset + n));
    await w.write(view);
    view.fill(0xee); // the writer must have copied the bytes
    offset += n;
  }
}

Deno.test("ObjectWriter: sizes around the chunk size read back byte-exact with the right calls", async () => {
  await using t = await openTestStore();
  const chunkSize = KiB;
  const sizes = [0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize, 7 * chunkSize + 333];
  for (const [i, size] of sizes.entries()) {
    const storage = new FaultyStorage(t.store);
    const name = `sizes/file-${size}.bin`;
    const data = patternBytes(size, i + 1);
    const w = writer(storage, name, { chunkSize, inFlight: 3 });
    await feed(w, data, [1, 7, 333, 1000, 2049]);
    assertEquals(w.size, size);
    const result = await w.close();
    const summary = expectedSummary(data, chunkSize);
    const chunkCount = Math.ceil(size / chunkSize);
    assertEquals(result, { objectChecksum: summary, size, chunkCount }, `size ${size}`);

    const { object, bytes, chunks } = await readCurrent(t.store, name);
    assertEquals(bytes, data, `bytes of size ${size}`);
    assertEquals(object.ObjectChecksum, summary);
    assertEquals(chunks.length, chunkCount);
    for (const chunk of chunks) {
      const expectedLength = Math.min(chunkSize, size - chunk.Index * chunkSize);
      assertEquals(chunk.Length, expectedLength, `chunk ${chunk.Index} of size ${size}`);
    }
    if (size <= chunkSize) {
      assertEquals(storage.calls.PutObject, 1, `size ${size}: one PutObject`);
      assertEquals(storage.calls.StartObject, 0);
      assertEquals(storage.calls.PutChunk, 0);
      assertEquals(storage.calls.NotifyObjectComplete, 0);
    } else {
      assertEquals(storage.calls.PutObject, 0, `size ${size}: no PutObject`);
      assertEquals(storage.calls.StartObject, 1);
      assertEquals(storage.calls.PutChunk, chunkCount);
      assertEquals(storage.calls.NotifyObjectComplete, 1);
    }
  }
  assertEquals((await listAll(t.store)).length, sizes.length);
});

Deno.test("ObjectWriter: one large write and many one-byte writes give the same object", async () => {
  await using t = await openTestStore();
  const data = patternBytes(5 * KiB + 5, 42);
  const big = writer(t.store, "one-write", { chunkSize: KiB });
  await big.write(data);
  const a = await big.close();
  const small = writer(t.store, "byte-writes", { chunkSize: KiB, inFlight: 1 });
  for (let i = 0; i < data.byteLength; i++) await small.write(data.subarray(i, i + 1));
  const b = await small.close();
  assertEquals(a, b);
  assertEquals((await readCurrent(t.store, "byte-writes")).bytes, data);
});

Deno.test("ObjectWriter: writes issued without awaiting are applied in call order", async () => {
  await using t = await openTestStore();
  const data = patternBytes(10 * KiB + 3, 7);
  const w = writer(t.store, "unawaited", { chunkSize: KiB, inFlight: 2 });
  const writes: Promise<void>[] = [];
  for (let offset = 0; offset < data.byteLength; offset += 700) {
    writes.push(w.write(data.slice(offset, offset + 700)));
  }
  const closing = w.close();
  await Promise.all(writes);
  assertEquals((await closing).size, data.byteLength);
  assertEquals((await readCurrent(t.store, "unawaited")).bytes, data);
});

Deno.test("ObjectWriter: the metadata callback sees the final result; string and blob arrive", async () => {
  await using t = await openTestStore();
  const cases = [
    { name: "meta/large.bin", size: 3 * KiB + 10, blob: true },
    { name: "meta/large-no-blob.bin", size: 3 * KiB + 10, blob: false },
    { name: "meta/small-blob.bin", size: 100, blob: true },
    { name: "meta/empty-blob.bin", size: 0, blob: true },
    { name: "meta/small-string.bin", size: 100, blob: false },
  ];
  for (const [i, c] of cases.entries()) {
    const storage = new FaultyStorage(t.store);
    const data = patternBytes(c.size, 100 + i);
    const blob = patternBytes(5000, 200 + i);
    const w = writer(storage, c.name, { chunkSize: KiB });
    await w.write(data);
    let seen: WriterResult | undefined;
    const result = await w.close((r) => {
      seen = r;
      return {
        metadataString: `v1;size=${r.size};sum=${r.objectChecksum}`,
        metadataBlob: c.blob ? blob : undefined,
      };
    });
    assertEquals(seen, result);
    assertEquals(result.objectChecksum, expectedSummary(data, KiB));
    const { object, bytes } = await readCurrent(t.store, c.name);
    assertEquals(bytes, data);
    assertEquals(object.MetadataString, `v1;size=${c.size};sum=${result.objectChecksum}`);
    const meta = await t.store.getObjectMetadata({
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
    });
    const stored = new Uint8Array(await new Response(meta.MetadataBlob).arrayBuffer());
    if (c.blob) {
      assertEquals(stored, blob, c.name);
      assertEquals(meta.MetadataBlobLength, blob.byteLength);
      assertEquals(meta.MetadataBlobChecksum, chunkChecksum(blob));
      // PutObject carries no blob: a small file with a blob takes the upload path.
      assertEquals(storage.calls.PutObject, 0, c.name);
      assertEquals(storage.calls.StartObject, 1);
      assertEquals(storage.calls.PutChunk, result.chunkCount);
      assertEquals(storage.calls.NotifyObjectComplete, 1);
    } else {
      assertEquals(stored.byteLength, 0, c.name);
    }
  }
});

Deno.test("ObjectWriter: the old version stays readable and listed until close replaces it", async () => {
  await using t = await openTestStore();
  const name = "docs/report.bin";
  const v1 = patternBytes(3 * KiB + 1, 1);
  const first = writer(t.store, name, { chunkSize: KiB });
  await first.write(v1);
  await first.close();
  const [old] = await listNamed(t.store, name);

  const v2 = patternBytes(6 * KiB + 77, 2);
  const storage = new FaultyStorage(t.store);
  const second = writer(storage, name, { chunkSize: KiB, inFlight: 2 });
  await second.write(v2);
  // Chunks have gone up, yet readers still see exactly the old version.
  assert(storage.calls.PutChunk >= 4, `PutChunks sent before close: ${storage.calls.PutChunk}`);
  const during = await listNamed(t.store, name);
  assertEquals(during.map((o) => o.ObjectToken), [old.ObjectToken]);
  assertEquals((await readVersion(t.store, during[0])).bytes, v1);

  const result = await second.close();
  const after = await listNamed(t.store, name);
  assertEquals(after.length, 1);
  assertEquals(after[0].ObjectChecksum, result.objectChecksum);
  assertEquals((await readVersion(t.store, after[0])).bytes, v2);
  // A reader holding the old token keeps reading the old version (grace period).
  assertEquals((await readVersion(t.store, old)).bytes, v1);
});

Deno.test("ObjectWriter: abort leaves the old version and lists nothing new", async () => {
  await using t = await openTestStore();
  const v1 = patternBytes(2 * KiB, 3);
  const first = writer(t.store, "keep.bin", { chunkSize: KiB });
  await first.write(v1);
  await first.close();

  const storage = new FaultyStorage(t.store);
  // One chunk in flight: each write below waits for earlier chunks to be stored.
  const replacing = writer(storage, "keep.bin", { chunkSize: KiB, inFlight: 1 });
  const fresh = writer(storage, "never.bin", { chunkSize: KiB, inFlight: 1 });
  await replacing.write(patternBytes(5 * KiB, 4));
  await fresh.write(patternBytes(5 * KiB, 5));
  assertEquals(storage.calls.StartObject, 2);
  assert(storage.calls.PutChunk >= 6, `${storage.calls.PutChunk} PutChunks before abort`);
  await replacing.abort();
  await fresh.abort();
  await fresh.abort(); // idempotent

  const objects = await listAll(t.store);
  assertEquals(objects.map((o) => o.Name), ["keep.bin"]);
  assertEquals((await readCurrent(t.store, "keep.bin")).bytes, v1);
  assertEquals(storage.calls.NotifyObjectComplete, 0);
  assertEquals(storage.calls.PutObject, 0);
  await assertRejects(() => replacing.write(new Uint8Array(1)), Deno.errors.Interrupted);
  await assertRejects(() => replacing.close(), Deno.errors.Interrupted);

  // Abort before anything was sent: no storage call at all.
  const idle = writer(storage, "idle.bin", { chunkSize: KiB });
  await idle.write(new Uint8Array(100));
  storage.reset();
  await idle.abort();
  assertEquals(Object.values(storage.calls).reduce((a, b) => a + b, 0), 0);
});

Deno.test("ObjectWriter: a non-retryable failure mid-upload fails the writer and changes nothing", async () => {
  await using t = await openTestStore();
  const v1 = patternBytes(KiB + 5, 6);
  const first = writer(t.store, "victim.bin", { chunkSize: KiB });
  await first.write(v1);
  await first.close();

  const storage = new FaultyStorage(t.store);
  const w = writer(storage, "victim.bin", { chunkSize: KiB, inFlight: 2 });
  await w.write(patternBytes(3 * KiB, 7)); // chunks 0 and 1 go up
  storage.fail("PutChunk", () => new IllegalArgumentException("bad chunk"));
  const error = await assertRejects(
    async () => {
      for (let i = 0; i < 50; i++) await w.write(patternBytes(KiB, 8 + i));
      await w.close();
    },
    IllegalArgumentException,
    "bad chunk",
  );
  // Later calls reject with the same error; abort is still safe.
  assertEquals(await w.write(new Uint8Array(1)).catch((e) => e), error);
  assertEquals(await w.close().catch((e) => e), error);
  await w.abort();
  await w.abort();
  assertEquals(storage.calls.NotifyObjectComplete, 0);
  assertEquals((await listAll(t.store)).map((o) => o.Name), ["victim.bin"]);
  assertEquals((await readCurrent(t.store, "victim.bin")).bytes, v1);
});

Deno.test("ObjectWriter: failures of StartObject, NotifyObjectComplete and PutObject propagate", async () => {
  await using t = await openTestStore();
  const storage = new FaultyStorage(t.store);
  storage.fail("StartObject", () => new IllegalArgumentException("no start"));
  const a = writer(storage, "a.bin", { chunkSize: KiB });
  await assertRejects(async () => {
    await a.write(patternBytes(4 * KiB));
    await a.close();
  }, IllegalArgumentException);

  storage.fail("NotifyObjectComplete", () => new ResourceNotFoundException("upload expired"));
  const b = writer(storage, "b.bin", { chunkSize: KiB });
  await b.write(patternBytes(4 * KiB));
  await assertRejects(() => b.close(), ResourceNotFoundException, "upload expired");

  storage.fail("PutObject", () => new IllegalArgumentException("no put"));
  const c = writer(storage, "c.bin", { chunkSize: KiB });
  await c.write(patternBytes(10));
  await assertRejects(() => c.close(), IllegalArgumentException, "no put");
  assertEquals(await listAll(t.store), []);
});

Deno.test("ObjectWriter: retryable PutChunk faults are retried and the upload completes", async () => {
  await using t = await openTestStore();
  const storage = new FaultyStorage(t.store);
  const data = patternBytes(8 * KiB + 9, 9);
  const w = writer(storage, "throttled.bin", { chunkSize: KiB, retryDelayMs: 1 });
  storage.fail("PutChunk", () => new ThrottlingException(), 3);
  await w.write(data);
  const result = await w.close();
  assertEquals(storage.calls.PutChunk, 9 + 3);
  assertEquals(w.stats.retries, 3);
  assertEquals(result.objectChecksum, expectedSummary(data, KiB));
  assertEquals((await readCurrent(t.store, "throttled.bin")).bytes, data);

  // Retryable faults on the other steps are retried too.
  storage.reset();
  storage.fail("StartObject", () => new ThrottlingException(), 1);
  storage.fail("NotifyObjectComplete", () => new ThrottlingException(), 1);
  storage.fail("PutObject", () => new ThrottlingException(), 2);
  const big = writer(storage, "throttled-2.bin", { chunkSize: KiB, retryDelayMs: 1 });
  await big.write(data);
  await big.close();
  const small = writer(storage, "throttled-3.bin", { chunkSize: KiB, retryDelayMs: 1 });
  await small.write(data.subarray(0, 10));
  await small.close();
  assertEquals(storage.calls.PutObject, 3);
  assertEquals((await readCurrent(t.store, "throttled-2.bin")).bytes, data);
  assertEquals((await readCurrent(t.store, "throttled-3.bin")).bytes, data.subarray(0, 10));
});

Deno.test("ObjectWriter: retries run out and the writer fails with the last error", async () => {
  await using t = await openTestStore();
  const storage = new FaultyStorage(t.store);
  storage.fail("PutChunk", () => new ThrottlingException("still throttled"), 100);
  const w = writer(storage, "gives-up.bin", { chunkSize: KiB, retries: 2, retryDelayMs: 1 });
  await assertRejects(async () => {
    await w.write(patternBytes(3 * KiB));
    await w.close();
  }, ThrottlingException);
  assert(storage.calls.PutChunk >= 3 && storage.calls.PutChunk <= 3 * 3);
  assertEquals(await listAll(t.store), []);
});

Deno.test("ObjectWriter: write() waits while the pipeline is full (back-pressure)", async () => {
  await using t = await openTestStore();
  const gated = new GatedStorage(t.store);
  gated.close();
  const w = writer(gated, "pressure.bin", { chunkSize: KiB, inFlight: 2 });
  const piece = patternBytes(KiB, 10);
  // Buffer 0 fills; chunk 0 goes out when byte 1024 arrives, and so on.
  await w.write(piece); // fills buffer 0
  await w.write(piece); // chunk 0 in flight, fills buffer 1
  await w.write(piece); // chunk 1 in flight, fills buffer 2
  // The chunks go out once StartObject has answered (a few turns of the event loop).
  for (let turn = 0; turn < 200 && gated.inFlight < 2; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assertEquals(gated.inFlight, 2);
  const blocked = w.write(piece); // chunk 2 must wait for a free slot
  assertEquals(await settled(blocked), false, "write() resolved while 2 PutChunks were held");
  assertEquals(gated.inFlight, 2);
  gated.open();
  await blocked;
  const result = await w.close();
  assertEquals(result.chunkCount, 4);
  assertEquals(gated.peakInFlight, 2);
  assert(gated.buffers.size <= 3, `${gated.buffers.size} chunk buffers`);
});

Deno.test("ObjectWriter: abort wakes a write() blocked on a full pipeline", async () => {
  await using t = await openTestStore();
  const gated = new GatedStorage(t.store); // ignores abort signals: held calls finish later
  gated.close();
  const w = writer(gated, "blocked.bin", { chunkSize: KiB, inFlight: 1 });
  await w.write(patternBytes(2 * KiB)); // chunk 0 held in flight, buffer 1 full
  const blocked = w.write(new Uint8Array(1));
  assertEquals(await settled(blocked), false);
  const aborting = w.abort();
  await assertRejects(() => blocked, Deno.errors.Interrupted, "/blocked.bin");
  gated.open();
  await aborting;
  assertEquals(await listAll(t.store), []);
});

Deno.test("ObjectWriter: 64 MiB through 1 MiB chunks, 2 in flight: bounded buffers and concurrency", async () => {
  await using t = await openTestStore();
  const gated = new GatedStorage(t.store, { delayMs: 2 });
  const chunkSize = MiB;
  const inFlight = 2;
  const w = writer(gated, "big/64mib.bin", { chunkSize, inFlight });
  const total = 64 * MiB;
  const block = patternBytes(3 * MiB + 12345, 11);
  const digests: string[] = [];
  // Feed odd-sized pieces drawn from a repeating block, reusing one scratch buffer.
  const scratch = new Uint8Array(777_777);
  const expected = new Uint8Array(total);
  for (let offset = 0, i = 0; offset < total; i++) {
    const n = Math.min(scratch.byteLength - (i % 3) * 1000, total - offset);
    for (let j = 0; j < n; j++) scratch[j] = block[(offset + j) % block.byteLength];
    expected.set(scratch.subarray(0, n), offset);
    await w.write(scratch.subarray(0, n));
    scratch.fill(0);
    offset += n;
    assert(gated.inFlight <= inFlight, `${gated.inFlight} PutChunks in flight`);
  }
  const result = await w.close();
  digests.push(result.objectChecksum);
  assertEquals(result, {
    objectChecksum: expectedSummary(expected, chunkSize),
    size: total,
    chunkCount: 64,
  });
  assertEquals(gated.putChunks, 64);
  assert(gated.peakInFlight <= inFlight, `peak ${gated.peakInFlight} PutChunks in flight`);
  assertEquals(gated.peakInFlight, inFlight, "the pipeline was used");
  // Chunk buffers alive: the distinct buffers PutChunk saw, and the writer's own count.
  assert(gated.buffers.size <= inFlight + 1, `${gated.buffers.size} distinct chunk buffers`);
  assert(w.stats.buffers <= inFlight + 1, `${w.stats.buffers} buffers allocated`);
  const { bytes } = await readCurrent(t.store, "big/64mib.bin");
  assertEquals(bytes.byteLength, total);
  assert(bytes.every((b, i) => b === expected[i]), "64 MiB read back byte-exact");
});

Deno.test("ObjectWriter: throwOnDuplicate refuses an existing name with AlreadyExists", async () => {
  await using t = await openTestStore();
  const seed = writer(t.store, "taken.bin", { chunkSize: KiB });
  await seed.write(patternBytes(10));
  await seed.close();
  for (const size of [10, 5 * KiB]) {
    const w = writer(t.store, "taken.bin", { chunkSize: KiB, throwOnDuplicate: true });
    await assertRejects(
      async () => {
        await w.write(patternBytes(size, 2));
        await w.close();
      },
      Deno.errors.AlreadyExists,
      "/taken.bin",
    );
  }
  assertEquals((await readCurrent(t.store, "taken.bin")).bytes, patternBytes(10));
  const fresh = writer(t.store, "free.bin", { chunkSize: KiB, throwOnDuplicate: true });
  await fresh.write(patternBytes(5 * KiB));
  await fresh.close();
  assertEquals((await readCurrent(t.store, "free.bin")).bytes, patternBytes(5 * KiB));
});

Deno.test("ObjectWriter: an aborted signal fails the writer and nothing becomes visible", async () => {
  await using t = await openTestStore();
  const controller = new AbortController();
  const w = writer(t.store, "signal.bin", { chunkSize: KiB, signal: controller.signal });
  await w.write(patternBytes(3 * KiB));
  controller.abort(new Error("caller gave up"));
  await assertRejects(() => w.write(new Uint8Array(1)), Error, "caller gave up");
  await assertRejects(() => w.close(), Error, "caller gave up");
  await w.abort();
  assertEquals(await listAll(t.store), []);

  const already = AbortSignal.abort(new Error("too late"));
  const x = writer(t.store, "x.bin", { signal: already });
  await assertRejects(() => x.write(new Uint8Array(1)), Error, "too late");
});

Deno.test("ObjectWriter: close twice returns the same result; use after close is BadResource", async () => {
  await using t = await openTestStore();
  const w = writer(t.store, "twice.bin", { chunkSize: KiB });
  await w.write(patternBytes(2 * KiB + 1));
  const a = await w.close();
  const b = await w.close();
  assertEquals(a, b);
  await w.abort(); // a no-op after a successful close
  assertEquals((await readCurrent(t.store, "twice.bin")).object.ObjectChecksum, a.objectChecksum);
  await assertRejects(() => w.write(new Uint8Array(1)), Deno.errors.BadResource, "/twice.bin");
});

Deno.test("ObjectWriter: options and arguments are checked", async () => {
  await using t = await openTestStore();
  for (const chunkSize of [0, -1, 1.5, 64 * MiB + 1, NaN]) {
    assertThrows(() => writer(t.store, "x", { chunkSize }), RangeError, "chunkSize");
  }
  assertThrows(() => writer(t.store, "x", { inFlight: 0 }), RangeError, "inFlight");
  writer(t.store, "x", { chunkSize: 1 });
  writer(t.store, "x", { chunkSize: 64 * MiB });
  const w = writer(t.store, "x");
  await assertRejects(
    () => w.write("text" as unknown as Uint8Array),
    TypeError,
    "Uint8Array",
  );
  await w.abort();
});

Deno.test("ObjectWriter: a one-byte chunk size stores one chunk per byte", async () => {
  await using t = await openTestStore();
  const data = patternBytes(37, 12);
  const w = writer(t.store, "tiny-chunks", { chunkSize: 1, inFlight: 3 });
  await feed(w, data, [5, 1, 9]);
  const result = await w.close();
  assertEquals(result.chunkCount, 37);
  assertEquals(result.objectChecksum, expectedSummary(data, 1));
  const { bytes, chunks } = await readCurrent(t.store, "tiny-chunks");
  assertEquals(bytes, data);
  assertEquals(chunks.length, 37);
});

Deno.test("ObjectWriter: a zero-byte object has no chunks and the empty SUMMARY", async () => {
  await using t = await openTestStore();
  const w = writer(t.store, "empty");
  await w.write(new Uint8Array());
  const result = await w.close(() => ({ metadataString: "v1;size=0" }));
  assertEquals(result, { objectChecksum: summaryChecksum([]), size: 0, chunkCount: 0 });
  const { object, chunks } = await readCurrent(t.store, "empty");
  assertEquals(chunks, []);
  assertEquals(object.ObjectChecksum, summaryChecksum([]));
  assertEquals(object.MetadataString, "v1;size=0");
  assertInstanceOf(result, Object);
});

Deno.test("ObjectWriter: over the HTTP client and service, uploads, blobs and abort behave alike", async () => {
  await using t = await openTestStore();
  const app = createStorageApp(t.store, {
    credentials: new Map([["WRITERKEY", { secretAccessKey: "writer-secret" }]]),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const client = new BackupStorageClient({
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "WRITERKEY", secretAccessKey: "writer-secret" },
  });
  try {
    const data = patternBytes(20 * KiB + 3, 13);
    const blob = patternBytes(3000, 14);
    const big = writer(client, "http/big.bin", { chunkSize: 4 * KiB, inFlight: 3 });
    await feed(big, data, [1000, 4096, 5]);
    const result = await big.close((r) => ({ metadataString: `n=${r.size}`, metadataBlob: blob }));
    assertEquals(result.objectChecksum, expectedSummary(data, 4 * KiB));
    const small = writer(client, "http/small.bin", { chunkSize: 4 * KiB });
    await small.write(data.subarray(0, 4 * KiB));
    await small.close();

    const { object, bytes } = await readCurrent(client, "http/big.bin");
    assertEquals(bytes, data);
    assertEquals(object.MetadataString, `n=${data.byteLength}`);
    const meta = await client.getObjectMetadata({
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
    });
    assertEquals(new Uint8Array(await new Response(meta.MetadataBlob).arrayBuffer()), blob);
    assertEquals((await readCurrent(client, "http/small.bin")).bytes, data.subarray(0, 4 * KiB));

    const abandoned = writer(client, "http/big.bin", { chunkSize: 4 * KiB, inFlight: 1 });
    await abandoned.write(patternBytes(30 * KiB, 15));
    await abandoned.abort();
    assertEquals((await readCurrent(client, "http/big.bin")).bytes, data);
    assertEquals((await listAll(client)).map((o) => o.Name), ["http/big.bin", "http/small.bin"]);
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("ObjectWriter: over the HTTP client, retryable failures follow the client's retry policy alone", async () => {
  await using t = await openTestStore();
  const faulty = new FaultyStorage(t.store);
  const app = createStorageApp(faulty, {
    credentials: new Map([["WRITERKEY", { secretAccessKey: "writer-secret" }]]),
    onError: () => {},
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const client = new BackupStorageClient({
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "WRITERKEY", secretAccessKey: "writer-secret" },
    maxAttempts: 2,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
  });
  try {
    // The client gives up after its 2 attempts; the writer's own retries do not stack on them.
    faulty.fail("PutChunk", () => new ThrottlingException("still throttled"), 100);
    const w = writer(client, "http/throttled.bin", {
      chunkSize: KiB,
      inFlight: 1,
      retryDelayMs: 1,
    });
    await assertRejects(async () => {
      await w.write(patternBytes(3 * KiB));
      await w.close();
    }, ThrottlingException);
    assertEquals(faulty.calls.PutChunk, 2);
    assertEquals(w.stats.retries, 0);

    // A fault the client absorbs never reaches the writer.
    faulty.reset();
    faulty.fail("PutObject", () => new ThrottlingException(), 1);
    const small = writer(client, "http/small.bin", { chunkSize: KiB, retryDelayMs: 1 });
    await small.write(patternBytes(10));
    await small.close();
    assertEquals(faulty.calls.PutObject, 2);
    assertEquals(small.stats.retries, 0);
    assertEquals((await listAll(client)).map((o) => o.Name), ["http/small.bin"]);
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("ObjectWriter: a store in this process hashes each chunk itself (putChunkHashed), never PutChunk", async () => {
  await using t = await openTestStore();
  const store = t.store;
  const { counting, calls } = countingCalls(store, ["putChunk", "putChunkHashed"]);
  const data = patternBytes(5 * 1024 * 1024 + 77, 42);
  const w = writer(counting, "local.bin", { chunkSize: MiB });
  await feed(w, data, [300 * KiB, 1 * MiB, 7]);
  const result = await w.close();
  assertEquals(calls, { putChunk: 0, putChunkHashed: 6 });
  const stored = await readCurrent(store, "local.bin");
  assertEquals(stored.bytes, data);
  assertEquals(result.objectChecksum, expectedSummary(data, MiB));
  assertEquals(stored.object.ObjectChecksum, result.objectChecksum);
});

Deno.test("EmbeddedStore.putChunkHashed returns the checksum of what it stored and checks like PutChunk", async () => {
  await using t = await openTestStore();
  const store = t.store;
  const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "hashed" });
  const chunks = [patternBytes(300_000, 1), patternBytes(10, 2)];
  for (const [index, data] of chunks.entries()) {
    const out = await store.putChunkHashed({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: index,
      Data: data,
      Length: data.byteLength,
    });
    assertEquals(out.ChunkChecksum, chunkChecksum(data));
  }
  // A length that does not match the bytes stores nothing.
  await assertRejects(
    () =>
      store.putChunkHashed({
        BackupJobId: JOB,
        UploadId,
        ChunkIndex: 2,
        Data: new Uint8Array(5),
        Length: 6,
      }),
    Error,
    "5 bytes but Length says 6",
  );
  await assertRejects(
    () =>
      store.putChunkHashed({
        BackupJobId: JOB,
        UploadId: "no-such-upload",
        ChunkIndex: 0,
        Data: new Uint8Array(1),
        Length: 1,
      }),
    Error,
  );
  await store.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: summaryChecksum(chunks.map((c) => sha256Digest(c))),
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  const stored = await readCurrent(store, "hashed");
  assertEquals(stored.chunks.length, 2);
  assertEquals(stored.bytes, new Uint8Array([...chunks[0], ...chunks[1]]));
});

/**
 * The store itself, with calls of the `names` methods counted: every other
 * property passes through, so capabilities such as `putChunkHashed` stay visible.
 */
function countingCalls<T extends object, const N extends string>(
  store: T,
  names: readonly N[],
): { counting: T; calls: Record<N, number> } {
  const calls = Object.fromEntries(names.map((name) => [name, 0])) as Record<N, number>;
  const counting = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if ((names as readonly PropertyKey[]).includes(property)) {
        return (...args: unknown[]) => {
          calls[property as N]++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { counting, calls };
}

function sha256Digest(data: Uint8Array): Uint8Array {
  return checksumToDigest(chunkChecksum(data))!;
}

Deno.test("EmbeddedStore.putObjectHashed stores what PutObject stores, with the checksums it computed itself, and refuses what PutObject would", async () => {
  await using t = await openTestStore();
  const store = t.store;
  // Inline (≤ 64 KiB), a chunk file (above), and an empty object.
  const cases = [patternBytes(5 * KiB + 3, 1), patternBytes(70_000, 2), new Uint8Array()];
  for (const [i, data] of cases.entries()) {
    const digests = data.byteLength > 0 ? [sha256Digest(data)] : [];
    const out = await store.putObjectHashed({
      BackupJobId: JOB,
      ObjectName: `hashed/${i}`,
      MetadataString: `m${i}`,
      ...(data.byteLength > 0 ? { InlineChunk: data, InlineChunkLength: data.byteLength } : {}),
    });
    assertEquals(out.ObjectChecksum, summaryChecksum(digests));
    assertEquals(out.InlineChunkChecksum, chunkChecksum(data));
    // The same bytes through PutObject, checksums sent: the same object.
    await store.putObject({
      BackupJobId: JOB,
      ObjectName: `sent/${i}`,
      MetadataString: `m${i}`,
      ...inlineChunkMembers(data),
      ObjectChecksum: summaryChecksum(digests),
    });
    const hashed = await readCurrent(store, `hashed/${i}`);
    const sent = await readCurrent(store, `sent/${i}`);
    assertEquals(hashed.bytes, data);
    assertEquals(hashed.bytes, sent.bytes);
    assertEquals(hashed.object.ObjectChecksum, sent.object.ObjectChecksum);
    assertEquals(hashed.object.MetadataString, `m${i}`);
    assertEquals(hashed.chunks.map((c) => c.Checksum), sent.chunks.map((c) => c.Checksum));
  }
  // Checksums are the store's to compute: one sent anyway (plain JavaScript) is refused.
  for (const member of ["InlineChunkChecksum", "ObjectChecksum", "ObjectChecksumAlgorithm"]) {
    await assertRejects(
      () =>
        store.putObjectHashed({
          BackupJobId: JOB,
          ObjectName: "refused",
          InlineChunk: new Uint8Array(3),
          InlineChunkLength: 3,
          [member]: member === "ObjectChecksumAlgorithm"
            ? "SUMMARY"
            : chunkChecksum(new Uint8Array(3)),
        } as never),
      IllegalArgumentException,
      `${member} is not taken by putObjectHashed`,
    );
  }
  await assertRejects(
    () =>
      store.putObjectHashed({
        BackupJobId: JOB,
        ObjectName: "refused",
        InlineChunk: new Blob([new Uint8Array(3)]).stream(),
        InlineChunkLength: 3,
      } as never),
    IllegalArgumentException,
    "InlineChunk must be bytes",
  );
  await assertRejects(
    () =>
      store.putObjectHashed({
        BackupJobId: JOB,
        ObjectName: "refused",
        InlineChunk: new Uint8Array(5),
        InlineChunkLength: 6,
      }),
    Error,
    "5 bytes but InlineChunkLength says 6",
  );
  assertEquals(await listNamed(store, "refused"), []);
  // ThrowOnDuplicate as PutObject: an existing object stays as it was.
  await assertRejects(() =>
    store.putObjectHashed({
      BackupJobId: JOB,
      ObjectName: "hashed/0",
      InlineChunk: new Uint8Array(1),
      InlineChunkLength: 1,
      ThrowOnDuplicate: true,
    }), Error);
  assertEquals((await readCurrent(store, "hashed/0")).bytes, cases[0]);
});

Deno.test("ObjectWriter: a one-chunk object with its metadata given as a value goes up by putObjectHashed (hashed once, by the store); a metadata function still gets the checksum through PutObject", async () => {
  await using t = await openTestStore();
  const store = t.store;
  const { counting, calls } = countingCalls(store, ["putObject", "putObjectHashed"]);
  const data = patternBytes(5 * KiB + 1, 9);
  const byValue = writer(counting, "value.bin", { chunkSize: 8 * KiB });
  await feed(byValue, data, [1000, 3 * KiB]);
  const result = await byValue.close({ metadataString: "by-value" });
  assertEquals(calls, { putObject: 0, putObjectHashed: 1 });
  assertEquals(result, {
    objectChecksum: expectedSummary(data, 8 * KiB),
    size: data.byteLength,
    chunkCount: 1,
  });
  const stored = await readCurrent(store, "value.bin");
  assertEquals(stored.bytes, data);
  assertEquals(stored.object.ObjectChecksum, result.objectChecksum);
  assertEquals(stored.object.MetadataString, "by-value");

  const empty = writer(counting, "empty.bin");
  assertEquals((await empty.close({ metadataString: "e" })).objectChecksum, summaryChecksum([]));
  assertEquals(calls, { putObject: 0, putObjectHashed: 2 });

  const byFunction = writer(counting, "function.bin", { chunkSize: 8 * KiB });
  await byFunction.write(data);
  await byFunction.close((r) => ({ metadataString: `${r.size};${r.objectChecksum}` }));
  assertEquals(calls, { putObject: 1, putObjectHashed: 2 });
  assertEquals(
    (await readCurrent(store, "function.bin")).object.MetadataString,
    `${data.byteLength};${result.objectChecksum}`,
  );

  // beforeCommit still runs right before the commit, and its throw stores nothing.
  const refused = writer(counting, "refused.bin");
  await refused.write(data);
  await assertRejects(
    () =>
      refused.close({ metadataString: "x" }, {
        beforeCommit: () => Promise.reject(new Error("precondition failed")),
      }),
    Error,
    "precondition failed",
  );
  assertEquals(calls, { putObject: 1, putObjectHashed: 2 });
  assertEquals(await listNamed(store, "refused.bin"), []);
});
