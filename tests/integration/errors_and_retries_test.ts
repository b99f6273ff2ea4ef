// Errors and retries end to end: the service runs over a FaultyStorage wrapping
// a real EmbeddedStore, so every exception it can raise travels the wire, and
// the client's retry policy is measured by how often the storage was called.

import { randomBytes } from "node:crypto";
import { chunkChecksum, sha256, summaryChecksum } from "../../src/storage/checksum.ts";
import type { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { INTERNAL_ERROR_MESSAGE } from "../../src/server/error_response.ts";
import {
  BackupStorageServiceError,
  DataAlreadyExistsException,
  ERROR_CLASSES,
  ERROR_STATUS,
  type ErrorCode,
  ServiceInternalException,
  ThrottlingException,
} from "../../src/storage/errors.ts";
import type { OperationName, ResponseMetadata } from "../../src/storage/types.ts";
import { assert, assertEquals, assertInstanceOf, assertMatch } from "../support/assert.ts";
import { FaultyStorage } from "../support/faulty_storage.ts";
import { makeClient, readAll, type Service, startService } from "./support/service_fixtures.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";

const JOB = "job-faults";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SOME_CHECKSUM = chunkChecksum(new TextEncoder().encode("existing"));

type ErrorClass = new (message?: string) => BackupStorageServiceError;

/** The codes the client retries, named here so that the test checks the classification. */
const RETRYABLE_CODES: readonly ErrorCode[] = [
  "ThrottlingException",
  "RetryableException",
  "ServiceUnavailableException",
  "ServiceInternalException",
];
const RETRYABLE: [ErrorClass, string][] = RETRYABLE_CODES.map((code) => [
  ERROR_CLASSES[code],
  code,
]);
const NOT_RETRYABLE: [ErrorClass, string][] = (Object.keys(ERROR_CLASSES) as ErrorCode[])
  .filter((code) => !RETRYABLE_CODES.includes(code))
  .map((code) => [ERROR_CLASSES[code], code]);

/** One call of each operation; inputs pass the client's checks (the fault fires before the store). */
const CALLS: Record<OperationName, (c: BackupStorageClient) => Promise<unknown>> = {
  DeleteObject: (c) => c.deleteObject({ BackupJobId: JOB, ObjectName: "dir/o n+%" }),
  GetChunk: (c) => c.getChunk({ StorageJobId: JOB, ChunkToken: "chunk-token" }),
  GetObjectMetadata: (c) => c.getObjectMetadata({ StorageJobId: JOB, ObjectToken: "obj-token" }),
  ListChunks: (c) => c.listChunks({ StorageJobId: JOB, ObjectToken: "obj-token", MaxResults: 2 }),
  ListObjects: (c) => c.listObjects({ StorageJobId: JOB, StartingObjectPrefix: "dir/" }),
  NotifyObjectComplete: (c) =>
    c.notifyObjectComplete({
      BackupJobId: JOB,
      UploadId: "upload",
      ObjectChecksum: summaryChecksum([]),
      ObjectChecksumAlgorithm: "SUMMARY",
    }),
  PutChunk: (c) => {
    const data = new Uint8Array(1000).fill(1);
    return c.putChunk({
      BackupJobId: JOB,
      UploadId: "upload",
      ChunkIndex: 0,
      Data: data,
      Length: data.byteLength,
      Checksum: chunkChecksum(data),
      ChecksumAlgorithm: "SHA256",
    });
  },
  PutObject: (c) => {
    const data = new Uint8Array(10).fill(2);
    return c.putObject({
      BackupJobId: JOB,
      ObjectName: "dir/p",
      InlineChunk: data,
      InlineChunkLength: data.byteLength,
      InlineChunkChecksum: chunkChecksum(data),
    });
  },
  StartObject: (c) => c.startObject({ BackupJobId: JOB, ObjectName: "dir/s" }),
};

async function startFaulty(): Promise<{ service: Service; faulty: FaultyStorage }> {
  let faulty!: FaultyStorage;
  const service = await startService({ wrap: (store) => (faulty = new FaultyStorage(store)) });
  return { service, faulty };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

function metadataOf(value: unknown): ResponseMetadata {
  return (value as { $metadata: ResponseMetadata }).$metadata;
}

Deno.test("errors: every service exception reaches the client typed, with status, request id and message", async () => {
  const { service, faulty } = await startFaulty();
  await using _service = service;
  await using client = makeClient(service.url, { maxAttempts: 1 });
  const all = [...RETRYABLE, ...NOT_RETRYABLE];
  assertEquals(all.map(([, code]) => code).sort(), Object.keys(ERROR_STATUS).sort());

  for (
    const [operation, call] of Object.entries(CALLS) as [OperationName, typeof CALLS.GetChunk][]
  ) {
    for (const [Class, code] of all) {
      const message = `${code} from ${operation}: ünïcode & "quotes" <tags>`;
      faulty.reset();
      faulty.fail(
        operation,
        () =>
          Class === DataAlreadyExistsException
            ? new DataAlreadyExistsException(message, {
              checksum: SOME_CHECKSUM,
              checksumAlgorithm: "SUMMARY",
            })
            : new Class(message),
      );
      const reported = service.errors.length;
      const error = await caught(call(client));
      const label = `${operation} ${code}`;
      assertInstanceOf(error, Class, label);
      assertInstanceOf(error, BackupStorageServiceError, label);
      assertEquals(error.code, code, label);
      assertEquals(error.name, code, label);
      assertEquals(error.statusCode, ERROR_STATUS[code as keyof typeof ERROR_STATUS], label);
      assertEquals(error.message, message, label);
      assertMatch(error.requestId ?? "", UUID);
      // The request id is the one the service logged for this failure.
      assertEquals(service.errors.length, reported + 1, label);
      assertEquals(service.errors[reported].requestId, error.requestId, label);
      assertEquals(metadataOf(error), {
        httpStatusCode: error.statusCode,
        requestId: error.requestId,
        attempts: 1,
      });
      if (error instanceof DataAlreadyExistsException) {
        assertEquals(error.Checksum, SOME_CHECKSUM);
        assertEquals(error.ChecksumAlgorithm, "SUMMARY");
      }
      assertEquals(faulty.calls[operation], 1, label);
    }
  }
});

Deno.test("errors: an unexpected failure is a ServiceInternalException that leaks nothing", async () => {
  const { service, faulty } = await startFaulty();
  await using _service = service;
  await using client = makeClient(service.url, { maxAttempts: 1 });
  const secret = "open /var/lib/secret-path/key.pem: permission denied (token=hunter2)";
  for (
    const make of [
      () => new Error(secret),
      () => new TypeError(secret),
      () => new RangeError(secret),
      () => Object.assign(new Error(secret), { name: "AccessDeniedException", code: "X" }),
    ]
  ) {
    faulty.reset();
    faulty.fail("ListObjects", make);
    const error = await caught(CALLS.ListObjects(client));
    assertInstanceOf(error, ServiceInternalException);
    assertEquals(error.statusCode, 500);
    assertEquals(error.message, INTERNAL_ERROR_MESSAGE);
    assert(!error.message.includes("hunter2") && !error.message.includes("secret-path"));
    assert(!JSON.stringify({ ...error }).includes("hunter2"));
    assertMatch(error.requestId ?? "", UUID);
    // The original stays on the server, under the same request id.
    const logged = service.errors.at(-1)!;
    assertEquals(logged.requestId, error.requestId);
    assertEquals((logged.error as Error).message, secret);
    assertEquals(faulty.calls.ListObjects, 1);
  }
});

Deno.test("retries: retryable exceptions are retried up to maxAttempts, others never", async () => {
  const { service, faulty } = await startFaulty();
  await using _service = service;
  await using client = makeClient(service.url, {
    maxAttempts: 3,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
  });
  const put = async (name: string) => {
    const data = new TextEncoder().encode(name);
    return await client.putObject({
      BackupJobId: JOB,
      ObjectName: name,
      InlineChunk: data,
      InlineChunkLength: data.byteLength,
      InlineChunkChecksum: chunkChecksum(data),
    });
  };
  const operations: [OperationName, (name: string) => Promise<{ $metadata: ResponseMetadata }>][] =
    [
      ["ListObjects", () => client.listObjects({ StorageJobId: JOB })],
      ["StartObject", (name) => client.startObject({ BackupJobId: JOB, ObjectName: name })],
      ["PutObject", put],
    ];

  for (const [Class, code] of RETRYABLE) {
    for (const [operation, call] of operations) {
      const label = `${operation} ${code}`;
      // Two faults, then success: three calls, three attempts.
      faulty.reset();
      faulty.fail(operation, () => new Class(`${code} once`), 2);
      const out = await call(`ok/${code}/${operation}`);
      assertEquals(faulty.calls[operation], 3, label);
      assertEquals(faulty.pending(operation), 0, label);
      assertEquals(out.$metadata.attempts, 3, label);
      assertEquals(out.$metadata.httpStatusCode, 200, label);
      // Three faults: the third is final.
      faulty.reset();
      faulty.fail(operation, () => new Class(`${code} always`), 3);
      const error = await caught(call(`fail/${code}/${operation}`));
      assertInstanceOf(error, Class, label);
      assertEquals(error.message, `${code} always`, label);
      assertEquals(faulty.calls[operation], 3, label);
      assertEquals(metadataOf(error).attempts, 3, label);
    }
  }
  // What the successful PutObjects stored is there, once each.
  const listed = await client.listObjects({ StorageJobId: JOB, StartingObjectPrefix: "ok/" });
  assertEquals(
    listed.ObjectList.map((o) => o.Name),
    RETRYABLE.map(([, code]) => `ok/${code}/PutObject`).sort(),
  );
  const failed = await client.listObjects({ StorageJobId: JOB, StartingObjectPrefix: "fail/" });
  assertEquals(failed.ObjectList, []);

  for (const [Class, code] of NOT_RETRYABLE) {
    for (const [operation, call] of operations) {
      const label = `${operation} ${code}`;
      faulty.reset();
      faulty.fail(operation, () => new Class(`${code}!`), 3);
      const error = await caught(call(`never/${code}`));
      assertInstanceOf(error, Class, label);
      assertEquals(faulty.calls[operation], 1, label);
      assertEquals(faulty.pending(operation), 2, label);
      assertEquals(metadataOf(error).attempts, 1, label);
    }
  }
});

Deno.test("retries: a PutChunk of bytes is retried and stored right; a streamed one is not retried", async () => {
  const { service, faulty } = await startFaulty();
  await using _service = service;
  await using client = makeClient(service.url, { maxAttempts: 3 });
  const parts = [
    new Uint8Array(randomBytes(8 * 1024 * 1024)),
    new Uint8Array(randomBytes(300_000)),
  ];
  const { UploadId } = await client.startObject({ BackupJobId: JOB, ObjectName: "retried" });
  const chunk = (i: number, data: Uint8Array | ReadableStream<Uint8Array>) =>
    client.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: i,
      Data: data,
      Length: parts[i].byteLength,
      Checksum: chunkChecksum(parts[i]),
      ChecksumAlgorithm: "SHA256",
    });

  // Bytes: two throttles, then stored.
  faulty.fail("PutChunk", () => new ThrottlingException("slow down"), 2);
  const out = await chunk(0, parts[0]);
  assertEquals(out.ChunkChecksum, chunkChecksum(parts[0]));
  assertEquals(out.$metadata.attempts, 3);
  assertEquals(faulty.calls.PutChunk, 3);

  // A stream: one throttle surfaces at once.
  faulty.reset();
  faulty.fail("PutChunk", () => new ThrottlingException("slow down"), 1);
  const error = await caught(chunk(1, new Blob([parts[1] as BlobPart]).stream()));
  assertInstanceOf(error, ThrottlingException);
  assertEquals(faulty.calls.PutChunk, 1);
  assertEquals(metadataOf(error).attempts, 1);
  // The caller sends the stream again itself; then the object completes and verifies.
  const again = await chunk(1, new Blob([parts[1] as BlobPart]).stream());
  assertEquals(again.$metadata.attempts, 1);
  assertEquals(faulty.calls.PutChunk, 2);

  const summary = summaryChecksum(parts.map((p) => sha256(p)));
  const done = await client.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: summary,
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  assertEquals(done.ObjectChecksum, summary);
  const [object] = (await client.listObjects({ StorageJobId: JOB })).ObjectList;
  assertEquals([object.Name, object.ChunksCount, object.ObjectChecksum], ["retried", 2, summary]);
  const { ChunkList } = await client.listChunks({
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });
  for (const [i, c] of ChunkList.entries()) {
    const got = await client.getChunk({ StorageJobId: JOB, ChunkToken: c.ChunkToken });
    assertEquals(await readAll(got.Data), parts[i]);
  }
});

Deno.test("retries: a dropped connection is retried on a new one", async () => {
  const { service, faulty } = await startFaulty();
  await using _service = service;
  await using proxy = startTcpProxy(service.port, { drop: 1 });
  await using client = makeClient(proxy.url, { maxAttempts: 3 });

  const listed = await client.listObjects({ StorageJobId: JOB });
  assertEquals(listed.ObjectList, []);
  assertEquals(proxy.dropped, 1);
  assert(proxy.connections >= 2);
  assertEquals(listed.$metadata.attempts, 2);
  assertEquals(faulty.calls.ListObjects, 1);

  // And a PUT with a body, through a proxy that drops its first connection too.
  await using proxy2 = startTcpProxy(service.port, { drop: 1 });
  await using client2 = makeClient(proxy2.url, { maxAttempts: 3 });
  const data = new Uint8Array(randomBytes(200_000));
  const put = await client2.putObject({
    BackupJobId: JOB,
    ObjectName: "through/proxy",
    InlineChunk: data,
    InlineChunkLength: data.byteLength,
    InlineChunkChecksum: chunkChecksum(data),
  });
  assertEquals(put.$metadata.attempts, 2);
  assertEquals(proxy2.dropped, 1);
  assertEquals(faulty.calls.PutObject, 1);
  const [object] = (await client.listObjects({ StorageJobId: JOB })).ObjectList;
  const { ChunkList } = await client.listChunks({
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });
  const got = await client.getChunk({ StorageJobId: JOB, ChunkToken: ChunkList[0].ChunkToken });
  assertEquals(await readAll(got.Data), data);

  // A streamed body is never sent twice: the network failure surfaces after one attempt.
  await using proxy4 = startTcpProxy(service.port, { drop: 1 });
  await using client4 = makeClient(proxy4.url, { maxAttempts: 3 });
  const { UploadId } = await client.startObject({ BackupJobId: JOB, ObjectName: "streamed" });
  const streamError = await caught(client4.putChunk({
    BackupJobId: JOB,
    UploadId,
    ChunkIndex: 0,
    Data: new Blob([data as BlobPart]).stream(),
    Length: data.byteLength,
    Checksum: chunkChecksum(data),
    ChecksumAlgorithm: "SHA256",
  }));
  assertInstanceOf(streamError, TypeError);
  assertEquals(proxy4.connections, 1);
  assertEquals(faulty.calls.PutChunk, 0);

  // With a single attempt allowed, the network failure surfaces.
  await using proxy3 = startTcpProxy(service.port, { drop: 1 });
  await using client3 = makeClient(proxy3.url, { maxAttempts: 1 });
  const error = await caught(client3.listObjects({ StorageJobId: JOB }));
  assertInstanceOf(error, TypeError);
  assertEquals(faulty.calls.ListObjects, 2);
});
