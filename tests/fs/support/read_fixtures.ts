// Fixtures for the read-path tests (chunk map, chunk cache, object reader): a
// throwaway EmbeddedStore behind a FaultyStorage, objects written chunk by chunk
// with any chunk sizes (as other tools may write them), and deterministic bytes.

import { EmbeddedStore, type EmbeddedStoreOptions } from "../../../src/storage/store/mod.ts";
import { chunkChecksum, sha256, summaryChecksum } from "../../../src/storage/checksum.ts";
import type { BackupStorage } from "../../../src/storage/backup_storage.ts";
import type { BackupObject } from "../../../src/storage/types.ts";
import { FaultyStorage } from "../../support/faulty_storage.ts";
import { openTestStore as openEngineStore } from "../../support/test_store.ts";

/** The job every read-path test writes to. */
export const JOB = "read-path-job";

/** A temporary store, wrapped in a FaultyStorage; dispose it to close and delete it. */
export interface TestStore extends AsyncDisposable {
  store: EmbeddedStore;
  faulty: FaultyStorage;
  dir: string;
}

/** Opens an EmbeddedStore in a fresh temp dir (no GC timer, no fsync). */
export async function openTestStore(options: EmbeddedStoreOptions = {}): Promise<TestStore> {
  const dir = await Deno.makeTempDir({ prefix: "fs_read_test_" });
  const store = await openEngineStore(dir, { gcIntervalMs: 0, durable: false, ...options });
  return {
    store,
    faulty: new FaultyStorage(store),
    dir,
    async [Symbol.asyncDispose]() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Deterministic pseudo-random bytes; different seeds give different bytes. */
export function patterned(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761 + 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The bytes of several chunks, one after another. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Chunks of the given lengths, each with its own bytes (seeded by `seed` and its index). */
export function chunksOf(lengths: number[], seed = 1): Uint8Array[] {
  return lengths.map((length, i) => patterned(length, seed * 100_003 + i));
}

/** Writes an object with StartObject, one PutChunk per chunk and NotifyObjectComplete; returns its listing. */
export async function writeChunked(
  storage: BackupStorage,
  name: string,
  chunks: Uint8Array[],
): Promise<BackupObject> {
  const { UploadId } = await storage.startObject({ BackupJobId: JOB, ObjectName: name });
  for (let i = 0; i < chunks.length; i++) {
    await storage.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: i,
      Data: chunks[i],
      Length: chunks[i].byteLength,
      Checksum: chunkChecksum(chunks[i]),
      ChecksumAlgorithm: "SHA256",
    });
  }
  await storage.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: summaryChecksum(chunks.map((c) => sha256(c))),
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  return await findObject(storage, name);
}

/** The current version of an object, by name. */
export async function findObject(storage: BackupStorage, name: string): Promise<BackupObject> {
  const page = await storage.listObjects({
    StorageJobId: JOB,
    StartingObjectName: name,
    MaxResults: 1,
  });
  const object = page.ObjectList[0];
  if (object?.Name !== name) throw new Error(`test fixture: ${name} was not written`);
  return object;
}

/** `count` chunk lengths between `min` and `max` (deterministic). */
export function variedLengths(count: number, min: number, max: number, seed = 7): number[] {
  const noise = patterned(count * 2, seed);
  return Array.from({ length: count }, (_, i) => {
    const r = noise[2 * i] * 256 + noise[2 * i + 1];
    return min + (r % (max - min + 1));
  });
}

/** A BackupStorage that forwards to `inner` except for the operations given in `overrides`. */
export function wrapStorage(
  inner: BackupStorage,
  overrides: Partial<BackupStorage>,
): BackupStorage {
  const forward: BackupStorage = {
    deleteObject: (i, o) => inner.deleteObject(i, o),
    getChunk: (i, o) => inner.getChunk(i, o),
    getObjectMetadata: (i, o) => inner.getObjectMetadata(i, o),
    listChunks: (i, o) => inner.listChunks(i, o),
    listObjects: (i, o) => inner.listObjects(i, o),
    notifyObjectComplete: (i, o) => inner.notifyObjectComplete(i, o),
    putChunk: (i, o) => inner.putChunk(i, o),
    putObject: (i, o) => inner.putObject(i, o),
    startObject: (i, o) => inner.startObject(i, o),
  };
  return { ...forward, ...overrides };
}
