/**
 * `backupfs ls [-l] [-R] PATH`: the entries of a BackupFS directory (or one
 * file), names in byte order, directories with a trailing `/`.
 *
 * @module
 */

import { type BackupFileInfo, baseName, normalizePath } from "../../fs/mod.ts";
import { displayName, LineWriter } from "./_output.ts";
import { type FileToolOptions, parseToolArgs, toolOptions, withFileSystem } from "./_file_tool.ts";
import { runTool, type Tool } from "./_tool.ts";
import { toolUsage } from "./_usage.ts";
import { walk } from "./_walk.ts";

/** The `--help` text of `backupfs ls`. */
const LS_USAGE = toolUsage({
  synopsis: "ls [options] [PATH]",
  about: `Lists a BackupFS directory (default /), names in byte order, a directory's name
ending in "/"; a file's PATH lists that file. Control characters in names are
shown escaped (\\xNN), a backslash doubled.`,
  options: `  -l, --long            Mode, size in bytes, modification time (UTC) and name.
  -R, --recursive       Everything below PATH, depth-first, as paths relative to it.`,
  exit: "0 ok, 1 failure (e.g. no such path), 2 bad usage.",
});

interface LsOptions extends FileToolOptions {
  path: string;
  long: boolean;
  recursive: boolean;
}

function parse(args: string[]): LsOptions {
  const { values, positionals } = parseToolArgs(args, {
    long: { type: "boolean", short: "l" },
    recursive: { type: "boolean", short: "R" },
  }, { names: ["PATH"], required: 0 });
  return {
    ...toolOptions(values),
    path: normalizePath(positionals[0] ?? "/"),
    long: values.long ?? false,
    recursive: values.recursive ?? false,
  };
}

/** `drwxr-xr-x`-style permission text. */
function modeText(info: BackupFileInfo): string {
  const mode = info.mode ?? (info.isDirectory ? 0o755 : 0o644);
  let text = info.isDirectory ? "d" : "-";
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (mode >> shift) & 7;
    text += (bits & 4 ? "r" : "-") + (bits & 2 ? "w" : "-") + (bits & 1 ? "x" : "-");
  }
  return text;
}

function timeText(date: Date | null): string {
  return date === null ? "-".padEnd(20) : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * One line of the listing: the name (a directory's with `/`), with `long`
 * its mode, size and modification time before it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lsLine } from "./ls.ts";
 * const info = { isFile: true, isDirectory: false, isSymlink: false as const, size: 5,
 *   mtime: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), atime: null, birthtime: null, mode: 0o640 };
 * assert.equal(lsLine("a.txt", info, false), "a.txt");
 * assert.equal(lsLine("a.txt", info, true), "-rw-r-----            5  2026-01-02T03:04:05Z  a.txt");
 * ```
 */
export function lsLine(name: string, info: BackupFileInfo, long: boolean): string {
  const shown = displayName(name) + (info.isDirectory ? "/" : "");
  if (!long) return shown;
  return `${modeText(info)}  ${String(info.size).padStart(11)}  ${timeText(info.mtime)}  ${shown}`;
}

const LS: Tool<LsOptions> = {
  name: "ls",
  usage: LS_USAGE,
  parse,
  run: (options) =>
    withFileSystem(options, async (fs) => {
      const info = await fs.stat(options.path);
      const out = new LineWriter();
      if (!info.isDirectory) {
        await out.line(lsLine(baseName(options.path), info, options.long));
      } else {
        for await (const entry of walk(fs, options.path, { recursive: options.recursive })) {
          await out.line(lsLine(entry.relative, entry.info, options.long));
        }
      }
      await out.flush();
      return 0;
    }),
};

/**
 * Runs `backupfs ls` with its arguments; resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ls } from "./ls.ts";
 * const dataDir = await Deno.makeTempDir();
 * try {
 *   // An empty data directory holds no store: exit 1 (and a message on stderr).
 *   const original = console.error;
 *   console.error = () => {};
 *   try {
 *     assert.equal(await ls(["--data", dataDir, "/"]), 1);
 *     assert.equal(await ls(["--bogus"]), 2);
 *   } finally {
 *     console.error = original;
 *   }
 * } finally {
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export function ls(args: string[]): Promise<number> {
  return runTool(args, LS);
}
