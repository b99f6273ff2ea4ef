/**
 * The `Deno.errors.*` that BackupFS throws, with messages shaped like Deno's own
 * (`No such file or directory: stat '/a/b'`) and the POSIX `code` Deno sets
 * (`ENOENT`, `EEXIST`, …), so code written against `Deno.*` file APIs handles them
 * unchanged.
 *
 * Paths in messages are quoted with `'…'`; control characters in them are escaped
 * (`\n` → `\u000a`) so a hostile name cannot forge log lines.
 *
 * @module
 */

import { BackupStorageServiceError } from "../storage/errors.ts";

/**
 * A directory that still has entries cannot be removed. Deno 2 has no
 * `Deno.errors.DirectoryNotEmpty` (its own `Deno.remove` throws a plain `Error`
 * with `code: "ENOTEMPTY"`), so this class extends `Deno.errors.Busy` and carries
 * the same `code`: check `error.code === "ENOTEMPTY"`, `instanceof
 * DirectoryNotEmptyError` or `instanceof Deno.errors.Busy`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directoryNotEmpty, DirectoryNotEmptyError } from "./fs_errors.ts";
 * const error = directoryNotEmpty("remove", "/photos");
 * assert.ok(error instanceof DirectoryNotEmptyError);
 * assert.ok(error instanceof Deno.errors.Busy);
 * assert.equal(error.code, "ENOTEMPTY");
 * assert.equal(error.message, "Directory not empty: remove '/photos'");
 * ```
 */
export class DirectoryNotEmptyError extends Deno.errors.Busy {
  /** POSIX error code, as Deno's own `Deno.remove` sets it. */
  readonly code = "ENOTEMPTY";

  /** Makes the error with a complete message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DirectoryNotEmpty";
  }
}

/**
 * A rename or copy whose destination overlaps its source: the destination is
 * inside the source directory (`relation: "inside"`, what `rename(2)` calls
 * `EINVAL`), or the destination is an ancestor directory of the source
 * (`relation: "ancestor"`: replacing it would delete the source before it is
 * read). Nothing was changed. A `TypeError`, as Deno reports `EINVAL`, with
 * `code: "EINVAL"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { overlappingPaths, OverlappingPathsError } from "./fs_errors.ts";
 * const error = overlappingPaths("rename", "/m/b", "/m", "ancestor");
 * assert.ok(error instanceof OverlappingPathsError);
 * assert.ok(error instanceof TypeError);
 * assert.equal(error.code, "EINVAL");
 * assert.equal(error.relation, "ancestor");
 * assert.equal(
 *   error.message,
 *   "Invalid argument: rename '/m/b' → '/m': the destination contains the source",
 * );
 * ```
 */
export class OverlappingPathsError extends TypeError {
  /** POSIX error code (`EINVAL`, as `rename(2)` reports a directory moved into itself). */
  readonly code = "EINVAL";
  /** How the destination overlaps the source. */
  readonly relation: "inside" | "ancestor";

  /** Makes the error with a complete message. */
  constructor(message: string, relation: "inside" | "ancestor", options?: ErrorOptions) {
    super(message, options);
    this.name = "OverlappingPaths";
    this.relation = relation;
  }
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * How a path appears in messages: in single quotes, control characters escaped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quotePath } from "./fs_errors.ts";
 * assert.equal(quotePath("/a b.txt"), "'/a b.txt'");
 * assert.equal(quotePath("/a\nb"), "'/a\\u000ab'"); // a newline cannot forge a log line
 * ```
 */
export function quotePath(path: string): string {
  const text = String(path).replace(
    CONTROL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `'${text}'`;
}

function message(reason: string, op: string, path: string, detail?: string): string {
  const base = `${reason}: ${op} ${quotePath(path)}`;
  return detail === undefined || detail === "" ? base : `${base}: ${detail}`;
}

function withCode<E extends Error>(error: E, code: string): E & { code: string } {
  Object.defineProperty(error, "code", {
    value: code,
    enumerable: true,
    configurable: true,
    writable: true,
  });
  return error as E & { code: string };
}

/**
 * Options of the error constructors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type FsErrorOptions, notFound } from "./fs_errors.ts";
 * const options: FsErrorOptions = { cause: new Error("the storage said so") };
 * assert.equal(notFound("stat", "/a", options).cause, options.cause);
 * assert.equal("cause" in notFound("stat", "/a"), false); // no cause: none is set
 * ```
 */
export interface FsErrorOptions {
  /** The underlying error (e.g. the storage error that was mapped). */
  cause?: unknown;
}

function errorOptions(options: FsErrorOptions | undefined): ErrorOptions | undefined {
  return options?.cause === undefined ? undefined : { cause: options.cause };
}

/**
 * `ENOENT`: nothing at `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notFound } from "./fs_errors.ts";
 * const error = notFound("stat", "/a/b");
 * assert.ok(error instanceof Deno.errors.NotFound);
 * assert.equal(error.message, "No such file or directory: stat '/a/b'");
 * assert.equal((error as { code?: string }).code, "ENOENT"); // the POSIX code, as Deno sets it
 * ```
 */
export function notFound(
  op: string,
  path: string,
  options?: FsErrorOptions,
): Deno.errors.NotFound {
  return withCode(
    new Deno.errors.NotFound(message("No such file or directory", op, path), errorOptions(options)),
    "ENOENT",
  );
}

/**
 * `EEXIST`: something already exists at `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alreadyExists } from "./fs_errors.ts";
 * const error = alreadyExists("mkdir", "/a");
 * assert.ok(error instanceof Deno.errors.AlreadyExists);
 * assert.equal(error.message, "File exists: mkdir '/a'");
 * ```
 */
export function alreadyExists(
  op: string,
  path: string,
  options?: FsErrorOptions,
): Deno.errors.AlreadyExists {
  return withCode(
    new Deno.errors.AlreadyExists(message("File exists", op, path), errorOptions(options)),
    "EEXIST",
  );
}

/**
 * `EISDIR`: `path` is a directory where a file was needed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isADirectory } from "./fs_errors.ts";
 * const error = isADirectory("open", "/photos");
 * assert.ok(error instanceof Deno.errors.IsADirectory);
 * assert.equal(error.message, "Is a directory: open '/photos'");
 * ```
 */
export function isADirectory(
  op: string,
  path: string,
  options?: FsErrorOptions,
): Deno.errors.IsADirectory {
  return withCode(
    new Deno.errors.IsADirectory(message("Is a directory", op, path), errorOptions(options)),
    "EISDIR",
  );
}

/**
 * `ENOTDIR`: `path` (or one of its parents) is a file where a directory was needed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notADirectory } from "./fs_errors.ts";
 * const error = notADirectory("readDir", "/a.txt");
 * assert.ok(error instanceof Deno.errors.NotADirectory);
 * assert.equal(error.message, "Not a directory: readDir '/a.txt'");
 * ```
 */
export function notADirectory(
  op: string,
  path: string,
  options?: FsErrorOptions,
): Deno.errors.NotADirectory {
  return withCode(
    new Deno.errors.NotADirectory(message("Not a directory", op, path), errorOptions(options)),
    "ENOTDIR",
  );
}

/**
 * `ENOTEMPTY`: a directory still has entries. Returns a {@link DirectoryNotEmptyError}
 * (a `Deno.errors.Busy`), because Deno 2 has no `Deno.errors.DirectoryNotEmpty`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directoryNotEmpty } from "./fs_errors.ts";
 * const error = directoryNotEmpty("remove", "/a");
 * assert.ok(error instanceof Deno.errors.Busy);
 * assert.equal(error.message, "Directory not empty: remove '/a'");
 * ```
 */
export function directoryNotEmpty(
  op: string,
  path: string,
  options?: FsErrorOptions,
): DirectoryNotEmptyError {
  return new DirectoryNotEmptyError(
    message("Directory not empty", op, path),
    errorOptions(options),
  );
}

/**
 * `EBUSY`-like: another writer replaced the version at `path` while `op` worked
 * from it, so `op` stopped rather than commit over the newer version; try again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { changedMeanwhile } from "./fs_errors.ts";
 * const error = changedMeanwhile("utime", "/a");
 * assert.ok(error instanceof Deno.errors.Busy);
 * assert.equal(error.message, "Changed meanwhile: utime '/a': another writer replaced it; try again");
 * ```
 */
export function changedMeanwhile(
  op: string,
  path: string,
  options?: FsErrorOptions,
): Deno.errors.Busy {
  return new Deno.errors.Busy(
    message("Changed meanwhile", op, path, "another writer replaced it; try again"),
    errorOptions(options),
  );
}

/**
 * `EIO`-like: the data at `path` is not what it should be (checksum mismatch,
 * corrupt metadata, …). `detail` says what.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { invalidData } from "./fs_errors.ts";
 * const error = invalidData("read", "/a", "chunk 3 failed its SHA-256 check");
 * assert.ok(error instanceof Deno.errors.InvalidData);
 * assert.equal(error.message, "Invalid data: read '/a': chunk 3 failed its SHA-256 check");
 * ```
 */
export function invalidData(
  op: string,
  path: string,
  detail: string,
  options?: FsErrorOptions,
): Deno.errors.InvalidData {
  return withCode(
    new Deno.errors.InvalidData(message("Invalid data", op, path, detail), errorOptions(options)),
    "EIO",
  );
}

/**
 * `EBADF`: the handle used for `path` cannot do this (closed, opened read-only, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { badResource } from "./fs_errors.ts";
 * const error = badResource("read", "/a", "the file is closed");
 * assert.ok(error instanceof Deno.errors.BadResource);
 * assert.equal(error.message, "Bad resource: read '/a': the file is closed");
 * ```
 */
export function badResource(
  op: string,
  path: string,
  detail: string,
  options?: FsErrorOptions,
): Deno.errors.BadResource {
  return withCode(
    new Deno.errors.BadResource(message("Bad resource", op, path, detail), errorOptions(options)),
    "EBADF",
  );
}

/**
 * `EACCES`: the operation is not allowed on `path` (a read-only filesystem, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permissionDenied } from "./fs_errors.ts";
 * const error = permissionDenied("write", "/a", "read-only filesystem");
 * assert.ok(error instanceof Deno.errors.PermissionDenied);
 * assert.equal(error.message, "Permission denied: write '/a': read-only filesystem");
 * ```
 */
export function permissionDenied(
  op: string,
  path: string,
  detail: string,
  options?: FsErrorOptions,
): Deno.errors.PermissionDenied {
  return withCode(
    new Deno.errors.PermissionDenied(
      message("Permission denied", op, path, detail),
      errorOptions(options),
    ),
    "EACCES",
  );
}

/**
 * `EINVAL`: `op` from `from` to `to` is refused because the destination is inside
 * the source (`"inside"`) or is one of its ancestors (`"ancestor"`). Returns an
 * {@link OverlappingPathsError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { overlappingPaths } from "./fs_errors.ts";
 * const error = overlappingPaths("copy", "/a", "/a/b", "inside");
 * assert.equal(error.relation, "inside");
 * assert.equal(
 *   error.message,
 *   "Invalid argument: copy '/a' → '/a/b': the destination is inside the source",
 * );
 * ```
 */
export function overlappingPaths(
  op: string,
  from: string,
  to: string,
  relation: "inside" | "ancestor",
  options?: FsErrorOptions,
): OverlappingPathsError {
  const detail = relation === "inside"
    ? "the destination is inside the source"
    : "the destination contains the source";
  return new OverlappingPathsError(
    `Invalid argument: ${op} ${quotePath(from)} → ${quotePath(to)}: ${detail}`,
    relation,
    errorOptions(options),
  );
}

/**
 * Maps a storage error to the error BackupFS throws for `path`: a
 * `ResourceNotFoundException` (an object or token that is gone) becomes
 * {@link notFound} with the storage error as its `cause`; every other value is
 * returned unchanged (typed BackupStorage errors propagate as they are).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResourceNotFoundException } from "../storage/errors.ts";
 * import { fromStorageError } from "./fs_errors.ts";
 * const gone = new ResourceNotFoundException();
 * const mapped = fromStorageError(gone, "read", "/a");
 * assert.ok(mapped instanceof Deno.errors.NotFound);
 * assert.equal(mapped.message, "No such file or directory: read '/a'");
 * assert.equal(mapped.cause, gone);
 * const other = new RangeError("not a storage error");
 * assert.equal(fromStorageError(other, "read", "/a"), other); // returned unchanged
 * ```
 */
export function fromStorageError(error: unknown, op: string, path: string): unknown {
  if (error instanceof BackupStorageServiceError && error.code === "ResourceNotFoundException") {
    return notFound(op, path, { cause: error });
  }
  return error;
}
