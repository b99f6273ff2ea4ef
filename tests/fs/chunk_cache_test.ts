import { ChunkCache, DEFAULT_CHUNK_CACHE_BYTES } from "../../src/fs/chunk_cache.ts";
import { chunkChecksum } from "../../src/storage/checksum.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { patterned } from "./support/read_fixtures.ts";

function entry(length: number, seed: number): { bytes: Uint8Array; checksum: string } {
  const bytes = patterned(length, seed);
  return { bytes, checksum: chunkChecksum(bytes) };
}

function counting(bytes: Uint8Array): { load: () => Promise<Uint8Array>; calls: () => number } {
  let calls = 0;
  return {
    load: () => {
      calls++;
      return Promise.resolve(bytes);
    },
    calls: () => calls,
  };
}

Deno.test("ChunkCache: a miss loads, a second get hits without loading", async () => {
  const cache = new ChunkCache({ maxBytes: 1000 });
  const a = entry(100, 1);
  const loader = counting(a.bytes);
  assertEquals(await cache.get(a.checksum, loader.load), a.bytes);
  assertEquals(await cache.get(a.checksum, loader.load), a.bytes);
  assertEquals(loader.calls(), 1);
  assertEquals([cache.hits, cache.misses, cache.bytes, cache.size], [1, 1, 100, 1]);
  assertEquals(cache.peek(a.checksum), a.bytes);
});

Deno.test("ChunkCache: the default bound is 256 MiB; bad bounds are refused", () => {
  assertEquals(new ChunkCache().maxBytes, DEFAULT_CHUNK_CACHE_BYTES);
  assertEquals(DEFAULT_CHUNK_CACHE_BYTES, 256 * 1024 * 1024);
  assertThrows(() => new ChunkCache({ maxBytes: -1 }), RangeError);
  assertThrows(() => new ChunkCache({ maxBytes: 1.5 }), RangeError);
});

Deno.test("ChunkCache: concurrent gets of one checksum share one load", async () => {
  const cache = new ChunkCache({ maxBytes: 1000 });
  const a = entry(50, 2);
  let calls = 0;
  let resolve!: (bytes: Uint8Array) => void;
  const load = () => {
    calls++;
    return new Promise<Uint8Array>((r) => (resolve = r));
  };
  const gets = [
    cache.get(a.checksum, load),
    cache.get(a.checksum, load),
    cache.get(a.checksum, load),
  ];
  assert(cache.loading(a.checksum));
  assertEquals(cache.peek(a.checksum), undefined);
  resolve(a.bytes);
  const results = await Promise.all(gets);
  assertEquals(calls, 1);
  for (const result of results) assert(result === a.bytes);
  assertEquals([cache.hits, cache.misses], [2, 1]);
  assert(!cache.loading(a.checksum));
});

Deno.test("ChunkCache: least recently used chunks are evicted to stay within maxBytes", async () => {
  const cache = new ChunkCache({ maxBytes: 100 });
  const [a, b, c, d] = [entry(40, 1), entry(40, 2), entry(40, 3), entry(60, 4)];
  await cache.get(a.checksum, counting(a.bytes).load);
  await cache.get(b.checksum, counting(b.bytes).load);
  assertEquals(cache.bytes, 80);
  await cache.get(a.checksum, counting(a.bytes).load); // a is now the most recently used
  await cache.get(c.checksum, counting(c.bytes).load); // 120 > 100: evicts b
  assertEquals(cache.bytes, 80);
  assertEquals(cache.peek(b.checksum), undefined);
  assert(cache.peek(a.checksum) !== undefined);
  assert(cache.peek(c.checksum) !== undefined);
  // peek does not refresh recency: a stays older than c.
  await cache.get(d.checksum, counting(d.bytes).load); // 140 > 100: evicts a, then 100 fits
  assertEquals(cache.peek(a.checksum), undefined);
  assert(cache.peek(c.checksum) !== undefined);
  assert(cache.peek(d.checksum) !== undefined);
  assertEquals(cache.bytes, 100);
  assert(cache.bytes <= cache.maxBytes);
});

Deno.test("ChunkCache: a chunk bigger than maxBytes is returned but not kept, and evicts nothing", async () => {
  const cache = new ChunkCache({ maxBytes: 100 });
  const small = entry(60, 1);
  const big = entry(101, 2);
  await cache.get(small.checksum, counting(small.bytes).load);
  const loader = counting(big.bytes);
  assertEquals(await cache.get(big.checksum, loader.load), big.bytes);
  assertEquals(cache.peek(big.checksum), undefined);
  assert(cache.peek(small.checksum) !== undefined);
  assertEquals(cache.bytes, 60);
  await cache.get(big.checksum, loader.load);
  assertEquals(loader.calls(), 2);
});

Deno.test("ChunkCache: maxBytes 0 keeps nothing but still shares loads in flight", async () => {
  const cache = new ChunkCache({ maxBytes: 0 });
  const a = entry(10, 1);
  const loader = counting(a.bytes);
  const [x, y] = await Promise.all([
    cache.get(a.checksum, loader.load),
    cache.get(a.checksum, loader.load),
  ]);
  assert(x === y);
  assertEquals(loader.calls(), 1);
  assertEquals(cache.bytes, 0);
  await cache.get(a.checksum, loader.load);
  assertEquals(loader.calls(), 2);
});

Deno.test("ChunkCache: a failed load is not kept; every sharer sees the failure and the next get loads again", async () => {
  const cache = new ChunkCache({ maxBytes: 1000 });
  const a = entry(10, 1);
  let calls = 0;
  const failing = () => {
    calls++;
    return Promise.reject(new Error("storage said no"));
  };
  const first = cache.get(a.checksum, failing);
  const second = cache.get(a.checksum, failing);
  await assertRejects(() => first, Error, "storage said no");
  await assertRejects(() => second, Error, "storage said no");
  assertEquals(calls, 1);
  assertEquals(cache.peek(a.checksum), undefined);
  assertEquals(cache.bytes, 0);
  assert(!cache.loading(a.checksum));
  // A loader that throws synchronously is a failed load too.
  await assertRejects(
    () =>
      cache.get(a.checksum, () => {
        throw new TypeError("sync failure");
      }),
    TypeError,
  );
  assertEquals(await cache.get(a.checksum, counting(a.bytes).load), a.bytes);
  assertEquals(cache.bytes, 10);
});

Deno.test("ChunkCache: clear() drops everything, and a load in flight across it keeps nothing", async () => {
  const cache = new ChunkCache({ maxBytes: 1000 });
  const [a, b] = [entry(10, 1), entry(20, 2)];
  await cache.get(a.checksum, counting(a.bytes).load);
  let resolve!: (bytes: Uint8Array) => void;
  const pending = cache.get(b.checksum, () => new Promise<Uint8Array>((r) => (resolve = r)));
  cache.clear();
  assertEquals([cache.bytes, cache.size], [0, 0]);
  assertEquals(cache.peek(a.checksum), undefined);
  resolve(b.bytes);
  assertEquals(await pending, b.bytes);
  assertEquals(cache.peek(b.checksum), undefined);
  assertEquals(cache.bytes, 0);
});

Deno.test("ChunkCache: one entry serves every caller with the same checksum (content addressing)", async () => {
  const cache = new ChunkCache({ maxBytes: 1000 });
  const a = entry(30, 9);
  await cache.get(a.checksum, counting(a.bytes).load);
  const other = counting(new Uint8Array(30));
  assert((await cache.get(a.checksum, other.load)) === cache.peek(a.checksum));
  assertEquals(other.calls(), 0);
});
