/**
 * The `--workers N` flag of `deno task serve` and `deno task storage`: its
 * `parseArgs` definition, its `--help` text and its parser.
 *
 * @module
 */

/** Widest `--help` line of {@link workersUsage}. */
const USAGE_WIDTH = 92;

/** Most workers one server may run. */
export const MAX_WORKERS = 64;

/**
 * The `parseArgs` definition of `--workers`, to spread into a command's flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WORKERS_FLAG } from "./worker_flags.ts";
 * assert.equal(WORKERS_FLAG.workers.type, "string");
 * ```
 */
export const WORKERS_FLAG = { workers: { type: "string" } } as const;

/**
 * The `--help` lines of `--workers`, descriptions starting at `column` (the
 * command's other flags' column); `budgets` names the command's flags whose
 * totals are split among the workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workersUsage } from "./worker_flags.ts";
 * const lines = workersUsage(25, { budgets: ["--cache-size", "--max-connections"] }).split("\n");
 * assert.ok(lines[0].startsWith("  --workers N            Worker threads"));
 * assert.ok(lines.slice(1).every((line) => line.startsWith(" ".repeat(25))));
 * ```
 */
export function workersUsage(column: number, options: { budgets: string[] }): string {
  const budgets = options.budgets.length < 2
    ? options.budgets.join("")
    : `${options.budgets.slice(0, -1).join(", ")} and ${options.budgets.at(-1)}`;
  const text = `Worker threads serving requests over one store (1 to ${MAX_WORKERS}; default: ` +
    `one less than the CPU cores, at least 1). Each connection is served by one worker; locks, caches and ` +
    `tokens hold across them. 1: the main thread alone. ${budgets} ` +
    `${options.budgets.length < 2 ? "is a total" : "are totals"}, split evenly among the workers.`;
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && column + line.length + 1 + word.length > USAGE_WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  const pad = " ".repeat(column);
  return lines.map((l, i) => (i === 0 ? "  --workers N".padEnd(column) : pad) + l).join("\n");
}

/**
 * How many workers serve by default on a machine with `cores` CPU cores: one
 * less than the cores, at least 1, at most {@link MAX_WORKERS}. A worker's
 * requests keep more than its own thread busy: its file writes and fsyncs run on
 * the runtime's I/O threads, the metadata checkpointer on its own thread, the
 * garbage collector on V8's. Measured on a machine with 2 cores
 * (`deno task bench:webdav --servers backupfs --backupfs-args "--workers N"`,
 * 2 × 2 runs), 1 worker against 2: 4 KiB PUTs 999–1,005 against 936–938
 * files/s, 8 clients' p99 13.7–15.5 against 17.4–17.6 ms, at 1.13–1.14 cores of
 * CPU against 1.58; 2 workers answered 7–13 % more requests per second, at higher p99s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultWorkerCount } from "./worker_flags.ts";
 * assert.equal(defaultWorkerCount(1), 1);
 * assert.equal(defaultWorkerCount(2), 1);
 * assert.equal(defaultWorkerCount(8), 7);
 * assert.equal(defaultWorkerCount(256), 64);
 * ```
 */
export function defaultWorkerCount(cores: number): number {
  const whole = Number.isFinite(cores) ? Math.floor(cores) : 1;
  return Math.max(1, Math.min(whole - 1, MAX_WORKERS));
}

/**
 * The number of workers `--workers` asks for: a whole number from 1 to
 * {@link MAX_WORKERS}; `undefined` gives `fallback` (default: {@link defaultWorkerCount}
 * of `navigator.hardwareConcurrency`), at most {@link MAX_WORKERS} and at most
 * `maxConnections` (each worker needs one connection of the total). Throws a
 * `TypeError` with a readable message on anything else, or when an explicit
 * count exceeds `maxConnections`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWorkerCount } from "./worker_flags.ts";
 * assert.equal(parseWorkerCount("4"), 4);
 * assert.equal(parseWorkerCount(undefined, { fallback: 1 }), 1);
 * assert.equal(parseWorkerCount(undefined, { fallback: 8, maxConnections: 2 }), 2);
 * assert.throws(() => parseWorkerCount("3", { maxConnections: 2 }), /--max-connections 2/);
 * assert.ok(parseWorkerCount(undefined) >= 1); // one less than the CPU cores, at least 1
 * for (const bad of ["0", "-1", "1.5", "65", "two", ""]) {
 *   assert.throws(() => parseWorkerCount(bad), {
 *     message: `--workers must be a whole number from 1 to 64 (got "${bad}")`,
 *   });
 * }
 * ```
 */
export function parseWorkerCount(
  value: string | undefined,
  options?: { fallback?: number; maxConnections?: number },
): number {
  const maxConnections = options?.maxConnections ?? Infinity;
  if (value === undefined) {
    const fallback = options?.fallback ?? defaultWorkerCount(navigator.hardwareConcurrency);
    return Math.max(1, Math.min(fallback, MAX_WORKERS, maxConnections));
  }
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new TypeError(
      `--workers must be a whole number from 1 to ${MAX_WORKERS} (got "${value}")`,
    );
  }
  if (n > maxConnections) {
    throw new TypeError(
      `--workers ${n} with --max-connections ${maxConnections}: each worker needs at least ` +
        `one connection of the total`,
    );
  }
  return n;
}
