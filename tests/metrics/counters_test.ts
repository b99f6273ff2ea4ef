// The counters the file system and the embedded store keep in this thread's
// metric block: chunk verification (each failed attempt), and GC passes.

import { assertEquals, assertRejects } from "../support/assert.ts";
import { fetchVerifiedChunk } from "../../src/fs/verified_chunk.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { metricValues } from "../../src/metrics/metric_values.ts";
import { SLOT } from "../../src/metrics/metric_layout.ts";
import { encodeBase64 } from "../../src/storage/checksum.ts";

/** A storage whose GetChunk answers `bytes`, whatever was asked. */
function answering(bytes: Uint8Array): BackupStorage {
  return {
    getChunk: () =>
      Promise.resolve({
        Data: new Response(bytes.slice()).body!,
        Length: bytes.byteLength,
        Checksum: "",
        ChecksumAlgorithm: "SHA256",
      }),
  } as unknown as BackupStorage;
}

Deno.test("counters: a chunk that matches counts as verified; one that does not counts each failed attempt", async () => {
  const bytes = new TextEncoder().encode("chunk bytes");
  const checksum = encodeBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  const chunk = { index: 0, offset: 0, length: bytes.byteLength, checksum, token: "t" };
  const options = { jobId: "j", path: "/f", signal: new AbortController().signal };
  const block = metricValues.block;
  const [verified, failed] = [block[SLOT.chunksVerified], block[SLOT.chunksFailed]];
  assertEquals(await fetchVerifiedChunk(answering(bytes), chunk, options), bytes);
  assertEquals(block[SLOT.chunksVerified] - verified, 1);
  assertEquals(block[SLOT.chunksFailed] - failed, 0);
  const wrong = new TextEncoder().encode("chunk bytez");
  await assertRejects(
    () => fetchVerifiedChunk(answering(wrong), chunk, options),
    Deno.errors.InvalidData,
  );
  assertEquals(block[SLOT.chunksVerified] - verified, 1);
  assertEquals(block[SLOT.chunksFailed] - failed, 2); // fetched once more, then refused
});

Deno.test("counters: each garbage-collector pass of the embedded store counts as a run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    const before = metricValues.block[SLOT.gcRuns];
    await store.collectGarbage();
    await store.collectGarbage();
    assertEquals(metricValues.block[SLOT.gcRuns] - before, 2);
    assertEquals(metricValues.block[SLOT.gcErrors], 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
