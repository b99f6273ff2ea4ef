/**
 * HTTP serving shared by the WebDAV server and the BackupStorage service: a
 * fetch handler over node's HTTP/1.1 server with bounds on every connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_CONNECTION_LIMITS, serveHttp } from "./mod.ts";
 * const server = await serveHttp(() => new Response("ok"), {
 *   hostname: "127.0.0.1",
 *   port: 0, // the OS picks one
 *   limits: { headersTimeoutMs: 5_000 },
 * });
 * assert.equal(server.limits.headersTimeoutMs, 5_000);
 * // A limit not given keeps its default:
 * assert.equal(server.limits.keepAliveTimeoutMs, DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs);
 * assert.equal(await server.shutdown(), true);
 * ```
 *
 * @module
 */

export { BodyTooLargeError, readBodyUpTo } from "./bounded_body.ts";
export {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  parseDuration,
} from "./connection_limits.ts";
export { MemoryBudget, type MemoryLease } from "./memory_budget.ts";
export { type HttpServerHandle, serveHttp, type ServeHttpOptions } from "./serve_http.ts";
export { LIMIT_FLAGS, type LimitFlagValues, LIMITS_USAGE, limitsFromFlags } from "./limit_flags.ts";
export { recordOf, type RequestObserver, RequestRecord, setRequestUser } from "./request_record.ts";
export { type PeerAddress, peerAddress } from "./peer_address.ts";
export { hasBody } from "./request_body.ts";
export { loadTlsCredentials, type TlsCredentials, TlsFileError } from "./tls_credentials.ts";
