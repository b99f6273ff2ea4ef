// `backupfs` (src/cli/backupfs/main.ts) as a child process for the CLI tests: run a
// subcommand to completion, or start `serve` / `storage` and wait (bounded) for
// their `listening on` line. Children get the permissions the `backupfs` task grants,
// with the network narrowed to loopback.

import { fileURLToPath } from "node:url";
import { childEnv } from "../../../webdav/support/serve_process.ts";

export const BACKUPFS_MAIN = fileURLToPath(
  new URL("../../../../src/cli/backupfs/main.ts", import.meta.url),
);
export const BACKUPFS_PERMISSIONS = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=statfs,homedir,osRelease",
];
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

export interface RunningServer {
  /** `http://127.0.0.1:PORT` as printed. */
  origin: string;
  /** SIGTERM, then the exit code and stderr. */
  stop(): Promise<{ code: number; stderr: string }>;
}

/** Starts `backupfs SUBCOMMAND ARGS` (serve or storage); resolves once it listens. */
export async function startBackupfs(
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...BACKUPFS_PERMISSIONS, BACKUPFS_MAIN, ...args],
    env: childEnv(env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), TIMEOUT_MS);
  });
  let line: string | undefined;
  try {
    for (let i = 0; i < 10_000 && line === undefined; i++) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      text += next.value;
      line = text.split("\n").find((l, index, all) =>
        l.startsWith("listening on ") && index < all.length - 1
      );
    }
  } finally {
    clearTimeout(timer);
  }
  const drained = (async () => {
    for (let i = 0; i < 1_000_000; i++) if ((await reader.read()).done) return;
  })();
  const finish = async () => {
    const status = await child.status;
    await drained;
    return { code: status.code, stderr: await stderr };
  };
  if (line === undefined) {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    const { code, stderr: said } = await finish();
    throw new Error(`backupfs ${args[0]} did not start (exit ${code}):\n${said}`);
  }
  let stopped: ReturnType<typeof finish> | undefined;
  return {
    origin: line.slice("listening on ".length),
    stop() {
      if (!stopped) {
        try {
          child.kill("SIGTERM");
        } catch { /* exited */ }
        stopped = finish();
      }
      return stopped;
    },
  };
}
