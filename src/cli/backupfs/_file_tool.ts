/**
 * What every file tool (`ls`, `cat`, `put`, `get`, `du`, `rm`) shares, written
 * once: its `--job` and target flags, the options they parse into, and its file
 * system opened and closed around a body (its `--help` layout: `_usage.ts`).
 *
 * @module
 */

import type { ParseArgsOptionsConfig } from "node:util";
import type { BackupFS } from "../../fs/mod.ts";
import { type ParsedSubcommand, parseSubcommand, type Positionals } from "./_args.ts";
import {
  checkJobFlag,
  fileSystemOf,
  type OpenedTarget,
  openTarget,
  type OpenTargetOptions,
  TARGET_FLAGS,
  type TargetFlagValues,
  targetFromFlags,
  type TargetLocation,
} from "./_target.ts";

/**
 * The options every file tool has: `--help`, the target and the job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FileToolOptions } from "./_file_tool.ts";
 * const options: FileToolOptions = {
 *   help: false,
 *   target: { kind: "endpoint", endpoint: "http://127.0.0.1:9000" },
 *   job: "default",
 * };
 * assert.equal(options.job, "default");
 * ```
 */
export interface FileToolOptions {
  /** Whether `--help` was given. */
  help: boolean;
  /** Where the file system is. */
  target: TargetLocation;
  /** The job holding it. */
  job: string;
}

/** The flags every file tool adds to its own. */
const COMMON_FLAGS = {
  job: { type: "string" },
  ...TARGET_FLAGS,
  help: { type: "boolean" },
} as const;

/**
 * Parses a tool's arguments: its own `flags`, then `--job`, the target flags
 * and `--help` (see `parseSubcommand` for the errors).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseToolArgs } from "./_file_tool.ts";
 * const { values, positionals } = parseToolArgs(
 *   ["-s", "--job", "j", "/a"],
 *   { summarize: { type: "boolean", short: "s" } },
 *   { names: ["PATH"], required: 0 },
 * );
 * assert.equal(values.summarize, true);
 * assert.equal(values.job, "j");
 * assert.deepEqual(positionals, ["/a"]);
 * assert.throws(() => parseToolArgs(["--bogus"], {}, { names: [], required: 0 }), /--bogus/);
 * ```
 */
export function parseToolArgs<const T extends ParseArgsOptionsConfig>(
  args: string[],
  flags: T,
  positionals: Positionals,
): ParsedSubcommand<T & typeof COMMON_FLAGS> {
  return parseSubcommand(args, { ...flags, ...COMMON_FLAGS }, positionals);
}

/**
 * The common options from the parsed flags, checked in this order: the target
 * (a `TypeError` for a bad or conflicting target flag), then the job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toolOptions } from "./_file_tool.ts";
 * const options = toolOptions({ data: "/srv/backupfs", job: "photos" });
 * assert.equal(options.help, false);
 * assert.equal(options.job, "photos");
 * assert.equal(options.target.kind, "store");
 * assert.throws(() => toolOptions({ job: "a/b" }), /invalid --job "a\/b"/);
 * ```
 */
export function toolOptions(
  values: TargetFlagValues & { help?: boolean; job?: string },
): FileToolOptions {
  return {
    help: values.help ?? false,
    target: targetFromFlags(values),
    job: checkJobFlag(values.job),
  };
}

/**
 * Opens the tool's target, runs `body` on the job's file system, and closes the
 * target whatever happens; resolves with what `body` does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withFileSystem } from "./_file_tool.ts";
 * const dataDir = await Deno.makeTempDir();
 * try {
 *   const options = { help: false, target: { kind: "store" as const, location: { dataDir } }, job: "j" };
 *   await withFileSystem(options, (fs) => fs.writeTextFile("/a.txt", "hi"), { create: true });
 *   assert.equal(await withFileSystem(options, (fs) => fs.readTextFile("/a.txt")), "hi");
 * } finally {
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export async function withFileSystem<R>(
  options: FileToolOptions,
  body: (fs: BackupFS, target: OpenedTarget) => Promise<R>,
  open?: OpenTargetOptions,
): Promise<R> {
  const target = await openTarget(options.target, options.job, open);
  try {
    return await body(fileSystemOf(target, options.job), target);
  } finally {
    await target.close();
  }
}
