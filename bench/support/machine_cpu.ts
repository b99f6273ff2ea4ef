/**
 * The CPU time the whole machine was busy: every core, every process, and the
 * kernel's own work for them (interrupts, softirqs: a loopback network's packets,
 * a journal's commits), which no process's own CPU time includes. A figure per
 * request of it is what a workload costs the machine, server and client together.
 *
 * @module
 */

import { CLOCK_TICKS, readProcFiles } from "./proc_files.ts";

/**
 * Seconds the machine's cores have been busy since boot, summed over the cores:
 * user, nice, system, irq, softirq and steal time from `/proc/stat` (idle and
 * iowait left out). `undefined` where there is no `/proc/stat` (not Linux). Needs
 * `--allow-run=cat`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { machineBusySeconds } from "./machine_cpu.ts";
 * const before = await machineBusySeconds();
 * if (before !== undefined) {
 *   const until = performance.now() + 50;
 *   while (performance.now() < until); // busy on purpose
 *   const after = await machineBusySeconds();
 *   assert.ok(after !== undefined && after >= before);
 * }
 * ```
 */
export async function machineBusySeconds(): Promise<number | undefined> {
  let read: { text: string; all: boolean };
  try {
    read = await readProcFiles(["/proc/stat"]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined; // no `cat`
    throw error;
  }
  if (!read.all) return undefined; // no /proc/stat: not Linux
  return busyTicks(read.text) / CLOCK_TICKS;
}

/**
 * Busy clock ticks of the `cpu` line (all cores) of a `/proc/stat` text: fields
 * user, nice, system, irq, softirq and steal (1, 2, 3, 6, 7, 8; idle and iowait,
 * 4 and 5, are not busy).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { busyTicks } from "./machine_cpu.ts";
 * const stat = "cpu  10 1 5 900 20 2 3 4 0 0\ncpu0 5 0 2 450 10 1 1 2 0 0\n";
 * assert.equal(busyTicks(stat), 10 + 1 + 5 + 2 + 3 + 4);
 * ```
 */
export function busyTicks(stat: string): number {
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) throw new Error("/proc/stat has no cpu line");
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 8 || fields.slice(0, 8).some((n) => !Number.isFinite(n))) {
    throw new Error(`/proc/stat's cpu line is not as expected: ${line}`);
  }
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return user + nice + system + irq + softirq + steal;
}
