/**
 * Errors of the BackupStorage API: one class per exception of the service model,
 * all extending {@link BackupStorageServiceError}, which also stands for any error
 * code the model does not know.
 *
 * The in-process store throws the same classes the HTTP client decodes, so code
 * above the `BackupStorage` interface never needs to know which one it talks to.
 *
 * @module
 */

/**
 * Options for constructing a service error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResourceNotFoundException, type ServiceErrorOptions } from "./errors.ts";
 * const cause = new Error("row missing");
 * const options: ServiceErrorOptions = { requestId: "req-1", cause };
 * const e = new ResourceNotFoundException("No such object", options);
 * assert.equal(e.requestId, "req-1");
 * assert.equal(e.cause, cause);
 * ```
 */
export interface ServiceErrorOptions {
  /** HTTP status; defaults to the model's status for the error code. */
  statusCode?: number;
  /** Request id of the failed request, when there was one. */
  requestId?: string;
  /** The underlying cause. */
  cause?: unknown;
}

/**
 * An error answered by a BackupStorage service. `code` is the model's exception
 * name (`x-amzn-ErrorType` on the wire); `statusCode` its HTTP status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageServiceError } from "./errors.ts";
 * const e = new BackupStorageServiceError("SomethingNew", "the service said no", { statusCode: 400 });
 * assert.equal(e.code, "SomethingNew");
 * assert.equal(e.name, "SomethingNew");
 * assert.equal(e.statusCode, 400);
 * assert.equal(e.fault, "client");
 * assert.equal(e.retryable, false);
 * // An unknown code with a 5xx status is a retryable server fault.
 * const later = new BackupStorageServiceError("SomethingNew", "try again", { statusCode: 502 });
 * assert.equal(later.fault, "server");
 * assert.equal(later.retryable, true);
 * ```
 */
export class BackupStorageServiceError extends Error {
  /** The model's exception name, or the code the service sent. */
  readonly code: string;
  /** HTTP status of the response. */
  readonly statusCode: number;
  /** Request id of the failed request, when known. */
  readonly requestId?: string;

  /**
   * Makes an error with `code` as its name; `statusCode` defaults to the model's
   * status for the code (500 for a code the model does not know).
   */
  constructor(code: string, message: string, options?: ServiceErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.code = code;
    this.statusCode = options?.statusCode ?? ERROR_STATUS[code as ErrorCode] ?? 500;
    if (options?.requestId !== undefined) this.requestId = options.requestId;
  }

  /** Whether the model calls this a server fault (`fault: true`) rather than a client error. */
  get fault(): "server" | "client" {
    return this.statusCode >= 500 ? "server" : "client";
  }

  /** Whether a client should retry the request that produced this error. */
  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code) ||
      (this.statusCode >= 500 && !(this.code in ERROR_STATUS));
  }
}

/**
 * Access was refused: bad or missing signature, unknown key, or a forbidden action.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessDeniedException } from "./errors.ts";
 * const e = new AccessDeniedException();
 * assert.equal(e.code, "AccessDeniedException");
 * assert.equal(e.statusCode, 403);
 * assert.equal(e.retryable, false);
 * ```
 */
export class AccessDeniedException extends BackupStorageServiceError {
  /** Makes the error; the message is "Access denied" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("AccessDeniedException", message ?? "Access denied", options);
  }
}

/**
 * Options of {@link DataAlreadyExistsException}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataAlreadyExistsException, type DataAlreadyExistsOptions } from "./errors.ts";
 * const options: DataAlreadyExistsOptions = {
 *   checksum: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
 *   checksumAlgorithm: "SUMMARY",
 * };
 * const e = new DataAlreadyExistsException("taken", options);
 * assert.equal(e.Checksum, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
 * assert.equal(e.ChecksumAlgorithm, "SUMMARY");
 * ```
 */
export interface DataAlreadyExistsOptions extends ServiceErrorOptions {
  /** `SUMMARY` checksum of the object that already exists. */
  checksum?: string;
  /** Algorithm of `checksum` (`SUMMARY`). */
  checksumAlgorithm?: string;
}

/**
 * An object of that name exists and the request asked `ThrowOnDuplicate`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { DataAlreadyExistsException } from "./errors.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * // Starts an upload unless the name is taken; then returns the existing object's checksum.
 * async function startOnce(storage: BackupStorage, name: string) {
 *   try {
 *     const { UploadId } = await storage.startObject({
 *       BackupJobId: "job-1",
 *       ObjectName: name,
 *       ThrowOnDuplicate: true,
 *     });
 *     return { UploadId };
 *   } catch (error) {
 *     if (error instanceof DataAlreadyExistsException) return { existing: error.Checksum };
 *     throw error;
 *   }
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const { ObjectChecksum } = await store.putObject({ BackupJobId: "job-1", ObjectName: "a" });
 *   assert.deepEqual(await startOnce(store, "a"), { existing: ObjectChecksum });
 *   assert.equal(typeof (await startOnce(store, "b")).UploadId, "string");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class DataAlreadyExistsException extends BackupStorageServiceError {
  /** `SUMMARY` checksum of the existing object. */
  readonly Checksum?: string;
  /** Algorithm of `Checksum`. */
  readonly ChecksumAlgorithm?: string;

  /**
   * Makes the error, carrying the existing object's checksum when given; the
   * message is "Object already exists" when none is given.
   */
  constructor(message?: string, options?: DataAlreadyExistsOptions) {
    super("DataAlreadyExistsException", message ?? "Object already exists", options);
    if (options?.checksum !== undefined) this.Checksum = options.checksum;
    if (options?.checksumAlgorithm !== undefined) {
      this.ChecksumAlgorithm = options.checksumAlgorithm;
    }
  }
}

/**
 * A parameter is missing, malformed, out of range, or contradicts the data sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IllegalArgumentException } from "./errors.ts";
 * import { validateJobId } from "./limits.ts";
 * assert.throws(() => validateJobId("no spaces allowed"), IllegalArgumentException);
 * assert.equal(new IllegalArgumentException().statusCode, 400);
 * ```
 */
export class IllegalArgumentException extends BackupStorageServiceError {
  /** Makes the error; the message is "Illegal argument" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("IllegalArgumentException", message ?? "Illegal argument", options);
  }
}

/**
 * The KMS key could not be used (kept for compatibility; this service never raises it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageServiceError, KMSInvalidKeyUsageException } from "./errors.ts";
 * const e = new KMSInvalidKeyUsageException();
 * assert.ok(e instanceof BackupStorageServiceError);
 * assert.equal(e.code, "KMSInvalidKeyUsageException");
 * assert.equal(e.statusCode, 400);
 * ```
 */
export class KMSInvalidKeyUsageException extends BackupStorageServiceError {
  /** Makes the error; the message is "Invalid KMS key usage" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("KMSInvalidKeyUsageException", message ?? "Invalid KMS key usage", options);
  }
}

/**
 * The request body could not be read to its end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageServiceError, NotReadableInputStreamException } from "./errors.ts";
 * const e = new NotReadableInputStreamException();
 * assert.ok(e instanceof BackupStorageServiceError);
 * assert.equal(e.code, "NotReadableInputStreamException");
 * assert.equal(e.statusCode, 400);
 * ```
 */
export class NotReadableInputStreamException extends BackupStorageServiceError {
  /** Makes the error; the message is "Input stream is not readable" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("NotReadableInputStreamException", message ?? "Input stream is not readable", options);
  }
}

/**
 * The job, object, upload, token or chunk does not exist (or no longer does).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { ResourceNotFoundException } from "./errors.ts";
 * import { EmbeddedStore } from "./store/mod.ts";
 * // Deletes an object, treating "already gone" as success.
 * async function deleteIfPresent(storage: BackupStorage, name: string): Promise<void> {
 *   try {
 *     await storage.deleteObject({ BackupJobId: "job-1", ObjectName: name });
 *   } catch (error) {
 *     if (!(error instanceof ResourceNotFoundException)) throw error;
 *   }
 * }
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await assert.rejects(
 *     store.deleteObject({ BackupJobId: "job-1", ObjectName: "gone" }),
 *     ResourceNotFoundException,
 *   );
 *   await deleteIfPresent(store, "gone"); // no error
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ResourceNotFoundException extends BackupStorageServiceError {
  /** Makes the error; the message is "Resource not found" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("ResourceNotFoundException", message ?? "Resource not found", options);
  }
}

/**
 * A transient failure: the same request may succeed if sent again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RetryableException } from "./errors.ts";
 * const e = new RetryableException();
 * assert.equal(e.statusCode, 500);
 * assert.equal(e.retryable, true);
 * ```
 */
export class RetryableException extends BackupStorageServiceError {
  /** Makes the error; the message is "Retryable error" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("RetryableException", message ?? "Retryable error", options);
  }
}

/**
 * The service failed internally.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServiceInternalException } from "./errors.ts";
 * const e = new ServiceInternalException();
 * assert.equal(e.statusCode, 500);
 * assert.equal(e.fault, "server");
 * assert.equal(e.retryable, true);
 * ```
 */
export class ServiceInternalException extends BackupStorageServiceError {
  /** Makes the error; the message is "Internal service error" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("ServiceInternalException", message ?? "Internal service error", options);
  }
}

/**
 * The service cannot take requests right now.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServiceUnavailableException } from "./errors.ts";
 * const e = new ServiceUnavailableException();
 * assert.equal(e.statusCode, 503);
 * assert.equal(e.retryable, true);
 * ```
 */
export class ServiceUnavailableException extends BackupStorageServiceError {
  /** Makes the error; the message is "Service unavailable" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("ServiceUnavailableException", message ?? "Service unavailable", options);
  }
}

/**
 * Too many requests: slow down and retry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ThrottlingException } from "./errors.ts";
 * const e = new ThrottlingException();
 * assert.equal(e.statusCode, 429);
 * assert.equal(e.retryable, true);
 * ```
 */
export class ThrottlingException extends BackupStorageServiceError {
  /** Makes the error; the message is "Request rate exceeded" when none is given. */
  constructor(message?: string, options?: ServiceErrorOptions) {
    super("ThrottlingException", message ?? "Request rate exceeded", options);
  }
}

/**
 * HTTP status of each exception of the model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ERROR_STATUS } from "./errors.ts";
 * assert.equal(ERROR_STATUS.ResourceNotFoundException, 404);
 * assert.equal(ERROR_STATUS.ThrottlingException, 429);
 * ```
 */
export const ERROR_STATUS = {
  AccessDeniedException: 403,
  DataAlreadyExistsException: 400,
  IllegalArgumentException: 400,
  KMSInvalidKeyUsageException: 400,
  NotReadableInputStreamException: 400,
  ResourceNotFoundException: 404,
  RetryableException: 500,
  ServiceInternalException: 500,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
} as const;

/**
 * Name of an exception of the model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ERROR_STATUS, type ErrorCode } from "./errors.ts";
 * const code: ErrorCode = "ThrottlingException";
 * assert.equal(ERROR_STATUS[code], 429);
 * assert.equal(Object.keys(ERROR_STATUS).length, 10);
 * ```
 */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The codes a client retries: throttling and transient or server-side failures.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RETRYABLE_CODES } from "./errors.ts";
 * assert.equal(RETRYABLE_CODES.has("ThrottlingException"), true);
 * assert.equal(RETRYABLE_CODES.has("IllegalArgumentException"), false);
 * ```
 */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "RetryableException",
  "ServiceUnavailableException",
  "ServiceInternalException",
]);

/**
 * The class of each exception of the model, by code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ERROR_CLASSES, ERROR_STATUS, ThrottlingException } from "./errors.ts";
 * assert.equal(ERROR_CLASSES.ThrottlingException, ThrottlingException);
 * assert.deepEqual(Object.keys(ERROR_CLASSES), Object.keys(ERROR_STATUS));
 * ```
 */
export const ERROR_CLASSES: Readonly<
  Record<
    ErrorCode,
    new (message?: string, options?: ServiceErrorOptions) => BackupStorageServiceError
  >
> = {
  AccessDeniedException,
  DataAlreadyExistsException,
  IllegalArgumentException,
  KMSInvalidKeyUsageException,
  NotReadableInputStreamException,
  ResourceNotFoundException,
  RetryableException,
  ServiceInternalException,
  ServiceUnavailableException,
  ThrottlingException,
};

/**
 * Fields an error response may carry besides its code and message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataAlreadyExistsException, errorFromCode, type ErrorFields } from "./errors.ts";
 * const fields: ErrorFields = { statusCode: 400, checksum: "abc=", checksumAlgorithm: "SUMMARY" };
 * const e = errorFromCode("DataAlreadyExistsException", "taken", fields);
 * assert.ok(e instanceof DataAlreadyExistsException);
 * assert.equal(e.statusCode, 400);
 * assert.equal(e.Checksum, "abc=");
 * assert.equal(e.ChecksumAlgorithm, "SUMMARY");
 * ```
 */
export interface ErrorFields extends ServiceErrorOptions {
  /** `Checksum` member of `DataAlreadyExistsException`. */
  checksum?: string;
  /** `ChecksumAlgorithm` member of `DataAlreadyExistsException`. */
  checksumAlgorithm?: string;
}

/**
 * Builds the typed error for a code: the model's class when the code is known,
 * a generic {@link BackupStorageServiceError} otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorFromCode, ThrottlingException } from "./errors.ts";
 * const e = errorFromCode("ThrottlingException", "slow down", { requestId: "r-1" });
 * assert.ok(e instanceof ThrottlingException);
 * assert.equal(e.statusCode, 429);
 * assert.equal(e.requestId, "r-1");
 * // A code the model does not know keeps its name, with a 500 status.
 * const unknown = errorFromCode("SomethingNew", "huh");
 * assert.equal(unknown.code, "SomethingNew");
 * assert.equal(unknown.statusCode, 500);
 * ```
 */
export function errorFromCode(
  code: string,
  message: string,
  fields?: ErrorFields,
): BackupStorageServiceError {
  if (code === "DataAlreadyExistsException") return new DataAlreadyExistsException(message, fields);
  const known = ERROR_CLASSES[code as ErrorCode];
  if (known) return new known(message, fields);
  return new BackupStorageServiceError(code, message, fields);
}
