/**
 * Where each counter lives in a process's (or worker's) block of metric values:
 * a fixed layout of `Float64Array` slots, so that counting is an increment of a
 * typed-array element (no allocation, no lookup by label), and the main thread
 * sums the blocks of all workers from one `SharedArrayBuffer`.
 *
 * Labelled series have a slot for every label value they can take: requests by
 * method (a fixed list, others as `OTHER`) and status (100-599), storage calls
 * and errors by operation (a fixed list).
 *
 * @module
 */

/**
 * The methods counted by name; any other is counted as `OTHER`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { METHODS } from "./metric_layout.ts";
 * assert.equal(METHODS.at(-1), "OTHER");
 * assert.ok(METHODS.includes("PROPFIND"));
 * ```
 */
export const METHODS: readonly string[] = [
  "GET",
  "HEAD",
  "PUT",
  "POST",
  "DELETE",
  "OPTIONS",
  "PROPFIND",
  "PROPPATCH",
  "MKCOL",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
  "PATCH",
  "OTHER",
];

const METHOD_INDEX = new Map(METHODS.map((method, index) => [method, index]));

/**
 * The slot index of `method` in {@link METHODS} (`OTHER` for one not listed;
 * names are matched as sent, so `get` is `OTHER`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { methodIndex, METHODS } from "./metric_layout.ts";
 * assert.equal(METHODS[methodIndex("PUT")], "PUT");
 * assert.equal(METHODS[methodIndex("BREW")], "OTHER");
 * ```
 */
export function methodIndex(method: string): number {
  return METHOD_INDEX.get(method) ?? METHODS.length - 1;
}

/** Statuses counted: 100 … 599 (see {@link statusIndex}). */
const FIRST_STATUS = 100;
const STATUS_COUNT = 500;

/**
 * The slot offset of `status` within a method's block (100 → 0 … 599 → 499;
 * out-of-range statuses, which node refuses to send, are clamped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusIndex } from "./metric_layout.ts";
 * assert.equal(statusIndex(100), 0);
 * assert.equal(statusIndex(207), 107);
 * assert.equal(statusIndex(999), 499);
 * ```
 */
export function statusIndex(status: number): number {
  const offset = status - FIRST_STATUS;
  return offset < 0 ? 0 : offset >= STATUS_COUNT ? STATUS_COUNT - 1 : offset;
}

/**
 * The upper bounds of the request latency histogram, in seconds (Prometheus `le`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LATENCY_BUCKETS } from "./metric_layout.ts";
 * assert.equal(LATENCY_BUCKETS[0], 0.001);
 * assert.ok(LATENCY_BUCKETS.every((bound, i) => i === 0 || bound > LATENCY_BUCKETS[i - 1]));
 * ```
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/**
 * The storage operations counted: the nine of the BackupStorage API, then the
 * embedded store's in-process shortcuts (named after their methods).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STORAGE_OPERATIONS } from "./metric_layout.ts";
 * assert.equal(STORAGE_OPERATIONS.getChunk, "GetChunk");
 * assert.equal(STORAGE_OPERATIONS.readVerifiedChunk, "ReadVerifiedChunk");
 * ```
 */
export const STORAGE_OPERATIONS: Readonly<Record<string, string>> = {
  deleteObject: "DeleteObject",
  getChunk: "GetChunk",
  getObjectMetadata: "GetObjectMetadata",
  listChunks: "ListChunks",
  listObjects: "ListObjects",
  notifyObjectComplete: "NotifyObjectComplete",
  putChunk: "PutChunk",
  putObject: "PutObject",
  startObject: "StartObject",
  putChunkHashed: "PutChunkHashed",
  putObjectHashed: "PutObjectHashed",
  readVerifiedChunk: "ReadVerifiedChunk",
  listObjectsLocally: "ListObjectsLocally",
};

/**
 * The operation names in slot order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OPERATION_NAMES } from "./metric_layout.ts";
 * assert.equal(OPERATION_NAMES.length, 13);
 * ```
 */
export const OPERATION_NAMES: readonly string[] = Object.values(STORAGE_OPERATIONS);

let next = 0;
function slots(count: number): number {
  const first = next;
  next += count;
  return first;
}

/**
 * The slot of each counter (or the first slot of each labelled series) in a block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BLOCK_SLOTS, SLOT } from "./metric_layout.ts";
 * assert.ok(SLOT.gcRuns < BLOCK_SLOTS);
 * ```
 */
export const SLOT = {
  /** Requests by method × status: `requests + methodIndex * 500 + statusIndex`. */
  requests: slots(METHODS.length * STATUS_COUNT),
  /** Requests being answered now (a gauge). */
  inFlight: slots(1),
  /** Request body bytes read. */
  bytesIn: slots(1),
  /** Response body bytes written. */
  bytesOut: slots(1),
  /** Latency histogram, one slot per bucket (not cumulative) and one for +Inf. */
  latencyBuckets: slots(LATENCY_BUCKETS.length + 1),
  /** Sum of latencies, in seconds. */
  latencySum: slots(1),
  /** Storage calls by operation (slot order of {@link OPERATION_NAMES}). */
  storageCalls: slots(OPERATION_NAMES.length),
  /** Storage calls that failed, by operation. */
  storageErrors: slots(OPERATION_NAMES.length),
  /** Chunk cache: requests served from memory (or joining a load in flight). */
  cacheHits: slots(1),
  /** Chunk cache: loads started. */
  cacheMisses: slots(1),
  /** Chunks whose bytes matched their length and checksum. */
  chunksVerified: slots(1),
  /** Chunk reads whose bytes did not match (each failed attempt). */
  chunksFailed: slots(1),
  /** Garbage-collector runs of the embedded store. */
  gcRuns: slots(1),
  /** Garbage-collector runs that failed. */
  gcErrors: slots(1),
  /** The last health probe's outcome: 1 answered in time, 0 not. */
  healthOk: slots(1),
  /** When the last health probe ended, ms since the epoch (0: none yet). */
  healthAt: slots(1),
  /** Whether this block is in use (a process or worker serving with it): 1 or 0. */
  alive: slots(1),
} as const;

/**
 * Slots in one block (one process or worker).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BLOCK_SLOTS, SLOT } from "./metric_layout.ts";
 * assert.equal(BLOCK_SLOTS, SLOT.alive + 1);
 * ```
 */
export const BLOCK_SLOTS: number = next;
