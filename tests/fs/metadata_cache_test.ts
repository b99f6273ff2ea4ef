import { MetadataCache, MISSING } from "../../src/fs/metadata_cache.ts";
import { assertEquals, assertThrows } from "../support/assert.ts";

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

Deno.test("get/set with values and negative lookups; entries expire after the TTL", () => {
  const clock = fakeClock();
  const cache = new MetadataCache<{ size: number }>({ ttlMs: 1000, now: clock.now });
  assertEquals(cache.get("/a"), undefined);
  cache.set("/a", { size: 3 });
  cache.set("/missing", MISSING);
  assertEquals(cache.get("/a"), { size: 3 });
  assertEquals(cache.get("/missing"), MISSING);
  clock.advance(999);
  assertEquals(cache.get("/a"), { size: 3 });
  clock.advance(1);
  assertEquals(cache.get("/a"), undefined);
  assertEquals(cache.get("/missing"), undefined);
  assertEquals(cache.size, 0);
});

Deno.test("the default TTL is 1 s, and ttlMs 0 caches nothing", () => {
  const clock = fakeClock();
  const cache = new MetadataCache<number>({ now: clock.now });
  cache.set("/a", 1);
  clock.advance(999);
  assertEquals(cache.get("/a"), 1);
  clock.advance(1);
  assertEquals(cache.get("/a"), undefined);
  const none = new MetadataCache<number>({ ttlMs: 0, now: clock.now });
  none.set("/a", 1);
  assertEquals(none.get("/a"), undefined);
});

Deno.test("maxEntries evicts the least recently used", () => {
  const cache = new MetadataCache<number>({ maxEntries: 3 });
  cache.set("/1", 1);
  cache.set("/2", 2);
  cache.set("/3", 3);
  assertEquals(cache.get("/1"), 1); // now /2 is the least recently used
  cache.set("/4", 4);
  assertEquals(cache.size, 3);
  assertEquals(cache.get("/2"), undefined);
  assertEquals([cache.get("/1"), cache.get("/3"), cache.get("/4")], [1, 3, 4]);
});

Deno.test("maxEntries: an entry read between additions stays, the others go oldest first", () => {
  const cache = new MetadataCache<number>({ maxEntries: 3 });
  cache.set("/dir", 0); // read at every file added, as a folder's entry is
  for (let i = 1; i <= 50; i++) {
    assertEquals(cache.get("/dir"), 0);
    cache.set(`/dir/f${i}`, i);
    assertEquals(cache.size, Math.min(i + 1, 3));
  }
  assertEquals(cache.get("/dir"), 0);
  // The two newest files stay; every older one went.
  assertEquals([cache.get("/dir/f49"), cache.get("/dir/f50")], [49, 50]);
  for (let i = 1; i <= 48; i++) assertEquals(cache.get(`/dir/f${i}`), undefined);
  // Unread from now on, it goes in turn: twice maxEntries newer entries push it out.
  for (let i = 51; i <= 56; i++) cache.set(`/dir/f${i}`, i);
  assertEquals(cache.get("/dir"), undefined);
  assertEquals([cache.get("/dir/f55"), cache.get("/dir/f56")], [55, 56]);
});

Deno.test("listings weigh what listingWeight says: the least recently used go while over maxListingWeight", () => {
  const cache = new MetadataCache<number, string[]>({
    listingWeight: (names) => names.length,
    maxListingWeight: 5,
  });
  cache.setListing("/a", ["1", "2"]);
  cache.setListing("/b", ["1", "2"]);
  assertEquals(cache.getListing("/a"), ["1", "2"]); // now /b is the least recently used
  cache.setListing("/c", ["1", "2"]); // 6 > 5: /b goes
  assertEquals(cache.getListing("/b"), undefined);
  assertEquals(cache.getListing("/a"), ["1", "2"]);
  assertEquals(cache.getListing("/c"), ["1", "2"]);
  cache.setListing("/a", ["1"]); // replaced: weighs 1 now, 3 in all
  cache.setListing("/d", ["1", "2"]); // 5 in all: everything stays
  assertEquals([cache.getListing("/a"), cache.getListing("/c"), cache.getListing("/d")], [
    ["1"],
    ["1", "2"],
    ["1", "2"],
  ]);
  cache.invalidate("/c"); // dropped listings weigh nothing any more
  cache.setListing("/e", ["1", "2"]);
  assertEquals(cache.getListing("/a"), ["1"]);
  cache.setListing("/heavy", ["1", "2", "3", "4", "5", "6"]); // too heavy alone: not kept …
  assertEquals(cache.getListing("/heavy"), undefined);
  assertEquals(cache.getListing("/a"), ["1"]); // … and the others stay
  assertThrows(() => new MetadataCache({ maxListingWeight: -1 }), RangeError);
});

Deno.test("invalidate forgets the path, its ancestors and their listings, not siblings", () => {
  const cache = new MetadataCache<string, string[]>();
  for (const path of ["/", "/a", "/a/b", "/a/b/c.txt", "/a/b/d.txt", "/a/x", "/z"]) {
    cache.set(path, path);
  }
  cache.set("/a/b/new.txt", MISSING);
  cache.setListing("/a/b", ["c.txt", "d.txt"]);
  cache.setListing("/a", ["b", "x"]);
  cache.setListing("/z", []);
  cache.invalidate("/a/b/new.txt"); // a write creates /a/b/new.txt
  assertEquals(cache.get("/a/b/new.txt"), undefined);
  assertEquals(cache.getListing("/a/b"), undefined);
  assertEquals(cache.get("/a/b"), undefined);
  assertEquals(cache.getListing("/a"), undefined);
  assertEquals(cache.get("/a"), undefined);
  assertEquals(cache.get("/"), undefined);
  assertEquals(cache.get("/a/b/c.txt"), "/a/b/c.txt");
  assertEquals(cache.get("/a/x"), "/a/x");
  assertEquals(cache.get("/z"), "/z");
  assertEquals(cache.getListing("/z"), []);
});

Deno.test("invalidateTree forgets everything under a path (and not a sibling sharing its prefix)", () => {
  const cache = new MetadataCache<string, string[]>();
  for (const path of ["/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/bc", "/a/b!"]) cache.set(path, path);
  cache.setListing("/a/b/c", ["d"]);
  cache.setListing("/a/bc", []);
  cache.invalidateTree("/a/b");
  for (const gone of ["/a", "/a/b", "/a/b/c", "/a/b/c/d"]) assertEquals(cache.get(gone), undefined);
  assertEquals(cache.getListing("/a/b/c"), undefined);
  assertEquals(cache.get("/a/bc"), "/a/bc");
  assertEquals(cache.get("/a/b!"), "/a/b!");
  assertEquals(cache.getListing("/a/bc"), []);
  cache.invalidateTree("/");
  assertEquals(cache.get("/a/bc"), undefined);
  assertEquals(cache.size, 0);
});

Deno.test("clear forgets everything", () => {
  const cache = new MetadataCache<number>();
  cache.set("/a", 1);
  cache.setListing("/", ["a"]);
  cache.clear();
  assertEquals(cache.get("/a"), undefined);
  assertEquals(cache.getListing("/"), undefined);
});

Deno.test("a lookup that raced with an invalidation does not store its stale value", () => {
  const cache = new MetadataCache<string>();
  const before = cache.epoch;
  cache.invalidate("/a/b"); // a write lands while the lookup is in flight
  cache.set("/a/b", "stale", { epoch: before });
  assertEquals(cache.get("/a/b"), undefined);
  cache.set("/a", "stale parent", { epoch: before }); // the ancestor was invalidated too
  assertEquals(cache.get("/a"), undefined);
  cache.set("/other", "fresh enough", { epoch: before }); // untouched by the write
  assertEquals(cache.get("/other"), "fresh enough");
  cache.set("/a/b", "fresh", { epoch: cache.epoch });
  assertEquals(cache.get("/a/b"), "fresh");

  const beforeTree = cache.epoch;
  cache.invalidateTree("/q");
  cache.set("/q/r/s", "stale", { epoch: beforeTree });
  assertEquals(cache.get("/q/r/s"), undefined);
  const beforeClear = cache.epoch;
  cache.clear();
  cache.set("/x", "stale", { epoch: beforeClear });
  assertEquals(cache.get("/x"), undefined);
});

Deno.test("invalid options are RangeErrors", () => {
  assertThrows(() => new MetadataCache({ ttlMs: -1 }), RangeError);
  assertThrows(() => new MetadataCache({ maxEntries: 1.5 }), RangeError);
});
