/**
 * `backupfs du [-s] PATH`: the bytes of the files under a BackupFS path, by
 * directory (as `du -b`), or only the total with `-s`.
 *
 * @module
 */

import { normalizePath } from "../../fs/mod.ts";
import { displayName, LineWriter } from "./_output.ts";
import { type FileToolOptions, parseToolArgs, toolOptions, withFileSystem } from "./_file_tool.ts";
import { runTool, type Tool } from "./_tool.ts";
import { toolUsage } from "./_usage.ts";
import { walk } from "./_walk.ts";

/** The `--help` text of `backupfs du`. */
const DU_USAGE = toolUsage({
  synopsis: "du [options] [PATH]",
  about: `Prints the bytes of the files under PATH (default /): one line per directory,
"BYTES<TAB>PATH", each after its subdirectories and PATH last (as du -b). The bytes
are the files' sizes; chunks shared by several files count once per file.`,
  options: "  -s, --summarize       Only the total of PATH.",
});

interface DuOptions extends FileToolOptions {
  path: string;
  summarize: boolean;
}

const DU: Tool<DuOptions> = {
  name: "du",
  usage: DU_USAGE,
  parse(args) {
    const { values, positionals } = parseToolArgs(args, {
      summarize: { type: "boolean", short: "s" },
    }, { names: ["PATH"], required: 0 });
    return {
      ...toolOptions(values),
      path: normalizePath(positionals[0] ?? "/"),
      summarize: values.summarize ?? false,
    };
  },
  run: (options) =>
    withFileSystem(options, async (fs) => {
      const info = await fs.stat(options.path);
      const out = new LineWriter();
      if (!info.isDirectory) {
        await out.line(`${info.size}\t${displayName(options.path)}`);
        await out.flush();
        return 0;
      }
      // Post-order: a directory comes after its contents; a stack of the open
      // directories' running totals (as deep as the tree, never as wide).
      const totals: number[] = [0];
      for await (const entry of walk(fs, options.path, { postOrder: true })) {
        const depth = entry.relative.split("/").length;
        while (totals.length <= depth) totals.push(0);
        if (entry.info.isDirectory) {
          const bytes = totals[depth];
          totals.length = depth;
          totals[depth - 1] += bytes;
          if (!options.summarize) await out.line(`${bytes}\t${displayName(entry.path)}`);
        } else {
          totals[depth - 1] += entry.info.size;
        }
      }
      await out.line(`${totals[0]}\t${displayName(options.path)}`);
      await out.flush();
      return 0;
    }),
};

/**
 * Runs `backupfs du` with its arguments; resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { du } from "./du.ts";
 * const original = console.error;
 * console.error = () => {};
 * try {
 *   assert.equal(await du(["/a", "/b"]), 2); // one PATH at most
 * } finally {
 *   console.error = original;
 * }
 * ```
 */
export function du(args: string[]): Promise<number> {
  return runTool(args, DU);
}
