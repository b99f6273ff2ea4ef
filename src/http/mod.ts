/**
 * HTTP serving shared by the WebDAV server and the BackupStorage service: a
 * fetch handler over node's HTTP/1.1 server with bounds on every connection.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONNECTION_LIMITS, serveHttp } from "./mod.ts";
 * const server = await serveHttp(() => new Response("ok"), {
 *   limits: { headersTimeoutMs: 5_000 },
 * });
 * if (server.limits.keepAliveTimeoutMs !== DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs) {
 *   throw new Error("a limit not given keeps its default");
 * }
 * await server.shutdown();
 * ```
 *
 * @module
 */

export {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  parseDuration,
} from "./connection_limits.ts";
export { MemoryBudget, type MemoryLease } from "./memory_budget.ts";
export { type HttpServerHandle, serveHttp, type ServeHttpOptions } from "./serve_http.ts";
export { LIMIT_FLAGS, type LimitFlagValues, LIMITS_USAGE, limitsFromFlags } from "./limit_flags.ts";
