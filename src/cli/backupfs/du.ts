/**
 * `backupfs du [-s] PATH`: the bytes of the files under a BackupFS path, by
 * directory (as `du -b`), or only the total with `-s`.
 *
 * @module
 */

import { normalizePath } from "../../fs/mod.ts";
import { parseSubcommand } from "./_args.ts";
import { displayName, LineWriter } from "./_output.ts";
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
import { walk } from "./_walk.ts";

/** The `--help` text of `backupfs du`. */
const DU_USAGE = `Usage: backupfs du [options] [PATH]

Prints the bytes of the files under PATH (default /): one line per directory,
"BYTES<TAB>PATH", each after its subdirectories and PATH last (as du -b). The bytes
are the files' sizes; chunks shared by several files count once per file.

Options:
  -s, --summarize       Only the total of PATH.
  --job ID              The backup job holding the file system (default "default").
  --help                Show this help and exit.

${TARGET_USAGE}

Exit status: 0 ok, 1 failure, 2 bad usage.`;

interface DuOptions {
  help: boolean;
  target: TargetLocation;
  job: string;
  path: string;
  summarize: boolean;
}

const DU: Tool<DuOptions> = {
  name: "du",
  usage: DU_USAGE,
  parse(args) {
    const { values, positionals } = parseSubcommand(args, {
      summarize: { type: "boolean", short: "s" },
      job: { type: "string" },
      ...TARGET_FLAGS,
      help: { type: "boolean" },
    }, { names: ["PATH"], required: 0 });
    return {
      help: values.help ?? false,
      target: targetFromFlags(values),
      job: checkJobFlag(values.job),
      path: normalizePath(positionals[0] ?? "/"),
      summarize: values.summarize ?? false,
    };
  },
  async run(options) {
    const target = await openTarget(options.target, options.job);
    try {
      const fs = fileSystemOf(target, options.job);
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
    } finally {
      await target.close();
    }
  },
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
