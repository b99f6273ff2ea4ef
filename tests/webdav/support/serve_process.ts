// `deno task serve` (webdav/main.ts) as a child process for the CLI tests: spawn,
// wait (bounded) for its `listening on` line, stop with a signal, collect output.

import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../../../webdav/main.ts", import.meta.url));
/** The permissions of the `serve` task, with the network narrowed to loopback. */
export const SERVE_PERMISSIONS = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=statfs,homedir,osRelease",
];
/** `deno task storage` (src/server/main.ts), for the CLI tests that start it. */
export const STORAGE_MAIN = fileURLToPath(new URL("../../../src/server/main.ts", import.meta.url));
/** The permissions of the `storage` task, with the network narrowed to loopback. */
export const STORAGE_PERMISSIONS = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];
const STARTUP_TIMEOUT_MS = 60_000;

/** A port nothing listens on right now (bind port 0, read it, close). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Environment of every child: no colours, no AWS credentials unless given. */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  return {
    NO_COLOR: "1",
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    AWS_SESSION_TOKEN: "",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/backupfs-test-credentials",
    AWS_CONFIG_FILE: "/nonexistent/backupfs-test-config",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

export interface RunningServe {
  /** `http://127.0.0.1:PORT` as printed. */
  origin: string;
  /** The exact first stdout line. */
  listenLine: string;
  /** Sends `signal`, waits for the exit, returns code and output. */
  stop(signal?: Deno.Signal): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Reads lines until one matches or the time is up; the reader keeps draining after. */
async function firstMatchingLine(
  reader: ReadableStreamDefaultReader<string>,
  pattern: RegExp,
  buffer: { text: string },
): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), STARTUP_TIMEOUT_MS);
  });
  try {
    for (let i = 0; i < 10_000; i++) {
      const found = buffer.text.split("\n").find((line) => pattern.test(line));
      if (found !== undefined && buffer.text.includes(`${found}\n`)) return found;
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) return undefined;
      buffer.text += next.value;
    }
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

async function drain(reader: ReadableStreamDefaultReader<string>, buffer: { text: string }) {
  for (let i = 0; i < 1_000_000; i++) {
    const next = await reader.read();
    if (next.done) return;
    buffer.text += next.value;
  }
}

/** Which program {@link startServe} starts (default webdav/main.ts). */
export interface StartServeOptions {
  /** The module to run with the serve task's permissions (e.g. src/cli/backupfs/main.ts). */
  main?: string;
  /** Its name in the error when it does not start (default `webdav/main.ts`). */
  name?: string;
}

/**
 * Starts webdav/main.ts (or `options.main`) with `args`; resolves once it printed `listening on`.
 * Throws (after killing it) with its stderr when it exits or times out first.
 */
export async function startServe(
  args: string[],
  env: Record<string, string> = {},
  options: StartServeOptions = {},
): Promise<RunningServe> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...SERVE_PERMISSIONS, options.main ?? MAIN, ...args],
    env: childEnv(env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = { text: "" };
  const stderrText = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const line = await firstMatchingLine(reader, /^listening on /, stdout);
  const rest = drain(reader, stdout);
  const finish = async () => {
    const status = await child.status;
    await rest;
    return { code: status.code, stdout: stdout.text, stderr: await stderrText };
  };
  if (line === undefined) {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    const { code, stderr } = await finish();
    throw new Error(`${options.name ?? "webdav/main.ts"} did not start (exit ${code}):\n${stderr}`);
  }
  let stopped: ReturnType<typeof finish> | undefined;
  return {
    origin: line.slice("listening on ".length),
    listenLine: line,
    stop(signal: Deno.Signal = "SIGTERM") {
      if (!stopped) {
        try {
          child.kill(signal);
        } catch { /* already exited */ }
        stopped = finish();
      }
      return stopped;
    },
  };
}

/** Runs webdav/main.ts to completion (for flags that exit at once). */
export async function runServe(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), STARTUP_TIMEOUT_MS);
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...SERVE_PERMISSIONS, MAIN, ...args],
      env: childEnv(env),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).output();
  } finally {
    clearTimeout(timer);
  }
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
