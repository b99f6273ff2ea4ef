/**
 * The time and size bounds every HTTP connection of the servers lives under, so a
 * slow, stalled or hostile client holds a connection, a request or memory only
 * for a bounded time. Both `deno task serve` and `deno task storage` use these
 * defaults and let the operator change each one.
 *
 * @module
 */

/** Bounds on connections, requests and their bodies. All times in milliseconds; 0 turns one off. */
export interface ConnectionLimits {
  /**
   * Time a client has to send a complete request head (request line and headers),
   * from the moment the connection opens or the previous response ends. A slowloris
   * client is cut off after it (node answers 408).
   */
  headersTimeoutMs: number;
  /**
   * Time a keep-alive connection may stay idle between requests before it is closed.
   */
  keepAliveTimeoutMs: number;
  /**
   * Longest wait for the next bytes of a request body while the server is reading
   * it. A stalled upload is abandoned after it: the request fails, the old version
   * of the file stays, and the memory the upload held is returned.
   */
  bodyIdleTimeoutMs: number;
  /**
   * Longest wait for a client to take more response bytes (a reader that stopped
   * reading). The connection is closed after it.
   */
  responseIdleTimeoutMs: number;
  /** Largest request head (request line plus headers), in bytes; larger is 431. */
  maxHeaderBytes: number;
  /** Most connections open at once; further connections are closed at once. */
  maxConnections: number;
}

/**
 * The defaults: 20 s for a request head, 30 s of keep-alive idleness, 60 s
 * without body bytes or without the client taking response bytes, 64 KiB of
 * headers, 1,000 connections.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_CONNECTION_LIMITS } from "./connection_limits.ts";
 * assert.deepEqual(DEFAULT_CONNECTION_LIMITS, {
 *   headersTimeoutMs: 20_000,
 *   keepAliveTimeoutMs: 30_000,
 *   bodyIdleTimeoutMs: 60_000,
 *   responseIdleTimeoutMs: 60_000,
 *   maxHeaderBytes: 64 * 1024,
 *   maxConnections: 1000,
 * });
 * assert.ok(Object.isFrozen(DEFAULT_CONNECTION_LIMITS));
 * ```
 */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 60_000,
  responseIdleTimeoutMs: 60_000,
  maxHeaderBytes: 64 * 1024,
  maxConnections: 1000,
});

/**
 * Parses a duration given on a command line: a number with an optional unit
 * `ms`, `s` (the default) or `min`; `0` turns the limit off. Throws `TypeError`
 * with a readable message otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./connection_limits.ts";
 * assert.equal(parseDuration("1.5s", "--x"), 1500);
 * assert.equal(parseDuration("250ms", "--x"), 250);
 * assert.equal(parseDuration("2min", "--x"), 120_000);
 * assert.equal(parseDuration("30", "--x"), 30_000); // seconds by default
 * assert.equal(parseDuration("0", "--x"), 0); // turns the limit off
 * assert.throws(() => parseDuration("soon", "--x"), TypeError);
 * ```
 */
export function parseDuration(text: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/i.exec(text);
  if (!match) {
    throw new TypeError(`${flag} must be a duration such as 30s, 500ms or 2min (got "${text}")`);
  }
  const unit = (match[2] ?? "s").toLowerCase();
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : 60_000;
  const ms = Math.round(Number(match[1]) * factor);
  if (ms > 24 * 3600_000) throw new TypeError(`${flag} must be at most 24 hours (got "${text}")`);
  return ms;
}
