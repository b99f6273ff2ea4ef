// A 512 MiB object through client and service with bounded memory: 64 chunks of
// 8 MiB, each PutChunk body a ReadableStream generated on the fly (xorshift PRNG,
// 64 KiB pieces), 3 PutChunks in flight; then every chunk is streamed back with
// GetChunk and hashed as it arrives. The process RSS (client, server and store
// all live here) is sampled throughout; its growth must stay bounded.

import { ChunkHasher, encodeBase64, summaryChecksum } from "../../src/storage/checksum.ts";
import { paginateListChunks } from "../../src/storage/paginate.ts";
import type { Chunk } from "../../src/storage/types.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { makeClient, startService } from "./support/service_fixtures.ts";

const MiB = 1024 * 1024;
const CHUNK_BYTES = 8 * MiB;
const CHUNK_COUNT = 64; // 512 MiB: buffering it whole would break the RSS bound twice over
const PIECE_BYTES = 64 * 1024;
const PIECES_PER_CHUNK = CHUNK_BYTES / PIECE_BYTES;
const IN_FLIGHT = 3;
/** Peak RSS growth allowed over the baseline: generous, yet far below the object's size. */
const RSS_GROWTH_LIMIT = 256 * MiB;
const JOB = "job-large";

/** Deterministic pseudo-random content of one chunk, piece by piece (xorshift32). */
function* chunkPieces(index: number): Generator<Uint8Array> {
  let x = (0x9e3779b9 ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0 || 1;
  for (let p = 0; p < PIECES_PER_CHUNK; p++) {
    const words = new Uint32Array(PIECE_BYTES / 4);
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
    yield new Uint8Array(words.buffer);
  }
}

/** The chunk as a stream, generated only as fast as it is read. */
function chunkStream(index: number): ReadableStream<Uint8Array> {
  const pieces = chunkPieces(index);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  }, { highWaterMark: 0 });
}

/** Samples the RSS every few milliseconds until stopped (bounded). */
function rssSampler(): { stop(): Promise<number>; sample(): void } {
  let peak = Deno.memoryUsage().rss;
  let stopped = false;
  const sample = () => {
    const rss = Deno.memoryUsage().rss;
    if (rss > peak) peak = rss;
  };
  const loop = (async () => {
    for (let i = 0; i < 60_000 && !stopped; i++) {
      sample();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    sample,
    async stop() {
      stopped = true;
      await loop;
      sample();
      return peak;
    },
  };
}

/** Runs `work(i)` for i in 0..count-1 with at most `limit` at once. */
async function pool(count: number, limit: number, work: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    for (let guard = 0; guard < count && next < count; guard++) await work(next++);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

Deno.test("large stream: 512 MiB up as streamed 8 MiB chunks and back, with bounded memory", async () => {
  await using service = await startService({
    store: { durable: true, maxChunkLength: CHUNK_BYTES },
    app: { maxChunkLength: CHUNK_BYTES },
  });
  await using client = makeClient(service.url, { maxAttempts: 1 });

  // Checksums first, from a pass over the generator (nothing held but the digests).
  const digests: Uint8Array[] = [];
  for (let i = 0; i < CHUNK_COUNT; i++) {
    const hasher = new ChunkHasher();
    for (const piece of chunkPieces(i)) hasher.update(piece);
    assertEquals(hasher.length, CHUNK_BYTES);
    digests.push(hasher.digest());
  }
  const summary = summaryChecksum(digests);
  // Different seeds give different chunks.
  assertEquals(new Set(digests.map(encodeBase64)).size, CHUNK_COUNT);

  const baseline = Deno.memoryUsage().rss;
  const sampler = rssSampler();
  const started = performance.now();

  const { UploadId } = await client.startObject({ BackupJobId: JOB, ObjectName: "big/object.bin" });
  await pool(CHUNK_COUNT, IN_FLIGHT, async (i) => {
    const out = await client.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: i,
      Data: chunkStream(i),
      Length: CHUNK_BYTES,
      Checksum: encodeBase64(digests[i]),
      ChecksumAlgorithm: "SHA256",
    });
    assertEquals(out.ChunkChecksum, encodeBase64(digests[i]));
    sampler.sample();
  });
  const done = await client.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: summary,
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  assertEquals(done.ObjectChecksum, summary);
  const uploaded = performance.now();

  const [object] = (await client.listObjects({ StorageJobId: JOB })).ObjectList;
  assertEquals([object.Name, object.ChunksCount, object.ObjectChecksum], [
    "big/object.bin",
    CHUNK_COUNT,
    summary,
  ]);
  const chunks: Chunk[] = [];
  for await (
    const page of paginateListChunks(client, {
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
      MaxResults: 16,
    }, { maxPages: 10 })
  ) chunks.push(...page.ChunkList);
  assertEquals(chunks.map((c) => c.Index), Array.from({ length: CHUNK_COUNT }, (_, i) => i));

  // Read everything back as streams, hashing as the bytes arrive.
  const readDigests: Uint8Array[] = new Array(CHUNK_COUNT);
  let bytesRead = 0;
  await pool(CHUNK_COUNT, IN_FLIGHT, async (i) => {
    const chunk = chunks[i];
    assertEquals(chunk.Length, CHUNK_BYTES);
    assertEquals(chunk.Checksum, encodeBase64(digests[i]));
    const got = await client.getChunk({ StorageJobId: JOB, ChunkToken: chunk.ChunkToken });
    assertEquals(got.Length, CHUNK_BYTES);
    assertEquals(got.Checksum, encodeBase64(digests[i]));
    const hasher = new ChunkHasher();
    const reader = got.Data.getReader();
    try {
      for (let reads = 0; reads < CHUNK_BYTES + 1; reads++) {
        const { done, value } = await reader.read();
        if (done) break;
        hasher.update(value);
      }
    } finally {
      reader.releaseLock();
    }
    assertEquals(hasher.length, CHUNK_BYTES, `chunk ${i} length`);
    readDigests[i] = hasher.digest();
    assertEquals(encodeBase64(readDigests[i]), encodeBase64(digests[i]), `chunk ${i} SHA-256`);
    bytesRead += hasher.length;
    sampler.sample();
  });
  assertEquals(bytesRead, CHUNK_BYTES * CHUNK_COUNT);
  assertEquals(summaryChecksum(readDigests), summary);
  const downloaded = performance.now();

  const peak = await sampler.stop();
  const growth = peak - baseline;
  console.log(
    `${(CHUNK_BYTES * CHUNK_COUNT) / MiB} MiB: up ${
      ((uploaded - started) / 1000).toFixed(1)
    } s, down ${((downloaded - uploaded) / 1000).toFixed(1)} s; RSS baseline ${
      (baseline / MiB).toFixed(0)
    } MiB, peak ${(peak / MiB).toFixed(0)} MiB (+${(growth / MiB).toFixed(0)} MiB)`,
  );
  assert(
    growth < RSS_GROWTH_LIMIT,
    `RSS grew by ${(growth / MiB).toFixed(0)} MiB (limit ${RSS_GROWTH_LIMIT / MiB} MiB)`,
  );
});
