// Chunk files are served in 1 MiB pieces, and a damaged (short) file errors the
// stream instead of passing for a shorter chunk.

import { assert, assertEquals, assertRejects } from "../../support/assert.ts";
import { fileStream } from "../../../src/storage/store/chunk_files.ts";
import { withLocalStore } from "./support/store_fixtures.ts";
import { chunkChecksum } from "../../../src/storage/checksum.ts";

Deno.test("fileStream yields a typical chunk in one piece, a big one in 16 MiB pieces", async () => {
  const path = await Deno.makeTempFile();
  try {
    const data = new Uint8Array(40 * 1024 * 1024).map((_, i) => i * 7);
    await Deno.writeFile(path, data);
    const pieces: Uint8Array[] = [];
    for await (const piece of fileStream(await Deno.open(path), data.length)) pieces.push(piece);
    assertEquals(pieces.map((p) => p.length), [16777216, 16777216, 8388608]);
    const small = [];
    for await (const piece of fileStream(await Deno.open(path), 4 * 1024 * 1024)) small.push(piece);
    assertEquals(small.map((p) => p.length), [4 * 1024 * 1024]);
    assertEquals(new Uint8Array(await new Blob(pieces as BlobPart[]).arrayBuffer()), data);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a chunk file shorter than its recorded length errors the GetChunk stream", async () => {
  await withLocalStore(async (store, { dir }) => {
    const data = new Uint8Array(3000).fill(9);
    await store.putObject({
      BackupJobId: "j",
      ObjectName: "o",
      InlineChunk: data,
      InlineChunkLength: data.length,
      InlineChunkChecksum: chunkChecksum(data),
    });
    const { ObjectList } = await store.listObjects({ StorageJobId: "j" });
    const { ChunkList } = await store.listChunks({
      StorageJobId: "j",
      ObjectToken: ObjectList[0].ObjectToken,
    });
    // Damage the stored file behind the store's back.
    let damaged = 0;
    for await (const fan of Deno.readDir(`${dir}/chunks`)) {
      for await (const f of Deno.readDir(`${dir}/chunks/${fan.name}`)) {
        await Deno.truncate(`${dir}/chunks/${fan.name}/${f.name}`, 1000);
        damaged++;
      }
    }
    assert(damaged === 1);
    const out = await store.getChunk({ StorageJobId: "j", ChunkToken: ChunkList[0].ChunkToken });
    assertEquals(out.Length, 3000);
    await assertRejects(
      () => new Response(out.Data).arrayBuffer(),
      Error,
      "ended after 1000 of 3000",
    );
  }, { inlineChunkBytes: 0 });
});
