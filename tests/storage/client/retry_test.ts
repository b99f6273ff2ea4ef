// Retries: which failures are retried, how many attempts, what is never retried,
// and how the abort signal and the per-attempt timeout behave.

import {
  BackupStorageServiceError,
  IllegalArgumentException,
  ServiceUnavailableException,
  ThrottlingException,
} from "../../../src/storage/errors.ts";
import { backoffDelay, isRetryable } from "../../../src/storage/client/retry.ts";
import { assert, assertEquals, assertRejects } from "../../support/assert.ts";
import {
  errorResponse,
  json,
  readAll,
  startRawServer,
  startServer,
  testClient,
  verifySignature,
  writeRaw,
} from "./support/client_fixtures.ts";

const RETRYABLE: Array<[number, string]> = [
  [429, "ThrottlingException"],
  [500, "RetryableException"],
  [503, "ServiceUnavailableException"],
  [500, "ServiceInternalException"],
  [502, "BadGatewayFromSomeProxy"],
];

Deno.test("retried on each retryable code, then succeeds; every attempt signed", async () => {
  for (const [status, code] of RETRYABLE) {
    await using server = startServer((_req, n) =>
      n < 2 ? errorResponse(status, code, { message: "try again" }) : json({ UploadId: "u" })
    );
    await using client = testClient(server.url, { maxAttempts: 3 });
    const out = await client.startObject({ BackupJobId: "j", ObjectName: "o" });
    assertEquals(out.UploadId, "u");
    assertEquals(out.$metadata.attempts, 3, code);
    assertEquals(server.requests.length, 3, code);
    for (const req of server.requests) await verifySignature(req);
  }
});

Deno.test("gives up after maxAttempts with the last error and its attempt count", async () => {
  await using server = startServer(() =>
    errorResponse(429, "ThrottlingException", { message: "slow down" })
  );
  await using client = testClient(server.url, { maxAttempts: 4 });
  const error = await assertRejects(
    () => client.listObjects({ StorageJobId: "j" }),
    ThrottlingException,
    "slow down",
  );
  assertEquals(server.requests.length, 4);
  assertEquals((error as unknown as { $metadata: { attempts: number } }).$metadata.attempts, 4);
});

Deno.test("never retried on other 4xx", async () => {
  for (
    const [status, code] of [
      [400, "IllegalArgumentException"],
      [404, "ResourceNotFoundException"],
      [
        403,
        "AccessDeniedException",
      ],
      [409, "SomeConflict"],
    ] as const
  ) {
    await using server = startServer(() => errorResponse(status, code, { message: "no" }));
    await using client = testClient(server.url, { maxAttempts: 5 });
    await assertRejects(
      () => client.deleteObject({ BackupJobId: "j", ObjectName: "o" }),
      BackupStorageServiceError,
    );
    assertEquals(server.requests.length, 1, code);
  }
});

Deno.test("a Uint8Array body is sent again intact on retry", async () => {
  const data = crypto.getRandomValues(new Uint8Array(4096));
  await using server = startServer((_req, n) =>
    n === 0
      ? errorResponse(503, "ServiceUnavailableException", { message: "busy" })
      : json({ ChunkChecksum: "c", ChunkChecksumAlgorithm: "SHA256" })
  );
  await using client = testClient(server.url);
  const out = await client.putChunk({
    BackupJobId: "j",
    UploadId: "u",
    ChunkIndex: 0,
    Data: data,
    Length: data.byteLength,
    Checksum: "c",
    ChecksumAlgorithm: "SHA256",
  });
  assertEquals(out.$metadata.attempts, 2);
  assertEquals(server.requests.length, 2);
  assertEquals(server.requests[0].body, data);
  assertEquals(server.requests[1].body, data);
});

Deno.test("a ReadableStream body is not retried", async () => {
  await using server = startServer(() =>
    errorResponse(503, "ServiceUnavailableException", { message: "busy" })
  );
  await using client = testClient(server.url, { maxAttempts: 5 });
  const data = new Uint8Array(100).fill(7);
  await assertRejects(
    () =>
      client.putChunk({
        BackupJobId: "j",
        UploadId: "u",
        ChunkIndex: 0,
        Data: new Response(data).body!,
        Length: data.byteLength,
        Checksum: "c",
        ChecksumAlgorithm: "SHA256",
      }),
    ServiceUnavailableException,
  );
  assertEquals(server.requests.length, 1);
  assertEquals(server.requests[0].body, data);
});

Deno.test("retried after a dropped connection", async () => {
  const body = JSON.stringify({ UploadId: "after-drop" });
  await using server = startRawServer([
    async () => {/* read the request, then close without answering */},
    async (conn) => {
      await writeRaw(
        conn,
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
          `connection: close\r\nx-amzn-RequestId: raw-1\r\n\r\n${body}`,
      );
    },
  ]);
  await using client = testClient(server.url);
  const out = await client.startObject({ BackupJobId: "j", ObjectName: "o" });
  assertEquals(out.UploadId, "after-drop");
  assertEquals(out.$metadata, { httpStatusCode: 200, requestId: "raw-1", attempts: 2 });
  assertEquals(server.connections, 2);
});

Deno.test("a dropped connection on every attempt fails after maxAttempts", async () => {
  await using server = startRawServer([async () => {}]);
  await using client = testClient(server.url, { maxAttempts: 2 });
  await assertRejects(() => client.listObjects({ StorageJobId: "j" }), TypeError);
  assertEquals(server.connections, 2);
});

Deno.test("per-attempt timeout: a hung attempt is abandoned and retried", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  await using server = startServer(async (_req, n) => {
    if (n === 0) await release;
    return json({ UploadId: "second" });
  });
  try {
    await using client = testClient(server.url, { requestTimeoutMs: 200 });
    const out = await client.startObject({ BackupJobId: "j", ObjectName: "o" });
    assertEquals(out.UploadId, "second");
    assertEquals(out.$metadata.attempts, 2);
  } finally {
    resolve();
  }
});

Deno.test("abort signal: before the call, during a request, and during backoff", async () => {
  // Before: nothing is sent.
  {
    await using server = startServer(() => json({ UploadId: "u" }));
    await using client = testClient(server.url);
    const controller = new AbortController();
    controller.abort(new Error("cancelled early"));
    await assertRejects(
      () =>
        client.startObject({ BackupJobId: "j", ObjectName: "o" }, { signal: controller.signal }),
      Error,
      "cancelled early",
    );
    assertEquals(server.requests.length, 0);
  }
  // During a request the server holds.
  {
    const { promise: release, resolve } = Promise.withResolvers<void>();
    const controller = new AbortController();
    await using server = startServer(async () => {
      controller.abort(new Error("cancelled in flight"));
      await release;
      return json({ UploadId: "u" });
    });
    try {
      await using client = testClient(server.url);
      await assertRejects(
        () =>
          client.startObject({ BackupJobId: "j", ObjectName: "o" }, { signal: controller.signal }),
        Error,
        "cancelled in flight",
      );
      assertEquals(server.requests.length, 1);
    } finally {
      resolve();
    }
  }
  // During a (very long) backoff: the wait ends at once.
  {
    const controller = new AbortController();
    await using server = startServer(() =>
      errorResponse(429, "ThrottlingException", { message: "slow down" })
    );
    await using client = testClient(server.url, {
      retryBaseDelayMs: 600_000,
      retryMaxDelayMs: 600_000,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        setTimeout(() => controller.abort(new Error("cancelled in backoff")), 0);
        return response;
      },
    });
    await assertRejects(
      () => client.listObjects({ StorageJobId: "j" }, { signal: controller.signal }),
      Error,
      "cancelled in backoff",
    );
    assertEquals(server.requests.length, 1);
  }
});

Deno.test("streaming output: the body is the live response stream", async () => {
  await using server = startServer(() =>
    new Response(new Uint8Array([1, 2, 3]), { headers: { "x-amz-data-length": "3" } })
  );
  await using client = testClient(server.url);
  const out = await client.getChunk({ StorageJobId: "j", ChunkToken: "t" });
  assertEquals(await readAll(out.Data), new Uint8Array([1, 2, 3]));
});

Deno.test("isRetryable and backoffDelay", () => {
  assert(isRetryable(new ThrottlingException()));
  assert(isRetryable(new ServiceUnavailableException()));
  assert(isRetryable(new TypeError("network")));
  assert(isRetryable(new BackupStorageServiceError("Weird", "x", { statusCode: 504 })));
  assert(!isRetryable(new IllegalArgumentException()));
  assert(!isRetryable(new DOMException("aborted", "AbortError")));
  assertEquals(backoffDelay(1, { baseDelayMs: 100, random: () => 0.999 }), 99);
  assertEquals(backoffDelay(4, { baseDelayMs: 100, random: () => 0.5 }), 400);
  assertEquals(backoffDelay(30, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 }), 500);
  assertEquals(backoffDelay(2, { random: () => 0 }), 0);
});
