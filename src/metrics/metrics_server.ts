/**
 * The metrics listener of `--metrics HOST:PORT`: a separate small HTTP server
 * (never the WebDAV or storage port) answering `GET /metrics` with the
 * Prometheus text of every block summed, and `GET /health` with 200 when every
 * live process or worker's store answered its last probe in time, 503 otherwise.
 *
 * @module
 */

import { type HttpServerHandle, serveHttp } from "../http/serve_http.ts";
import type { ListenAddress } from "../cli/listen_address.ts";
import { HEALTH_MAX_AGE_MS, isHealthy } from "./health.ts";
import { SLOT } from "./metric_layout.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus_text.ts";

/**
 * The metrics endpoint's answer to `request`, from `blocks` (each read afresh).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { metricsResponse } from "./metrics_server.ts";
 * import { BLOCK_SLOTS, SLOT } from "./metric_layout.ts";
 * const block = new Float64Array(BLOCK_SLOTS);
 * const health = metricsResponse(new Request("http://h/health"), () => [block]);
 * assert.equal(health.status, 503); // no live block
 * block[SLOT.alive] = 1;
 * block[SLOT.healthOk] = 1;
 * block[SLOT.healthAt] = Date.now();
 * assert.equal(metricsResponse(new Request("http://h/health"), () => [block]).status, 200);
 * const metrics = metricsResponse(new Request("http://h/metrics"), () => [block]);
 * assert.match(await metrics.text(), /^backupfs_up 1$/m);
 * assert.equal(metricsResponse(new Request("http://h/other"), () => [block]).status, 404);
 * ```
 */
export function metricsResponse(
  request: Request,
  blocks: () => readonly Float64Array[],
  options?: { healthMaxAgeMs?: number },
): Response {
  const path = new URL(request.url).pathname;
  if (path !== "/metrics" && path !== "/health") {
    return new Response("Not Found: try /metrics or /health\n", { status: 404 });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const noStore = { "cache-control": "no-store" };
  if (path === "/metrics") {
    return new Response(renderPrometheus(blocks(), { maxAgeMs: options?.healthMaxAgeMs }), {
      headers: { "content-type": PROMETHEUS_CONTENT_TYPE, ...noStore },
    });
  }
  const all = blocks();
  const healthy = isHealthy(all, { maxAgeMs: options?.healthMaxAgeMs ?? HEALTH_MAX_AGE_MS });
  const workers = all.filter((block) => block[SLOT.alive] === 1).length;
  return Response.json({ status: healthy ? "ok" : "unavailable", workers }, {
    status: healthy ? 200 : 503,
    headers: noStore,
  });
}

/**
 * Serves the metrics endpoint on `listen` until its handle's `shutdown`.
 * Rejects when the address cannot be bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveMetrics } from "./metrics_server.ts";
 * import { BLOCK_SLOTS } from "./metric_layout.ts";
 * const server = await serveMetrics({ hostname: "127.0.0.1", port: 0 }, {
 *   blocks: () => [new Float64Array(BLOCK_SLOTS)],
 * });
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/health`);
 * assert.equal(response.status, 503);
 * assert.deepEqual(await response.json(), { status: "unavailable", workers: 0 });
 * await server.shutdown();
 * ```
 */
export function serveMetrics(
  listen: ListenAddress,
  options: { blocks: () => readonly Float64Array[]; healthMaxAgeMs?: number },
): Promise<HttpServerHandle> {
  return serveHttp((request) => metricsResponse(request, options.blocks, options), {
    hostname: listen.hostname,
    port: listen.port,
    limits: {
      maxConnections: 64,
      maxHeaderBytes: 16 * 1024,
      headersTimeoutMs: 10_000,
      bodyIdleTimeoutMs: 10_000,
      responseIdleTimeoutMs: 10_000,
    },
  });
}
