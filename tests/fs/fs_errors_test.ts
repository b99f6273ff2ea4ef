import {
  alreadyExists,
  badResource,
  directoryNotEmpty,
  DirectoryNotEmptyError,
  fromStorageError,
  invalidData,
  isADirectory,
  notADirectory,
  notFound,
  permissionDenied,
  quotePath,
} from "../../src/fs/fs_errors.ts";
import {
  AccessDeniedException,
  ResourceNotFoundException,
  ThrottlingException,
} from "../../src/storage/errors.ts";
import { assert, assertEquals, assertInstanceOf } from "../support/assert.ts";

Deno.test("each constructor gives the Deno error class, Deno's code and a message naming op and path", () => {
  const cases: [Error & { code?: string }, unknown, string, string][] = [
    [
      notFound("stat", "/a/b"),
      Deno.errors.NotFound,
      "ENOENT",
      "No such file or directory: stat '/a/b'",
    ],
    [alreadyExists("mkdir", "/a"), Deno.errors.AlreadyExists, "EEXIST", "File exists: mkdir '/a'"],
    [isADirectory("open", "/d"), Deno.errors.IsADirectory, "EISDIR", "Is a directory: open '/d'"],
    [
      notADirectory("readDir", "/f"),
      Deno.errors.NotADirectory,
      "ENOTDIR",
      "Not a directory: readDir '/f'",
    ],
    [
      directoryNotEmpty("remove", "/d"),
      Deno.errors.Busy,
      "ENOTEMPTY",
      "Directory not empty: remove '/d'",
    ],
    [
      invalidData("read", "/f", "chunk 3 failed its SHA-256 check"),
      Deno.errors.InvalidData,
      "EIO",
      "Invalid data: read '/f': chunk 3 failed its SHA-256 check",
    ],
    [
      badResource("write", "/f", "the file is closed"),
      Deno.errors.BadResource,
      "EBADF",
      "Bad resource: write '/f': the file is closed",
    ],
    [
      permissionDenied("write", "/f", "read-only filesystem"),
      Deno.errors.PermissionDenied,
      "EACCES",
      "Permission denied: write '/f': read-only filesystem",
    ],
  ];
  for (const [error, type, code, message] of cases) {
    // deno-lint-ignore no-explicit-any
    assertInstanceOf(error, type as any);
    assertInstanceOf(error, Error);
    assertEquals(error.code, code);
    assertEquals(error.message, message);
  }
  assertInstanceOf(directoryNotEmpty("rmdir", "/x"), DirectoryNotEmptyError);
  assertEquals(directoryNotEmpty("rmdir", "/x").name, "DirectoryNotEmpty");
});

Deno.test("control characters in paths are escaped; quotes and unicode are kept", () => {
  assertEquals(quotePath("/a\nb\r\u0000\u007f"), "'/a\\u000ab\\u000d\\u0000\\u007f'");
  assertEquals(
    notFound("stat", "/it's/日本").message,
    "No such file or directory: stat '/it's/日本'",
  );
  assert(!notFound("stat", "/x\nFAKE LOG LINE").message.includes("\n"));
});

Deno.test("fromStorageError maps ResourceNotFoundException to NotFound and keeps others", () => {
  const gone = new ResourceNotFoundException("No such object");
  const mapped = fromStorageError(gone, "open", "/a.txt");
  assertInstanceOf(mapped, Deno.errors.NotFound);
  assertEquals(mapped.message, "No such file or directory: open '/a.txt'");
  assertEquals(mapped.cause, gone);

  const throttled = new ThrottlingException();
  assertEquals(fromStorageError(throttled, "open", "/a"), throttled);
  const denied = new AccessDeniedException();
  assertEquals(fromStorageError(denied, "open", "/a"), denied);
  const plain = new Error("boom");
  assertEquals(fromStorageError(plain, "open", "/a"), plain);
  assertEquals(fromStorageError("not an error", "open", "/a"), "not an error");
});

Deno.test("errors carry a cause when given one", () => {
  const cause = new Error("underlying");
  assertEquals(invalidData("read", "/a", "bad", { cause }).cause, cause);
  assertEquals(notFound("stat", "/a").cause, undefined);
});
