// ChunkPipeline's buffers before the first chunk goes out: a small object written
// whole costs a buffer of its size (not a zeroed 64 KiB one); more bytes grow it
// geometrically, up to a chunk, and the bytes stay exact.

import { assertEquals } from "../support/assert.ts";
import { ChunkPipeline } from "../../src/fs/chunk_pipeline.ts";
import { StorageRetry } from "../../src/fs/_storage_retry.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";

async function withPipeline(
  chunkSize: number,
  fn: (chunks: ChunkPipeline) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chunk-pipeline-" });
  try {
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    const signal = new AbortController().signal;
    const chunks = new ChunkPipeline(store, {
      jobId: "job-1",
      objectName: "a",
      path: "/a",
      chunkSize,
      inFlight: 2,
      throwOnDuplicate: false,
      signal,
      retry: new StorageRetry({ signal, retries: 0, retryDelayMs: 0, path: "/a" }),
      onError: (error) => {
        throw error;
      },
    });
    try {
      await fn(chunks);
    } finally {
      await chunks.drain();
      chunks.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

Deno.test("ChunkPipeline: a 4 KiB object written whole takes a 4 KiB buffer", async () => {
  await withPipeline(8 * 1024 * 1024, async (chunks) => {
    const data = pattern(4096, 1);
    await chunks.append(data);
    assertEquals(chunks.buffered.buffer.byteLength, 4096);
    assertEquals(chunks.buffered, data);
    assertEquals(chunks.stats.buffers, 1);
  });
});

Deno.test("ChunkPipeline: more bytes after a small first write grow the buffer, bytes exact", async () => {
  await withPipeline(1024 * 1024, async (chunks) => {
    const pieces = [pattern(100, 1), pattern(5000, 2), pattern(70_000, 3), pattern(1, 4)];
    for (const piece of pieces) await chunks.append(piece);
    const expected = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const piece of pieces) {
      expected.set(piece, at);
      at += piece.byteLength;
    }
    assertEquals(chunks.buffered, expected);
    assertEquals(chunks.buffered.buffer.byteLength, 128 * 1024, "64 KiB, then doubled");
    assertEquals(chunks.started, false, "still one chunk: nothing went out");
  });
});

Deno.test("ChunkPipeline: a first write of more than 64 KiB takes the next power-of-two size, up to a chunk", async () => {
  await withPipeline(200 * 1024, async (chunks) => {
    await chunks.append(pattern(100 * 1024, 5));
    assertEquals(chunks.buffered.buffer.byteLength, 128 * 1024);
    await chunks.append(pattern(80 * 1024, 6));
    assertEquals(chunks.buffered.buffer.byteLength, 200 * 1024, "capped at the chunk size");
    assertEquals(chunks.size, 180 * 1024);
  });
});
