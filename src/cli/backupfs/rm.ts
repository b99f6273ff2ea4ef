/**
 * `backupfs rm [-r] PATH`: removes a BackupFS file, or with `-r` a directory
 * and everything in it.
 *
 * @module
 */

import { normalizePath } from "../../fs/mod.ts";
import { type FileToolOptions, parseToolArgs, toolOptions, withFileSystem } from "./_file_tool.ts";
import { runTool, type Tool } from "./_tool.ts";
import { toolUsage } from "./_usage.ts";

/** The `--help` text of `backupfs rm`. */
const RM_USAGE = toolUsage({
  synopsis: "rm [options] PATH",
  about: `Removes the file at PATH. A directory needs -r, which removes it with everything in it.
The root (/) is never removed. Versions removed stay readable by token for the store's
grace period (15 minutes), then garbage collection frees their chunks.`,
  options: "  -r, --recursive       Remove a directory and everything in it.",
  exit: "0 ok, 1 failure (e.g. no such path, a directory without -r), 2 bad usage.",
});

interface RmOptions extends FileToolOptions {
  path: string;
  recursive: boolean;
}

const RM: Tool<RmOptions> = {
  name: "rm",
  usage: RM_USAGE,
  parse(args) {
    const { values, positionals } = parseToolArgs(args, {
      recursive: { type: "boolean", short: "r" },
    }, { names: ["PATH"], required: 1 });
    const path = values.help ? "/" : normalizePath(positionals[0]);
    if (!values.help && path === "/") throw new TypeError("refusing to remove the root (/)");
    return {
      ...toolOptions(values),
      path,
      recursive: values.recursive ?? false,
    };
  },
  run: (options) =>
    withFileSystem(options, async (fs) => {
      const info = await fs.stat(options.path);
      if (info.isDirectory && !options.recursive) {
        throw new Error(`${options.path} is a directory (use -r to remove it and its contents)`);
      }
      await fs.remove(options.path, { recursive: options.recursive });
      return 0;
    }),
};

/**
 * Runs `backupfs rm` with its arguments; resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rm } from "./rm.ts";
 * const original = console.error;
 * console.error = () => {};
 * try {
 *   assert.equal(await rm(["-r", "/"]), 2); // never the root
 * } finally {
 *   console.error = original;
 * }
 * ```
 */
export function rm(args: string[]): Promise<number> {
  return runTool(args, RM);
}
