// Garbage collection racing writers across processes (issue #11): three writer
// processes keep uploading objects that share chunks with objects being deleted,
// while a collector in this process runs continuously with a grace period of
// zero. Every acknowledged object must read back whole, and the collector must
// really have deleted chunks meanwhile (else the test proves nothing).

import { fileURLToPath } from "node:url";
import { chunkChecksum } from "../../../src/storage/checksum.ts";
import type { ChunkStore } from "../../../src/storage/store/chunks/chunk_store.ts";
import { LocalChunkStore } from "../../../src/storage/store/chunks/local_chunk_store.ts";
import { EmbeddedStore } from "../../../src/storage/store/embedded_store.ts";
import { openStore } from "../../../src/storage/store/store_backends.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { testStoreLocation } from "../../support/test_store.ts";
import { GC_RACE_JOB, poolChunk } from "./support/gc_race_pool.ts";
import { allNames, readObject } from "./support/store_fixtures.ts";

const WRITER = fileURLToPath(new URL("./support/gc_race_writer.ts", import.meta.url));
const WRITERS = 3;
const DURATION_MS = 6_000;

Deno.test("collector with zero grace vs three writer processes re-using deleted objects' chunks: every acknowledged object reads back whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gc_race_" });
  const location = await testStoreLocation(dir);
  const opened = await openStore(location, {
    gcIntervalMs: 0,
    gracePeriodMs: 0,
    durable: false,
  });
  const store = opened.store;
  try {
    const children = Array.from({ length: WRITERS }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-net=127.0.0.1",
          "--allow-env",
          "--allow-sys",
          WRITER,
          JSON.stringify(location),
          `w${i}`,
          String(DURATION_MS),
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn());
    const outputs = children.map((child) => child.output());
    let running = true;
    void Promise.allSettled(outputs).then(() => running = false);

    let passes = 0;
    let deleted = 0;
    const stopAt = Date.now() + DURATION_MS + 60_000;
    while (running && Date.now() < stopAt) {
      const report = await store.collectGarbage();
      passes++;
      deleted += report.chunksDeleted;
    }
    const results = await Promise.all(outputs);
    const live = new Map<string, number[]>();
    for (const [i, result] of results.entries()) {
      const stdout = new TextDecoder().decode(result.stdout);
      const stderr = new TextDecoder().decode(result.stderr);
      assertEquals(result.code, 0, `writer ${i} failed:\n${stderr}`);
      assert(stdout.trimEnd().endsWith("END"), `writer ${i} did not finish:\n${stderr}`);
      for (const line of stdout.split("\n")) {
        const [verb, name, indexes] = line.split(" ");
        if (verb === "PUT") live.set(name, indexes.split(",").map(Number));
        if (verb === "DEL") live.delete(name);
      }
    }
    assert(live.size > 10, `only ${live.size} objects were written`);
    assert(deleted > 0, `the collector deleted nothing in ${passes} passes: no race was run`);

    // Once more after the writers: nothing acknowledged may be collected.
    await store.collectGarbage();
    assertEquals((await allNames(store, GC_RACE_JOB)).sort(), [...live.keys()].sort());
    const page = async (token?: string) =>
      await store.listObjects({ StorageJobId: GC_RACE_JOB, NextToken: token, MaxResults: 100 });
    let checked = 0;
    let token: string | undefined;
    for (let round = 0; round < 10_000; round++) {
      const listed = await page(token);
      for (const object of listed.ObjectList) {
        const { chunks } = await readObject(store, GC_RACE_JOB, object.ObjectToken);
        const expected = live.get(object.Name)!;
        assertEquals(chunks.length, expected.length, object.Name);
        chunks.forEach((chunk, i) => assertEquals(chunk, poolChunk(expected[i]), object.Name));
        checked++;
      }
      token = listed.NextToken;
      if (!token) break;
    }
    assertEquals(checked, live.size);
  } finally {
    await opened.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a sweep while a writer's chunk is stored but not yet recorded leaves it alone (the writer's claim)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gc_claim_" });
  const local = await LocalChunkStore.open(dir, { durable: false });
  const stored = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  // The writer's chunk store: the bytes land, then the writer is held before its record.
  const held: ChunkStore = {
    stage: () => local.stage(),
    put: async (digest, staged) => {
      await local.put(digest, staged);
      stored.resolve();
      await gate.promise;
    },
    get: (digest, length) => local.get(digest, length),
    delete: (digest) => local.delete(digest),
    list: (shard) => local.list(shard),
  };
  const options = { gcIntervalMs: 0, gracePeriodMs: 0, durable: false } as const;
  const writer = await EmbeddedStore.open(dir, { ...options, chunkStore: held });
  const collector = await EmbeddedStore.open(dir, options);
  try {
    const data = poolChunk(0); // above the inline limit: bytes in the chunk store
    const writing = writer.putObject({
      BackupJobId: GC_RACE_JOB,
      ObjectName: "held",
      InlineChunk: data,
      InlineChunkLength: data.length,
      InlineChunkChecksum: chunkChecksum(data),
    });
    await stored.promise;
    // Stored, unreferenced, and found by a sweep of the whole chunk store.
    const report = await collector.sweepOrphans();
    assertEquals(report.chunksDeleted, 0);
    gate.resolve();
    await writing;
    const [object] = (await collector.listObjects({ StorageJobId: GC_RACE_JOB })).ObjectList;
    assertEquals((await readObject(collector, GC_RACE_JOB, object.ObjectToken)).bytes, data);
  } finally {
    gate.resolve();
    await writer.close();
    await collector.close();
    await Deno.remove(dir, { recursive: true });
  }
});
