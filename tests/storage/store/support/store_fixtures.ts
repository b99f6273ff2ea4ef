/**
 * Test support for the embedded store: temporary stores, an injectable clock,
 * deterministic content, streams, and whole-object readers.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { chunkChecksum, sha256, summaryChecksum } from "../../../../src/storage/checksum.ts";
import type { BackupStorage } from "../../../../src/storage/backup_storage.ts";
import { EmbeddedStore, type EmbeddedStoreOptions } from "../../../../src/storage/store/mod.ts";
import { openTestStore } from "../../../support/test_store.ts";

/** A clock tests move by hand. */
export class ManualClock {
  /** Current time in ms. */
  time = 1_700_000_000_000;
  /** The `now` function for the store. */
  now = (): number => this.time;
  /** Moves the clock forward. */
  advance(ms: number): void {
    this.time += ms;
  }
}

/** What a test run by {@link withStore} or {@link withLocalStore} gets besides its store. */
type StoreTest = (
  store: EmbeddedStore,
  context: { dir: string; clock: ManualClock },
) => Promise<void>;

/**
 * Opens a store in a fresh temp dir on this run's engines (PostgreSQL and S3 when
 * the engines run the suite), runs `fn`, closes the store and removes the dir.
 */
export function withStore(fn: StoreTest, options: EmbeddedStoreOptions = {}): Promise<void> {
  return inTempStore(openTestStore, fn, options);
}

/**
 * {@link withStore} on local files in every run: SQLite and chunk files in the
 * temp dir, for a test of those files themselves (the chunk store's `tmp/`, a
 * chunk file damaged behind the store's back).
 */
export function withLocalStore(fn: StoreTest, options: EmbeddedStoreOptions = {}): Promise<void> {
  return inTempStore((dir, opened) => EmbeddedStore.open(dir, opened), fn, options);
}

async function inTempStore(
  open: (dir: string, options: EmbeddedStoreOptions) => Promise<EmbeddedStore>,
  fn: StoreTest,
  options: EmbeddedStoreOptions,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "embedded_store_test_" });
  try {
    const clock = new ManualClock();
    const store = await open(dir, { gcIntervalMs: 0, durable: false, now: clock.now, ...options });
    try {
      await fn(store, { dir, clock });
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Deterministic bytes derived from a seed (SHA-256 in counter mode). */
export function seededBytes(seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const base = createHash("sha256").update(seed).digest();
  for (let offset = 0, counter = 0; offset < length; counter++) {
    const block = createHash("sha256").update(base).update(String(counter)).digest();
    out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    offset += 32;
  }
  return out;
}

/** A stream of the given pieces, optionally erroring after `errorAfter` pieces. */
export function streamOf(
  pieces: Uint8Array[],
  options: { errorAfter?: number } = {},
): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (options.errorAfter !== undefined && i === options.errorAfter) {
        controller.error(new Error("client went away"));
        return;
      }
      if (i < pieces.length) controller.enqueue(pieces[i++]);
      else controller.close();
    },
  });
}

/** Reads a stream to its end. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The SUMMARY checksum of some chunks. */
export function summaryOf(chunks: Uint8Array[]): string {
  return summaryChecksum(chunks.map((c) => sha256(c)));
}

/** The `PutChunk` input of one chunk of an upload, with its length and checksum. */
export function chunkInput(job: string, uploadId: string, index: number, data: Uint8Array) {
  return {
    BackupJobId: job,
    UploadId: uploadId,
    ChunkIndex: index,
    Data: data,
    Length: data.byteLength,
    Checksum: chunkChecksum(data),
    ChecksumAlgorithm: "SHA256" as const,
  };
}

/** Uploads an object chunk by chunk and completes it; returns the completion output. */
export async function uploadObject(
  store: BackupStorage,
  job: string,
  name: string,
  chunks: Uint8Array[],
  options: { metadataString?: string; throwOnDuplicate?: boolean } = {},
): Promise<{ UploadId: string; ObjectChecksum: string }> {
  const { UploadId } = await store.startObject({
    BackupJobId: job,
    ObjectName: name,
    ThrowOnDuplicate: options.throwOnDuplicate,
  });
  await Promise.all(
    chunks.map((data, index) => store.putChunk(chunkInput(job, UploadId, index, data))),
  );
  const done = await store.notifyObjectComplete({
    BackupJobId: job,
    UploadId,
    ObjectChecksum: summaryOf(chunks),
    ObjectChecksumAlgorithm: "SUMMARY",
    MetadataString: options.metadataString,
  });
  return { UploadId, ObjectChecksum: done.ObjectChecksum };
}

/** Puts a one-chunk object with PutObject. */
export function putSmall(
  store: BackupStorage,
  job: string,
  name: string,
  data: Uint8Array,
  extra: { MetadataString?: string; ThrowOnDuplicate?: boolean } = {},
) {
  return store.putObject({
    BackupJobId: job,
    ObjectName: name,
    InlineChunk: data,
    InlineChunkLength: data.byteLength,
    InlineChunkChecksum: chunkChecksum(data),
    InlineChunkChecksumAlgorithm: "SHA256",
    ...extra,
  });
}

/** Lists every current name of a job (bounded pages of `pageSize`). */
export async function allNames(
  store: EmbeddedStore,
  job: string,
  pageSize = 100,
): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const out = await store.listObjects({
      StorageJobId: job,
      MaxResults: pageSize,
      NextToken: token,
    });
    names.push(...out.ObjectList.map((o) => o.Name));
    token = out.NextToken;
    if (!token) break;
  }
  return names;
}

/** Reads a whole version by token: all chunks, checked against their checksums. */
export async function readObject(
  store: EmbeddedStore,
  job: string,
  objectToken: string,
): Promise<{ chunks: Uint8Array[]; bytes: Uint8Array }> {
  const chunks: Uint8Array[] = [];
  let token: string | undefined;
  for (let page = 0; page < 100_000; page++) {
    const out = await store.listChunks({
      StorageJobId: job,
      ObjectToken: objectToken,
      NextToken: token,
    });
    for (const chunk of out.ChunkList) {
      if (chunk.Index !== chunks.length) throw new Error(`chunk ${chunks.length} missing`);
      const got = await store.getChunk({ StorageJobId: job, ChunkToken: chunk.ChunkToken });
      const data = await readAll(got.Data);
      if (data.byteLength !== chunk.Length || chunkChecksum(data) !== chunk.Checksum) {
        throw new Error(`chunk ${chunk.Index} is corrupt`);
      }
      chunks.push(data);
    }
    token = out.NextToken;
    if (!token) break;
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return { chunks, bytes };
}

/** Flips one character of a token (keeping it base64url). */
export function tamper(token: string, at = Math.floor(token.length / 2)): string {
  const c = token[at];
  return token.slice(0, at) + (c === "A" ? "B" : "A") + token.slice(at + 1);
}

/** Counts files under the chunk tree of a store dir. */
export async function countChunkFiles(dir: string): Promise<number> {
  let count = 0;
  for await (const fan of Deno.readDir(`${dir}/chunks`)) {
    for await (const _ of Deno.readDir(`${dir}/chunks/${fan.name}`)) count++;
  }
  return count;
}

/** Awaits a rejection of class `type` whose message matches `pattern`; returns the error. */
export async function assertRejects<E extends Error>(
  promise: Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
  pattern?: RegExp,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof type)) {
      throw new Error(
        `expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`,
      );
    }
    if (pattern && !pattern.test(error.message)) {
      throw new Error(`expected message matching ${pattern}, got: ${error.message}`);
    }
    return error;
  }
  throw new Error(`expected ${type.name}, but the call succeeded`);
}

/** Counts the chunks (and metadata blobs) a store keeps, in files and inline. */
export async function countStoredChunks(store: EmbeddedStore): Promise<number> {
  const counts = await store.storedChunks();
  return counts.files + counts.inline;
}
