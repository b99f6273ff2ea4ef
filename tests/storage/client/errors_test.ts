// Error responses decode into the typed classes of errors.ts.

import {
  AccessDeniedException,
  BackupStorageServiceError,
  DataAlreadyExistsException,
  ERROR_CLASSES,
  ERROR_STATUS,
  ResourceNotFoundException,
} from "../../../src/storage/errors.ts";
import { errorCode } from "../../../src/storage/client/error_decoder.ts";
import { assert, assertEquals, assertInstanceOf, assertRejects } from "../../support/assert.ts";
import {
  CREDENTIALS,
  errorResponse,
  json,
  startServer,
  testClient,
} from "./support/client_fixtures.ts";

Deno.test("every model exception decodes to its class with status, request id, message", async () => {
  const codes = Object.keys(ERROR_STATUS) as Array<keyof typeof ERROR_STATUS>;
  let current = 0;
  await using server = startServer(() => {
    const code = codes[current];
    return errorResponse(ERROR_STATUS[code], code, { message: `it failed: ${code}` });
  });
  await using client = testClient(server.url, { maxAttempts: 1 });
  for (; current < codes.length; current++) {
    const code = codes[current];
    const error = await assertRejects(
      () => client.listObjects({ StorageJobId: "job" }),
      ERROR_CLASSES[code],
    );
    assertInstanceOf(error, BackupStorageServiceError);
    assertEquals(error.code, code);
    assertEquals(error.name, code);
    assertEquals(error.statusCode, ERROR_STATUS[code]);
    assertEquals(error.requestId, "req-err");
    assertEquals(error.message, `it failed: ${code}`);
    assertEquals((error as unknown as { $metadata: unknown }).$metadata, {
      httpStatusCode: ERROR_STATUS[code],
      requestId: "req-err",
      attempts: 1,
    });
  }
  assertEquals(server.requests.length, codes.length);
});

Deno.test("DataAlreadyExistsException carries Checksum and ChecksumAlgorithm", async () => {
  await using server = startServer(() =>
    errorResponse(400, "DataAlreadyExistsException", {
      message: "exists",
      Checksum: "c2VlbiB0aGlz",
      ChecksumAlgorithm: "SUMMARY",
    })
  );
  await using client = testClient(server.url);
  const error = await assertRejects(
    () => client.startObject({ BackupJobId: "j", ObjectName: "o", ThrowOnDuplicate: true }),
    DataAlreadyExistsException,
    "exists",
  );
  assertEquals(error.Checksum, "c2VlbiB0aGlz");
  assertEquals(error.ChecksumAlgorithm, "SUMMARY");
  assertEquals(error.statusCode, 400);
  assertEquals(server.requests.length, 1); // a 4xx is never retried
});

Deno.test("unknown code, __type with namespace, Message, and status-only errors", async () => {
  const answers = [
    // unknown code in the header, with a trailing ":uri" part
    () => errorResponse(418, "TeapotException:http://example/", { message: "short and stout" }),
    // no header: __type with a namespace, capitalized Message
    () =>
      json({ __type: "com.amazonaws.backupstorage#ResourceNotFoundException", Message: "gone" }, {
        status: 404,
      }),
    // no header, no JSON: the status decides
    () => new Response("<html>denied</html>", { status: 403 }),
    () => new Response(null, { status: 400 }),
  ];
  let n = 0;
  await using server = startServer(() => answers[n++]());
  await using client = testClient(server.url, { maxAttempts: 1 });

  const unknown = await assertRejects(
    () => client.deleteObject({ BackupJobId: "j", ObjectName: "o" }),
    BackupStorageServiceError,
  );
  assertEquals(unknown.constructor, BackupStorageServiceError);
  assertEquals(unknown.code, "TeapotException");
  assertEquals(unknown.statusCode, 418);
  assertEquals(unknown.message, "short and stout");
  assertEquals(unknown.retryable, false);

  const missing = await assertRejects(
    () => client.deleteObject({ BackupJobId: "j", ObjectName: "o" }),
    ResourceNotFoundException,
  );
  assertEquals(missing.message, "gone");
  assertEquals(missing.requestId, "req-1");

  const denied = await assertRejects(
    () => client.deleteObject({ BackupJobId: "j", ObjectName: "o" }),
    AccessDeniedException,
  );
  assertEquals(denied.statusCode, 403);

  const bare = await assertRejects(
    () => client.deleteObject({ BackupJobId: "j", ObjectName: "o" }),
    BackupStorageServiceError,
  );
  assertEquals(bare.code, "UnknownError");
  assertEquals(bare.statusCode, 400);
  assert(bare.message.includes("400"));
});

Deno.test("error messages never contain the secret key or the signature", async () => {
  await using server = startServer(() => new Response("nope", { status: 403 }));
  await using client = testClient(server.url, { maxAttempts: 1 });
  const error = await assertRejects(
    () => client.listObjects({ StorageJobId: "job" }),
    AccessDeniedException,
  );
  const signature = /Signature=([0-9a-f]+)/.exec(
    server.requests[0].headers.get("authorization")!,
  )![1];
  const text = `${error.message} ${error.stack} ${JSON.stringify(error)}`;
  assert(!text.includes(CREDENTIALS.secretAccessKey));
  assert(!text.includes(signature));
});

Deno.test("errorCode: header, then __type, then status", () => {
  assertEquals(errorCode(400, "ThrottlingException:http://x", {}), "ThrottlingException");
  assertEquals(
    errorCode(400, null, { __type: "ns#IllegalArgumentException" }),
    "IllegalArgumentException",
  );
  assertEquals(
    errorCode(400, null, { __type: "IllegalArgumentException" }),
    "IllegalArgumentException",
  );
  assertEquals(errorCode(429, null, {}), "ThrottlingException");
  assertEquals(errorCode(503, "", {}), "ServiceUnavailableException");
  assertEquals(errorCode(502, null, {}), "UnknownError");
});
