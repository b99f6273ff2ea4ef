import { deepStrictEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import {
  DEFAULT_STAGED_AHEAD,
  StagingPool,
} from "../../../src/storage/store/chunks/_staging_pool.ts";
import { LocalChunkStore } from "../../../src/storage/store/chunks/local_chunk_store.ts";
import { putSmall, withLocalStore } from "./support/store_fixtures.ts";

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("staging pool: nothing before the first take, then files made ahead, each handed out once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pool = new StagingPool(dir, { size: 3 });
    assertEquals(names(dir), []);
    const taken = [];
    for (let i = 0; i < 5; i++) {
      const staged = await pool.take();
      // Each is new and empty, and written as the caller likes.
      assertEquals((await staged.file.stat()).size, 0);
      await staged.write(new Uint8Array([i]));
      taken.push(staged);
    }
    await pool.settled();
    const paths = new Set(taken.map((staged) => staged.path));
    assertEquals(paths.size, 5);
    // The five taken and three ready.
    assertEquals(names(dir).length, 8);
    for (const staged of taken) {
      staged.close();
      assertEquals((await Deno.stat(staged.path)).size, 1);
    }
    await pool.close();
    assertEquals(names(dir), [...paths].map((path) => path.split("/").pop()!).sort());
    // Closed: a take still works, and nothing is made ahead any more.
    const late = await pool.take();
    await pool.settled();
    assertEquals(names(dir).length, 6);
    await late.discard();
    for (const staged of taken) await staged.discard();
    assertEquals(names(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("staging pool: files made ahead that failed are not handed out; the take reports its own error", async () => {
  const base = await Deno.makeTempDir();
  const dir = `${base}/tmp`;
  try {
    const pool = new StagingPool(dir, { size: 2 });
    // No directory: the take fails, and so do the two made ahead.
    await rejects(pool.take(), Deno.errors.NotFound);
    await pool.settled();
    // It comes: every take works, the failed ones skipped.
    await Deno.mkdir(dir);
    const taken = [];
    for (let i = 0; i < 4; i++) {
      const staged = await pool.take();
      await staged.write(new Uint8Array([i]));
      staged.close();
      assertEquals(await Deno.readFile(staged.path), new Uint8Array([i]));
      taken.push(staged.path.split("/").pop()!);
    }
    await pool.settled();
    assertEquals(names(dir).length, 6); // the four, and two made ahead
    await pool.close();
    assertEquals(names(dir), taken.sort());
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("staging pool: a file ready longer than maxAgeMs is removed, not handed out", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pool = new StagingPool(dir, { size: 2, maxAgeMs: 20 });
    const first = await pool.take();
    await pool.settled();
    const ready = names(dir).filter((name) => !first.path.endsWith(name));
    assertEquals(ready.length, 2);
    await new Promise((resolve) => setTimeout(resolve, 40));
    const second = await pool.take();
    await pool.settled();
    // Not one of the old ready files, which are gone; two new ones are ready.
    assert(!ready.some((name) => second.path.endsWith(name)));
    const now = names(dir);
    assert(!ready.some((name) => now.includes(name)));
    assertEquals(now.length, 4);
    await pool.close();
    await first.discard();
    await second.discard();
    assertEquals(names(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("staging pool: size 0 makes nothing ahead; a bad size is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pool = new StagingPool(dir, { size: 0 });
    const staged = await pool.take();
    await pool.settled();
    assertEquals(names(dir), [staged.path.split("/").pop()]);
    await staged.discard();
    for (const options of [{ size: -1 }, { size: 1.5 }, { size: NaN }, { maxAgeMs: -1 }]) {
      let error: unknown;
      try {
        new StagingPool(dir, options);
      } catch (caught) {
        error = caught;
      }
      assert(error instanceof RangeError, JSON.stringify(options));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local chunk store: staged files kept ready after the first chunk, removed by close", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const chunks = await LocalChunkStore.open(dir, { durable: false });
    assertEquals(names(`${dir}/tmp`), []);
    const bytes = new TextEncoder().encode("abc");
    const staged = await chunks.stage();
    await staged.write(bytes);
    await chunks.put(new Uint8Array(32).fill(1), staged);
    assertEquals(names(`${dir}/tmp`).length, DEFAULT_STAGED_AHEAD);
    await chunks.close();
    assertEquals(names(`${dir}/tmp`), []);
    // Without files kept ready, none are.
    const plain = await LocalChunkStore.open(dir, { durable: false, stagedAhead: 0 });
    await (await plain.stage()).discard();
    assertEquals(names(`${dir}/tmp`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedded store: closing removes the staged files its chunk store kept ready", async () => {
  // The local chunk store's tmp/ is what this checks: on local files in every run.
  await withLocalStore(async (store, { dir }) => {
    await putSmall(store, "job", "a", new Uint8Array(1000).fill(3)); // a chunk file: not inline
    assertEquals(names(`${dir}/tmp`).length, DEFAULT_STAGED_AHEAD);
    await store.close();
    assertEquals(names(`${dir}/tmp`), []);
  }, { inlineChunkBytes: 0 });
});
