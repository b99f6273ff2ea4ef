/**
 * The observability flags of both commands (`deno task serve`, `deno task
 * storage`): `--access-log FILE|-`, `--access-log-format clf|json` and
 * `--metrics HOST:PORT` — their table for `parseFlags`, their `--help` lines and
 * their parsing.
 *
 * @module
 */

import { ACCESS_LOG_FORMATS, type AccessLogFormat } from "../http/access_log_format.ts";
import { type ListenAddress, parseListenAddress } from "./listen_address.ts";
import { nonEmptyFlag } from "./flags.ts";

/**
 * The flag table, to spread into a command's `parseFlags` table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OBSERVABILITY_FLAGS } from "./observability_flags.ts";
 * assert.equal(OBSERVABILITY_FLAGS["access-log"].type, "string");
 * ```
 */
export const OBSERVABILITY_FLAGS = {
  "access-log": { type: "string" },
  "access-log-format": { type: "string" },
  metrics: { type: "string" },
} as const;

/**
 * What the observability flags asked for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ObservabilityOptions } from "./observability_flags.ts";
 * const options: ObservabilityOptions = { accessLog: "-", accessLogFormat: "clf" };
 * assert.equal(options.metrics, undefined);
 * ```
 */
export interface ObservabilityOptions {
  /** The access log's file, `-` for stderr; absent: no access log. */
  accessLog?: string;
  /** The access log's format (default `clf`). */
  accessLogFormat: AccessLogFormat;
  /** Where `/metrics` and `/health` are served; absent: nowhere. */
  metrics?: ListenAddress;
}

/**
 * The `--help` lines of the flags, their descriptions starting at `column`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { observabilityUsage } from "./observability_flags.ts";
 * const text = observabilityUsage(25);
 * assert.match(text, /^ {2}--access-log FILE\|- {4}One line per request/m);
 * ```
 */
export function observabilityUsage(column: number): string {
  const flag = (name: string) => `  ${name}`.padEnd(column);
  const more = " ".repeat(column);
  return [
    `${flag("--access-log FILE|-")}One line per request to FILE (appended; created 0640) or, for`,
    `${more}-, to stderr: client, user, method, path (secret query values`,
    `${more}redacted), status, bytes out and in, duration. Buffered: written`,
    `${more}at least every second and on shutdown.`,
    `${
      flag("--access-log-format F")
    }clf (default: Common Log Format, then bytes in and µs) or json`,
    `${more}(one JSON object per line).`,
    `${flag("--metrics HOST:PORT")}Serve Prometheus metrics at /metrics and a health check at`,
    `${more}/health on a separate listener (no authentication: it shows only`,
    `${more}counts; a warning is printed when it is not on loopback).`,
  ].join("\n");
}

/**
 * Reads the flags' values; throws `TypeError` with a readable message on a bad one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseObservabilityFlags } from "./observability_flags.ts";
 * assert.deepEqual(parseObservabilityFlags({ metrics: "127.0.0.1:9100", "access-log": "-" }), {
 *   accessLog: "-",
 *   accessLogFormat: "clf",
 *   metrics: { hostname: "127.0.0.1", port: 9100 },
 * });
 * assert.throws(() => parseObservabilityFlags({ "access-log": "-", "access-log-format": "xml" }), {
 *   message: 'invalid --access-log-format "xml": expected clf or json',
 * });
 * assert.throws(() => parseObservabilityFlags({ "access-log-format": "json" }), TypeError);
 * ```
 */
export function parseObservabilityFlags(
  values: { "access-log"?: string; "access-log-format"?: string; metrics?: string },
): ObservabilityOptions {
  const accessLog = nonEmptyFlag("access-log", values["access-log"]);
  const format = values["access-log-format"];
  if (format !== undefined && !(ACCESS_LOG_FORMATS as readonly string[]).includes(format)) {
    throw new TypeError(
      `invalid --access-log-format "${format}": expected ${ACCESS_LOG_FORMATS.join(" or ")}`,
    );
  }
  if (format !== undefined && accessLog === undefined) {
    throw new TypeError("--access-log-format needs --access-log");
  }
  const metrics = values.metrics === undefined ? undefined : (() => {
    try {
      return parseListenAddress(values.metrics, { examplePort: 9100 });
    } catch (error) {
      throw new TypeError(`--metrics: ${(error as Error).message}`);
    }
  })();
  return {
    ...(accessLog === undefined ? {} : { accessLog }),
    accessLogFormat: (format ?? "clf") as AccessLogFormat,
    ...(metrics === undefined ? {} : { metrics }),
  };
}
