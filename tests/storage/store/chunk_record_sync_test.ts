/**
 * When the metadata is synced for a chunk's record: a `PutChunk` (a client's,
 * acknowledged on its own) syncs before it answers; `putChunkHashed` (BackupFS in
 * this process, which acknowledges only the whole file) leaves its record to the
 * sync of the upload's completion, one sync per file instead of one per chunk.
 * Either way the completed object reads back whole once the writer returns.
 */

import assert from "node:assert/strict";
import { BackupFS } from "../../../src/fs/mod.ts";
import { chunkChecksum } from "../../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import type { MetadataDb } from "../../../src/storage/store/metadata/sqlite_db.ts";

/** The SQLite engine under an embedded store (the default metadata store). */
function databaseOf(store: EmbeddedStore): MetadataDb {
  return (store.metadataStore as unknown as { database: MetadataDb }).database;
}

/** Bytes that no two chunks share (so none is deduplicated). */
function distinctBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) new DataView(bytes.buffer).setUint32(i, i * 2654435761);
  return bytes;
}

Deno.test("BackupFS's chunks are recorded without a sync each; the completion syncs them all", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Chunks of 128 KiB stay files (longer than the 64 KiB kept inline).
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
    const fs = new BackupFS(store, { jobId: "home", chunkSize: 128 * 1024 });
    const data = distinctBytes(8 * 128 * 1024); // 8 chunks
    await fs.mkdir("/d"); // the job's row and the first commits happen before we count
    const db = databaseOf(store);
    const before = db.walSyncs;
    await fs.writeFile("/d/big.bin", data);
    const syncs = db.walSyncs - before;
    // StartObject and NotifyObjectComplete sync; the 8 chunk records do not.
    assert.ok(syncs >= 1 && syncs <= 3, `expected 1 to 3 syncs for 8 chunks, got ${syncs}`);
    assert.equal(db.isDurable, true); // every commit, the chunks' too, is on disk
    assert.deepEqual(await fs.readFile("/d/big.bin"), data);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a client's PutChunk is synced before it answers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
    const { UploadId } = await store.startObject({ BackupJobId: "home", ObjectName: "big.bin" });
    const db = databaseOf(store);
    for (let index = 0; index < 3; index++) {
      const chunk = distinctBytes(128 * 1024).map((byte) => byte ^ index);
      const before = db.walSyncs;
      await store.putChunk({
        BackupJobId: "home",
        UploadId,
        ChunkIndex: index,
        Data: chunk,
        Length: chunk.byteLength,
        Checksum: chunkChecksum(chunk),
        ChecksumAlgorithm: "SHA256",
      });
      assert.equal(db.walSyncs - before, 1, `chunk ${index}: one sync before the answer`);
      assert.equal(db.isDurable, true);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
