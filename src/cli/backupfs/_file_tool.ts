/**
 * What every file tool (`ls`, `cat`, `put`, `get`, `du`, `rm`) shares, written
 * once: the layout of its `--help` text, its `--job` and target flags, the
 * options they parse into, and its file system opened and closed around a body.
 * `scrub` shares the help layout and the target flags.
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
  TARGET_USAGE,
  type TargetFlagValues,
  targetFromFlags,
  type TargetLocation,
} from "./_target.ts";

/** The `--help` line of a file tool's `--job`. */
const JOB_OPTION =
  `  --job ID              The backup job holding the file system (default "default").`;
/** The `--help` line of `--help`. */
const HELP_OPTION = "  --help                Show this help and exit.";

/**
 * The parts of a tool's `--help` text that are its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ToolUsage } from "./_file_tool.ts";
 * const usage: ToolUsage = { synopsis: "cat [options] PATH", about: "Writes a file." };
 * assert.equal(usage.options, undefined);
 * ```
 */
export interface ToolUsage {
  /** What follows `Usage: backupfs `, e.g. `cat [options] PATH`. */
  synopsis: string;
  /** The description: one or more lines. */
  about: string;
  /** The tool's own option lines, listed first (none by default). */
  options?: string;
  /** Whether the standard `--job ID` line follows them (default true). */
  jobOption?: boolean;
  /** What follows `Exit status: ` (default `0 ok, 1 failure, 2 bad usage.`). */
  exit?: string;
}

/**
 * A tool's `--help` text: the synopsis, the description, the options (the
 * tool's, `--job`, `--help`), the target flags and the exit status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toolUsage } from "./_file_tool.ts";
 * const text = toolUsage({ synopsis: "cat [options] PATH", about: "Writes a file." });
 * assert.match(text, /^Usage: backupfs cat \[options\] PATH\n\nWrites a file\.\n\nOptions:\n  --job ID /);
 * assert.match(text, /--help {16}Show this help and exit\.\n\nWhere/);
 * assert.match(text, /\n\nExit status: 0 ok, 1 failure, 2 bad usage\.$/);
 * ```
 */
export function toolUsage(usage: ToolUsage): string {
  const options = [
    ...(usage.options === undefined ? [] : [usage.options]),
    ...(usage.jobOption === false ? [] : [JOB_OPTION]),
    HELP_OPTION,
  ];
  return `Usage: backupfs ${usage.synopsis}

${usage.about}

Options:
${options.join("\n")}

${TARGET_USAGE}

Exit status: ${usage.exit ?? "0 ok, 1 failure, 2 bad usage."}`;
}

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
 * import { fileToolOptions } from "./_file_tool.ts";
 * const options = fileToolOptions({ data: "/srv/backupfs", job: "photos" });
 * assert.equal(options.help, false);
 * assert.equal(options.job, "photos");
 * assert.equal(options.target.kind, "store");
 * assert.throws(() => fileToolOptions({ job: "a/b" }), /invalid --job "a\/b"/);
 * ```
 */
export function fileToolOptions(
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
