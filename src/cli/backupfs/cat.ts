/**
 * `backupfs cat PATH`: a BackupFS file's bytes on stdout, every chunk verified
 * before any of its bytes is written.
 *
 * @module
 */

import { normalizePath } from "../../fs/mod.ts";
import { parseSubcommand } from "./_args.ts";
import { writeAll } from "./_output.ts";
import {
  checkJobFlag,
  fileSystemOf,
  openTarget,
  TARGET_FLAGS,
  TARGET_USAGE,
  targetFromFlags,
  type TargetLocation,
} from "./_target.ts";
import { runTool, type Tool } from "./_tool.ts";

/** The `--help` text of `backupfs cat`. */
const CAT_USAGE = `Usage: backupfs cat [options] PATH

Writes the file at PATH to stdout, byte for byte; each chunk is checked (SHA-256, or
the CRC-32 recorded with a local chunk file) before any of its bytes is written, so a
damaged file stops with exit 1 instead of giving wrong bytes.

Options:
  --job ID              The backup job holding the file system (default "default").
  --help                Show this help and exit.

${TARGET_USAGE}

Exit status: 0 ok, 1 failure, 2 bad usage.`;

interface CatOptions {
  help: boolean;
  target: TargetLocation;
  job: string;
  path: string;
}

const CAT: Tool<CatOptions> = {
  name: "cat",
  usage: CAT_USAGE,
  parse(args) {
    const { values, positionals } = parseSubcommand(args, {
      job: { type: "string" },
      ...TARGET_FLAGS,
      help: { type: "boolean" },
    }, { names: ["PATH"], required: 1 });
    return {
      help: values.help ?? false,
      target: targetFromFlags(values),
      job: checkJobFlag(values.job),
      path: values.help ? "/" : normalizePath(positionals[0]),
    };
  },
  async run(options) {
    const target = await openTarget(options.target, options.job);
    try {
      const fs = fileSystemOf(target, options.job);
      const stream = await fs.readStream(options.path);
      for await (const piece of stream) await writeAll(Deno.stdout, piece);
      return 0;
    } finally {
      await target.close();
    }
  },
};

/**
 * Runs `backupfs cat` with its arguments; resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cat } from "./cat.ts";
 * const original = console.error;
 * console.error = () => {};
 * try {
 *   assert.equal(await cat([]), 2); // PATH is missing
 * } finally {
 *   console.error = original;
 * }
 * ```
 */
export function cat(args: string[]): Promise<number> {
  return runTool(args, CAT);
}
