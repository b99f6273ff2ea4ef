/**
 * `backupfs get [-r] [--force] REMOTE LOCAL`: copies a BackupFS file (or with
 * `-r` a directory tree) to the local disk, byte for byte (every chunk verified
 * first), never writing outside the local target.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { type BackupFileInfo, type BackupFS, baseName, normalizePath } from "../../fs/mod.ts";
import { checkLocalName, isInside } from "./_local_names.ts";
import { writeAll } from "./_output.ts";
import { copyWithProgress, type Progress } from "./_progress.ts";
import { type FileToolOptions, parseToolArgs, toolOptions, withFileSystem } from "./_file_tool.ts";
import { runTool, type Tool } from "./_tool.ts";
import { COPY_OPTIONS, toolUsage } from "./_usage.ts";
import { walk } from "./_walk.ts";

/** The `--help` text of `backupfs get`. */
const GET_USAGE = toolUsage({
  synopsis: "get [options] REMOTE LOCAL",
  about: `Copies the BackupFS file REMOTE to the local path LOCAL ("-" writes stdout), or with
-r the directory REMOTE and everything in it. When LOCAL is an existing directory, the
copy goes inside it, under REMOTE's name (as cp does); otherwise LOCAL is the new name
and its parent directory must exist. Every chunk is checked (SHA-256, or the CRC-32 of
a local chunk file) before its bytes are written; each file is written to a temporary
file beside it and renamed into place once complete, with the modification time and
permission bits it was stored with. Nothing is written outside LOCAL: a remote name
that is not a single file name ("..", one holding "/") is refused, and so is an
existing symbolic link where a directory would go. A progress line is shown on stderr
when it is a terminal.`,
  options: COPY_OPTIONS,
  exit: "0 ok, 1 failure (no such path, destination exists, damaged data), 2 bad usage.",
});

interface GetOptions extends FileToolOptions {
  remote: string;
  local: string;
  recursive: boolean;
  force: boolean;
}

async function localInfo(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** A name for the temporary file beside `path` (same directory, so the rename is atomic). */
function partName(path: string): string {
  const suffix = crypto.getRandomValues(new Uint8Array(6));
  const hex = Array.from(suffix, (b) => b.toString(16).padStart(2, "0")).join("");
  return join(dirname(path), `.backupfs-get-${hex}.part`);
}

interface GetContext {
  fs: BackupFS;
  progress: Progress;
  force: boolean;
  /** The local directory nothing may be written outside of. */
  root: string;
}

async function getFile(
  remote: string,
  info: BackupFileInfo,
  local: string,
  context: GetContext,
): Promise<void> {
  if (!isInside(context.root, local)) {
    throw new Error(`refusing to write ${local}: outside ${context.root}`);
  }
  const existing = await localInfo(local);
  if (existing?.isDirectory) {
    throw new Error(`${local} is a directory; cannot replace it by a file`);
  }
  if (existing && !context.force) {
    throw new Error(`${local} already exists (use --force to replace it)`);
  }
  context.progress.file(remote, info.size);
  const part = partName(local);
  let renamed = false;
  try {
    {
      using file = await Deno.open(part, { write: true, createNew: true, mode: 0o600 });
      // The version whose size, mode and mtime the copy takes, even if it is overwritten meanwhile.
      for await (const piece of await context.fs.readStream(remote, { version: info })) {
        await writeAll(file, piece);
        context.progress.add(piece.byteLength);
      }
      await file.syncData();
    }
    if (Deno.build.os !== "windows") await Deno.chmod(part, (info.mode ?? 0o644) & 0o7777);
    if (info.mtime) await Deno.utime(part, info.mtime, info.mtime);
    await Deno.rename(part, local);
    renamed = true;
  } finally {
    if (!renamed) await Deno.remove(part).catch(() => {});
  }
}

/** Makes a directory, or checks that the one there is a real directory (not a link to elsewhere). */
async function makeDirectory(local: string, context: GetContext): Promise<void> {
  if (!isInside(context.root, local)) {
    throw new Error(`refusing to write ${local}: outside ${context.root}`);
  }
  try {
    await Deno.mkdir(local);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    const existing = await Deno.lstat(local);
    if (existing.isSymlink) {
      throw new Error(`${local} is a symbolic link; refusing to write through it`);
    }
    if (!existing.isDirectory) throw new Error(`${local} exists and is not a directory`);
    if (!context.force) throw new Error(`${local} already exists (use --force to merge into it)`);
  }
}

async function getTree(remote: string, local: string, context: GetContext): Promise<void> {
  // The open branch of the depth-first walk: each directory's relative and local path.
  const branch: { relative: string; local: string }[] = [{ relative: "", local }];
  for await (const entry of walk(context.fs, remote)) {
    const slash = entry.relative.lastIndexOf("/");
    const parentRelative = slash < 0 ? "" : entry.relative.slice(0, slash);
    while (branch.length > 0 && branch[branch.length - 1].relative !== parentRelative) branch.pop();
    const parent = branch.at(-1);
    if (parent === undefined) throw new Error(`${entry.path} was listed outside its directory`);
    const path = join(parent.local, checkLocalName(entry.name));
    if (entry.info.isDirectory) {
      await makeDirectory(path, context);
      branch.push({ relative: entry.relative, local: path });
    } else {
      await getFile(entry.path, entry.info, path, context);
    }
  }
}

const GET: Tool<GetOptions> = {
  name: "get",
  usage: GET_USAGE,
  parse(args) {
    const { values, positionals } = parseToolArgs(args, {
      recursive: { type: "boolean", short: "r" },
      force: { type: "boolean", short: "f" },
    }, { names: ["REMOTE", "LOCAL"], required: 2 });
    return {
      ...toolOptions(values),
      remote: values.help ? "/" : normalizePath(positionals[0]),
      local: positionals[1] ?? "",
      recursive: values.recursive ?? false,
      force: values.force ?? false,
    };
  },
  async run(options, say) {
    if (options.local === "") throw new Error("LOCAL must not be empty");
    return await withFileSystem(options, (fs) =>
      copyWithProgress(async (progress) => {
        const info = await fs.stat(options.remote);
        if (info.isDirectory && !options.recursive) {
          throw new Error(`${options.remote} is a directory (use -r to copy it and its contents)`);
        }
        if (options.local === "-") {
          if (info.isDirectory) throw new Error("a directory cannot be written to stdout");
          for await (const piece of await fs.readStream(options.remote, { version: info })) {
            await writeAll(Deno.stdout, piece);
          }
          return undefined;
        }
        // LOCAL an existing directory (a link to one counts: the user named it): the copy goes inside.
        let destination = resolve(options.local);
        const named = await Deno.stat(destination).catch(() => undefined);
        if (named?.isDirectory && options.remote !== "/") {
          destination = join(destination, checkLocalName(baseName(options.remote)));
        } else if (!named) {
          const parent = await Deno.stat(dirname(destination)).catch(() => undefined);
          if (!parent?.isDirectory) throw new Error(`no such directory: ${dirname(destination)}`);
        }
        const context: GetContext = {
          fs,
          progress,
          force: options.force,
          root: info.isDirectory ? destination : dirname(destination),
        };
        if (info.isDirectory) {
          await makeDirectory(destination, context);
          await getTree(options.remote, destination, context);
        } else {
          await getFile(options.remote, info, destination, context);
        }
        return destination;
      }, { say }));
  },
};

/**
 * Runs `backupfs get` with its arguments; resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { get } from "./get.ts";
 * const original = console.error;
 * console.error = () => {};
 * try {
 *   assert.equal(await get(["/only-remote"]), 2); // LOCAL is missing
 * } finally {
 *   console.error = original;
 * }
 * ```
 */
export function get(args: string[]): Promise<number> {
  return runTool(args, GET);
}
