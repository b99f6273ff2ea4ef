/**
 * The health of a server: each process or worker probes its store with a cheap
 * call (a `ListObjects` of at most one object) every few seconds, bounded in
 * time, and notes the outcome in its metric block; `/health` and the `backupfs_up`
 * gauge are healthy when every live block's last probe answered in time and is
 * recent. Probing in the background keeps `/health` cheap (a scrape never calls
 * the store) and works the same with workers (the main thread only reads blocks).
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { SLOT } from "./metric_layout.ts";
import { metricValues } from "./metric_values.ts";

/**
 * Options of {@link startHealthProbe}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { HealthProbeOptions } from "./health.ts";
 * const options: HealthProbeOptions = { jobId: "default", intervalMs: 5_000, timeoutMs: 2_000 };
 * assert.equal(options.jobId, "default");
 * ```
 */
export interface HealthProbeOptions {
  /** The job listed (any valid job id: an unknown one lists nothing). */
  jobId: string;
  /** Time between probes (default 5 s). */
  intervalMs?: number;
  /** How long the store may take to answer (default 2 s). */
  timeoutMs?: number;
}

/**
 * Default longest age of a probe that still counts, in ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HEALTH_MAX_AGE_MS } from "./health.ts";
 * assert.equal(HEALTH_MAX_AGE_MS, 15_000);
 * ```
 */
export const HEALTH_MAX_AGE_MS = 15_000;

/**
 * Probes `storage` now and then every `intervalMs`, noting each outcome in this
 * thread's metric block (and marking the block live). Returns a stop function,
 * which marks the block no longer live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startHealthProbe } from "./health.ts";
 * import { metricValues } from "./metric_values.ts";
 * import { SLOT } from "./metric_layout.ts";
 * import type { BackupStorage } from "../storage/backup_storage.ts";
 * const storage = { listObjects: () => Promise.resolve({ ObjectList: [] }) } as unknown as BackupStorage;
 * const stop = startHealthProbe(storage, { jobId: "default", intervalMs: 60_000 });
 * for (let i = 0; i < 100 && metricValues.block[SLOT.healthAt] === 0; i++) {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 * }
 * assert.equal(metricValues.block[SLOT.healthOk], 1);
 * assert.equal(metricValues.block[SLOT.alive], 1);
 * await stop();
 * assert.equal(metricValues.block[SLOT.alive], 0);
 * ```
 */
export function startHealthProbe(
  storage: BackupStorage,
  options: HealthProbeOptions,
): () => Promise<void> {
  const intervalMs = options.intervalMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  metricValues.block[SLOT.alive] = 1;

  const probeOnce = async () => {
    let bound: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => {
      bound = setTimeout(() => resolve(false), timeoutMs);
    });
    const answered = storage.listObjects({ StorageJobId: options.jobId, MaxResults: 1 })
      .then(() => true, () => false);
    const ok = await Promise.race([answered, late]);
    clearTimeout(bound);
    if (stopped) return;
    const block = metricValues.block;
    block[SLOT.healthOk] = ok ? 1 : 0;
    block[SLOT.healthAt] = Date.now();
  };
  const loop = () => {
    running = probeOnce().finally(() => {
      if (!stopped) {
        timer = setTimeout(loop, intervalMs);
        Deno.unrefTimer(timer);
      }
    });
  };
  loop();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
    metricValues.block[SLOT.alive] = 0;
  };
}

/**
 * Whether every live block's last health probe answered in time and is younger
 * than `maxAgeMs` (default {@link HEALTH_MAX_AGE_MS}) at `now` (default
 * `Date.now()`); false when no block is live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isHealthy } from "./health.ts";
 * import { BLOCK_SLOTS, SLOT } from "./metric_layout.ts";
 * const block = new Float64Array(BLOCK_SLOTS);
 * block[SLOT.alive] = 1;
 * block[SLOT.healthOk] = 1;
 * block[SLOT.healthAt] = 1_000;
 * assert.equal(isHealthy([block], { now: 2_000 }), true);
 * assert.equal(isHealthy([block], { now: 60_000 }), false); // too old
 * block[SLOT.healthOk] = 0;
 * assert.equal(isHealthy([block], { now: 2_000 }), false);
 * ```
 */
export function isHealthy(
  blocks: readonly Float64Array[],
  options?: { now?: number; maxAgeMs?: number },
): boolean {
  const now = options?.now ?? Date.now();
  const maxAge = options?.maxAgeMs ?? HEALTH_MAX_AGE_MS;
  let live = 0;
  for (const block of blocks) {
    if (block[SLOT.alive] !== 1) continue;
    live++;
    if (block[SLOT.healthOk] !== 1 || now - block[SLOT.healthAt] > maxAge) return false;
  }
  return live > 0;
}
