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

/** A subcommand: its one-line summary and how to load its entry. */
interface Subcommand {
  summary: string;
  load: () => Promise<(args: string[]) => Promise<number>>;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  serve: {
    summary: "Serve a BackupFS over WebDAV (what `deno task serve` runs)",
    load: async () => (await import("./serve.ts")).serve,
  },
  storage: {
    summary: "Serve the BackupStorage API over HTTP (what `deno task storage` runs)",
    load: async () => (await import("./storage.ts")).storage,
  },
  ls: {
    summary: "List a directory: ls [-l] [-R] PATH",
    load: async () => (await import("./ls.ts")).ls,
  },
  cat: {
    summary: "Write a file to stdout: cat PATH",
    load: async () => (await import("./cat.ts")).cat,
  },
  put: {
    summary: "Copy local files in: put [-r] [--force] LOCAL REMOTE",
    load: async () => (await import("./put.ts")).put,
  },
  get: {
    summary: "Copy files out: get [-r] [--force] REMOTE LOCAL",
    load: async () => (await import("./get.ts")).get,
  },
  du: {
    summary: "Bytes under a path: du [-s] PATH",
    load: async () => (await import("./du.ts")).du,
  },
  rm: {
    summary: "Remove a file or (-r) a directory: rm [-r] PATH",
    load: async () => (await import("./rm.ts")).rm,
  },
  scrub: {
    summary: "Verify every chunk and object: scrub [--job ID | --all-jobs] [--rate MB/s]",
    load: async () => (await import("./scrub.ts")).scrub,
  },
};

/** The permissions `backupfs` runs with (the `deno task backupfs` task and `deno install`). */
const PERMISSIONS =
  "--allow-net --allow-read --allow-write --allow-env --allow-sys=statfs,homedir,osRelease";

/** The `--help` text: the subcommands. */
const USAGE = `Usage: backupfs SUBCOMMAND [options] [arguments]

BackupFS: a file system over the AWS Backup Storage API, its WebDAV server, its
storage service, and tools for its files.

Subcommands:
${
  Object.entries(SUBCOMMANDS).map(([name, { summary }]) => `  ${name.padEnd(9)} ${summary}`).join(
    "\n",
  )
}

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
  const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!subcommand) {
    report("backupfs", `unknown subcommand "${name}" (try --help)`);
    return 2;
  }
  const run = await subcommand.load();
  return await run(rest);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
