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

/** Options for constructing a service error. */
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
 * import { BackupStorageServiceError } from "./errors.ts";
 * const e = new BackupStorageServiceError("SomethingNew", "the service said no", { statusCode: 400 });
 * console.log(e.code, e.statusCode, e.retryable); // SomethingNew 400 false
 * ```
 */
export class BackupStorageServiceError extends Error {
  /** The model's exception name, or the code the service sent. */
  readonly code: string;
  /** HTTP status of the response. */
  readonly statusCode: number;
  /** Request id of the failed request, when known. */
  readonly requestId?: string;

  constructor(code: string, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.code = code;
    this.statusCode = options.statusCode ?? ERROR_STATUS[code as ErrorCode] ?? 500;
    if (options.requestId !== undefined) this.requestId = options.requestId;
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

/** Access was refused: bad or missing signature, unknown key, or a forbidden action. */
export class AccessDeniedException extends BackupStorageServiceError {
  constructor(message = "Access denied", options: ServiceErrorOptions = {}) {
    super("AccessDeniedException", message, options);
  }
}

/** Options of {@link DataAlreadyExistsException}. */
export interface DataAlreadyExistsOptions extends ServiceErrorOptions {
  /** `SUMMARY` checksum of the object that already exists. */
  checksum?: string;
  /** Algorithm of `checksum` (`SUMMARY`). */
  checksumAlgorithm?: string;
}

/** An object of that name exists and the request asked `ThrowOnDuplicate`. */
export class DataAlreadyExistsException extends BackupStorageServiceError {
  /** `SUMMARY` checksum of the existing object. */
  readonly Checksum?: string;
  /** Algorithm of `Checksum`. */
  readonly ChecksumAlgorithm?: string;

  constructor(message = "Object already exists", options: DataAlreadyExistsOptions = {}) {
    super("DataAlreadyExistsException", message, options);
    if (options.checksum !== undefined) this.Checksum = options.checksum;
    if (options.checksumAlgorithm !== undefined) this.ChecksumAlgorithm = options.checksumAlgorithm;
  }
}

/** A parameter is missing, malformed, out of range, or contradicts the data sent. */
export class IllegalArgumentException extends BackupStorageServiceError {
  constructor(message = "Illegal argument", options: ServiceErrorOptions = {}) {
    super("IllegalArgumentException", message, options);
  }
}

/** The KMS key could not be used (kept for compatibility; this service never raises it). */
export class KMSInvalidKeyUsageException extends BackupStorageServiceError {
  constructor(message = "Invalid KMS key usage", options: ServiceErrorOptions = {}) {
    super("KMSInvalidKeyUsageException", message, options);
  }
}

/** The request body could not be read to its end. */
export class NotReadableInputStreamException extends BackupStorageServiceError {
  constructor(message = "Input stream is not readable", options: ServiceErrorOptions = {}) {
    super("NotReadableInputStreamException", message, options);
  }
}

/** The job, object, upload, token or chunk does not exist (or no longer does). */
export class ResourceNotFoundException extends BackupStorageServiceError {
  constructor(message = "Resource not found", options: ServiceErrorOptions = {}) {
    super("ResourceNotFoundException", message, options);
  }
}

/** A transient failure: the same request may succeed if sent again. */
export class RetryableException extends BackupStorageServiceError {
  constructor(message = "Retryable error", options: ServiceErrorOptions = {}) {
    super("RetryableException", message, options);
  }
}

/** The service failed internally. */
export class ServiceInternalException extends BackupStorageServiceError {
  constructor(message = "Internal service error", options: ServiceErrorOptions = {}) {
    super("ServiceInternalException", message, options);
  }
}

/** The service cannot take requests right now. */
export class ServiceUnavailableException extends BackupStorageServiceError {
  constructor(message = "Service unavailable", options: ServiceErrorOptions = {}) {
    super("ServiceUnavailableException", message, options);
  }
}

/** Too many requests: slow down and retry. */
export class ThrottlingException extends BackupStorageServiceError {
  constructor(message = "Request rate exceeded", options: ServiceErrorOptions = {}) {
    super("ThrottlingException", message, options);
  }
}

/** HTTP status of each exception of the model. */
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

/** Name of an exception of the model. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The codes a client retries: throttling and transient or server-side failures. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "RetryableException",
  "ServiceUnavailableException",
  "ServiceInternalException",
]);

const CLASSES: Record<
  ErrorCode,
  new (message?: string, options?: ServiceErrorOptions) => BackupStorageServiceError
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

/** Fields an error response may carry besides its code and message. */
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
 * import { errorFromCode, ThrottlingException } from "./errors.ts";
 * const e = errorFromCode("ThrottlingException", "slow down", { requestId: "r-1" });
 * console.log(e instanceof ThrottlingException, e.statusCode); // true 429
 * ```
 */
export function errorFromCode(
  code: string,
  message: string,
  fields: ErrorFields = {},
): BackupStorageServiceError {
  if (code === "DataAlreadyExistsException") return new DataAlreadyExistsException(message, fields);
  const known = CLASSES[code as ErrorCode];
  if (known) return new known(message, fields);
  return new BackupStorageServiceError(code, message, fields);
}
