import { ChunkMap } from "../../src/fs/chunk_map.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { chunkChecksum } from "../../src/storage/checksum.ts";
import { ThrottlingException } from "../../src/storage/errors.ts";
import type { Chunk, ListChunksInput, ListChunksOutput } from "../../src/storage/types.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import {
  chunksOf,
  JOB,
  openTestStore,
  variedLengths,
  writeChunked,
} from "./support/read_fixtures.ts";

const EMPTY = chunkChecksum(new Uint8Array());

/** A storage that answers ListChunks with the given pages (only that operation is used). */
function pagedStub(pages: Chunk[][], nextTokens?: (string | undefined)[]): {
  storage: BackupStorage;
  calls: () => number;
} {
  let calls = 0;
  const storage = {
    listChunks(input: ListChunksInput): Promise<ListChunksOutput> {
      calls++;
      const at = input.NextToken === undefined ? 0 : Number(input.NextToken);
      const next = nextTokens ? nextTokens[at] : at + 1 < pages.length ? String(at + 1) : undefined;
      return Promise.resolve({
        $metadata: {},
        ChunkList: pages[at],
        ...(next === undefined ? {} : { NextToken: next }),
      });
    },
  } as unknown as BackupStorage;
  return { storage, calls: () => calls };
}

function fakeChunk(index: number, length = 10, checksum = chunkChecksum(new Uint8Array([index]))) {
  return {
    Index: index,
    Length: length,
    Checksum: checksum,
    ChecksumAlgorithm: "SHA256",
    ChunkToken: `token-${index}`,
  } satisfies Chunk;
}

Deno.test("ChunkMap: locate and chunk map every byte of a 300-chunk object with varied chunk sizes", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(300, 1, 700);
  const object = await writeChunked(t.store, "big.bin", chunksOf(lengths));
  const map = new ChunkMap(t.faulty, { jobId: JOB, objectToken: object.ObjectToken });
  let offset = 0;
  for (let i = 0; i < lengths.length; i++) {
    const first = await map.locate(offset);
    const last = await map.locate(offset + lengths[i] - 1);
    assertEquals(first?.index, i);
    assertEquals(last?.index, i);
    assertEquals(first?.offset, offset);
    assertEquals(first?.length, lengths[i]);
    assertEquals((await map.chunk(i))?.offset, offset);
    offset += lengths[i];
  }
  assertEquals(await map.size(), offset);
  assertEquals(await map.locate(offset), undefined);
  assertEquals(await map.locate(offset + 12345), undefined);
  assertEquals(await map.chunk(300), undefined);
  assertEquals(map.loadedCount, 300);
  assertEquals(t.faulty.calls.ListChunks, 3);
  assert(map.complete);
  await map.idle();
});

Deno.test("ChunkMap: a lookup at offset 0 of a 300-chunk object loads only the first page", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(300, 10, 50);
  const object = await writeChunked(t.store, "big.bin", chunksOf(lengths));
  const map = new ChunkMap(t.faulty, { jobId: JOB, objectToken: object.ObjectToken });
  assertEquals(map.loadedCount, 0);
  assertEquals(t.faulty.calls.ListChunks, 0);
  assertEquals((await map.locate(0))?.index, 0);
  assertEquals((await map.chunk(98))?.index, 98);
  await map.idle();
  assertEquals(t.faulty.calls.ListChunks, 1);
  assertEquals(map.loadedCount, 100);
  assert(!map.complete);
  // Chunk 150 needs exactly one more page.
  assertEquals((await map.chunk(150))?.index, 150);
  assertEquals(t.faulty.calls.ListChunks, 2);
  assertEquals(map.loadedCount, 200);
});

Deno.test("ChunkMap: reaching the last loaded chunk starts the next page in the background", async () => {
  await using t = await openTestStore();
  const object = await writeChunked(t.store, "big.bin", chunksOf(variedLengths(250, 1, 30)));
  const map = new ChunkMap(t.faulty, { jobId: JOB, objectToken: object.ObjectToken });
  assertEquals((await map.chunk(99))?.index, 99); // the last chunk of page 1
  await map.idle();
  assertEquals(map.loadedCount, 200);
  assertEquals(t.faulty.calls.ListChunks, 2);

  const quiet = new ChunkMap(t.faulty, {
    jobId: JOB,
    objectToken: object.ObjectToken,
    readAhead: false,
  });
  t.faulty.reset();
  await quiet.chunk(99);
  await quiet.idle();
  assertEquals(quiet.loadedCount, 100);
  assertEquals(t.faulty.calls.ListChunks, 1);
});

Deno.test("ChunkMap: concurrent callers share the page loads in flight", async () => {
  await using t = await openTestStore();
  const lengths = variedLengths(300, 5, 40);
  const total = lengths.reduce((a, b) => a + b, 0);
  const object = await writeChunked(t.store, "big.bin", chunksOf(lengths));
  const map = new ChunkMap(t.faulty, {
    jobId: JOB,
    objectToken: object.ObjectToken,
    readAhead: false,
  });
  const [a, b, c, size] = await Promise.all([
    map.chunk(250),
    map.locate(total - 1),
    map.chunk(10),
    map.size(),
  ]);
  assertEquals([a?.index, b?.index, c?.index, size], [250, 299, 10, total]);
  assertEquals(t.faulty.calls.ListChunks, 3);
});

Deno.test("ChunkMap: a failed page load does not poison the map; the next call retries it", async () => {
  await using t = await openTestStore();
  const object = await writeChunked(t.store, "big.bin", chunksOf(variedLengths(220, 1, 9)));
  const map = new ChunkMap(t.faulty, {
    jobId: JOB,
    objectToken: object.ObjectToken,
    readAhead: false,
  });
  t.faulty.fail("ListChunks", () => new ThrottlingException("slow down"));
  await assertRejects(() => map.locate(0), ThrottlingException);
  assertEquals(map.loadedCount, 0);
  assertEquals((await map.locate(0))?.index, 0);
  t.faulty.fail("ListChunks", () => new ThrottlingException("slow down"));
  // Two callers waiting on the failing page both see the failure …
  const failing = [map.chunk(150), map.chunk(120)];
  await assertRejects(() => failing[0], ThrottlingException);
  await assertRejects(() => failing[1], ThrottlingException);
  assertEquals(map.loadedCount, 100);
  // … and the next one loads it.
  assertEquals((await map.chunk(150))?.index, 150);
  assertEquals(await map.chunk(219).then((c) => c?.index), 219);
  assertEquals(map.loadedCount, 220);
  assertEquals(t.faulty.calls.ListChunks, 2 + 3);
});

Deno.test("ChunkMap: a zero-length object has no chunk and size 0", async () => {
  await using t = await openTestStore();
  const object = await writeChunked(t.store, "empty", []);
  const map = new ChunkMap(t.faulty, { jobId: JOB, objectToken: object.ObjectToken });
  assertEquals(await map.locate(0), undefined);
  assertEquals(await map.chunk(0), undefined);
  assertEquals(await map.size(), 0);
  assertEquals(t.faulty.calls.ListChunks, 1);
});

Deno.test("ChunkMap: zero-length chunks hold no byte, so locate skips them", async () => {
  const { storage } = pagedStub([[
    fakeChunk(0, 3),
    fakeChunk(1, 0, EMPTY),
    fakeChunk(2, 0, EMPTY),
    fakeChunk(3, 4),
  ]]);
  const map = new ChunkMap(storage, { jobId: JOB, objectToken: "t" });
  assertEquals((await map.locate(2))?.index, 0);
  assertEquals((await map.locate(3))?.index, 3);
  assertEquals((await map.chunk(2))?.offset, 3);
  assertEquals(await map.size(), 7);
});

Deno.test("ChunkMap: chunk indexes that are not 0,1,2,… are corrupt data", async () => {
  const cases: Chunk[][][] = [
    [[fakeChunk(1)]], // does not start at 0
    [[fakeChunk(0), fakeChunk(2)]], // a gap
    [[fakeChunk(0), fakeChunk(1)], [fakeChunk(1)]], // a repeat across pages
    [[fakeChunk(0), fakeChunk(0)]], // a repeat within a page
  ];
  for (const pages of cases) {
    const map = new ChunkMap(pagedStub(pages).storage, { jobId: JOB, objectToken: "t" });
    await assertRejects(() => map.size(), Deno.errors.InvalidData, "index");
  }
});

Deno.test("ChunkMap: malformed lengths, checksums and tokens are corrupt data, and the good part stays", async () => {
  const bad: Chunk[] = [
    { ...fakeChunk(1), Length: -1 },
    { ...fakeChunk(1), Length: 1.5 },
    { ...fakeChunk(1), Checksum: "not-a-checksum" },
    { ...fakeChunk(1), Length: 0 }, // no bytes, yet the checksum of one byte
    { ...fakeChunk(1), ChunkToken: "" },
  ];
  for (const chunk of bad) {
    const map = new ChunkMap(pagedStub([[fakeChunk(0)], [chunk]]).storage, {
      jobId: JOB,
      objectToken: "t",
      readAhead: false,
    });
    assertEquals((await map.locate(5))?.index, 0);
    await assertRejects(() => map.locate(10), Deno.errors.InvalidData, "chunk 1");
    assertEquals(map.loadedCount, 1);
    assertEquals((await map.locate(9))?.index, 0);
  }
});

Deno.test("ChunkMap: a NextToken repeated by the service stops with InvalidData instead of looping", async () => {
  const { storage, calls } = pagedStub([[fakeChunk(0)], [fakeChunk(1)]], ["1", "1"]);
  const map = new ChunkMap(storage, { jobId: JOB, objectToken: "t", readAhead: false });
  await assertRejects(() => map.size(), Deno.errors.InvalidData, "NextToken");
  assertEquals(calls(), 2);
});

Deno.test("ChunkMap: empty pages with a NextToken are followed", async () => {
  const { storage } = pagedStub([[], [fakeChunk(0)], [], [fakeChunk(1)]]);
  const map = new ChunkMap(storage, { jobId: JOB, objectToken: "t" });
  assertEquals((await map.locate(15))?.index, 1);
  assertEquals(await map.size(), 20);
});

Deno.test("ChunkMap: pageSize sets MaxResults; bad offsets and indexes are RangeErrors", async () => {
  await using t = await openTestStore();
  const object = await writeChunked(t.store, "small-pages", chunksOf(variedLengths(25, 1, 9)));
  const map = new ChunkMap(t.faulty, {
    jobId: JOB,
    objectToken: object.ObjectToken,
    pageSize: 10,
    readAhead: false,
  });
  assertEquals((await map.chunk(24))?.index, 24);
  assertEquals(t.faulty.calls.ListChunks, 3);
  await assertRejects(() => map.locate(-1), RangeError);
  await assertRejects(() => map.chunk(0.5), RangeError);
});
