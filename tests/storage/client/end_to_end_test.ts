// The client against the project's own service: createStorageApp (src/server)
// over a real EmbeddedStore, on 127.0.0.1. Every operation, a few error paths,
// a presigned URL, and the paginators, end to end.

import { createStorageApp } from "../../../src/server/app.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { BackupStorageClient } from "../../../src/storage/client/mod.ts";
import { chunkChecksum, sha256, summaryChecksum } from "../../../src/storage/checksum.ts";
import {
  AccessDeniedException,
  DataAlreadyExistsException,
  IllegalArgumentException,
  ResourceNotFoundException,
} from "../../../src/storage/errors.ts";
import { listAllChunks, listAllObjects } from "../../../src/storage/paginate.ts";
import { assert, assertEquals, assertRejects } from "../../support/assert.ts";
import { CREDENTIALS, readAll, REGION } from "./support/client_fixtures.ts";

interface Service extends AsyncDisposable {
  url: string;
}

async function startService(): Promise<Service> {
  const dir = await Deno.makeTempDir({ prefix: "client-e2e-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  const app = createStorageApp(store, {
    credentials: new Map([[CREDENTIALS.accessKeyId, {
      secretAccessKey: CREDENTIALS.secretAccessKey,
    }]]),
    region: REGION,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function client(url: string, secret = CREDENTIALS.secretAccessKey): BackupStorageClient {
  return new BackupStorageClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: secret },
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
  });
}

const JOB = "job-e2e";
const NAME = "dir/sub dir/100%+1~ü€😀.txt";

Deno.test("end to end: upload in chunks, list, read back, metadata, delete", async () => {
  await using service = await startService();
  await using c = client(service.url);
  const parts = [
    crypto.getRandomValues(new Uint8Array(64 * 1024)),
    crypto.getRandomValues(new Uint8Array(1000)),
    new TextEncoder().encode("the end"),
  ];
  const { UploadId } = await c.startObject({ BackupJobId: JOB, ObjectName: NAME });
  for (const [i, data] of parts.entries()) {
    const out = await c.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: i,
      // One chunk goes up as a stream, the others as bytes.
      Data: i === 1 ? new Response(data).body! : data,
      Length: data.byteLength,
      Checksum: chunkChecksum(data),
      ChecksumAlgorithm: "SHA256",
    });
    assertEquals(out.ChunkChecksum, chunkChecksum(data));
  }
  const blob = new TextEncoder().encode("extended attributes");
  const objectChecksum = summaryChecksum(parts.map((p) => sha256(p)));
  const done = await c.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: objectChecksum,
    ObjectChecksumAlgorithm: "SUMMARY",
    MetadataString: "v1;mode=644;ü",
    MetadataBlob: blob,
    MetadataBlobLength: blob.byteLength,
    MetadataBlobChecksum: chunkChecksum(blob),
    MetadataBlobChecksumAlgorithm: "SHA256",
  });
  assertEquals(done.ObjectChecksum, objectChecksum);

  const listed = await c.listObjects({ StorageJobId: JOB, StartingObjectPrefix: "dir/" });
  assertEquals(listed.ObjectList.length, 1);
  const [object] = listed.ObjectList;
  assertEquals(object.Name, NAME);
  assertEquals(object.ObjectChecksum, objectChecksum);
  assertEquals(object.MetadataString, "v1;mode=644;ü");

  const chunks = [];
  for await (
    const chunk of listAllChunks(c, {
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
      MaxResults: 1,
    })
  ) chunks.push(chunk);
  assertEquals(chunks.map((ch) => ch.Index), [0, 1, 2]);
  for (const [i, chunk] of chunks.entries()) {
    const got = await c.getChunk({ StorageJobId: JOB, ChunkToken: chunk.ChunkToken });
    assertEquals(got.Length, parts[i].byteLength);
    assertEquals(got.Checksum, chunkChecksum(parts[i]));
    assertEquals(await readAll(got.Data), parts[i]);
  }

  const meta = await c.getObjectMetadata({ StorageJobId: JOB, ObjectToken: object.ObjectToken });
  assertEquals(meta.MetadataString, "v1;mode=644;ü");
  assertEquals(meta.MetadataBlobLength, blob.byteLength);
  assertEquals(await readAll(meta.MetadataBlob), blob);

  // A presigned URL works with plain fetch.
  const url = await c.presign("GetChunk", { StorageJobId: JOB, ChunkToken: chunks[2].ChunkToken });
  const response = await fetch(url);
  assertEquals(response.status, 200);
  assertEquals(new Uint8Array(await response.arrayBuffer()), parts[2]);

  await c.deleteObject({ BackupJobId: JOB, ObjectName: NAME });
  assertEquals((await c.listObjects({ StorageJobId: JOB })).ObjectList, []);
});

Deno.test("end to end: PutObject, duplicates, paging, and error paths", async () => {
  await using service = await startService();
  await using c = client(service.url);
  const names = Array.from({ length: 7 }, (_, i) => `p/${i} +~${"é".repeat(i)}`);
  for (const name of names) {
    const data = new TextEncoder().encode(name);
    const out = await c.putObject({
      BackupJobId: JOB,
      ObjectName: name,
      InlineChunk: data,
      InlineChunkLength: data.byteLength,
      InlineChunkChecksum: chunkChecksum(data),
      InlineChunkChecksumAlgorithm: "SHA256",
    });
    assertEquals(out.InlineChunkChecksum, chunkChecksum(data));
  }
  await c.putObject({ BackupJobId: JOB, ObjectName: "p/empty/" });
  const all: string[] = [];
  for await (
    const o of listAllObjects(c, { StorageJobId: JOB, StartingObjectPrefix: "p/", MaxResults: 3 })
  ) all.push(o.Name);
  assertEquals(all, [...names, "p/empty/"].sort());

  const existing = await c.listObjects({ StorageJobId: JOB, StartingObjectName: names[0] });
  const dup = await assertRejects(
    () => c.startObject({ BackupJobId: JOB, ObjectName: names[0], ThrowOnDuplicate: true }),
    DataAlreadyExistsException,
  );
  assertEquals(dup.Checksum, existing.ObjectList[0].ObjectChecksum);
  assert(dup.requestId);

  const data = new Uint8Array(10);
  await assertRejects(
    () =>
      c.putObject({
        BackupJobId: JOB,
        ObjectName: "bad",
        InlineChunk: data,
        InlineChunkLength: 10,
        InlineChunkChecksum: chunkChecksum(new Uint8Array(11)),
        InlineChunkChecksumAlgorithm: "SHA256",
      }),
    IllegalArgumentException,
  );
  await assertRejects(
    () => c.getChunk({ StorageJobId: JOB, ChunkToken: "no-such-token" }),
    Error,
  ).then((e) =>
    assert(e instanceof ResourceNotFoundException || e instanceof IllegalArgumentException)
  );

  await using wrong = client(service.url, "not the secret");
  const denied = await assertRejects(
    () => wrong.listObjects({ StorageJobId: JOB }),
    AccessDeniedException,
  );
  assertEquals(denied.statusCode, 403);
  assert(!denied.message.includes("not the secret"));
});
