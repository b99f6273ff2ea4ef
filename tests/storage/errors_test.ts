// The error classes: one per model exception, carrying status, request id and
// message; errorFromCode maps codes to classes; retryability follows the model.

import { assert, assertEquals, assertInstanceOf } from "../support/assert.ts";
import {
  BackupStorageServiceError,
  DataAlreadyExistsException,
  ERROR_CLASSES,
  ERROR_STATUS,
  errorFromCode,
  ServiceInternalException,
  ThrottlingException,
} from "../../src/storage/errors.ts";

Deno.test("errorFromCode builds each model exception's own class", () => {
  assertEquals(Object.keys(ERROR_CLASSES).sort(), Object.keys(ERROR_STATUS).sort());
  for (const [code, type] of Object.entries(ERROR_CLASSES)) {
    assertEquals(type.name, code); // the class named after the code, not another one
    const e = errorFromCode(code, `msg ${code}`, { requestId: "req-1" });
    assertInstanceOf(e, type);
    assertInstanceOf(e, BackupStorageServiceError);
    assertInstanceOf(e, Error);
    assertEquals(e.code, code);
    assertEquals(e.name, code);
    assertEquals(e.message, `msg ${code}`);
    assertEquals(e.requestId, "req-1");
    assertEquals(e.statusCode, ERROR_STATUS[code as keyof typeof ERROR_STATUS]);
  }
});

Deno.test("an unknown code becomes a generic service error that keeps code and status", () => {
  const e = errorFromCode("BrandNewException", "new", { statusCode: 418 });
  assertEquals(e.constructor, BackupStorageServiceError);
  assertEquals([e.code, e.statusCode, e.retryable, e.fault], [
    "BrandNewException",
    418,
    false,
    "client",
  ]);
  const s = errorFromCode("InternalFailure", "boom", { statusCode: 502 });
  assertEquals([s.retryable, s.fault], [true, "server"]);
});

Deno.test("only throttling and transient or server faults are retryable", () => {
  const retryable = Object.keys(ERROR_CLASSES).filter((code) => errorFromCode(code, "").retryable)
    .sort();
  assertEquals(retryable, [
    "RetryableException",
    "ServiceInternalException",
    "ServiceUnavailableException",
    "ThrottlingException",
  ]);
});

Deno.test("DataAlreadyExistsException carries the existing object's checksum", () => {
  const e = errorFromCode("DataAlreadyExistsException", "exists", {
    checksum: "abc=",
    checksumAlgorithm: "SUMMARY",
  });
  assertInstanceOf(e, DataAlreadyExistsException);
  assertEquals([e.Checksum, e.ChecksumAlgorithm, e.statusCode], ["abc=", "SUMMARY", 400]);
});

Deno.test("a cause is kept, a status can be overridden", () => {
  const cause = new Error("disk");
  const e = new ServiceInternalException("failed", { cause, statusCode: 500 });
  assert(e.cause === cause);
  assertEquals(new ThrottlingException().statusCode, 429);
  assertEquals(new ThrottlingException("x", { statusCode: 400 }).statusCode, 400);
});
