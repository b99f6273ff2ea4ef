/**
 * `backupfs cat PATH`: a BackupFS file's bytes on stdout, every chunk verified
 * before any of its bytes is written.
 *
 * @module
 */

import { normalizePath } from "../../fs/mod.ts";
import { writeAll } from "./_output.ts";
import { type FileToolOptions, parseToolArgs, toolOptions, withFileSystem } from "./_file_tool.ts";
import { runTool, type Tool } from "./_tool.ts";
import { toolUsage } from "./_usage.ts";

/** The `--help` text of `backupfs cat`. */
const CAT_USAGE = toolUsage({
  synopsis: "cat [options] PATH",
  about: `Writes the file at PATH to stdout, byte for byte; each chunk is checked (SHA-256, or
the CRC-32 recorded with a local chunk file) before any of its bytes is written, so a
damaged file stops with exit 1 instead of giving wrong bytes.`,
});

interface CatOptions extends FileToolOptions {
  path: string;
}

const CAT: Tool<CatOptions> = {
  name: "cat",
  usage: CAT_USAGE,
  parse(args) {
    const { values, positionals } = parseToolArgs(args, {}, { names: ["PATH"], required: 1 });
    return {
      ...toolOptions(values),
      path: values.help ? "/" : normalizePath(positionals[0]),
    };
  },
  run: (options) =>
    withFileSystem(options, async (fs) => {
      const stream = await fs.readStream(options.path);
      for await (const piece of stream) await writeAll(Deno.stdout, piece);
      return 0;
    }),
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
