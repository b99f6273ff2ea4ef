/**
 * Where a benchmark's time goes: the CPU seconds each group of processes (the
 * benchmark itself, the gateways, each engine) used during each timed phase,
 * next to the phase's wall-clock time.
 *
 * @module
 */

import process from "node:process";
import { processTreeCpuSeconds } from "./process_tree.ts";

/** One phase: its wall-clock seconds and the CPU seconds of each group. */
export interface PhaseCpu {
  /** The phase's name, e.g. `"gateway on PostgreSQL + Ceph: put"`. */
  phase: string;
  /** Wall-clock seconds. */
  wallSeconds: number;
  /** CPU seconds (user + system) per group, in the order the groups were given. */
  cpuSeconds: Record<string, number>;
}

/**
 * Records the CPU time of process groups around phases. Each group is a
 * function giving the root process ids to count at that moment (each with its
 * live descendants and reaped children); the group `"bench"` is always this
 * process itself (its own threads only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PhaseCpuLedger } from "./phase_cpu.ts";
 * const ledger = new PhaseCpuLedger({ none: () => [] });
 * const value = await ledger.around("spin", async () => {
 *   const until = performance.now() + 50;
 *   let spins = 0;
 *   while (performance.now() < until) spins++; // CPU on purpose
 *   assert.ok(spins > 0);
 *   return 42;
 * });
 * assert.equal(value, 42);
 * const [phase] = ledger.phases;
 * assert.equal(phase.phase, "spin");
 * assert.ok(phase.wallSeconds >= 0.05);
 * assert.ok(phase.cpuSeconds.bench > 0.02);
 * assert.equal(phase.cpuSeconds.none, 0);
 * ```
 */
export class PhaseCpuLedger {
  /** The phases recorded so far, in order. */
  readonly phases: PhaseCpu[] = [];
  #groups: Record<string, () => number[]>;
  /** Prefixed to each phase's name (e.g. the configuration being measured). */
  prefix = "";

  /** Counts `groups` (name → root process ids) besides this process, `"bench"`. */
  constructor(groups: Record<string, () => number[]>) {
    this.#groups = groups;
  }

  /** The group names, `"bench"` first. */
  get groupNames(): string[] {
    return ["bench", ...Object.keys(this.#groups)];
  }

  /** Runs `work`, recording the CPU seconds each group used meanwhile as `phase`. */
  async around<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const before = await this.#sample();
    const start = performance.now();
    const value = await work();
    const wallSeconds = (performance.now() - start) / 1000;
    const after = await this.#sample();
    const cpuSeconds: Record<string, number> = {};
    for (const name of this.groupNames) cpuSeconds[name] = after[name] - (before[name] ?? 0);
    this.phases.push({ phase: `${this.prefix}${phase}`, wallSeconds, cpuSeconds });
    return value;
  }

  async #sample(): Promise<Record<string, number>> {
    const { user, system } = process.cpuUsage();
    const sample: Record<string, number> = { bench: (user + system) / 1e6 };
    for (const [name, roots] of Object.entries(this.#groups)) {
      let seconds = 0;
      for (const pid of roots()) seconds += await processTreeCpuSeconds(pid);
      sample[name] = seconds;
    }
    return sample;
  }
}
