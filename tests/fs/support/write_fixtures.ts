// Fixtures of the write-path tests (object_writer_test.ts, spool_test.ts): a
// throwaway EmbeddedStore, byte-exact read-back through the nine operations,
// an independent SUMMARY, deterministic data, and a storage wrapper that
// holds PutChunk calls and counts them.

import type { BackupStorage } from "../../../src/storage/backup_storage.ts";
import { sha256, summaryChecksum } from "../../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import type { BackupObject, Chunk, PutChunkInput } from "../../../src/storage/types.ts";
import { openTestStore as openEngineStore } from "../../support/test_store.ts";

/** The job id every write-path test uses. */
export const JOB = "fs-write-job";

/** A fresh EmbeddedStore in a temp dir; disposing closes it and removes the dir. */
export interface TestStore extends AsyncDisposable {
  store: EmbeddedStore;
  dir: string;
}

/** Opens a non-durable store without a GC timer in a new temp dir. */
export async function openTestStore(): Promise<TestStore> {
  const dir = await Deno.makeTempDir({ prefix: "fs-write-test-" });
  const store = await openEngineStore(dir, { gcIntervalMs: 0, durable: false });
  return {
    store,
    dir,
    async [Symbol.asyncDispose]() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Deterministic pseudo-random bytes (xorshift32), distinct per seed. */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The SUMMARY of `data` cut into `chunkSize` pieces, computed without the writer. */
export function expectedSummary(data: Uint8Array, chunkSize: number): string {
  const digests: Uint8Array[] = [];
  for (let offset = 0; offset < data.byteLength; offset += chunkSize) {
    digests.push(sha256(data.subarray(offset, offset + chunkSize)));
  }
  return summaryChecksum(digests);
}

/** Every current object named `name` (0 or 1 expected), via ListObjects directly. */
export async function listNamed(storage: BackupStorage, name: string): Promise<BackupObject[]> {
  const page = await storage.listObjects({
    StorageJobId: JOB,
    StartingObjectName: name,
    MaxResults: 10,
  });
  return page.ObjectList.filter((o) => o.Name === name);
}

/** Every object of the job (bounded to a few pages). */
export async function listAll(storage: BackupStorage): Promise<BackupObject[]> {
  const out: BackupObject[] = [];
  let next: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await storage.listObjects({ StorageJobId: JOB, NextToken: next });
    out.push(...result.ObjectList);
    next = result.NextToken;
    if (next === undefined) break;
  }
  return out;
}

/** An object version's bytes and chunk list, via ListChunks and GetChunk directly. */
export async function readVersion(
  storage: BackupStorage,
  object: BackupObject,
): Promise<{ bytes: Uint8Array; chunks: Chunk[] }> {
  const chunks: Chunk[] = [];
  let next: string | undefined;
  for (let page = 0; page < 100_000; page++) {
    const result = await storage.listChunks({
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
      NextToken: next,
    });
    chunks.push(...result.ChunkList);
    next = result.NextToken;
    if (next === undefined) break;
  }
  const total = chunks.reduce((sum, c) => sum + c.Length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    const out = await storage.getChunk({ StorageJobId: JOB, ChunkToken: chunk.ChunkToken });
    const data = new Uint8Array(await new Response(out.Data).arrayBuffer());
    bytes.set(data, offset);
    offset += data.byteLength;
  }
  return { bytes, chunks };
}

/** The current object of that name, read back whole; throws when there is none. */
export async function readCurrent(
  storage: BackupStorage,
  name: string,
): Promise<{ object: BackupObject; bytes: Uint8Array; chunks: Chunk[] }> {
  const [object] = await listNamed(storage, name);
  if (!object) throw new Error(`no object named ${name}`);
  return { object, ...(await readVersion(storage, object)) };
}

/**
 * Passes every call through, but PutChunk waits at a gate (open by default, or
 * delayed a few ms) and is counted: calls now in flight, the peak, and the
 * distinct ArrayBuffers its `Data` came from (the writer's chunk buffers).
 */
export class GatedStorage implements BackupStorage {
  inFlight = 0;
  peakInFlight = 0;
  putChunks = 0;
  readonly buffers = new Set<ArrayBufferLike>();
  #gate: Promise<void> = Promise.resolve();
  #openGate: () => void = () => {};
  #delayMs: number;

  constructor(readonly inner: BackupStorage, options: { delayMs?: number } = {}) {
    this.#delayMs = options.delayMs ?? 0;
  }

  /** Makes PutChunk calls wait until {@link open}. */
  close(): void {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#gate = promise;
    this.#openGate = resolve;
  }

  /** Lets waiting and future PutChunk calls through. */
  open(): void {
    this.#openGate();
    this.#gate = Promise.resolve();
  }

  async putChunk(input: PutChunkInput, options?: { signal?: AbortSignal }) {
    this.putChunks++;
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    if (input.Data instanceof Uint8Array) this.buffers.add(input.Data.buffer);
    try {
      await this.#gate;
      if (this.#delayMs > 0) await new Promise((r) => setTimeout(r, this.#delayMs));
      return await this.inner.putChunk(input, options);
    } finally {
      this.inFlight--;
    }
  }

  deleteObject: BackupStorage["deleteObject"] = (i, o) => this.inner.deleteObject(i, o);
  getChunk: BackupStorage["getChunk"] = (i, o) => this.inner.getChunk(i, o);
  getObjectMetadata: BackupStorage["getObjectMetadata"] = (i, o) =>
    this.inner.getObjectMetadata(i, o);
  listChunks: BackupStorage["listChunks"] = (i, o) => this.inner.listChunks(i, o);
  listObjects: BackupStorage["listObjects"] = (i, o) => this.inner.listObjects(i, o);
  notifyObjectComplete: BackupStorage["notifyObjectComplete"] = (i, o) =>
    this.inner.notifyObjectComplete(i, o);
  putObject: BackupStorage["putObject"] = (i, o) => this.inner.putObject(i, o);
  startObject: BackupStorage["startObject"] = (i, o) => this.inner.startObject(i, o);
}

/** Whether a promise has settled after letting pending callbacks and timers run briefly. */
export async function settled(promise: Promise<unknown>, turns = 20): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  for (let i = 0; i < turns && !done; i++) await new Promise((r) => setTimeout(r, 1));
  return done;
}
