/**
 * One conformance suite over the `ChunkStore` seam, run against every
 * implementation: the local chunk files always, an S3-compatible bucket on Ceph
 * RGW when the test engines provide one (on CI always: the test fails without
 * Ceph). Then what the S3 store does on its own: its uploads carry the digest as
 * the payload hash the service checks, and the length check of its streamed
 * reads. Then the race the seam's pins protect: an ingest of content a slow
 * delete is removing waits for that delete.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { sha256 } from "../../../src/storage/checksum.ts";
import { toHex } from "../../../src/storage/store/chunk_files.ts";
import type { ChunkStore, StagedChunk } from "../../../src/storage/store/chunks/chunk_store.ts";
import { LocalChunkStore } from "../../../src/storage/store/chunks/local_chunk_store.ts";
import { S3ChunkStore } from "../../../src/storage/store/chunks/s3_chunk_store.ts";
import { lengthCheckedStream } from "../../../src/storage/store/chunks/_length_checked_stream.ts";
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "../../../deps/aws_s3.ts";
import { findBinary } from "../../support/engines/_process.ts";
import { startCephRgw } from "../../support/engines/ceph_rgw.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { ServiceUnavailableException } from "../../../src/storage/errors.ts";
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

/** Steps that hold for one implementation only, run after the shared ones. */
type OwnSteps = (t: Deno.TestContext, chunks: ChunkStore) => Promise<void>;

/** `promise`, or a rejection naming `what` once `ms` passed (a hang fails, bounded). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function putBytes(chunks: ChunkStore, bytes: Uint8Array): Promise<Uint8Array> {
  const digest = sha256(bytes);
  const staged = await chunks.stage();
  await writeAll(staged, bytes);
  await chunks.put(digest, staged);
  return digest;
}

function writeAll(staged: StagedChunk, bytes: Uint8Array): Promise<void> {
  return staged.write(bytes);
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

function conformance(
  name: string,
  open: () => Promise<Subject>,
  options?: { ignore?: boolean; ownSteps?: OwnSteps },
): void {
  Deno.test({ name: `ChunkStore conformance: ${name}`, ignore: options?.ignore }, async (t) => {
    const subject = await open();
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
        // A chunk that arrives in pieces: at most the bytes there were, then the error.
        const large = seededBytes(`${name}-short-large`, 3 << 20);
        const largeDigest = await putBytes(chunks, large);
        const received: Uint8Array[] = [];
        const reading = (await chunks.get(largeDigest, large.length + 1))!.pipeTo(
          new WritableStream({ write: (piece) => void received.push(piece.slice()) }),
        );
        await assertRejects(reading, Error, new RegExp(`after ${large.length} of `));
        const before = Buffer.concat(received);
        assertEquals(before.equals(large.subarray(0, before.length)), true, "stored bytes first");
      });

      await t.step("a stream of fewer bytes than stored gives the first ones", async () => {
        const bytes = seededBytes(`${name}-prefix`, 1 << 20);
        const digest = await putBytes(chunks, bytes);
        assertEquals(await readAll((await chunks.get(digest, 1000))!), bytes.subarray(0, 1000));
        assertEquals(await readAll((await chunks.get(digest, 0))!), new Uint8Array());
        // What was left unread holds nothing back: the whole chunk still reads.
        assertEquals(await readAll((await chunks.get(digest, bytes.length))!), bytes);
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

      await options?.ownSteps?.(t, chunks);

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

      await t.step(
        "cancelling streams midway releases them: 60 in a row, then a read",
        async () => {
          const bytes = seededBytes(`${name}-cancelled`, 2 << 20);
          const digest = await putBytes(chunks, bytes);
          // More than the 50 connections the S3 SDK pools: a stream cancelled without
          // closing its connection would leave the next request waiting for ever (the
          // last step: the subject's dispose frees a pool a failure here exhausted).
          for (let i = 0; i < 60; i++) {
            const stream = await within(chunks.get(digest, bytes.length), 30_000, `get ${i}`);
            const reader = stream!.getReader();
            const first = await within(reader.read(), 30_000, `first bytes of get ${i}`);
            assert(!first.done && first.value.byteLength > 0, "the stream gave bytes first");
            await reader.cancel();
          }
          const whole = within(
            chunks.get(digest, bytes.length).then((stream) => readAll(stream!)),
            30_000,
            "the get after 60 cancelled ones",
          );
          assertEquals(Buffer.from(await whole).equals(bytes), true);
        },
      );
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
/** The S3 case is ignored without them, except on CI, where startCephRgw() fails naming them. */
const IGNORE_RGW = !HAS_RGW && Deno.env.get("CI") !== "true";
if (IGNORE_RGW) console.warn("S3ChunkStore conformance ignored: install radosgw ceph-mon ceph-osd");

/** The Ceph RGW of the S3 case, for its own steps to reach the bucket beside the store. */
let rgwClient: S3Client | undefined;

conformance("S3ChunkStore on Ceph RGW", async () => {
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
    rgwClient = s3;
    await s3.send(new CreateBucketCommand({ Bucket: "chunks" }));
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
        rgwClient = undefined;
        s3.destroy();
        await chunks.close();
        await rgw.stop();
      },
    };
  } catch (error) {
    rgwClient?.destroy();
    rgwClient = undefined;
    await rgw.stop();
    throw error;
  }
}, { ignore: IGNORE_RGW, ownSteps: s3Steps });

/** What the S3 store does beyond the seam: its uploads name their payload's hash. */
async function s3Steps(t: Deno.TestContext, chunks: ChunkStore): Promise<void> {
  const store = chunks as S3ChunkStore;
  const s3 = rgwClient!;

  await t.step("a put sends the digest as the payload hash, which RGW checks", async () => {
    const bytes = seededBytes("s3-payload-hash", 300_000);
    const digest = await putBytes(chunks, bytes); // accepted: the hash is the body's
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: "chunks", Key: store.key(digest) }),
    );
    assertEquals(Buffer.from(await stored.Body!.transformToByteArray()).equals(bytes), true);
    // A digest that is not the body's: had the SDK hashed the body to sign it, RGW
    // would store the bytes under the wrong key; the digest it was given is refused.
    const other = seededBytes("s3-payload-hash-other", 300_000);
    const wrong = sha256(seededBytes("s3-payload-hash-not-this", 10));
    const staged = await chunks.stage();
    await writeAll(staged, other);
    const refused = await assertRejects(chunks.put(wrong, staged), S3ServiceException);
    assertEquals(refused.$metadata.httpStatusCode, 400);
    assert(/SHA256Mismatch/i.test(refused.name), `refused as a hash mismatch: ${refused.name}`);
    assertEquals(await chunks.get(wrong, other.length), undefined);
    // The same body under its own digest goes in: the refusal was of the hash alone.
    assertEquals(
      await readAll((await chunks.get(await putBytes(chunks, other), other.length))!),
      other,
    );
  });

  await t.step("an object shorter than the chunk's length errors its stream", async () => {
    // A damaged bucket: the object under a digest lost its tail.
    const bytes = seededBytes("s3-truncated", 1 << 20);
    const digest = sha256(bytes);
    await s3.send(
      new PutObjectCommand({
        Bucket: "chunks",
        Key: store.key(digest),
        Body: bytes.subarray(0, 700_000),
      }),
    );
    await assertRejects(
      readAll((await chunks.get(digest, bytes.length))!),
      Error,
      new RegExp(`ended after 700000 of ${bytes.length} bytes`),
    );
    assertEquals(await chunks.delete(digest), 700_000);
  });
}

/** A store over `endpoint` with made-up keys (for services that check none). */
function s3StoreAt(endpoint: string): S3ChunkStore {
  return new S3ChunkStore("chunks", {
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test-secret" },
  });
}

Deno.test("S3ChunkStore: a service that is not there is ServiceUnavailableException", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close(); // nothing answers there now
  const chunks = s3StoreAt(`http://127.0.0.1:${port}`);
  try {
    const digest = sha256(seededBytes("unreachable", 10));
    await assertRejects(chunks.get(digest, 10), ServiceUnavailableException, /unreachable/);
    await assertRejects(chunks.delete(digest), ServiceUnavailableException, /unreachable/);
  } finally {
    await chunks.close();
  }
});

Deno.test("S3ChunkStore: uploads name the digest as their hash, over one kept-alive connection", async () => {
  // What arrives at the service: headers, which connection, and the body's length.
  const seen: Array<{ expect: string | null; hash: string | null; port: number; bytes: number }> =
    [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request, info) => {
      const bytes = (await request.arrayBuffer()).byteLength;
      seen.push({
        expect: request.headers.get("expect"),
        hash: request.headers.get("x-amz-content-sha256"),
        port: info.remoteAddr.port,
        bytes,
      });
      return new Response(null, { status: 200, headers: { etag: '"0"' } });
    },
  );
  const chunks = s3StoreAt(`http://127.0.0.1:${server.addr.port}`);
  try {
    // Above 2 MiB, where the SDK would otherwise ask `Expect: 100-continue` on a
    // connection of its own for each.
    const bodies = [1, 2, 3].map((i) => seededBytes(`kept-alive-${i}`, 3 << 20));
    for (const bytes of bodies) await putBytes(chunks, bytes);
    assertEquals(
      seen.map((s) => [s.expect, s.hash, s.bytes]),
      bodies.map((b) => [null, toHex(sha256(b)), b.length]),
    );
    assertEquals(new Set(seen.map((s) => s.port)).size, 1, "one connection for the three");
  } finally {
    await chunks.close();
    await server.shutdown();
  }
});

Deno.test("S3ChunkStore: a connection lost in the middle of a body errors the stream, retryably", async () => {
  // A service that promises 4 MiB and sends 1 MiB, then closes the connection.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const connection of listener) {
      try {
        await connection.read(new Uint8Array(64 * 1024)); // the request (headers only)
        const head = `HTTP/1.1 200 OK\r\nContent-Length: ${4 << 20}\r\n\r\n`;
        const bytes = new Uint8Array([
          ...new TextEncoder().encode(head),
          ...new Uint8Array(1 << 20),
        ]);
        for (let offset = 0; offset < bytes.length;) {
          offset += await connection.write(bytes.subarray(offset));
        }
      } catch {
        // the client went away first
      } finally {
        connection.close();
      }
    }
  })();
  const chunks = s3StoreAt(`http://127.0.0.1:${listener.addr.port}`);
  try {
    const stream = await chunks.get(sha256(seededBytes("cut", 10)), 4 << 20);
    let received = 0;
    const reading = stream!.pipeTo(
      new WritableStream({ write: (piece) => void (received += piece.byteLength) }),
    );
    await assertRejects(reading, ServiceUnavailableException, /unreachable: GetObject/);
    assert(received <= 1 << 20, `no more than was sent (${received})`);
  } finally {
    await chunks.close();
    listener.close();
    await serving;
  }
});

Deno.test("the S3 store's length check: cut at the length, a failing source, a cancel", async () => {
  const pieces = () => [1, 4, 7].map((n) => new Uint8Array([n, n + 1, n + 2]));
  /** A source that records how it ended; fails after its pieces when asked to. */
  const sourceOf = (fail?: Error) => {
    const log: string[] = [];
    const queue = pieces();
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        const piece = queue.shift();
        if (piece) controller.enqueue(piece);
        else if (fail) controller.error(fail);
        else controller.close();
      },
      cancel: () => void log.push("cancelled"),
    });
    return { source, log };
  };
  const aborts: string[] = [];
  const abort = (what: string) => () => void aborts.push(what);

  // Exactly the length: the source is read to its end, never cancelled nor aborted.
  const whole = sourceOf();
  const exact = lengthCheckedStream(whole.source, 9, { abort: abort("exact") });
  assertEquals(await readAll(exact), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  assertEquals(whole.log, []);

  // Fewer than the source holds: cut, the rest left unread, the source cancelled.
  const longer = sourceOf();
  const cut = lengthCheckedStream(longer.source, 4, { abort: abort("cut") });
  assertEquals(await readAll(cut), new Uint8Array([1, 2, 3, 4]));
  assertEquals(longer.log, ["cancelled"]);

  // A source failing: its error, mapped, after the bytes it gave.
  const failing = sourceOf(new Error("connection reset"));
  const mapped = lengthCheckedStream(failing.source, 12, {
    mapError: (error) => new Error(`mapped: ${(error as Error).message}`),
    abort: abort("failed"),
  });
  await assertRejects(readAll(mapped), Error, /^mapped: connection reset$/);

  // Cancelled by its reader: the source is cancelled, and aborted once.
  const cancelled = sourceOf();
  const reader = lengthCheckedStream(cancelled.source, 9, { abort: abort("cancelled") })
    .getReader();
  assertEquals((await reader.read()).value, new Uint8Array([1, 2, 3]));
  await reader.cancel();
  await reader.cancel();
  assertEquals(cancelled.log, ["cancelled"]);

  assertEquals(aborts, ["cut", "failed", "cancelled"]);
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
