/**
 * `backupfs put [-r] [--force] LOCAL REMOTE`: copies a local file (or with
 * `-r` a directory tree) into a BackupFS, byte for byte, keeping each file's
 * modification time and permission bits.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import { type BackupFS, joinPath, normalizePath, parentOf } from "../../fs/mod.ts";
import { displayName } from "./_output.ts";
import { copyWithProgress, type Progress } from "./_progress.ts";
import { type FileToolOptions, parseToolArgs, toolOptions, withFileSystem } from "./_file_tool.ts";
import { runTool, type Tool } from "./_tool.ts";
import { COPY_OPTIONS, toolUsage } from "./_usage.ts";

/** The `--help` text of `backupfs put`. */
const PUT_USAGE = toolUsage({
  synopsis: "put [options] LOCAL REMOTE",
  about: `Copies the local file LOCAL to the BackupFS path REMOTE ("-" reads stdin), or with -r
the directory LOCAL and everything in it. When REMOTE is an existing directory, the
copy goes inside it, under LOCAL's name (as cp does); otherwise REMOTE is the new name
and its parent directory must exist. Files keep their modification time and permission
bits; each appears whole, or not at all, once written. Symbolic links and special
files inside a tree are skipped with a warning. A progress line is shown on stderr
when it is a terminal.`,
  options: COPY_OPTIONS,
  exit: "0 ok, 1 failure (nothing at LOCAL, destination exists, storage error), 2 bad usage.",
});

interface PutOptions extends FileToolOptions {
  local: string;
  remote: string;
  recursive: boolean;
  force: boolean;
}

const PIECE_BYTES = 1024 * 1024;

/** A local file's bytes in pieces of up to 1 MiB, counted on the progress line. */
async function* pieces(file: Deno.FsFile, progress: Progress): AsyncGenerator<Uint8Array> {
  for (;;) {
    const buffer = new Uint8Array(PIECE_BYTES);
    const n = await file.read(buffer);
    if (n === null) return;
    progress.add(n);
    yield buffer.subarray(0, n);
  }
}

async function putFile(
  fs: BackupFS,
  local: string,
  remote: string,
  progress: Progress,
): Promise<void> {
  using file = await Deno.open(local, { read: true });
  const info = await file.stat();
  progress.file(remote, info.size);
  await fs.writeFile(remote, pieces(file, progress), {
    ...(info.mtime ? { mtime: info.mtime } : {}),
    ...(info.mode !== null ? { mode: info.mode & 0o7777 } : {}),
  });
}

async function putTree(
  fs: BackupFS,
  local: string,
  remote: string,
  context: { progress: Progress; say: (message: string) => void; mode?: number },
): Promise<void> {
  await fs.mkdir(remote, {
    recursive: true,
    ...(context.mode === undefined ? {} : { mode: context.mode }),
  });
  const names: string[] = [];
  for await (const entry of Deno.readDir(local)) names.push(entry.name);
  names.sort();
  for (const name of names) {
    const path = join(local, name);
    const target = joinPath(remote, name);
    const info = await Deno.lstat(path);
    if (info.isDirectory) {
      await putTree(fs, path, target, {
        ...context,
        ...(info.mode !== null ? { mode: info.mode & 0o7777 } : {}),
      });
    } else if (info.isFile) {
      await putFile(fs, path, target, context.progress);
    } else {
      context.progress.end();
      context.say(
        `warning: skipped ${displayName(path)}: ${
          info.isSymlink ? "a symbolic link" : "not a regular file"
        }`,
      );
    }
  }
}

const PUT: Tool<PutOptions> = {
  name: "put",
  usage: PUT_USAGE,
  parse(args) {
    const { values, positionals } = parseToolArgs(args, {
      recursive: { type: "boolean", short: "r" },
      force: { type: "boolean", short: "f" },
    }, { names: ["LOCAL", "REMOTE"], required: 2 });
    return {
      ...toolOptions(values),
      local: positionals[0] ?? "",
      remote: values.help ? "/" : normalizePath(positionals[1]),
      recursive: values.recursive ?? false,
      force: values.force ?? false,
    };
  },
  async run(options, say) {
    const fromStdin = options.local === "-";
    let localInfo: Deno.FileInfo | undefined;
    if (!fromStdin) {
      try {
        localInfo = await Deno.stat(options.local);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new Error(`no such file: ${options.local}`);
        }
        throw error;
      }
      if (localInfo.isDirectory && !options.recursive) {
        throw new Error(`${options.local} is a directory (use -r to copy it and its contents)`);
      }
      if (!localInfo.isDirectory && !localInfo.isFile) {
        throw new Error(`${options.local} is not a regular file or a directory`);
      }
    }
    return await withFileSystem(options, (fs) =>
      copyWithProgress(async (progress) => {
        let destination = options.remote;
        let existing = await fs.stat(destination).catch((error) => {
          if (error instanceof Deno.errors.NotFound) return undefined;
          throw error;
        });
        if (existing?.isDirectory && !fromStdin) {
          const name = basename(resolve(options.local));
          destination = joinPath(destination, name);
          existing = await fs.stat(destination).catch((error) => {
            if (error instanceof Deno.errors.NotFound) return undefined;
            throw error;
          });
        }
        if (!existing) {
          const parent = parentOf(destination);
          const parentInfo = await fs.stat(parent).catch(() => undefined);
          if (!parentInfo?.isDirectory) throw new Error(`no such directory: ${parent}`);
        } else {
          if (!options.force) {
            throw new Error(`${destination} already exists (use --force to replace it)`);
          }
          if (existing.isDirectory !== (localInfo?.isDirectory ?? false)) {
            throw new Error(
              `${destination} is a ${existing.isDirectory ? "directory" : "file"}; ` +
                `it cannot be replaced by a ${localInfo?.isDirectory ? "directory" : "file"}`,
            );
          }
        }
        if (fromStdin) {
          progress.file(destination, 0);
          await fs.writeFile(destination, Deno.stdin.readable);
        } else if (localInfo!.isDirectory) {
          await putTree(fs, options.local, destination, {
            progress,
            say,
            ...(localInfo!.mode !== null ? { mode: localInfo!.mode & 0o7777 } : {}),
          });
        } else {
          await putFile(fs, options.local, destination, progress);
        }
        return destination;
      }, { say }), { create: true });
  },
};

/**
 * Runs `backupfs put` with its arguments; resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { put } from "./put.ts";
 * const original = console.error;
 * console.error = () => {};
 * try {
 *   assert.equal(await put(["only-one-argument"]), 2); // REMOTE is missing
 * } finally {
 *   console.error = original;
 * }
 * ```
 */
export function put(args: string[]): Promise<number> {
  return runTool(args, PUT);
}
