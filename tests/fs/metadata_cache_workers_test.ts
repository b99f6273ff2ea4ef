// The metadata cache across workers: caches whose change logs share one
// InvalidationBoard (as the workers of one server do, each in its own thread)
// see each other's invalidations at once, not after the TTL.

import { ChangeLog, MetadataCache, MISSING } from "../../src/fs/metadata_cache.ts";
import { InvalidationBoard } from "../../src/workers/invalidation_board.ts";
import { assertEquals } from "../support/assert.ts";

/** Two workers' caches over one board; a clock that never moves (no TTL expiry). */
function twoWorkers() {
  const board = InvalidationBoard.create();
  const caches = [0, 1].map(() => {
    const changes = new ChangeLog();
    changes.share(new InvalidationBoard(board.buffer));
    return new MetadataCache<string, Set<string>>({ changes, ttlMs: 60_000, now: () => 0 });
  });
  return caches as [MetadataCache<string, Set<string>>, MetadataCache<string, Set<string>>];
}

Deno.test("metadata cache across workers: another worker's write invalidates an entry and its parents' listings at once", () => {
  const [a, b] = twoWorkers();
  b.set("/docs/new.txt", MISSING);
  b.setListing("/docs", new Set(["old.txt"]));
  b.setListing("/", new Set(["docs"]));
  b.set("/docs/old.txt", "old");
  b.set("/other.txt", "other");
  a.invalidateAdded("/docs/new.txt"); // worker A wrote it
  assertEquals(b.get("/docs/new.txt"), undefined);
  assertEquals(b.getListing("/docs"), undefined);
  assertEquals(b.getListing("/"), undefined);
  assertEquals(b.get("/docs/old.txt"), "old"); // a sibling is not touched
  assertEquals(b.get("/other.txt"), "other");
  a.invalidate("/docs/old.txt"); // worker A deleted it
  assertEquals(b.get("/docs/old.txt"), undefined);
  assertEquals(b.get("/other.txt"), "other");
});

Deno.test("metadata cache across workers: a lookup that started before another worker's write is not stored", () => {
  const [a, b] = twoWorkers();
  const epoch = b.epoch; // B starts looking /x.txt up…
  a.invalidateAdded("/x.txt"); // …A writes it meanwhile…
  b.set("/x.txt", MISSING, { epoch }); // …B's answer is stale: dropped
  assertEquals(b.get("/x.txt"), undefined);
  const later = b.epoch;
  b.set("/x.txt", "found", { epoch: later });
  assertEquals(b.get("/x.txt"), "found");
});

Deno.test("metadata cache across workers: a tree change in one worker drops everything the others hold", () => {
  const [a, b] = twoWorkers();
  b.set("/a/b/c.txt", "c");
  b.set("/z.txt", "z");
  a.invalidateTree("/a"); // a directory renamed or removed
  assertEquals(b.get("/a/b/c.txt"), undefined);
  assertEquals(b.get("/z.txt"), undefined);
  b.set("/z.txt", "z again");
  assertEquals(b.get("/z.txt"), "z again"); // cached again afterwards
});

Deno.test("metadata cache across workers: a worker's own writes keep its cache exact as before", () => {
  const [a] = twoWorkers();
  a.set("/d", "dir");
  a.set("/d/f.txt", MISSING);
  a.invalidateAdded("/d/f.txt");
  assertEquals(a.get("/d/f.txt"), undefined);
  assertEquals(a.get("/d"), "dir"); // adding keeps the ancestors' positive entries
});

Deno.test("invalidation board: concurrent changes of one bucket keep the latest sequence", () => {
  const board = InvalidationBoard.create(1); // every path in one bucket
  const epoch = board.epoch;
  board.note("/a");
  const middle = board.epoch;
  board.note("/b");
  assertEquals(board.changedSince("/a", epoch), true);
  assertEquals(board.changedSince("/a", middle), true); // "/b" shares the bucket
  assertEquals(board.changedSince("/a", board.epoch), false);
});

Deno.test("invalidation board: two real workers note changes the main thread sees", async () => {
  const board = InvalidationBoard.create();
  const epoch = board.epoch;
  const source = `
    import { InvalidationBoard } from ${
    JSON.stringify(
      new URL("../../src/workers/invalidation_board.ts", import.meta.url).href,
    )
  };
    self.onmessage = (event) => {
      const board = new InvalidationBoard(event.data.buffer);
      for (let i = 0; i < 1000; i++) board.note("/w" + event.data.index + "/" + i);
      self.postMessage("done");
    };`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const workers = [0, 1].map(() => new Worker(url, { type: "module" }));
  try {
    await Promise.all(workers.map((worker, index) =>
      new Promise((resolve) => {
        worker.onmessage = resolve;
        worker.postMessage({ buffer: board.buffer, index });
      })
    ));
  } finally {
    for (const worker of workers) worker.terminate();
    URL.revokeObjectURL(url);
  }
  assertEquals(board.epoch, epoch + 2000); // no change lost between the threads
  for (const path of ["/w0/0", "/w0/999", "/w1/0", "/w1/999"]) {
    assertEquals(board.changedSince(path, epoch), true);
  }
});
