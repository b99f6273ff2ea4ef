// `backupfs` (src/cli/backupfs/main.ts) as a child process for the CLI tests: run a
// subcommand to completion (bounded: 120 s), or start `serve` / `storage` as
// serve_process.ts starts webdav/main.ts (waiting, bounded, for `listening on`).
// Children get the permissions the `backupfs` task grants, network narrowed to loopback.

import { fileURLToPath } from "node:url";
import {
  childEnv,
  type RunningServe,
  SERVE_PERMISSIONS,
  startServe,
} from "../../../webdav/support/serve_process.ts";
import { assertEquals } from "../../../support/assert.ts";

export const BACKUPFS_MAIN = fileURLToPath(
  new URL("../../../../src/cli/backupfs/main.ts", import.meta.url),
);
/** The `backupfs` task's permissions: the serve task's (narrowed to loopback). */
export const BACKUPFS_PERMISSIONS = SERVE_PERMISSIONS;
const TIMEOUT_MS = 120_000;

export interface CliResult {
  code: number;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

/** Runs `backupfs ARGS` to completion (bounded), optionally feeding `stdin`. */
export async function runBackupfs(
  args: string[],
  options: { env?: Record<string, string>; stdin?: Uint8Array; cwd?: string } = {},
): Promise<CliResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...BACKUPFS_PERMISSIONS, BACKUPFS_MAIN, ...args],
      env: childEnv(options.env ?? {}),
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }).spawn();
    if (options.stdin) {
      const writer = child.stdin.getWriter();
      await writer.write(options.stdin);
      await writer.close();
    }
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stdoutBytes: output.stdout,
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `backupfs SUBCOMMAND ARGS` (serve or storage); resolves once it listens. */
export function startBackupfs(
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningServe> {
  return startServe(args, env, { main: BACKUPFS_MAIN, name: `backupfs ${args[0]}` });
}

/**
 * Runs `body` while `backupfs SUBCOMMAND --data DATA_DIR` (serve or storage, one
 * worker) listens on a loopback port; then stops it, which must exit 0.
 */
export async function whileServing(
  subcommand: "serve" | "storage",
  dataDir: string,
  body: (server: RunningServe) => Promise<void>,
): Promise<void> {
  const server = await startBackupfs([
    subcommand,
    "--data",
    dataDir,
    "--listen",
    "127.0.0.1:0",
    "--workers",
    "1",
  ]);
  try {
    await body(server);
  } finally {
    const { code } = await server.stop();
    assertEquals(code, 0);
  }
}

/** The environment of a client of a `backupfs storage` on `dataDir`: the credentials it generated. */
export function storageClientEnv(dataDir: string): Record<string, string> {
  return { AWS_SHARED_CREDENTIALS_FILE: `${dataDir}/credentials`, AWS_REGION: "us-east-1" };
}
