/**
 * Counting a request in this thread's metric block: by method and status, its
 * bytes, its latency in the histogram — plain increments of typed-array slots.
 *
 * @module
 */

import type { RequestRecord } from "../http/request_record.ts";
import { LATENCY_BUCKETS, methodIndex, SLOT, statusIndex } from "./metric_layout.ts";
import { metricValues } from "./metric_values.ts";

const STATUSES_PER_METHOD = 500;

/**
 * Counts one request that started (the in-flight gauge).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countRequestEnd, countRequestStart } from "./request_metrics.ts";
 * import { RequestRecord } from "../http/request_record.ts";
 * import { metricValues } from "./metric_values.ts";
 * import { SLOT } from "./metric_layout.ts";
 * const before = metricValues.block[SLOT.inFlight];
 * countRequestStart();
 * assert.equal(metricValues.block[SLOT.inFlight], before + 1);
 * const record = new RequestRecord("GET", "/", "127.0.0.1");
 * record.status = 200;
 * countRequestEnd(record);
 * assert.equal(metricValues.block[SLOT.inFlight], before);
 * ```
 */
export function countRequestStart(): void {
  metricValues.block[SLOT.inFlight]++;
}

/**
 * Counts one request whose response is over: by method and status, its bytes
 * in and out, its duration in the latency histogram; and ends it in flight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countRequestEnd } from "./request_metrics.ts";
 * import { RequestRecord } from "../http/request_record.ts";
 * import { metricValues } from "./metric_values.ts";
 * import { methodIndex, SLOT, statusIndex } from "./metric_layout.ts";
 * const slot = SLOT.requests + methodIndex("PUT") * 500 + statusIndex(201);
 * const before = metricValues.block[slot];
 * const bytesBefore = metricValues.block[SLOT.bytesIn];
 * const record = new RequestRecord("PUT", "/a", "127.0.0.1");
 * record.status = 201;
 * record.bytesIn = 10;
 * countRequestEnd(record);
 * assert.equal(metricValues.block[slot], before + 1);
 * assert.equal(metricValues.block[SLOT.bytesIn], bytesBefore + 10);
 * ```
 */
export function countRequestEnd(record: RequestRecord): void {
  const block = metricValues.block;
  block[SLOT.inFlight]--;
  block[
    SLOT.requests + methodIndex(record.method) * STATUSES_PER_METHOD + statusIndex(record.status)
  ]++;
  block[SLOT.bytesIn] += record.bytesIn;
  block[SLOT.bytesOut] += record.bytesOut;
  const seconds = record.durationMs / 1000;
  block[SLOT.latencySum] += seconds;
  let bucket = 0;
  while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]) bucket++;
  block[SLOT.latencyBuckets + bucket]++;
}
