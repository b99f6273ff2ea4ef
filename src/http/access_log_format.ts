/**
 * One access-log line per request, in Common Log Format (with the bytes read and
 * the duration after it) or as a JSON object, from its `RequestRecord`. Never a
 * header: no credential, token or cookie can reach the log; of the request
 * target, secret-bearing query parameters (SigV4 presigned signatures and
 * credentials, tokens, passwords, keys) have their values replaced by `REDACTED`.
 *
 * @module
 */

import type { RequestRecord } from "./request_record.ts";

/**
 * The formats of `--access-log-format`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ACCESS_LOG_FORMATS, type AccessLogFormat } from "./access_log_format.ts";
 * const format: AccessLogFormat = "json";
 * assert.ok(ACCESS_LOG_FORMATS.includes(format));
 * ```
 */
export const ACCESS_LOG_FORMATS = ["clf", "json"] as const;

/**
 * An access-log format: `clf` (Common Log Format and two fields) or `json` (JSON lines).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AccessLogFormat } from "./access_log_format.ts";
 * const formats: AccessLogFormat[] = ["clf", "json"];
 * assert.equal(formats.length, 2);
 * ```
 */
export type AccessLogFormat = typeof ACCESS_LOG_FORMATS[number];

/** Query parameter names whose values are never logged (matched without case). */
const SECRET_PARAMETER =
  /signature|credential|token|secret|password|passw|passwd|pwd|auth|key|session|sig$|code|cookie/i;

/** Most characters of the request target logged (a longer one is cut, marked with `...`). */
const MAX_TARGET_CHARS = 2048;

/**
 * The request target as logged: as sent, secret-bearing query parameters' values
 * replaced by `REDACTED`, at most 2048 characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loggedTarget } from "./access_log_format.ts";
 * assert.equal(loggedTarget("/a%20b/c.txt"), "/a%20b/c.txt");
 * assert.equal(
 *   loggedTarget("/x?X-Amz-Credential=AKID%2F2024&X-Amz-Signature=abc&MaxResults=5"),
 *   "/x?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&MaxResults=5",
 * );
 * assert.equal(loggedTarget("/x?token"), "/x?token");
 * ```
 */
export function loggedTarget(target: string): string {
  const question = target.indexOf("?");
  let logged = target;
  if (question !== -1) {
    const query = target.slice(question + 1).split("&").map((pair) => {
      const equals = pair.indexOf("=");
      if (equals === -1) return pair;
      let name = pair.slice(0, equals);
      try {
        name = decodeURIComponent(name.replaceAll("+", " "));
      } catch { /* matched as sent */ }
      return SECRET_PARAMETER.test(name) ? `${pair.slice(0, equals)}=REDACTED` : pair;
    });
    logged = `${target.slice(0, question)}?${query.join("&")}`;
  }
  return logged.length > MAX_TARGET_CHARS ? `${logged.slice(0, MAX_TARGET_CHARS)}...` : logged;
}

/** Apache's escaping of a quoted or bare field: `"`, `\`, controls, spaces and non-ASCII as `\xHH`. */
function escapeClf(text: string, escapeSpace: boolean): string {
  // deno-lint-ignore no-control-regex
  const unsafe = escapeSpace ? /[\x00-\x20"\\\x7f-\uffff]/g : /[\x00-\x1f"\\\x7f-\uffff]/g;
  if (!unsafe.test(text)) return text;
  unsafe.lastIndex = 0;
  return text.replace(unsafe, (c) => {
    if (c === '"') return '\\"';
    if (c === "\\") return "\\\\";
    return [...new TextEncoder().encode(c)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`)
      .join("");
  });
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `[10/Oct/2000:13:55:36 +0000]`, in UTC. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  return `[${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${
    two(d.getUTCHours())
  }:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000]`;
}

/**
 * One line (with its `\n`) for `record` in `format`.
 *
 * `clf`: `CLIENT - USER [TIME] "METHOD TARGET HTTP/V" STATUS BYTES_OUT BYTES_IN MICROSECONDS`
 * (Apache's `%h %l %u %t "%r" %>s %b %I %D`: `-` for no user and for 0 bytes out).
 * `json`: `{"time","client","user","method","path","protocol","status","bytes_in",
 * "bytes_out","duration_ms","completed"}` (`user` null when none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accessLogLine } from "./access_log_format.ts";
 * import { RequestRecord } from "./request_record.ts";
 * const record = new RequestRecord("PUT", '/a "b".txt?sig=1', "127.0.0.1");
 * record.user = "alice";
 * Object.assign(record, { status: 201, bytesIn: 5, bytesOut: 0, durationMs: 1.5, completed: true });
 * Object.defineProperty(record, "startTime", { value: Date.UTC(2026, 0, 2, 3, 4, 5) });
 * assert.equal(
 *   accessLogLine(record, "clf"),
 *   '127.0.0.1 - alice [02/Jan/2026:03:04:05 +0000] "PUT /a \\"b\\".txt?sig=REDACTED HTTP/1.1" 201 - 5 1500\n',
 * );
 * const json = JSON.parse(accessLogLine(record, "json"));
 * assert.equal(json.path, '/a "b".txt?sig=REDACTED');
 * assert.equal(json.bytes_in, 5);
 * ```
 */
export function accessLogLine(record: RequestRecord, format: AccessLogFormat): string {
  const target = loggedTarget(record.target);
  if (format === "json") {
    return JSON.stringify({
      time: new Date(record.startTime).toISOString(),
      client: record.client,
      user: record.user ?? null,
      method: record.method,
      path: target,
      protocol: `HTTP/${record.httpVersion}`,
      status: record.status,
      bytes_in: record.bytesIn,
      bytes_out: record.bytesOut,
      duration_ms: Math.round(record.durationMs * 1000) / 1000,
      completed: record.completed,
    }) + "\n";
  }
  const user = record.user === undefined || record.user === "" ? "-" : escapeClf(record.user, true);
  const request = escapeClf(`${record.method} ${target} HTTP/${record.httpVersion}`, false);
  const bytesOut = record.bytesOut === 0 ? "-" : String(record.bytesOut);
  return `${escapeClf(record.client, true)} - ${user} ${
    clfTime(record.startTime)
  } "${request}" ${record.status} ${bytesOut} ${record.bytesIn} ${
    Math.round(record.durationMs * 1000)
  }\n`;
}
