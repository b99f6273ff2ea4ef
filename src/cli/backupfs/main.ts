/**
 * `backupfs`: one command for everything BackupFS does, a subcommand each.
 *
 * ```
 * deno task backupfs SUBCOMMAND [options] [arguments]
 * backupfs SUBCOMMAND …        (after `deno install`, see --help)
 * ```
 *
 * `serve` and `storage` are `deno task serve` and `deno task storage`; the file
 * tools (`ls`, `cat`, `put`, `get`, `du`, `rm`) and `scrub` work on a data
 * directory or any BackupStorage endpoint. Each subcommand's module is loaded
 * only when it runs. Exit status: 0 ok, 1 failure, 2 bad usage.
 *
 * @module
 */

import { report } from "../message_style.ts";

/** A subcommand's entry: runs it with its arguments, resolves with the exit code. */
type Entry = (args: string[]) => Promise<number>;

/** Each subcommand's entry, loaded (its module imported) only when it runs. */
const ENTRIES: Record<string, () => Promise<Entry>> = {
  serve: async () => (await import("./serve.ts")).serve,
  storage: async () => (await import("./storage.ts")).storage,
  ls: async () => (await import("./ls.ts")).ls,
  cat: async () => (await import("./cat.ts")).cat,
  put: async () => (await import("./put.ts")).put,
  get: async () => (await import("./get.ts")).get,
  du: async () => (await import("./du.ts")).du,
  rm: async () => (await import("./rm.ts")).rm,
  scrub: async () => (await import("./scrub.ts")).scrub,
};

/** The permissions `backupfs` runs with (the `deno task backupfs` task and `deno install`). */
const PERMISSIONS =
  "--allow-net --allow-read --allow-write --allow-env --allow-sys=statfs,homedir,osRelease";

/** The `--help` text: the subcommands (each of {@link ENTRIES}, in its order). */
const USAGE = `Usage: backupfs SUBCOMMAND [options] [arguments]

BackupFS: a file system over the AWS Backup Storage API, its WebDAV server, its
storage service, and tools for its files.

Subcommands:
  serve     Serve a BackupFS over WebDAV (what \`deno task serve\` runs)
  storage   Serve the BackupStorage API over HTTP (what \`deno task storage\` runs)
  ls        List a directory: ls [-l] [-R] PATH
  cat       Write a file to stdout: cat PATH
  put       Copy local files in: put [-r] [--force] LOCAL REMOTE
  get       Copy files out: get [-r] [--force] REMOTE LOCAL
  du        Bytes under a path: du [-s] PATH
  rm        Remove a file or (-r) a directory: rm [-r] PATH
  scrub     Verify every chunk and object: scrub [--job ID | --all-jobs] [--rate MB/s]

The file tools and scrub take --data DIR (default ./backupfs-data) or --endpoint URL,
and --job ID (default "default"). "backupfs SUBCOMMAND --help" shows a subcommand's
options. Exit status: 0 ok, 1 failure (or damage found by scrub), 2 bad usage.

Installed as a command (from a checkout):
  deno install --global --name backupfs ${PERMISSIONS} \\
    --config deno.json src/cli/backupfs/main.ts`;

/**
 * Runs `backupfs` with its command line; resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./main.ts";
 * const original = { log: console.log, error: console.error };
 * const printed: string[] = [];
 * console.log = (line: string) => printed.push(line);
 * console.error = (line: string) => printed.push(line);
 * try {
 *   assert.equal(await main(["--help"]), 0);
 *   assert.match(printed[0], /^Usage: backupfs SUBCOMMAND/);
 *   assert.match(printed[0], /\n  scrub +Verify every chunk/);
 *   // Every subcommand listed, in the order of the table it runs from.
 *   const listed = [...printed[0].matchAll(/^  ([a-z]+) {2,}[A-Z]/gm)].map((m) => m[1]);
 *   assert.deepEqual(listed, ["serve", "storage", "ls", "cat", "put", "get", "du", "rm", "scrub"]);
 *   assert.equal(await main(["frobnicate"]), 2);
 *   assert.equal(printed[1], 'backupfs: unknown subcommand "frobnicate" (try --help)');
 *   assert.equal(await main([]), 2);
 * } finally {
 *   console.log = original.log;
 *   console.error = original.error;
 * }
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return 0;
  }
  if (name === undefined) {
    report("backupfs", "a subcommand is needed (try --help)");
    return 2;
  }
  const load = Object.hasOwn(ENTRIES, name) ? ENTRIES[name] : undefined;
  if (!load) {
    report("backupfs", `unknown subcommand "${name}" (try --help)`);
    return 2;
  }
  const run = await load();
  return await run(rest);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
