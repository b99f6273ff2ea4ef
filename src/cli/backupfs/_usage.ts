/**
 * The layout of a `backupfs` tool's `--help` text, written once: synopsis,
 * description, options (the tool's, `--job`, `--help`), the target flags and
 * the exit status; and the option lines the copying tools share.
 *
 * @module
 */

import { TARGET_USAGE } from "./_target.ts";

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
 * import type { ToolUsage } from "./_usage.ts";
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
 * import { toolUsage } from "./_usage.ts";
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
 * The `--help` lines of `put`'s and `get`'s `-r` and `-f`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COPY_OPTIONS } from "./_usage.ts";
 * assert.match(COPY_OPTIONS, /^  -r, --recursive {7}Copy a directory/);
 * ```
 */
export const COPY_OPTIONS = `  -r, --recursive       Copy a directory and everything in it.
  -f, --force           Replace what is at the destination: a file is replaced, a
                        directory merged (its files of the same names replaced).
                        Without it, an existing destination is refused (exit 1).`;
