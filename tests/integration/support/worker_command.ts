// `deno task serve` or `deno task storage` as a child process with `--workers`
// (tests/integration/workers_test.ts): spawn, wait (bounded) for its one
// `listening on` line, stop with a signal, collect its output.

import {
  childEnv,
  MAIN,
  SERVE_PERMISSIONS,
  STORAGE_MAIN,
  STORAGE_PERMISSIONS,
} from "../../webdav/support/serve_process.ts";

const STARTUP_TIMEOUT_MS = 60_000;

/** A running command. */
export interface RunningCommand {
  /** `http://127.0.0.1:PORT` as printed. */
  origin: string;
  /** The exact first stdout line, `listening on …`. */
  listenLine: string;
  /** Sends `signal` (default SIGTERM), waits for the exit, returns code and output. */
  stop(signal?: Deno.Signal): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Sends `signal` and returns at once. */
  signal(signal: Deno.Signal): void;
  /** Resolves once stderr so far matches `pattern`; false when the stream ended first. */
  stderrMatches(pattern: RegExp): Promise<boolean>;
}

/** How {@link startCommand} runs the command. */
export interface StartCommandOptions {
  /** Deno permissions instead of the task's (narrowed to loopback). */
  permissions?: string[];
}

/** Starts `serve` or `storage` with `args`; resolves once it printed `listening on`. */
export async function startCommand(
  command: "serve" | "storage",
  args: string[],
  env: Record<string, string> = {},
  options: StartCommandOptions = {},
): Promise<RunningCommand> {
  const [main, taskPermissions] = command === "serve"
    ? [MAIN, SERVE_PERMISSIONS]
    : [STORAGE_MAIN, STORAGE_PERMISSIONS];
  const permissions = options.permissions ?? taskPermissions;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, main, ...args],
    env: childEnv(env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderrText = "";
  let stderrEnded = false;
  const waiting: { pattern: RegExp; resolve: (matched: boolean) => void }[] = [];
  const settle = (ended: boolean) => {
    for (const w of [...waiting]) {
      if (w.pattern.test(stderrText) || ended) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(w.pattern.test(stderrText));
      }
    }
  };
  const stderr = (async () => {
    const errReader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    for (let i = 0; i < 1_000_000; i++) {
      const next = await errReader.read();
      if (next.done) break;
      stderrText += next.value;
      settle(false);
    }
    stderrEnded = true;
    settle(true);
    return stderrText;
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), STARTUP_TIMEOUT_MS);
  });
  try {
    for (let i = 0; i < 10_000 && !stdout.includes("\n"); i++) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      stdout += next.value;
    }
  } finally {
    clearTimeout(timer);
  }
  const rest = (async () => {
    for (let i = 0; i < 1_000_000; i++) {
      const next = await reader.read();
      if (next.done) return;
      stdout += next.value;
    }
  })();
  const finish = async () => {
    const status = await child.status;
    await rest;
    return { code: status.code, stdout, stderr: await stderr };
  };
  const line = stdout.split("\n")[0];
  if (!line.startsWith("listening on ") || !stdout.includes("\n")) {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    const { code, stderr } = await finish();
    throw new Error(`${command} did not start (exit ${code}):\n${stderr}`);
  }
  let stopped: ReturnType<typeof finish> | undefined;
  return {
    origin: line.slice("listening on ".length),
    listenLine: line,
    signal(signal) {
      child.kill(signal);
    },
    stderrMatches(pattern) {
      if (pattern.test(stderrText)) return Promise.resolve(true);
      if (stderrEnded) return Promise.resolve(false);
      return new Promise((resolve) => waiting.push({ pattern, resolve }));
    },
    stop(signal: Deno.Signal = "SIGTERM") {
      if (!stopped) {
        try {
          child.kill(signal);
        } catch { /* exited */ }
        stopped = finish();
      }
      return stopped;
    },
  };
}
