// Client ↔ service round trips over real HTTP: BackupStorageClient → Deno.serve
// (127.0.0.1:0) → createStorageApp → EmbeddedStore in a temp dir. Every output
// field of the nine operations is checked against independently computed values.

import { Buffer } from "node:buffer";
import { chunkChecksum, sha256, summaryChecksum } from "../../src/storage/checksum.ts";
import type { BackupStorageClient } from "../../src/storage/client/mod.ts";
import {
  DataAlreadyExistsException,
  IllegalArgumentException,
  ResourceNotFoundException,
} from "../../src/storage/errors.ts";
import { paginateListChunks, paginateListObjects } from "../../src/storage/paginate.ts";
import type { BackupObject, OutputBase } from "../../src/storage/types.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import { makeClient, readAll, startService } from "./support/service_fixtures.ts";

const JOB = "job-round-trip";
const EMPTY_CHECKSUM = chunkChecksum(new Uint8Array());
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const encoder = new TextEncoder();

/** Asserts the exchange facts of a successful single-attempt call; returns the data fields. */
function data<T extends OutputBase>(output: T): Omit<T, "$metadata"> {
  const { $metadata, ...rest } = output;
  assertEquals($metadata.httpStatusCode, 200);
  assertEquals($metadata.attempts, 1);
  assertMatch($metadata.requestId ?? "", UUID);
  assertEquals(Object.keys($metadata).sort(), ["attempts", "httpStatusCode", "requestId"]);
  return rest;
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(encoder.encode(a), encoder.encode(b));
}

/** Deterministic bytes (so expected values never come from the service). */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function assertToken(value: unknown): asserts value is string {
  assert(typeof value === "string" && value.length > 0, `expected a token, got ${value}`);
}

/** Puts one small object with an inline chunk and returns its SUMMARY checksum. */
async function putSmall(client: BackupStorageClient, name: string, content: Uint8Array) {
  const out = await client.putObject({
    BackupJobId: JOB,
    ObjectName: name,
    InlineChunk: content,
    InlineChunkLength: content.byteLength,
    InlineChunkChecksum: chunkChecksum(content),
    InlineChunkChecksumAlgorithm: "SHA256",
  });
  const summary = summaryChecksum([sha256(content)]);
  assertEquals(data(out), {
    InlineChunkChecksum: chunkChecksum(content),
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: summary,
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  return summary;
}

async function listAll(client: BackupStorageClient, input: { StartingObjectPrefix?: string } = {}) {
  const out: BackupObject[] = [];
  for await (
    const page of paginateListObjects(client, { StorageJobId: JOB, ...input }, { maxPages: 100 })
  ) out.push(...page.ObjectList);
  return out;
}

Deno.test("round trip: chunked upload with metadata, then every read operation", async () => {
  await using service = await startService();
  await using client = makeClient(service.url);
  const name = "photos/2024 trip/100% ü+€ 😀.raw";
  const sizes = [300_000, 1, 65_536, 5, 131_071, 2, 70_000];
  const parts = sizes.map((size, i) => bytes(size, i + 1));
  const metadataString = "v1;mode=0644;owner=Grüße 日本 😀;t=ä+%/";
  const blob = bytes(1024 * 1024 + 3, 99);

  const started = await client.startObject({ BackupJobId: JOB, ObjectName: name });
  const { UploadId } = data(started);
  assertToken(UploadId);
  assertEquals(Object.keys(data(started)), ["UploadId"]);

  // Chunks go up out of order, half as bytes and half as streams.
  const order = [3, 0, 6, 1, 5, 2, 4];
  for (const i of order) {
    const part = parts[i];
    const out = await client.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: i,
      Data: i % 2 === 0 ? part : new Blob([part as BlobPart]).stream(),
      Length: part.byteLength,
      Checksum: chunkChecksum(part),
      ChecksumAlgorithm: "SHA256",
    });
    assertEquals(data(out), {
      ChunkChecksum: chunkChecksum(part),
      ChunkChecksumAlgorithm: "SHA256",
    });
  }
  // Not visible before completion.
  assertEquals(data(await client.listObjects({ StorageJobId: JOB })), { ObjectList: [] });

  const summary = summaryChecksum(parts.map((p) => sha256(p)));
  const done = await client.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: summary,
    ObjectChecksumAlgorithm: "SUMMARY",
    MetadataString: metadataString,
    MetadataBlob: new Blob([blob as BlobPart]).stream(),
    MetadataBlobLength: blob.byteLength,
    MetadataBlobChecksum: chunkChecksum(blob),
    MetadataBlobChecksumAlgorithm: "SHA256",
  });
  assertEquals(data(done), { ObjectChecksum: summary, ObjectChecksumAlgorithm: "SUMMARY" });

  const listed = data(await client.listObjects({ StorageJobId: JOB }));
  assertEquals(listed.NextToken, undefined);
  assertEquals(listed.ObjectList.length, 1);
  const { ObjectToken, ...described } = listed.ObjectList[0];
  assertToken(ObjectToken);
  assertEquals(described, {
    Name: name,
    ChunksCount: parts.length,
    MetadataString: metadataString,
    ObjectChecksum: summary,
    ObjectChecksumAlgorithm: "SUMMARY",
  });

  // ListChunks, page sizes 1..3 and the default: same chunks, pages no larger than asked.
  let reference: string[] | undefined;
  for (const max of [1, 2, 3, undefined]) {
    const chunks = [];
    let pages = 0;
    for await (
      const page of paginateListChunks(client, {
        StorageJobId: JOB,
        ObjectToken,
        ...(max === undefined ? {} : { MaxResults: max }),
      }, { maxPages: 20 })
    ) {
      pages++;
      const { ChunkList, NextToken } = data(page);
      assert(ChunkList.length <= (max ?? 100) && ChunkList.length > 0);
      if (NextToken !== undefined) assertToken(NextToken);
      chunks.push(...ChunkList);
    }
    assertEquals(pages, Math.ceil(parts.length / (max ?? 100)));
    assertEquals(
      chunks.map(({ ChunkToken: _, ...c }) => c),
      parts.map((p, i) => ({
        Index: i,
        Length: p.byteLength,
        Checksum: chunkChecksum(p),
        ChecksumAlgorithm: "SHA256",
      })),
    );
    for (const c of chunks) assertToken(c.ChunkToken);
    // Tokens from every page size work; read each chunk back.
    const tokens = chunks.map((c) => c.ChunkToken);
    if (reference === undefined) {
      reference = tokens;
      for (const [i, token] of tokens.entries()) {
        const got = await client.getChunk({ StorageJobId: JOB, ChunkToken: token });
        const { Data, ...fields } = data(got);
        assertEquals(fields, {
          Length: parts[i].byteLength,
          Checksum: chunkChecksum(parts[i]),
          ChecksumAlgorithm: "SHA256",
        });
        assertEquals(await readAll(Data), parts[i]);
      }
    } else {
      const last = await client.getChunk({ StorageJobId: JOB, ChunkToken: tokens.at(-1)! });
      assertEquals(await readAll(last.Data), parts.at(-1));
    }
  }

  const meta = await client.getObjectMetadata({ StorageJobId: JOB, ObjectToken });
  const { MetadataBlob, ...metaFields } = data(meta);
  assertEquals(metaFields, {
    MetadataString: metadataString,
    MetadataBlobLength: blob.byteLength,
    MetadataBlobChecksum: chunkChecksum(blob),
    MetadataBlobChecksumAlgorithm: "SHA256",
  });
  const blobBack = await readAll(MetadataBlob);
  assertEquals(blobBack.byteLength, blob.byteLength);
  assertEquals(chunkChecksum(blobBack), chunkChecksum(blob));
  assert(Buffer.compare(blobBack, blob) === 0);

  // A chunk token from another job, and a ListChunks token of the wrong shape, are refused.
  await assertRejects(
    () => client.getChunk({ StorageJobId: "other-job", ChunkToken: reference![0] }),
    IllegalArgumentException,
  );
  await assertRejects(
    () => client.listChunks({ StorageJobId: JOB, ObjectToken, NextToken: ObjectToken }),
    IllegalArgumentException,
  );
});

Deno.test("round trip: names with /, spaces, %, +, reserved and unicode characters", async () => {
  await using service = await startService();
  await using client = makeClient(service.url);
  const names = [
    "a/b/c",
    "with space",
    " leading and trailing ",
    "100%",
    "%2F not a slash",
    "%%41",
    "a+b",
    "plus+and space+",
    "ü/日本語/😀",
    "trailing/",
    "/leading",
    "double//slash",
    "?query#hash&amp=1;x",
    "~tilde*star'quote(paren)!$,@:[]",
    "e\u0301 vs \u00e9",
    "\uffff\ud7ff",
    "tab\tand\u00a0nbsp",
    "x".repeat(1024),
    "€".repeat(341), // 1023 bytes
  ];
  const contents = new Map(names.map((n, i) => [n, bytes(17 + i, 1000 + i)]));
  for (const name of names) await putSmall(client, name, contents.get(name)!);

  const listed = await listAll(client);
  assertEquals(listed.map((o) => o.Name), [...names].sort(byBytes));
  for (const object of listed) {
    const content = contents.get(object.Name)!;
    assertEquals(object.ChunksCount, 1);
    assertEquals(object.ObjectChecksum, summaryChecksum([sha256(content)]));
    const { ChunkList } = await client.listChunks({
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
    });
    const got = await client.getChunk({ StorageJobId: JOB, ChunkToken: ChunkList[0].ChunkToken });
    assertEquals(await readAll(got.Data), content);
    // Listing from the exact name finds it first; the prefix of the whole name too.
    const from = await client.listObjects({
      StorageJobId: JOB,
      StartingObjectName: object.Name,
      MaxResults: 1,
    });
    assertEquals(from.ObjectList.map((o) => o.Name), [object.Name]);
    const prefixed = await client.listObjects({
      StorageJobId: JOB,
      StartingObjectPrefix: object.Name,
    });
    assertEquals(prefixed.ObjectList[0].Name, object.Name);
  }

  // Delete every other name through the same label encoding.
  const deleted = names.filter((_, i) => i % 2 === 0);
  for (const name of deleted) {
    assertEquals(data(await client.deleteObject({ BackupJobId: JOB, ObjectName: name })), {});
  }
  assertEquals(
    (await listAll(client)).map((o) => o.Name),
    names.filter((n) => !deleted.includes(n)).sort(byBytes),
  );
  // A name one byte over the limit is refused (by the client or the service).
  await assertRejects(
    () => client.startObject({ BackupJobId: JOB, ObjectName: "x".repeat(1025) }),
    IllegalArgumentException,
  );
});

Deno.test("round trip: PutObject with and without an inline chunk, replace, ThrowOnDuplicate", async () => {
  await using service = await startService();
  await using client = makeClient(service.url);
  const maxMeta = "é".repeat(128); // exactly 256 bytes of UTF-8

  // Without an inline chunk: an empty object, with metadata.
  const empty = await client.putObject({
    BackupJobId: JOB,
    ObjectName: "dir/empty/",
    MetadataString: maxMeta,
  });
  assertEquals(data(empty), {
    InlineChunkChecksum: EMPTY_CHECKSUM,
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: summaryChecksum([]),
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  assertEquals(summaryChecksum([]), EMPTY_CHECKSUM);

  // With one, and a correct expected ObjectChecksum.
  const content = bytes(200_000, 7);
  const summary = summaryChecksum([sha256(content)]);
  const full = await client.putObject({
    BackupJobId: JOB,
    ObjectName: "dir/file.bin",
    MetadataString: "v1",
    InlineChunk: new Blob([content as BlobPart]).stream(),
    InlineChunkLength: content.byteLength,
    InlineChunkChecksum: chunkChecksum(content),
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: summary,
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  assertEquals(data(full), {
    InlineChunkChecksum: chunkChecksum(content),
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: summary,
    ObjectChecksumAlgorithm: "SUMMARY",
  });

  const objects = await listAll(client);
  assertEquals(objects.map(({ ObjectToken: _, ...o }) => o), [
    {
      Name: "dir/empty/",
      ChunksCount: 0,
      MetadataString: maxMeta,
      ObjectChecksum: EMPTY_CHECKSUM,
      ObjectChecksumAlgorithm: "SUMMARY",
    },
    {
      Name: "dir/file.bin",
      ChunksCount: 1,
      MetadataString: "v1",
      ObjectChecksum: summary,
      ObjectChecksumAlgorithm: "SUMMARY",
    },
  ]);
  const [emptyObject, fileObject] = objects;
  assertEquals(
    data(await client.listChunks({ StorageJobId: JOB, ObjectToken: emptyObject.ObjectToken })),
    { ChunkList: [] },
  );
  const emptyMeta = await client.getObjectMetadata({
    StorageJobId: JOB,
    ObjectToken: emptyObject.ObjectToken,
  });
  const { MetadataBlob, ...emptyMetaFields } = data(emptyMeta);
  assertEquals(emptyMetaFields, { MetadataString: maxMeta, MetadataBlobLength: 0 });
  assertEquals(await readAll(MetadataBlob), new Uint8Array());

  // A wrong expected ObjectChecksum, or a wrong chunk checksum, stores nothing.
  const other = bytes(10, 8);
  await assertRejects(
    () =>
      client.putObject({
        BackupJobId: JOB,
        ObjectName: "dir/file.bin",
        InlineChunk: other,
        InlineChunkLength: other.byteLength,
        InlineChunkChecksum: chunkChecksum(other),
        ObjectChecksum: summary,
        ObjectChecksumAlgorithm: "SUMMARY",
      }),
    IllegalArgumentException,
  );
  await assertRejects(
    () =>
      client.putObject({
        BackupJobId: JOB,
        ObjectName: "dir/new.bin",
        InlineChunk: other,
        InlineChunkLength: other.byteLength,
        InlineChunkChecksum: chunkChecksum(content),
      }),
    IllegalArgumentException,
  );
  assertEquals(
    (await listAll(client)).map((o) => o.ObjectToken),
    objects.map((o) => o.ObjectToken),
  );

  // ThrowOnDuplicate on an existing name: typed error carrying the existing checksum.
  for (const attempt of ["putObject", "startObject"] as const) {
    const error = await assertRejects(
      () =>
        attempt === "putObject"
          ? client.putObject({
            BackupJobId: JOB,
            ObjectName: "dir/file.bin",
            InlineChunk: other,
            InlineChunkLength: other.byteLength,
            InlineChunkChecksum: chunkChecksum(other),
            ThrowOnDuplicate: true,
          })
          : client.startObject({
            BackupJobId: JOB,
            ObjectName: "dir/file.bin",
            ThrowOnDuplicate: true,
          }),
      DataAlreadyExistsException,
    );
    assertEquals(error.Checksum, summary);
    assertEquals(error.ChecksumAlgorithm, "SUMMARY");
    assertEquals(error.statusCode, 400);
    assertMatch(error.requestId ?? "", UUID);
  }
  // ThrowOnDuplicate on a free name works; a writer that completes first makes it fail at completion.
  const guarded = await client.startObject({
    BackupJobId: JOB,
    ObjectName: "dir/race.bin",
    ThrowOnDuplicate: true,
  });
  const winner = await putSmall(client, "dir/race.bin", other);
  await client.putChunk({
    BackupJobId: JOB,
    UploadId: guarded.UploadId,
    ChunkIndex: 0,
    Data: content,
    Length: content.byteLength,
    Checksum: chunkChecksum(content),
    ChecksumAlgorithm: "SHA256",
  });
  const late = await assertRejects(
    () =>
      client.notifyObjectComplete({
        BackupJobId: JOB,
        UploadId: guarded.UploadId,
        ObjectChecksum: summary,
        ObjectChecksumAlgorithm: "SUMMARY",
      }),
    DataAlreadyExistsException,
  );
  assertEquals(late.Checksum, winner);

  // Without ThrowOnDuplicate, PutObject replaces; the old token keeps the old bytes.
  const replaced = await putSmall(client, "dir/file.bin", other);
  const after = await listAll(client, { StartingObjectPrefix: "dir/file.bin" });
  assertEquals(after.map((o) => [o.Name, o.ObjectChecksum, o.MetadataString]), [
    ["dir/file.bin", replaced, undefined],
  ]);
  const oldChunks = await client.listChunks({
    StorageJobId: JOB,
    ObjectToken: fileObject.ObjectToken,
  });
  const oldData = await client.getChunk({
    StorageJobId: JOB,
    ChunkToken: oldChunks.ChunkList[0].ChunkToken,
  });
  assertEquals(await readAll(oldData.Data), content);
});

Deno.test("round trip: ListObjects prefix, starting name, time filters, pages of 1..3", async () => {
  // The store's clock is driven by the test, so completion times are exact.
  let clock = Date.UTC(2031, 4, 6, 7, 8, 9, 123);
  await using service = await startService({ store: { now: () => clock } });
  await using client = makeClient(service.url);
  const names = [
    "b/2",
    "a",
    "a/1",
    "b",
    "a/2 x",
    "ab",
    "a/3+",
    "b/1",
    "ä/1",
    "a%",
    "c",
    "a/😀",
  ];
  const created = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    clock += 1000 + i; // distinct, increasing completion times
    await putSmall(client, name, bytes(3, i));
    created.set(name, clock);
  }
  const times = [...created.values()];
  const sorted = [...names].sort(byBytes);
  type Filter = {
    StartingObjectPrefix?: string;
    StartingObjectName?: string;
    CreatedBefore?: Date;
    CreatedAfter?: Date;
  };
  const expected = (f: Filter) =>
    sorted.filter((n) =>
      (f.StartingObjectPrefix === undefined || n.startsWith(f.StartingObjectPrefix)) &&
      (f.StartingObjectName === undefined || byBytes(n, f.StartingObjectName) >= 0) &&
      (f.CreatedBefore === undefined || created.get(n)! < f.CreatedBefore.getTime()) &&
      (f.CreatedAfter === undefined || created.get(n)! > f.CreatedAfter.getTime())
    );
  const filters: Filter[] = [
    {},
    { StartingObjectPrefix: "a/" },
    { StartingObjectPrefix: "a" },
    { StartingObjectPrefix: "ä" },
    { StartingObjectPrefix: "zz" },
    { StartingObjectName: "a/2" },
    { StartingObjectName: "b" },
    { StartingObjectName: "a/3+", StartingObjectPrefix: "a/" },
    { StartingObjectName: "a", StartingObjectPrefix: "a/" },
    { StartingObjectName: "b", StartingObjectPrefix: "a/" },
    { CreatedAfter: new Date(times[4]) },
    { CreatedBefore: new Date(times[4]) },
    { CreatedAfter: new Date(times[2]), CreatedBefore: new Date(times[9]) },
    { CreatedAfter: new Date(times[1] + 1), StartingObjectPrefix: "a/" },
    { CreatedBefore: new Date(times[6] + 1), StartingObjectName: "a/2 x" },
    { CreatedAfter: new Date(clock) },
  ];
  for (const filter of filters) {
    const want = expected(filter);
    for (const max of [1, 2, 3]) {
      const got: string[] = [];
      let pages = 0;
      for await (
        const page of paginateListObjects(client, {
          StorageJobId: JOB,
          MaxResults: max,
          ...filter,
        }, { maxPages: 50 })
      ) {
        pages++;
        const fields = data(page);
        assert(fields.ObjectList.length <= max, "a page larger than MaxResults");
        if (fields.NextToken !== undefined) assertToken(fields.NextToken);
        got.push(...fields.ObjectList.map((o) => o.Name));
      }
      const label = `${JSON.stringify(filter)} MaxResults ${max}`;
      assertEquals(got, want, label);
      const full = Math.ceil(want.length / max);
      assert(pages >= Math.max(1, full) && pages <= full + 1, `${label}: ${pages} pages`);
      if (filter.CreatedAfter === undefined && filter.CreatedBefore === undefined) {
        assertEquals(pages, Math.max(1, full), label);
      }
    }
  }
  // A tampered NextToken is refused.
  const first = await client.listObjects({ StorageJobId: JOB, MaxResults: 1 });
  const token = first.NextToken!;
  const mid = token.length >> 1;
  const tampered = token.slice(0, mid) + (token[mid] === "A" ? "B" : "A") + token.slice(mid + 1);
  await assertRejects(
    () => client.listObjects({ StorageJobId: JOB, NextToken: tampered }),
    IllegalArgumentException,
  );
});

Deno.test("round trip: DeleteObject keeps old tokens readable through the grace period only", async () => {
  let clock = Date.UTC(2032, 0, 1);
  const grace = 60_000;
  await using service = await startService({ store: { now: () => clock, gracePeriodMs: grace } });
  await using client = makeClient(service.url);
  const name = "docs/report 2024+final%.pdf";
  const content = bytes(50_000, 3);
  const blob = encoder.encode("xattr: user.tag=ü");
  const { UploadId } = await client.startObject({ BackupJobId: JOB, ObjectName: name });
  await client.putChunk({
    BackupJobId: JOB,
    UploadId,
    ChunkIndex: 0,
    Data: content,
    Length: content.byteLength,
    Checksum: chunkChecksum(content),
    ChecksumAlgorithm: "SHA256",
  });
  await client.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: summaryChecksum([sha256(content)]),
    ObjectChecksumAlgorithm: "SUMMARY",
    MetadataString: "kept",
    MetadataBlob: blob,
    MetadataBlobLength: blob.byteLength,
    MetadataBlobChecksum: chunkChecksum(blob),
    MetadataBlobChecksumAlgorithm: "SHA256",
  });
  const [object] = (await client.listObjects({ StorageJobId: JOB })).ObjectList;
  const { ChunkList } = await client.listChunks({
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });

  clock += 1000;
  const deleted = await client.deleteObject({ BackupJobId: JOB, ObjectName: name });
  assertEquals(data(deleted), {});
  // Gone from every listing...
  assertEquals((await client.listObjects({ StorageJobId: JOB })).ObjectList, []);
  assertEquals(
    (await client.listObjects({ StorageJobId: JOB, StartingObjectName: name })).ObjectList,
    [],
  );
  assertEquals(
    (await client.listObjects({ StorageJobId: JOB, StartingObjectPrefix: "docs/" })).ObjectList,
    [],
  );
  // ...deleting again is ResourceNotFound...
  const again = await assertRejects(
    () => client.deleteObject({ BackupJobId: JOB, ObjectName: name }),
    ResourceNotFoundException,
  );
  assertEquals(again.statusCode, 404);
  // ...but the old token still reads, within the grace period.
  clock += grace - 2000;
  const meta = await client.getObjectMetadata({
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });
  assertEquals(meta.MetadataString, "kept");
  assertEquals(await readAll(meta.MetadataBlob), blob);
  const chunks = await client.listChunks({ StorageJobId: JOB, ObjectToken: object.ObjectToken });
  assertEquals(chunks.ChunkList.map((c) => c.Checksum), [chunkChecksum(content)]);
  const got = await client.getChunk({ StorageJobId: JOB, ChunkToken: ChunkList[0].ChunkToken });
  assertEquals(await readAll(got.Data), content);

  // The name can be reused at once; the old token still names the old version.
  const fresh = bytes(10, 4);
  await putSmall(client, name, fresh);
  const [current] = (await client.listObjects({ StorageJobId: JOB })).ObjectList;
  assert(current.ObjectToken !== object.ObjectToken);
  const oldAgain = await client.getChunk({
    StorageJobId: JOB,
    ChunkToken: ChunkList[0].ChunkToken,
  });
  assertEquals(await readAll(oldAgain.Data), content);

  // Past the grace period the old version is gone for readers.
  clock += 5000;
  await assertRejects(
    () => client.getObjectMetadata({ StorageJobId: JOB, ObjectToken: object.ObjectToken }),
    ResourceNotFoundException,
  );
  await assertRejects(
    () => client.listChunks({ StorageJobId: JOB, ObjectToken: object.ObjectToken }),
    ResourceNotFoundException,
  );
  await assertRejects(
    () => client.getChunk({ StorageJobId: JOB, ChunkToken: ChunkList[0].ChunkToken }),
    ResourceNotFoundException,
  );
  const currentChunks = await client.listChunks({
    StorageJobId: JOB,
    ObjectToken: current.ObjectToken,
  });
  const currentData = await client.getChunk({
    StorageJobId: JOB,
    ChunkToken: currentChunks.ChunkList[0].ChunkToken,
  });
  assertEquals(await readAll(currentData.Data), fresh);
});
