/**
 * What an error of npm:pg means to `PostgresMetadataStore`: a lost connection,
 * an engine that cannot answer now, or a conflict that running the transaction
 * again resolves.
 *
 * @module
 */

/** Network error codes of a connection that failed or broke (Node's `error.code`). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENOENT", // a Unix socket that is not there
]);

/** npm:pg's own messages for a connection that failed, broke or timed out. */
const CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|timeout expired|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable)/;

/**
 * SQLSTATEs of an engine that cannot answer now: the connection exception class
 * (08), shutdown and start-up (57P01..57P03), too many connections and other
 * insufficient resources (53), operator or timeout cancels (57014), a lock or an
 * idle transaction that waited too long (55P03, 25P03), system errors (58).
 */
function unavailableState(code: string): boolean {
  return code.startsWith("08") || code.startsWith("53") || code.startsWith("58") ||
    code === "57P01" || code === "57P02" || code === "57P03" || code === "57014" ||
    code === "55P03" || code === "25P03";
}

/** SQLSTATEs after which running the transaction again can succeed. */
const CONFLICT_STATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "23505", // unique_violation (another transaction made the current version first)
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Whether `error` says the connection failed or broke (the client is unusable;
 * what it had sent may or may not have happened).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isConnectionLost } from "./_postgres_errors.ts";
 * assert.ok(isConnectionLost(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })));
 * assert.ok(isConnectionLost(new Error("Connection terminated unexpectedly")));
 * assert.ok(isConnectionLost(Object.assign(new Error("terminating connection"), { code: "57P01" })));
 * assert.ok(!isConnectionLost(Object.assign(new Error("duplicate key"), { code: "23505" })));
 * ```
 */
export function isConnectionLost(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.some(isConnectionLost)) return true;
  const code = codeOf(error);
  if (code !== undefined) {
    if (NETWORK_CODES.has(code)) return true;
    // 57P01..57P03 end the session; class 08 is the connection's own failure.
    if (code.startsWith("08") || /^57P0[123]$/.test(code)) return true;
  }
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

/**
 * Whether `error` means the engine cannot answer now (unreachable, starting or
 * stopping, overloaded, timed out): a `ServiceUnavailableException` to the caller.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isEngineUnavailable } from "./_postgres_errors.ts";
 * assert.ok(isEngineUnavailable(Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" })));
 * assert.ok(isEngineUnavailable(Object.assign(new Error("the database system is starting up"), { code: "57P03" })));
 * assert.ok(!isEngineUnavailable(Object.assign(new Error("syntax error"), { code: "42601" })));
 * ```
 */
export function isEngineUnavailable(error: unknown): boolean {
  if (isConnectionLost(error)) return true;
  const code = codeOf(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) && unavailableState(code);
}

/**
 * Whether `error` is a conflict with another transaction (serialization failure,
 * deadlock, unique violation): rolled back, the transaction may run again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetryableConflict } from "./_postgres_errors.ts";
 * assert.ok(isRetryableConflict(Object.assign(new Error("deadlock detected"), { code: "40P01" })));
 * assert.ok(!isRetryableConflict(Object.assign(new Error("syntax error"), { code: "42601" })));
 * ```
 */
export function isRetryableConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && CONFLICT_STATES.has(code);
}
