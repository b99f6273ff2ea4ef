// Reads by token reuse a version seen current (and its chunk rows) for half the
// grace period, and stay exact: a version another store retired is readable
// through the grace period and gone after it, as without the reuse.

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { chunkChecksum } from "../../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { SqliteMetadataStore } from "../../../src/storage/store/metadata/sqlite_metadata_store.ts";
import type { MetadataStore } from "../../../src/storage/store/mod.ts";
import { VisibleVersions } from "../../../src/storage/store/visible_versions.ts";
import { VersionState } from "../../../src/storage/store/metadata/metadata_store.ts";

const JOB = "job-visible";
const GRACE = 10_000;

/** A metadata store that counts the calls of some methods. */
function counting(target: MetadataStore, counts: Map<string, number>): MetadataStore {
  return new Proxy(target, {
    get(t, key) {
      const value = Reflect.get(t, key, t);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counts.set(String(key), (counts.get(String(key)) ?? 0) + 1);
        return value.apply(t, args);
      };
    },
  });
}

async function readAll(store: EmbeddedStore, token: string): Promise<string> {
  const chunks = await store.listChunks({ StorageJobId: JOB, ObjectToken: token });
  let text = "";
  for (const chunk of chunks.ChunkList) {
    const got = await store.getChunk({ StorageJobId: JOB, ChunkToken: chunk.ChunkToken });
    text += new TextDecoder().decode(await new Response(got.Data).arrayBuffer());
  }
  return text;
}

Deno.test("EmbeddedStore reuses a version seen current, and reads stay exact across stores", async () => {
  const dir = await Deno.makeTempDir();
  let now = 1_000_000;
  const clock = () => now;
  const shared = SqliteMetadataStore.open(`${dir}/metadata.db`, { durable: false });
  const counts = new Map<string, number>();
  const reader = await EmbeddedStore.open(dir, {
    metadataStore: counting(shared, counts),
    durable: false,
    gcIntervalMs: 0,
    gracePeriodMs: GRACE,
    now: clock,
  });
  const writer = await EmbeddedStore.open(dir, {
    metadataStore: shared,
    durable: false,
    gcIntervalMs: 0,
    gracePeriodMs: GRACE,
    now: clock,
  });
  try {
    const data = new TextEncoder().encode("hello");
    await writer.putObject({
      BackupJobId: JOB,
      ObjectName: "a",
      InlineChunk: data,
      InlineChunkChecksum: chunkChecksum(data),
    });
    const token = (await reader.listObjects({ StorageJobId: JOB })).ObjectList[0].ObjectToken!;
    assertEquals(await readAll(reader, token), "hello");
    const first = { version: counts.get("version"), listChunks: counts.get("listChunks") };
    assertEquals(await readAll(reader, token), "hello");
    assertEquals(await readAll(reader, token), "hello");
    // Read twice more without asking the metadata store for the version or its chunks.
    assertEquals(counts.get("version"), first.version);
    assertEquals(counts.get("listChunks"), first.listChunks);
    assertEquals(counts.get("chunk") ?? 0, 0);

    // The other store deletes it: readable by token through the grace period…
    await writer.deleteObject({ BackupJobId: JOB, ObjectName: "a" });
    now += GRACE - 1;
    assertEquals(await readAll(reader, token), "hello");
    // …and gone after it, once the collector dropped it: the reader asks again.
    now += 2;
    await writer.collectGarbage();
    let gone: unknown;
    try {
      await readAll(reader, token);
    } catch (error) {
      gone = error;
    }
    assert(gone instanceof Error, "a version dropped after its grace period was still read");
    assert((counts.get("version") ?? 0) > first.version!);
  } finally {
    await reader.close();
    await writer.close();
    await shared.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VisibleVersions keeps current versions only, for half the grace period, within its bounds", () => {
  let now = 0;
  const seen = new VisibleVersions({
    gracePeriodMs: 1_000,
    now: () => now,
    maxVersions: 2,
    maxChunks: 2,
  });
  const row = (id: number, state: number, chunks: number) => ({
    id,
    job: "j",
    name: new Uint8Array([97]),
    state,
    chunks_count: chunks,
    size: chunks,
    object_checksum: "x",
    metadata_string: null,
    meta_digest: null,
    meta_length: null,
    completed_at: 0,
    retired_at: state === VersionState.Retired ? 0 : null,
  });
  const chunk = (idx: number) => ({ idx, digest: new Uint8Array(32), length: 1, crc32: 0 });
  seen.remember(row(1, VersionState.Pending, 0));
  seen.remember(row(2, VersionState.Retired, 1));
  assertEquals([seen.version(1), seen.version(2)], [undefined, undefined]);
  seen.remember(row(3, VersionState.Current, 2));
  seen.rememberChunks(3, [chunk(0)]); // not the whole list
  assertEquals(seen.chunks(3), undefined);
  seen.rememberChunks(3, [chunk(0), chunk(1)]);
  assertEquals(seen.chunks(3)?.length, 2);
  seen.remember(row(4, VersionState.Current, 3));
  seen.rememberChunks(4, [chunk(0), chunk(1), chunk(2)]); // longer than maxChunks
  assertEquals(seen.chunks(4), undefined);
  seen.remember(row(5, VersionState.Current, 0)); // the third: the oldest (3) goes
  assertEquals([seen.version(3), seen.version(4)?.id, seen.version(5)?.id], [undefined, 4, 5]);
  now = 499;
  assertEquals(seen.version(5)?.id, 5);
  now = 500;
  assertEquals(seen.version(5), undefined);
  const none = new VisibleVersions({ gracePeriodMs: 0 });
  none.remember(row(6, VersionState.Current, 0));
  assertEquals(none.version(6), undefined);
});
