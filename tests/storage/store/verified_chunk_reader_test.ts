// The embedded store's verified reads (readVerifiedChunk, issue #12): the CRC-32 of a
// chunk's bytes is recorded when it is written (PutChunk, PutObject, a dedup hit),
// a chunk file of the local disk is read into the caller's buffer and checked
// against it, and anything else (no CRC recorded, kept inline, another chunk store)
// against the SHA-256. A damaged chunk is Deno.errors.InvalidData, never bytes.

import { DatabaseSync } from "node:sqlite";
import { crc32 } from "node:zlib";
import { checksumToDigest, sha256 } from "../../../src/storage/checksum.ts";
import { isVerifiedChunkReader } from "../../../src/storage/backup_storage.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import type { ChunkStore } from "../../../src/storage/store/chunks/chunk_store.ts";
import { LocalChunkStore } from "../../../src/storage/store/chunks/local_chunk_store.ts";
import { assert, assertEquals, assertRejects } from "../../support/assert.ts";
import { putSmall, seededBytes, uploadObject } from "./support/store_fixtures.ts";

const JOB = "verified-reads";
const LENGTH = 200 * 1024; // over the default inline limit (64 KiB): a chunk file

interface Listed {
  token: string;
  checksum: string;
  digest: Uint8Array;
  length: number;
}

async function chunksOf(store: EmbeddedStore, name: string): Promise<Listed[]> {
  const object = (await store.listObjects({ StorageJobId: JOB })).ObjectList.find((o) =>
    o.Name === name
  );
  assert(object, `no object ${name}`);
  const listed = await store.listChunks({ StorageJobId: JOB, ObjectToken: object.ObjectToken });
  return listed.ChunkList.map((chunk) => ({
    token: chunk.ChunkToken,
    checksum: chunk.Checksum,
    digest: checksumToDigest(chunk.Checksum)!,
    length: chunk.Length,
  }));
}

/** The CRC-32 column of every chunk row, by index, of every version. */
function recordedCrcs(dir: string): (number | null)[] {
  const db = new DatabaseSync(`${dir}/metadata.db`);
  try {
    return db.prepare("SELECT crc32 FROM chunks ORDER BY version_id, idx").all().map((row) =>
      row.crc32 as number | null
    );
  } finally {
    db.close();
  }
}

/** Flips one bit of the chunk file of `digest`, at `at`. */
async function flipBit(store: EmbeddedStore, digest: Uint8Array, at: number): Promise<void> {
  const path = (store.chunkStore as LocalChunkStore).path(digest);
  const bytes = await Deno.readFile(path);
  bytes[at] ^= 0x10;
  await Deno.writeFile(path, bytes);
}

async function withLocalStore(
  fn: (store: EmbeddedStore, dir: string) => Promise<void>,
  options: { chunkStore?: ChunkStore } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-verified-" });
  try {
    await using store = await EmbeddedStore.open(dir, {
      gcIntervalMs: 0,
      durable: false,
      ...(options.chunkStore ? { chunkStore: options.chunkStore } : {}),
    });
    await fn(store, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the CRC-32 of a chunk's bytes is recorded by PutChunk, PutObject and a dedup hit", async () => {
  await withLocalStore(async (store, dir) => {
    const a = seededBytes("a", LENGTH);
    const b = seededBytes("b", 1000); // inline
    await uploadObject(store, JOB, "multi", [a, b]);
    await putSmall(store, JOB, "single", seededBytes("c", LENGTH));
    await uploadObject(store, JOB, "again", [a]); // the same content: a dedup hit
    assertEquals(recordedCrcs(dir), [
      crc32(a),
      crc32(b),
      crc32(seededBytes("c", LENGTH)),
      crc32(a),
    ]);
  });
});

Deno.test("readVerifiedChunk: a chunk file read into the caller's buffer, checked by its CRC-32", async () => {
  await withLocalStore(async (store) => {
    assert(isVerifiedChunkReader(store));
    const data = seededBytes("d", LENGTH);
    await uploadObject(store, JOB, "d", [data]);
    const [chunk] = await chunksOf(store, "d");
    const into = new Uint8Array(LENGTH + 10);
    const bytes = await store.readVerifiedChunk(JOB, chunk.token, { into });
    assertEquals(bytes, data);
    assert(bytes.buffer === into.buffer, "not read into the given buffer");
    // Too short a buffer: a new one.
    const fresh = await store.readVerifiedChunk(JOB, chunk.token, { into: new Uint8Array(8) });
    assertEquals(fresh, data);
    // Not the chunk the caller expects: refused.
    await assertRejects(
      () => store.readVerifiedChunk(JOB, chunk.token, { checksum: sha256Checksum("other") }),
      Deno.errors.InvalidData,
    );
    await assertRejects(
      () => store.readVerifiedChunk(JOB, chunk.token, { length: LENGTH - 1 }),
      Deno.errors.InvalidData,
    );
    // A flipped bit: an error naming the chunk, whatever the buffer.
    await flipBit(store, chunk.digest, 12_345);
    const error = await assertRejects(
      () => store.readVerifiedChunk(JOB, chunk.token, { into }),
      Deno.errors.InvalidData,
      "CRC-32",
    );
    assert(error.message.includes(Array.from(chunk.digest.subarray(0, 4), hex).join("")));
  });
});

Deno.test("readVerifiedChunk: a chunk file of another length is InvalidData, a missing one an error", async () => {
  await withLocalStore(async (store) => {
    await uploadObject(store, JOB, "e", [seededBytes("e", LENGTH)]);
    await uploadObject(store, JOB, "f", [seededBytes("f", LENGTH)]);
    const [e] = await chunksOf(store, "e");
    const [f] = await chunksOf(store, "f");
    const path = (store.chunkStore as LocalChunkStore).path(e.digest);
    await Deno.truncate(path, LENGTH - 1);
    await assertRejects(() => store.readVerifiedChunk(JOB, e.token), Deno.errors.InvalidData);
    await Deno.writeFile(path, new Uint8Array(LENGTH + 1));
    await assertRejects(() => store.readVerifiedChunk(JOB, e.token), Deno.errors.InvalidData);
    await Deno.remove((store.chunkStore as LocalChunkStore).path(f.digest));
    await assertRejects(() => store.readVerifiedChunk(JOB, f.token), Error, "no longer exists");
  });
});

Deno.test("readVerifiedChunk: a chunk written before CRCs were recorded is checked by its SHA-256", async () => {
  await withLocalStore(async (store, dir) => {
    const data = seededBytes("g", LENGTH);
    await uploadObject(store, JOB, "g", [data]);
    const db = new DatabaseSync(`${dir}/metadata.db`);
    try {
      db.exec("UPDATE chunks SET crc32 = NULL");
    } finally {
      db.close();
    }
    const [chunk] = await chunksOf(store, "g");
    assertEquals(await store.readVerifiedChunk(JOB, chunk.token), data);
    await flipBit(store, chunk.digest, 0);
    await assertRejects(
      () => store.readVerifiedChunk(JOB, chunk.token),
      Deno.errors.InvalidData,
      "SHA-256",
    );
  });
});

Deno.test("readVerifiedChunk: a chunk kept in the database is checked by its SHA-256", async () => {
  await withLocalStore(async (store, dir) => {
    const data = seededBytes("h", 1000);
    await putSmall(store, JOB, "h", data);
    const [chunk] = await chunksOf(store, "h");
    assertEquals(await store.readVerifiedChunk(JOB, chunk.token), data);
    const damaged = data.slice();
    damaged[500] ^= 1;
    const db = new DatabaseSync(`${dir}/metadata.db`);
    try {
      db.prepare("UPDATE inline_chunks SET data = ?").run(damaged);
    } finally {
      db.close();
    }
    await assertRejects(() => store.readVerifiedChunk(JOB, chunk.token), Deno.errors.InvalidData);
  });
});

Deno.test("readVerifiedChunk: a chunk store other than the local one (as S3) is checked by the SHA-256", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-verified-chunks-" });
  try {
    const local = await LocalChunkStore.open(dir, { durable: false });
    let gets = 0;
    // Another ChunkStore (as S3ChunkStore is): bytes come as a stream, never from a local file.
    const remote: ChunkStore = {
      stage: () => local.stage(),
      put: (digest, staged) => local.put(digest, staged),
      get: (digest, length) => {
        gets++;
        return local.get(digest, length);
      },
      delete: (digest) => local.delete(digest),
      list: (shard) => local.list(shard),
    };
    await withLocalStore(async (store) => {
      const data = seededBytes("i", LENGTH);
      await uploadObject(store, JOB, "i", [data]);
      const [chunk] = await chunksOf(store, "i");
      assertEquals(await store.readVerifiedChunk(JOB, chunk.token), data);
      assertEquals(gets, 1);
      const path = local.path(chunk.digest);
      const bytes = await Deno.readFile(path);
      bytes[LENGTH - 1] ^= 0x80;
      await Deno.writeFile(path, bytes);
      await assertRejects(
        () => store.readVerifiedChunk(JOB, chunk.token),
        Deno.errors.InvalidData,
        "SHA-256",
      );
    }, { chunkStore: remote });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function sha256Checksum(text: string): string {
  return btoa(String.fromCharCode(...sha256(new TextEncoder().encode(text))));
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
