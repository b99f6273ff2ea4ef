import { ChunkCache } from "../../src/fs/chunk_cache.ts";
import { ObjectReader, type ObjectReaderOptions } from "../../src/fs/object_reader.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { chunkChecksum } from "../../src/storage/checksum.ts";
import { ThrottlingException } from "../../src/storage/errors.ts";
import type { BackupObject } from "../../src/storage/types.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import {
  chunksOf,
  concat,
  JOB,
  openTestStore,
  patterned,
  variedLengths,
  wrapStorage,
  writeChunked,
} from "./support/read_fixtures.ts";
import { corruptChunk, FaultyStorage } from "../support/faulty_storage.ts";
import { makeClient, startService } from "../integration/support/service_fixtures.ts";

type ReaderOptions = Partial<ObjectReaderOptions>;

function openReader(
  storage: BackupStorage,
  object: BackupObject,
  options: ReaderOptions = {},
): ObjectReader & AsyncDisposable {
  const reader = new ObjectReader(storage, {
    jobId: JOB,
    objectToken: object.ObjectToken,
    path: `/${object.Name}`,
    cache: new ChunkCache(),
    ...options,
  });
  return Object.assign(reader, {
    async [Symbol.asyncDispose]() {
      reader.close();
      await reader.settled();
    },
  });
}

async function readRange(reader: ObjectReader, position: number, length: number) {
  const buffer = new Uint8Array(length);
  const n = await reader.readAt(position, buffer);
  return n === null ? null : buffer.subarray(0, n);
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const piece of stream) pieces.push(piece);
  return concat(pieces);
}

function boundaries(lengths: number[]): number[] {
  const out = [0];
  for (const length of lengths) out.push(out[out.length - 1] + length);
  return out;
}

Deno.test("ObjectReader: byte-exact reads at chunk boundaries and many offsets, over varied chunk sizes", async () => {
  await using t = await openTestStore();
  const lengths = [1, 2, 3, 1000, 1, 4096, 17, 2500, 1, 1, 777, 3000, 5];
  const chunks = chunksOf(lengths);
  const data = concat(chunks);
  const object = await writeChunked(t.store, "varied.bin", chunks);
  for (const prefetch of [0, 4]) {
    await using reader = openReader(t.faulty, object, { prefetch, cache: new ChunkCache() });
    const offsets = new Set<number>();
    for (const b of boundaries(lengths)) for (const d of [-2, -1, 0, 1, 2]) offsets.add(b + d);
    for (let k = 0; k < 40; k++) offsets.add((k * 7919) % data.length);
    let checked = 0;
    for (const offset of [...offsets].filter((o) => o >= 0 && o < data.length)) {
      for (const length of [1, 2, 3, 999, 1001, 5000, 20000]) {
        const got = await readRange(reader, offset, length);
        const end = Math.min(offset + length, data.length);
        assertEquals(got, data.subarray(offset, end), `offset ${offset} length ${length}`);
        checked++;
      }
    }
    assert(checked > 300);
    // At and past the end: null. A read running over the end is short.
    assertEquals(await readRange(reader, data.length, 10), null);
    assertEquals(await readRange(reader, data.length + 100, 10), null);
    assertEquals(await readRange(reader, data.length - 3, 10), data.subarray(data.length - 3));
    assertEquals(await reader.readAt(5, new Uint8Array(0)), 0);
    assertEquals(await reader.size(), data.length);
  }
});

Deno.test("ObjectReader: a zero-length object reads as end of file at once", async () => {
  await using t = await openTestStore();
  const object = await writeChunked(t.store, "empty", []);
  await using reader = openReader(t.faulty, object);
  assertEquals(await reader.readAt(0, new Uint8Array(10)), null);
  assertEquals(await collect(reader.stream()), new Uint8Array());
  assertEquals(await reader.size(), 0);
  assertEquals(t.faulty.calls.GetChunk, 0);
});

Deno.test("ObjectReader: a random read fetches exactly the chunks its range touches", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(30, 100, 400);
  const chunks = chunksOf(lengths);
  const data = concat(chunks);
  const at = boundaries(lengths);
  const object = await writeChunked(t.store, "range.bin", chunks);
  await using reader = openReader(t.faulty, object);
  // From the middle of chunk 5 to the middle of chunk 7: chunks 5, 6, 7.
  const from = at[5] + 10;
  const to = at[7] + 10;
  assertEquals(await readRange(reader, from, to - from), data.subarray(from, to));
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 3);
  // Chunks 6..8 again: only chunk 8 is new; 6 and 7 come from the cache.
  assertEquals(await readRange(reader, at[6], at[9] - at[6]), data.subarray(at[6], at[9]));
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 4);
  // A range ending exactly at a chunk's end does not touch the next chunk.
  assertEquals(await readRange(reader, at[20], lengths[20]), chunks[20]);
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 5);
});

Deno.test("ObjectReader: a read at offset 0 of a 300-chunk object loads only the first ListChunks page", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(300, 20, 80);
  const chunks = chunksOf(lengths);
  const object = await writeChunked(t.store, "big.bin", chunks);
  await using reader = openReader(t.faulty, object);
  assertEquals(await readRange(reader, 0, 10), chunks[0].subarray(0, 10));
  await reader.settled();
  assertEquals(t.faulty.calls.ListChunks, 1);
  assert(reader.chunkMap.loadedCount <= 100);
  // The end of the object needs the rest of the list.
  const data = concat(chunks);
  assertEquals(await readRange(reader, data.length - 5, 10), data.subarray(data.length - 5));
  assertEquals(t.faulty.calls.ListChunks, 3);
});

Deno.test("ObjectReader: sequential reads prefetch the next chunks; each chunk is fetched once", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(20, 500, 900);
  const chunks = chunksOf(lengths);
  const data = concat(chunks);
  const at = boundaries(lengths);
  const object = await writeChunked(t.store, "seq.bin", chunks);
  const cache = new ChunkCache();
  await using reader = openReader(t.faulty, object, { prefetch: 4, cache });
  assertEquals(await readRange(reader, 0, lengths[0]), chunks[0]);
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 5); // chunk 0, then 1–4 ahead
  for (let i = 1; i <= 4; i++) assert(cache.peek(chunkChecksum(chunks[i])) !== undefined);
  assertEquals(cache.peek(chunkChecksum(chunks[5])), undefined);
  // The next sequential read is served by the prefetch and moves the window on by one.
  assertEquals(await readRange(reader, at[1], lengths[1]), chunks[1]);
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 6);
  // Reading on in small pieces to the end fetches every chunk exactly once.
  let position = at[2];
  for (let round = 0; round < 1000 && position < data.length; round++) {
    const piece = await readRange(reader, position, 333);
    assert(piece !== null);
    assertEquals(piece, data.subarray(position, position + piece.length));
    position += piece.length;
  }
  assertEquals(position, data.length);
  assertEquals(await readRange(reader, position, 333), null);
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 20);
});

Deno.test("ObjectReader: random reads do not prefetch", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(20, 500, 900);
  const chunks = chunksOf(lengths);
  const at = boundaries(lengths);
  const object = await writeChunked(t.store, "random.bin", chunks);
  await using reader = openReader(t.faulty, object, { prefetch: 4 });
  assertEquals(await readRange(reader, at[10] + 5, 20), chunks[10].subarray(5, 25));
  assertEquals(await readRange(reader, at[3], 20), chunks[3].subarray(0, 20));
  assertEquals(await readRange(reader, at[15] + 1, 20), chunks[15].subarray(1, 21));
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 3);
});

Deno.test("ObjectReader: prefetch never holds more than the cache can keep", async () => {
  await using t = await openTestStore();
  const lengths = Array.from({ length: 12 }, () => 1000);
  const chunks = chunksOf(lengths, 3);
  const object = await writeChunked(t.store, "fixed.bin", chunks);
  const cache = new ChunkCache({ maxBytes: 3000 });
  await using reader = openReader(t.faulty, object, { prefetch: 8, cache });
  assertEquals(await readRange(reader, 0, 1000), chunks[0]);
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 3); // chunk 0 and only 2 ahead: 3 × 1000 bytes fit
  assert(cache.bytes <= cache.maxBytes);
  for (const i of [0, 1, 2]) assert(cache.peek(chunkChecksum(chunks[i])) !== undefined);
});

Deno.test("ObjectReader: GetChunks in flight per reader are bounded", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf(Array.from({ length: 16 }, () => 300), 5);
  const object = await writeChunked(t.store, "bounded.bin", chunks);
  let inFlight = 0;
  let most = 0;
  const counting = wrapStorage(t.store, {
    getChunk: async (input, options) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        const output = await t.store.getChunk(input, options);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return output;
      } finally {
        inFlight--;
      }
    },
  });
  await using reader = openReader(counting, object, { prefetch: 2 });
  // One read over all 16 chunks plus prefetch: never more than prefetch + 1 at once.
  assertEquals(await readRange(reader, 0, 16 * 300), concat(chunks));
  await reader.settled();
  assert(most >= 2, `some parallelism expected, saw ${most}`);
  assert(most <= 3, `at most 3 GetChunks in flight, saw ${most}`);
});

Deno.test("ObjectReader: two readers sharing a cache share concurrent loads and content-addressed chunks", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf([400, 500, 600], 11);
  const a = await writeChunked(t.store, "a.bin", chunks);
  const b = await writeChunked(t.store, "b.bin", [chunks[1], patterned(50, 99)]);
  const cache = new ChunkCache();
  await using one = openReader(t.faulty, a, { cache, prefetch: 0 });
  await using two = openReader(t.faulty, a, { cache, prefetch: 0 });
  const [x, y] = await Promise.all([readRange(one, 400, 100), readRange(two, 450, 50)]);
  assertEquals(x, chunks[1].subarray(0, 100));
  assertEquals(y, chunks[1].subarray(50, 100));
  assertEquals(t.faulty.calls.GetChunk, 1);
  // Another object holding the same bytes reads them from the cache.
  await using other = openReader(t.faulty, b, { cache, prefetch: 0 });
  assertEquals(await readRange(other, 0, 500), chunks[1]);
  assertEquals(t.faulty.calls.GetChunk, 1);
  assert(cache.hits >= 2);
});

Deno.test("ObjectReader: a chunk corrupted once is fetched again and read correctly", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf([1000, 2000, 1500], 21);
  const object = await writeChunked(t.store, "flaky.bin", chunks);
  await using reader = openReader(t.faulty, object);
  t.faulty.corrupt(1);
  assertEquals(await readRange(reader, 1000 + 7, 100), chunks[1].subarray(7, 107));
  assertEquals(t.faulty.calls.GetChunk, 2);
  assertEquals(t.faulty.pending("GetChunk"), 0);
});

Deno.test("ObjectReader: a chunk that stays corrupt is InvalidData naming path and chunk, and no byte of it is returned", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf([1000, 2000, 1500], 22);
  const object = await writeChunked(t.store, "dir/broken.bin", chunks);
  const cache = new ChunkCache();
  await using reader = openReader(t.faulty, object, { cache });
  t.faulty.corrupt(100);
  const buffer = new Uint8Array(500).fill(0xaa);
  const error = await assertRejects(
    () => reader.readAt(1000 + 100, buffer),
    Deno.errors.InvalidData,
  );
  assertMatch(error.message, /\/dir\/broken\.bin/);
  assertMatch(error.message, /chunk 1\b/);
  assert(buffer.every((byte) => byte === 0xaa), "no byte may reach the buffer");
  assertEquals(t.faulty.calls.GetChunk, 2);
  assertEquals(cache.bytes, 0);
  // The stream refuses the same way.
  await assertRejects(() => collect(reader.stream({ start: 1000 })), Deno.errors.InvalidData);
  // Once the storage stops corrupting, the same reader reads the right bytes.
  t.faulty.reset();
  assertEquals(await readRange(reader, 1000 + 100, 500), chunks[1].subarray(100, 600));
});

Deno.test("ObjectReader: bytes that disagree with the chunk list's checksum or length are never returned", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf([300, 300], 23);
  const object = await writeChunked(t.store, "lying.bin", chunks);
  for (
    const change of [
      { Checksum: chunkChecksum(patterned(300, 1)) },
      { Length: 299, Checksum: chunkChecksum(chunks[0].subarray(0, 299)) },
    ]
  ) {
    let gets = 0;
    const lying = wrapStorage(t.store, {
      listChunks: async (input, options) => {
        const page = await t.store.listChunks(input, options);
        return {
          ...page,
          ChunkList: page.ChunkList.map((c) => c.Index === 0 ? { ...c, ...change } : c),
        };
      },
      getChunk: (input, options) => {
        gets++;
        return t.store.getChunk(input, options);
      },
    });
    await using reader = openReader(lying, object, { prefetch: 0 });
    const buffer = new Uint8Array(10);
    await assertRejects(() => reader.readAt(0, buffer), Deno.errors.InvalidData, "chunk 0");
    assertEquals(buffer, new Uint8Array(10));
    assertEquals(gets, 2);
  }
});

Deno.test("ObjectReader: throttling propagates as an error, never as wrong data", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf([800, 800, 800], 31);
  const object = await writeChunked(t.store, "busy.bin", chunks);
  await using reader = openReader(t.faulty, object);
  t.faulty.fail("GetChunk", () => new ThrottlingException("Rate exceeded"));
  const buffer = new Uint8Array(100).fill(7);
  await assertRejects(() => reader.readAt(850, buffer), ThrottlingException);
  assert(buffer.every((byte) => byte === 7));
  t.faulty.fail("ListChunks", () => new ThrottlingException("Rate exceeded"));
  await using fresh = openReader(t.faulty, object);
  await assertRejects(() => fresh.readAt(0, buffer), ThrottlingException);
  // Both readers recover on the next call.
  assertEquals(await readRange(reader, 850, 100), chunks[1].subarray(50, 150));
  assertEquals(await readRange(fresh, 0, 100), chunks[0].subarray(0, 100));
});

Deno.test("ObjectReader: a failed prefetch does not break the read that later needs the chunk", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(10, 300, 600);
  const chunks = chunksOf(lengths, 41);
  const at = boundaries(lengths);
  const object = await writeChunked(t.store, "prefetch.bin", chunks);
  const cache = new ChunkCache();
  await using warm = openReader(t.faulty, object, { cache, prefetch: 0 });
  assertEquals(await readRange(warm, 0, lengths[0]), chunks[0]);
  // Chunk 0 is cached: the next four GetChunks are the prefetches of chunks 1–4, and all fail.
  t.faulty.reset();
  t.faulty.fail("GetChunk", () => new ThrottlingException("Rate exceeded"), 4);
  await using reader = openReader(t.faulty, object, { cache, prefetch: 4 });
  assertEquals(await readRange(reader, 0, lengths[0]), chunks[0]);
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 4);
  assertEquals(t.faulty.pending("GetChunk"), 0);
  assertEquals(cache.peek(chunkChecksum(chunks[1])), undefined);
  assertEquals(await readRange(reader, at[1], lengths[1]), chunks[1]);
  assertEquals(await readRange(reader, at[2], lengths[2] + lengths[3]), concat(chunks.slice(2, 4)));
});

Deno.test("ObjectReader: a read joining a prefetch that fails fetches the chunk itself", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf([500, 500, 500, 500], 42);
  const object = await writeChunked(t.store, "join.bin", chunks);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const slow = wrapStorage(t.store, {
    getChunk: async (input, options) => {
      calls++;
      if (calls === 2) { // the prefetch of chunk 1: held, then failed
        await gate;
        throw new ThrottlingException("Rate exceeded");
      }
      return await t.store.getChunk(input, options);
    },
  });
  await using reader = openReader(slow, object, { prefetch: 1 });
  assertEquals(await readRange(reader, 0, 500), chunks[0]);
  const next = readRange(reader, 500, 500); // joins the held prefetch of chunk 1
  await new Promise((resolve) => setTimeout(resolve, 10));
  release();
  assertEquals(await next, chunks[1]);
  assertEquals(calls >= 3, true);
});

Deno.test("ObjectReader: a version deleted past its grace period is NotFound naming the path", async () => {
  let clock = Date.now();
  await using t = await openTestStore({ gracePeriodMs: 60_000, now: () => clock });
  const chunks = chunksOf([700, 700, 700], 51);
  const object = await writeChunked(t.store, "docs/gone.txt", chunks);
  await using reader = openReader(t.faulty, object, { prefetch: 0 });
  assertEquals(await readRange(reader, 0, 700), chunks[0]);
  await t.store.deleteObject({ BackupJobId: JOB, ObjectName: "docs/gone.txt" });
  clock += 30_000; // within the grace period the held version still reads
  assertEquals(await readRange(reader, 700, 700), chunks[1]);
  clock += 60_000;
  assertEquals(await readRange(reader, 0, 700), chunks[0]); // cached, verified bytes
  const error = await assertRejects(
    () => reader.readAt(1400, new Uint8Array(10)),
    Deno.errors.NotFound,
  );
  assertMatch(error.message, /\/docs\/gone\.txt/);
  await using fresh = openReader(t.faulty, object);
  await assertRejects(
    () => fresh.readAt(0, new Uint8Array(10)),
    Deno.errors.NotFound,
    "/docs/gone.txt",
  );
});

Deno.test("ObjectReader: stream() yields the exact bytes of any range, lazily", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(40, 200, 900);
  const chunks = chunksOf(lengths, 61);
  const data = concat(chunks);
  const object = await writeChunked(t.store, "stream.bin", chunks);
  await using reader = openReader(t.faulty, object, { prefetch: 2 });
  assertEquals(await collect(reader.stream()), data);
  for (
    const [start, end] of [[0, 1], [5, 5], [199, 1201], [data.length - 1, data.length], [
      100,
      data.length + 50,
    ], [data.length, data.length + 5]]
  ) {
    assertEquals(
      await collect(reader.stream({ start, end })),
      data.subarray(start, end),
      `${start}-${end}`,
    );
  }
  // Lazy: reading the first piece fetches the first chunk and the prefetch window, no more.
  await using lazy = openReader(t.faulty, object, { prefetch: 2, cache: new ChunkCache() });
  t.faulty.reset();
  const stream = lazy.stream();
  const streamReader = stream.getReader();
  const first = await streamReader.read();
  assertEquals(first.value, chunks[0]);
  await lazy.settled();
  assertEquals(t.faulty.calls.GetChunk, 3);
  await streamReader.cancel();
  assertThrows(() => reader.stream({ start: -1 }), RangeError);
});

Deno.test("ObjectReader: stream() of a short range emits copied pieces of at most 1 MiB through the cache", async () => {
  await using t = await openTestStore();
  const big = patterned(2.5 * 1024 * 1024, 71);
  const object = await writeChunked(t.store, "big-chunk.bin", [big, patterned(10, 72)]);
  const cache = new ChunkCache({ maxBytes: 64 * 1024 * 1024 });
  const size = big.length + 10;
  await using reader = openReader(t.faulty, object, { cache, size });
  const sizes: number[] = [];
  const pieces: Uint8Array[] = [];
  for await (const piece of reader.stream()) {
    sizes.push(piece.length);
    pieces.push(piece);
  }
  assertEquals(concat(pieces), concat([big, patterned(10, 72)]));
  assert(sizes.every((size) => size <= 1024 * 1024));
  // Kept by the cache, and the pieces are copies: changing them changes nothing kept.
  assertEquals(cache.size, 2);
  pieces[0].fill(0);
  assertEquals(await collect(reader.stream({ start: 0, end: 10 })), big.subarray(0, 10));
  assertEquals(t.faulty.calls.GetChunk, 2);
});

Deno.test("ObjectReader: stream() of a long range (a scan) emits each chunk whole, once, and keeps nothing in the cache", async () => {
  await using t = await openTestStore();
  const big = patterned(2.5 * 1024 * 1024, 71);
  const object = await writeChunked(t.store, "big-chunk.bin", [big, patterned(10, 72)]);
  // The cache cannot keep the big chunk; the scan holds it while it emits it: fetched once.
  const cache = new ChunkCache({ maxBytes: 1024 });
  await using reader = openReader(t.faulty, object, { cache });
  const pieces: Uint8Array[] = [];
  for await (const piece of reader.stream()) pieces.push(piece);
  assertEquals(pieces.map((piece) => piece.length), [big.length, 10]);
  assertEquals(concat(pieces), concat([big, patterned(10, 72)]));
  assertEquals(t.faulty.calls.GetChunk, 2);
  assertEquals(cache.size, 0);
  // A range inside one chunk is that part of it.
  const part = await collect(reader.stream({ start: 1000, end: big.length + 5 }));
  assertEquals(part, concat([big, patterned(10, 72)]).subarray(1000, big.length + 5));
});

Deno.test("ObjectReader: a scan evicts none of the cache's other entries and serves chunks the cache holds, copied", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf(variedLengths(24, 900, 1100), 91);
  const data = concat(chunks);
  const object = await writeChunked(t.store, "scan.bin", chunks);
  const other = await writeChunked(t.store, "other.bin", chunksOf([700, 800], 92));
  // 16 KiB cache: the 24 KiB object is a scan (longer than 1/8 of the cache), 1,500 bytes not.
  const cache = new ChunkCache({ maxBytes: 16 * 1024 });
  await using otherReader = openReader(t.faulty, other, { cache, size: 1500 });
  await collect(otherReader.stream()); // 1,500 bytes: through the cache
  assertEquals(cache.size, 2);
  await using warm = openReader(t.faulty, object, { cache, prefetch: 0 });
  await warm.readAt(chunks[0].length, new Uint8Array(10)); // chunk 1 into the cache
  assertEquals(cache.size, 3);
  const keptBefore = cache.bytes;
  t.faulty.reset();
  await using reader = openReader(t.faulty, object, { cache, prefetch: 3, size: data.length });
  const pieces: Uint8Array[] = [];
  for await (const piece of reader.stream()) pieces.push(piece);
  assertEquals(concat(pieces), data);
  assertEquals(cache.size, 3);
  assertEquals(cache.bytes, keptBefore);
  assertEquals(t.faulty.calls.GetChunk, 23); // chunk 1 came from the cache
  pieces[1].fill(0); // the copy of the cached chunk is the consumer's own
  assertEquals(await readRange(warm, chunks[0].length, 10), chunks[1].subarray(0, 10));
  await reader.settled();
});

Deno.test("ObjectReader: a scan keeps at most prefetch + 1 chunks in flight and stops at the range", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf(new Array(12).fill(1000), 93);
  const data = concat(chunks);
  const object = await writeChunked(t.store, "window.bin", chunks);
  await using reader = openReader(t.faulty, object, {
    cache: new ChunkCache({ maxBytes: 4000 }),
    prefetch: 2,
    size: data.length,
  });
  t.faulty.reset();
  const stream = reader.stream({ start: 1500, end: 5500 });
  const pieces: Uint8Array[] = [];
  const streamReader = stream.getReader();
  const first = await streamReader.read();
  pieces.push(first.value!);
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 3); // chunk 1 and the next two
  // Bounded by the five chunks the range touches.
  for (let i = 0; i < 10; i++) {
    const { done, value } = await streamReader.read();
    if (done) break;
    pieces.push(value);
  }
  assertEquals(concat(pieces), data.subarray(1500, 5500));
  await reader.settled();
  assertEquals(t.faulty.calls.GetChunk, 5);
});

Deno.test("ObjectReader: a scan with little or no prefetch reads to the end, and catches an object shorter than its size", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf([1000, 0, 1000, 1000, 500], 95);
  const data = concat(chunks);
  const object = await writeChunked(t.store, "tight.bin", chunks);
  // An 8,000-byte cache: the 3,500-byte object is a scan (longer than 1/8 of it).
  const tight: ReaderOptions[] = [
    { prefetch: 0, cache: new ChunkCache({ maxBytes: 8000 }) },
    { prefetch: 1, cache: new ChunkCache({ maxBytes: 8000 }) },
    { prefetch: 4, cache: new ChunkCache({ maxBytes: 8000 }) },
    { cache: new ChunkCache({ maxBytes: 0 }) },
  ];
  for (const options of tight) {
    await using reader = openReader(t.faulty, object, { ...options, size: data.length });
    assertEquals(await collect(reader.stream()), data);
    assertEquals(await collect(reader.stream({ start: 999, end: 2001 })), data.subarray(999, 2001));
  }
  await using longer = openReader(t.faulty, object, {
    cache: new ChunkCache({ maxBytes: 0 }),
    size: data.length + 10,
  });
  const pieces: Uint8Array[] = [];
  const error = await assertRejects(async () => {
    for await (const piece of longer.stream()) pieces.push(piece);
  }, Deno.errors.InvalidData);
  assertMatch(error.message, /tight\.bin: the object's chunks end before its recorded size/);
  assert(concat(pieces).length <= data.length);
});

Deno.test("ObjectReader: a scan stops before the bytes of a chunk that stays corrupt", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf(new Array(6).fill(1000), 94);
  const object = await writeChunked(t.store, "corrupt-scan.bin", chunks);
  await using probe = openReader(t.store, object);
  const bad = (await probe.chunkMap.chunk(3))!.token;
  let badFetches = 0;
  const storage = wrapStorage(t.store, {
    getChunk: async (input, options) => {
      const output = await t.store.getChunk(input, options);
      if (input.ChunkToken !== bad) return output;
      badFetches++;
      return corruptChunk(output);
    },
  });
  await using reader = openReader(storage, object, {
    cache: new ChunkCache({ maxBytes: 0 }),
    size: 6000,
  });
  const pieces: Uint8Array[] = [];
  const error = await assertRejects(async () => {
    for await (const piece of reader.stream()) pieces.push(piece);
  }, Deno.errors.InvalidData);
  assertMatch(error.message, /\/corrupt-scan\.bin: chunk 3/);
  assertEquals(concat(pieces), concat(chunks.slice(0, 3)));
  assertEquals(badFetches, 2); // fetched again once before giving up
});

Deno.test("ObjectReader: a known size answers end of file without storage calls and catches a short object", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf([100, 100], 81);
  const object = await writeChunked(t.store, "sized.bin", chunks);
  await using sized = openReader(t.faulty, object, { size: 200 });
  assertEquals(await sized.readAt(200, new Uint8Array(5)), null);
  assertEquals(await sized.size(), 200);
  assertEquals(t.faulty.calls.ListChunks, 0);
  assertEquals(await readRange(sized, 150, 100), concat(chunks).subarray(150));
  await using wrong = openReader(t.faulty, object, { size: 300 });
  await assertRejects(
    () => wrong.readAt(150, new Uint8Array(100)),
    Deno.errors.InvalidData,
    "/sized.bin",
  );
  await assertRejects(() => wrong.readAt(250, new Uint8Array(10)), Deno.errors.InvalidData);
});

Deno.test("ObjectReader: after close(), reads are BadResource and settled() resolves", async () => {
  await using t = await openTestStore();
  const chunks = chunksOf(Array.from({ length: 8 }, () => 400), 91);
  const object = await writeChunked(t.store, "closing.bin", chunks);
  const reader = openReader(t.faulty, object);
  assertEquals(await readRange(reader, 0, 400), chunks[0]); // starts prefetches
  reader.close();
  await reader.settled();
  await assertRejects(() => reader.readAt(0, new Uint8Array(4)), Deno.errors.BadResource);
  const error = await assertRejects(() => collect(reader.stream()), Deno.errors.BadResource);
  assertInstanceOf(error, Error);
  assertThrows(
    () =>
      new ObjectReader(t.faulty, {
        jobId: JOB,
        objectToken: "x",
        path: "/x",
        cache: new ChunkCache(),
        prefetch: -1,
      }),
    RangeError,
  );
});

Deno.test("ObjectReader over HTTP: exact sequential, random and streamed reads; corrupt bytes refetched; close mid-prefetch", async () => {
  let faulty!: FaultyStorage;
  await using service = await startService({
    wrap: (store) => (faulty = new FaultyStorage(store)),
  });
  await using client = makeClient(service.url);
  const lengths = variedLengths(24, 20_000, 70_000);
  const chunks = chunksOf(lengths, 101);
  const data = concat(chunks);
  const object = await writeChunked(client, "over/http.bin", chunks);
  const cache = new ChunkCache();
  await using reader = openReader(client, object, { cache, prefetch: 3, pageSize: 10 });
  let position = 0;
  for (let round = 0; round < 1000 && position < data.length; round++) {
    const piece = await readRange(reader, position, 50_000);
    assert(piece !== null);
    assertEquals(piece, data.subarray(position, position + piece.length));
    position += piece.length;
  }
  assertEquals(position, data.length);
  await reader.settled();
  assertEquals(faulty.calls.GetChunk, 24);
  // Corrupted on the way out of the service: refetched, right bytes.
  await using cold = openReader(client, object, { cache: new ChunkCache(), prefetch: 0 });
  faulty.reset();
  faulty.corrupt(1);
  const at = boundaries(lengths);
  assertEquals(await readRange(cold, at[7] + 3, 1000), chunks[7].subarray(3, 1003));
  assertEquals(faulty.calls.GetChunk, 2);
  assertEquals(
    await collect(cold.stream({ start: 12_345, end: 400_000 })),
    data.subarray(12_345, 400_000),
  );
  // Closing while prefetches are in flight over real fetches ends cleanly.
  const closing = openReader(client, object, { cache: new ChunkCache(), prefetch: 4 });
  assertEquals(await readRange(closing, 0, 100), chunks[0].subarray(0, 100));
  closing.close();
  await closing.settled();
  await assertRejects(() => closing.readAt(0, new Uint8Array(1)), Deno.errors.BadResource);
});

Deno.test("ObjectReader: with shared, pieces of chunks up to 1 MiB are views of the cache's verified bytes; pieces of bigger chunks, and unshared pieces, are copies", async () => {
  await using t = await openTestStore();
  const MiB = 1024 * 1024;
  const small = chunksOf([1000, 3000], 94);
  const smallObject = await writeChunked(t.store, "small.bin", small);
  const big = chunksOf([2 * MiB + 5], 95);
  const bigObject = await writeChunked(t.store, "big.bin", big);
  // 64 MiB of cache: neither object is a scan (longer than an eighth of it).
  const cache = new ChunkCache({ maxBytes: 64 * MiB });
  const pieces = async (object: BackupObject, size: number, shared: boolean, range = {}) => {
    await using reader = openReader(t.faulty, object, { cache, size });
    const out: Uint8Array[] = [];
    for await (const piece of reader.stream({ ...range, shared })) out.push(piece);
    return out;
  };
  const smallSize = 4000;
  const same = (a: Uint8Array[], b: Uint8Array[]) =>
    a.length === b.length && a.every((piece, i) => piece.buffer === b[i].buffer);

  const first = await pieces(smallObject, smallSize, true);
  const second = await pieces(smallObject, smallSize, true);
  assertEquals(concat(first), concat(small));
  assertEquals(first.map((piece) => piece.byteLength), [1000, 3000]);
  assertEquals(cache.size, 2);
  // Both reads hand out the cache's own arrays, one per chunk, without a copy.
  assert(same(first, second), "shared pieces are not views of the cache's arrays");
  const part = await pieces(smallObject, smallSize, true, { start: 1500, end: 2000 });
  assert(same(part, [first[1]]), "a range of a small chunk is not a view of it");
  assertEquals(part[0], small[1].subarray(500, 1000));

  const copied = await pieces(smallObject, smallSize, false);
  assert(copied.every((piece, i) => piece.buffer !== first[i].buffer), "unshared pieces are views");
  copied[0].fill(0); // the consumer's own: the cache is untouched
  assertEquals(concat(await pieces(smallObject, smallSize, true)), concat(small));

  // A 2 MiB chunk: its pieces (1 MiB at most) are copies even when shared, so a piece
  // never keeps more memory alive than its own size.
  const bigPieces = await pieces(bigObject, big[0].length, true);
  assertEquals(bigPieces.map((piece) => piece.byteLength), [MiB, MiB, 5]);
  assert(bigPieces.every((piece) => piece.buffer.byteLength === piece.byteLength));
  assertEquals(concat(bigPieces), big[0]);
});
