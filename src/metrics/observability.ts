/**
 * The observability of both commands, written once: what `--access-log`,
 * `--access-log-format` and `--metrics` start.
 *
 * - In the main thread, {@link startObservability}: the metric blocks (one per
 *   worker, in a `SharedArrayBuffer` the workers count into) and the metrics
 *   listener, which sums them.
 * - In each process or worker that serves, {@link observeServer}: the request
 *   observer the HTTP server calls (counting, and the access log's line), the
 *   storage wrapped to count its calls, and the health probe.
 *
 * With neither flag, nothing is started and the HTTP server makes no record.
 *
 * @module
 */

import { listenUrl } from "../cli/listen_address.ts";
import type { ObservabilityOptions } from "../cli/observability_flags.ts";
import { accessLogLine } from "../http/access_log_format.ts";
import { AccessLogWriter } from "../http/access_log_writer.ts";
import type { RequestObserver, RequestRecord } from "../http/request_record.ts";
import type { BackupStorage } from "../storage/backup_storage.ts";
import { startHealthProbe } from "./health.ts";
import { serveMetrics } from "./metrics_server.ts";
import { createMetricBuffer, metricBlocks, useMetricBlock } from "./metric_values.ts";
import { countRequestEnd, countRequestStart } from "./request_metrics.ts";
import { countingStorage } from "./storage_metrics.ts";

/** Whether `hostname` is a loopback address or `localhost`. */
function loopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * What {@link startObservability} started in the main thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MainObservability } from "./observability.ts";
 * const none: MainObservability = { stop: () => Promise.resolve() };
 * assert.equal(none.metricBuffer, undefined);
 * ```
 */
export interface MainObservability {
  /** The workers' metric blocks (give it to `serveWithWorkers`); absent without `--metrics`. */
  metricBuffer?: SharedArrayBuffer;
  /** Stops the metrics listener. */
  stop(): Promise<void>;
}

/**
 * Starts what the main thread runs for `options`: with `--metrics`, one metric
 * block per worker (with one worker, this thread counts into the first) and the
 * metrics listener (a warning is said when it is not on loopback). A string is a
 * start-up failure's message (the address cannot be listened on).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startObservability } from "./observability.ts";
 * const said: string[] = [];
 * const main = await startObservability(
 *   { accessLogFormat: "clf", metrics: { hostname: "127.0.0.1", port: 0 } },
 *   { workers: 2, say: (message) => said.push(message) },
 * );
 * assert.ok(typeof main !== "string");
 * assert.equal(main.metricBuffer instanceof SharedArrayBuffer, true);
 * assert.match(said[0], /^metrics on http:\/\/127\.0\.0\.1:\d+\/metrics$/);
 * await main.stop();
 * ```
 */
export async function startObservability(
  options: ObservabilityOptions | undefined,
  context: { workers: number; say: (message: string) => void },
): Promise<MainObservability | string> {
  if (options?.metrics === undefined) return { stop: () => Promise.resolve() };
  const buffer = createMetricBuffer(context.workers);
  if (context.workers <= 1) useMetricBlock(buffer, 0);
  const blocks = metricBlocks(buffer);
  let server;
  try {
    server = await serveMetrics(options.metrics, { blocks: () => blocks });
  } catch (error) {
    return `cannot listen on ${listenUrl(options.metrics)} for --metrics: ${
      error instanceof Error ? error.message : String(error)
    }`;
  }
  context.say(`metrics on ${listenUrl(server.addr)}/metrics`);
  if (!loopback(options.metrics.hostname)) {
    context.say(
      `warning: --metrics listens on ${options.metrics.hostname} without authentication: ` +
        "anyone who reaches it sees request counts and health",
    );
  }
  return {
    metricBuffer: buffer,
    stop: async () => void await server.shutdown(1_000),
  };
}

/**
 * What {@link observeServer} started in a process or worker that serves.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ServerObservability } from "./observability.ts";
 * const none: ServerObservability = {
 *   storage: (storage) => storage,
 *   close: () => Promise.resolve(),
 * };
 * assert.equal(none.observer, undefined);
 * ```
 */
export interface ServerObservability {
  /** For `serveHttp`'s `observer`; absent when nothing observes requests. */
  observer?: RequestObserver;
  /** The storage the server should use: with `--metrics`, its calls counted. */
  storage<T extends BackupStorage>(storage: T): T;
  /** Stops the health probe and flushes and closes the access log (after the server stopped). */
  close(): Promise<void>;
}

/**
 * Starts what a serving process or worker runs for `options`: the access log,
 * and with `--metrics` the counting of requests and storage calls and the health
 * probe of `context.storage` (a `ListObjects` of `context.jobId`). A string is a
 * start-up failure's message (the access log cannot be opened).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { observeServer } from "./observability.ts";
 * import { RequestRecord } from "../http/request_record.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const observed = await observeServer(
 *     { accessLog: `${dir}/access.log`, accessLogFormat: "json" },
 *     { storage: {} as never, jobId: "default" },
 *   );
 *   assert.ok(typeof observed !== "string");
 *   const record = new RequestRecord("GET", "/a?X-Amz-Signature=s3cret", "127.0.0.1");
 *   record.status = 200;
 *   observed.observer!.requestEnded(record);
 *   await observed.close();
 *   const line = JSON.parse(await Deno.readTextFile(`${dir}/access.log`));
 *   assert.equal(line.path, "/a?X-Amz-Signature=REDACTED");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function observeServer(
  options: ObservabilityOptions | undefined,
  context: { storage: BackupStorage; jobId: string; say?: (message: string) => void },
): Promise<ServerObservability | string> {
  if (options === undefined) {
    return {
      storage: (storage) => storage,
      close: () => Promise.resolve(),
    };
  }
  const metrics = options.metrics !== undefined;
  let log: AccessLogWriter | undefined;
  if (options.accessLog !== undefined) {
    try {
      log = await AccessLogWriter.open(options.accessLog, {
        ...(context.say ? { onError: context.say } : {}),
      });
    } catch (error) {
      return `cannot open --access-log ${options.accessLog}: ${
        error instanceof Error ? error.message : String(error)
      }`;
    }
  }
  const stopProbe = metrics
    ? startHealthProbe(context.storage, { jobId: context.jobId })
    : undefined;
  const format = options.accessLogFormat;
  const observer: RequestObserver | undefined = !metrics && log === undefined ? undefined : {
    ...(metrics ? { requestStarted: countRequestStart } : {}),
    requestEnded(record: RequestRecord): void {
      if (metrics) countRequestEnd(record);
      if (log !== undefined) log.append(accessLogLine(record, format));
    },
  };
  return {
    ...(observer === undefined ? {} : { observer }),
    storage: (storage) => metrics ? countingStorage(storage) : storage,
    close: async () => {
      await stopProbe?.();
      await log?.close();
    },
  };
}
