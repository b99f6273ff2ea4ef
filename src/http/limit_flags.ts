/**
 * The command-line flags that set {@link ConnectionLimits}, shared by
 * `deno task serve` and `deno task storage`: their `parseArgs` definitions, their
 * `--help` text and their parser.
 *
 * @module
 */

import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  parseDuration,
} from "./connection_limits.ts";

/** `parseArgs` option definitions of the limit flags. */
export const LIMIT_FLAGS = {
  "header-timeout": { type: "string" },
  "keepalive-timeout": { type: "string" },
  "body-timeout": { type: "string" },
  "response-timeout": { type: "string" },
  "max-connections": { type: "string" },
} as const;

const seconds = (ms: number) => `${ms / 1000}s`;

/** The `--help` lines of the limit flags. */
export const LIMITS_USAGE =
  `Connection limits (DURATION: a number with ms, s or min; 0 turns a limit off):
  --header-timeout DURATION
                         Time a client has to send a request's head (default ${
    seconds(DEFAULT_CONNECTION_LIMITS.headersTimeoutMs)
  }).
  --keepalive-timeout DURATION
                         Idle time after which a keep-alive connection closes (default ${
    seconds(DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs)
  }).
  --body-timeout DURATION
                         Longest wait for more request body bytes; a stalled upload is
                         abandoned and the old version kept (default ${
    seconds(DEFAULT_CONNECTION_LIMITS.bodyIdleTimeoutMs)
  }).
  --response-timeout DURATION
                         Longest wait for a client to take more response bytes (default ${
    seconds(DEFAULT_CONNECTION_LIMITS.responseIdleTimeoutMs)
  }).
  --max-connections N    Most connections open at once (default ${DEFAULT_CONNECTION_LIMITS.maxConnections}).`;

/** Values of the limit flags as `parseArgs` returns them. */
export type LimitFlagValues = { [K in keyof typeof LIMIT_FLAGS]?: string | undefined };

/**
 * The limits the flags set (only those given); `TypeError` with a readable
 * message on a bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitsFromFlags } from "./limit_flags.ts";
 * const limits = limitsFromFlags({ "header-timeout": "5s", "max-connections": "200" });
 * assert.deepEqual(limits, { headersTimeoutMs: 5000, maxConnections: 200 }); // only those given
 * assert.throws(() => limitsFromFlags({ "body-timeout": "forever" }), TypeError);
 * ```
 */
export function limitsFromFlags(values: LimitFlagValues): Partial<ConnectionLimits> {
  const limits: Partial<ConnectionLimits> = {};
  const duration = (flag: keyof LimitFlagValues, key: keyof ConnectionLimits) => {
    const value = values[flag];
    if (value !== undefined) limits[key] = parseDuration(value, `--${flag}`);
  };
  duration("header-timeout", "headersTimeoutMs");
  duration("keepalive-timeout", "keepAliveTimeoutMs");
  duration("body-timeout", "bodyIdleTimeoutMs");
  duration("response-timeout", "responseIdleTimeoutMs");
  const connections = values["max-connections"];
  if (connections !== undefined) {
    const n = Number(connections);
    if (!/^\d+$/.test(connections.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 1_000_000) {
      throw new TypeError(`--max-connections must be a whole number from 1 to 1000000`);
    }
    limits.maxConnections = n;
  }
  return limits;
}
