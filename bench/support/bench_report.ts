/**
 * Figures and tables of the BackupFS benchmarks: rates, ratios to a same-run
 * reference, PASS/MISS against a target.
 *
 * @module
 */

/**
 * Megabytes (10^6 bytes) per second.
 *
 * @example
 * ```ts
 * import { mbPerSecond } from "./bench_report.ts";
 * console.log(mbPerSecond(2_000_000, 1000)); // 2
 * ```
 */
export function mbPerSecond(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

/**
 * Milliseconds taken by `work`, and its result.
 *
 * @example
 * ```ts
 * import { timed } from "./bench_report.ts";
 * const { ms, value } = await timed(() => Promise.resolve(42));
 * console.log(value, ms >= 0); // 42 true
 * ```
 */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

/**
 * "PASS" or "MISS", with the target, e.g. `PASS (≥ 0.50×)`.
 *
 * @example
 * ```ts
 * import { verdict } from "./bench_report.ts";
 * console.log(verdict(0.6 >= 0.5, "≥ 0.50×")); // PASS (target ≥ 0.50×)
 * ```
 */
export function verdict(pass: boolean, target: string): string {
  return `${pass ? "PASS" : "MISS"} (target ${target})`;
}

/**
 * Prints rows as a table with a header, the first column left-aligned and the
 * others right-aligned.
 *
 * @example
 * ```ts
 * import { printTable } from "./bench_report.ts";
 * printTable(["what", "MB/s"], [["local disk", "1200"], ["BackupFS", "700"]]);
 * ```
 */
export function printTable(header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    row.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

/**
 * Formats a number with `digits` decimals (default 0), or "—" when not finite.
 *
 * @example
 * ```ts
 * import { fmt } from "./bench_report.ts";
 * console.log(fmt(3.14159, 2), fmt(NaN)); // 3.14 —
 * ```
 */
export function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "—";
}

/**
 * A ratio `value / reference` as `0.62×`.
 *
 * @example
 * ```ts
 * import { ratio } from "./bench_report.ts";
 * console.log(ratio(620, 1000)); // 0.62×
 * ```
 */
export function ratio(value: number, reference: number): string {
  return `${fmt(value / reference, 2)}×`;
}

/**
 * The 1-, 5- and 15-minute load averages (needs `--allow-sys=loadavg`), or a note
 * that they are unavailable: other work on the machine skews every figure.
 *
 * @example
 * ```ts
 * import { loadAverage } from "./bench_report.ts";
 * console.log(`load average ${loadAverage()}`);
 * ```
 */
export function loadAverage(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "unknown (no --allow-sys=loadavg)";
  }
}
