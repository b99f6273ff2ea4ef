/**
 * The metric blocks of every process or worker, summed, as Prometheus text
 * exposition format 0.0.4 (what `GET /metrics` answers).
 *
 * @module
 */

import { BLOCK_SLOTS, LATENCY_BUCKETS, METHODS, OPERATION_NAMES, SLOT } from "./metric_layout.ts";
import { isHealthy } from "./health.ts";

/**
 * The `Content-Type` of the text format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROMETHEUS_CONTENT_TYPE } from "./prometheus_text.ts";
 * assert.match(PROMETHEUS_CONTENT_TYPE, /^text\/plain; version=0\.0\.4/);
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Sums the blocks in use (any block that ever counted, alive or not: counters never go back). */
function sumBlocks(blocks: readonly Float64Array[]): Float64Array {
  const total = new Float64Array(BLOCK_SLOTS);
  for (const block of blocks) {
    for (let i = 0; i < BLOCK_SLOTS; i++) total[i] += block[i];
  }
  return total;
}

function head(lines: string[], name: string, type: string, help: string): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

function scalar(lines: string[], name: string, type: string, help: string, value: number): void {
  head(lines, name, type, help);
  lines.push(`${name} ${value}`);
}

/**
 * Prometheus text of the sum of `blocks` (see `metric_values.ts`); the health
 * gauge is 1 only when every live block's last probe answered in time and is
 * younger than `maxAgeMs` (default 15 s) at `now`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderPrometheus } from "./prometheus_text.ts";
 * import { BLOCK_SLOTS, methodIndex, SLOT, statusIndex } from "./metric_layout.ts";
 * const a = new Float64Array(BLOCK_SLOTS);
 * const b = new Float64Array(BLOCK_SLOTS);
 * a[SLOT.requests + methodIndex("GET") * 500 + statusIndex(200)] = 2;
 * b[SLOT.requests + methodIndex("GET") * 500 + statusIndex(200)] = 3;
 * b[SLOT.gcRuns] = 1;
 * const text = renderPrometheus([a, b]);
 * assert.match(text, /^backupfs_http_requests_total\{method="GET",status="200"\} 5$/m);
 * assert.match(text, /^backupfs_gc_runs_total 1$/m);
 * ```
 */
export function renderPrometheus(
  blocks: readonly Float64Array[],
  options?: { now?: number; maxAgeMs?: number },
): string {
  const total = sumBlocks(blocks);
  const lines: string[] = [];
  head(
    lines,
    "backupfs_http_requests_total",
    "counter",
    "HTTP requests answered, by method and status.",
  );
  for (let m = 0; m < METHODS.length; m++) {
    for (let s = 0; s < 500; s++) {
      const value = total[SLOT.requests + m * 500 + s];
      if (value !== 0) {
        lines.push(
          `backupfs_http_requests_total{method="${METHODS[m]}",status="${s + 100}"} ${value}`,
        );
      }
    }
  }
  scalar(
    lines,
    "backupfs_http_requests_in_flight",
    "gauge",
    "HTTP requests being answered.",
    total[SLOT.inFlight],
  );
  scalar(
    lines,
    "backupfs_http_request_bytes_total",
    "counter",
    "Request body bytes read.",
    total[SLOT.bytesIn],
  );
  scalar(
    lines,
    "backupfs_http_response_bytes_total",
    "counter",
    "Response body bytes written to connections.",
    total[SLOT.bytesOut],
  );
  const histogram = "backupfs_http_request_duration_seconds";
  head(lines, histogram, "histogram", "Time from a request's arrival until its response was over.");
  let cumulative = 0;
  for (let i = 0; i <= LATENCY_BUCKETS.length; i++) {
    cumulative += total[SLOT.latencyBuckets + i];
    const le = i < LATENCY_BUCKETS.length ? String(LATENCY_BUCKETS[i]) : "+Inf";
    lines.push(`${histogram}_bucket{le="${le}"} ${cumulative}`);
  }
  lines.push(`${histogram}_sum ${total[SLOT.latencySum]}`, `${histogram}_count ${cumulative}`);
  head(lines, "backupfs_storage_calls_total", "counter", "Storage calls, by operation.");
  OPERATION_NAMES.forEach((name, i) => {
    lines.push(`backupfs_storage_calls_total{operation="${name}"} ${total[SLOT.storageCalls + i]}`);
  });
  head(
    lines,
    "backupfs_storage_errors_total",
    "counter",
    "Storage calls that failed, by operation.",
  );
  OPERATION_NAMES.forEach((name, i) => {
    lines.push(
      `backupfs_storage_errors_total{operation="${name}"} ${total[SLOT.storageErrors + i]}`,
    );
  });
  scalar(
    lines,
    "backupfs_chunk_cache_hits_total",
    "counter",
    "Chunk reads served by the chunk cache.",
    total[SLOT.cacheHits],
  );
  scalar(
    lines,
    "backupfs_chunk_cache_misses_total",
    "counter",
    "Chunk reads that loaded the chunk.",
    total[SLOT.cacheMisses],
  );
  scalar(
    lines,
    "backupfs_chunks_verified_total",
    "counter",
    "Chunks read whose length and checksum matched.",
    total[SLOT.chunksVerified],
  );
  scalar(
    lines,
    "backupfs_chunks_failed_verification_total",
    "counter",
    "Chunk reads whose bytes did not match their length or checksum.",
    total[SLOT.chunksFailed],
  );
  scalar(
    lines,
    "backupfs_gc_runs_total",
    "counter",
    "Garbage-collector runs of the embedded store.",
    total[SLOT.gcRuns],
  );
  scalar(
    lines,
    "backupfs_gc_errors_total",
    "counter",
    "Garbage-collector runs that failed.",
    total[SLOT.gcErrors],
  );
  const live = blocks.filter((block) => block[SLOT.alive] === 1);
  scalar(lines, "backupfs_workers", "gauge", "Processes or workers serving.", live.length);
  const healthy = isHealthy(blocks, options);
  scalar(
    lines,
    "backupfs_up",
    "gauge",
    "1 when the store answered the last health probe of every worker in time.",
    healthy ? 1 : 0,
  );
  return lines.join("\n") + "\n";
}
