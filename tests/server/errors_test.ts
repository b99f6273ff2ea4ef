// Error encoding of the storage app: every model error class maps to its status,
// x-amzn-ErrorType and JSON body; anything else is a generic 500.

import { createStorageApp } from "../../src/server/app.ts";
import {
  AccessDeniedException,
  BackupStorageServiceError,
  DataAlreadyExistsException,
  ERROR_STATUS,
  type ErrorCode,
  errorFromCode,
} from "../../src/storage/errors.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { CREDENTIALS, RecordingStorage, signedRequest } from "./support/server_fixtures.ts";

function setup() {
  const recorder = new RecordingStorage();
  const errors: unknown[] = [];
  const app = createStorageApp(recorder.asStorage(), {
    credentials: CREDENTIALS,
    onError: (error) => errors.push(error),
  });
  return { recorder, app, errors };
}

Deno.test("every model error class maps to its status, x-amzn-ErrorType and message", async () => {
  for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
    const { recorder, app } = setup();
    recorder.errors.set("ListObjects", () => errorFromCode(code, `the ${code} message`));
    const response = await app.fetch(await signedRequest("/restore-jobs/j/objects/list"));
    assertEquals(response.status, ERROR_STATUS[code], code);
    assertEquals(response.headers.get("x-amzn-ErrorType"), code);
    assertEquals(response.headers.get("content-type"), "application/json");
    assert(response.headers.get("x-amzn-RequestId"));
    assertEquals(await response.json(), { message: `the ${code} message` });
  }
});

Deno.test("DataAlreadyExistsException carries Checksum and ChecksumAlgorithm", async () => {
  const { recorder, app } = setup();
  recorder.errors.set(
    "StartObject",
    () =>
      new DataAlreadyExistsException("exists", {
        checksum: "sum==",
        checksumAlgorithm: "SUMMARY",
      }),
  );
  const response = await app.fetch(
    await signedRequest("/backup-jobs/j/object/o", {
      method: "PUT",
      body: '{"ThrowOnDuplicate":true}',
    }),
  );
  assertEquals(response.status, 400);
  assertEquals(response.headers.get("x-amzn-ErrorType"), "DataAlreadyExistsException");
  assertEquals(await response.json(), {
    message: "exists",
    Checksum: "sum==",
    ChecksumAlgorithm: "SUMMARY",
  });
});

Deno.test("an unexpected error is a generic 500 and its detail stays on the server", async () => {
  const { recorder, app, errors } = setup();
  recorder.errors.set("GetChunk", () => new Error("disk /secret/path exploded"));
  const response = await app.fetch(await signedRequest("/restore-jobs/j/chunk/t"));
  assertEquals(response.status, 500);
  assertEquals(response.headers.get("x-amzn-ErrorType"), "ServiceInternalException");
  const text = await response.text();
  assert(!text.includes("secret"), "no detail leaks to the client");
  assertEquals(typeof JSON.parse(text).message, "string");
  assertEquals((errors[0] as Error).message, "disk /secret/path exploded");
});

Deno.test("a service error with a code outside the model keeps its code and status", async () => {
  const { recorder, app } = setup();
  recorder.errors.set(
    "ListChunks",
    () => new BackupStorageServiceError("SlowDownPlease", "later", { statusCode: 503 }),
  );
  const response = await app.fetch(await signedRequest("/restore-jobs/j/chunks/t/list"));
  assertEquals(response.status, 503);
  assertEquals(response.headers.get("x-amzn-ErrorType"), "SlowDownPlease");
  assertEquals(await response.json(), { message: "later" });
});

Deno.test("AccessDeniedException from authentication has a generic message", async () => {
  const { app, errors } = setup();
  const response = await app.fetch(
    await signedRequest("/restore-jobs/j/objects/list", { secret: "wrong" }),
  );
  assertEquals(response.status, 403);
  assertEquals(response.headers.get("x-amzn-ErrorType"), "AccessDeniedException");
  const body = await response.json();
  assertEquals(Object.keys(body), ["message"]);
  assert(!/signature mismatch|secret|key/i.test(body.message));
  assert(errors[0] instanceof AccessDeniedException);
  assertEquals((errors[0] as Error).cause, "signature mismatch");
});
