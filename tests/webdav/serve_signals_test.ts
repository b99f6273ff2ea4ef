// `deno task serve` and `deno task storage` as the README runs them, stopped the way a
// terminal does: Ctrl-C sends SIGINT to the whole foreground process group, so the task
// runner and the server both get it, and the runner forwards it again. Each stop must
// be clean (exit 0), never a "second signal" force quit. Same with SIGTERM to the group.

import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../support/assert.ts";
import { childEnv, freePort } from "./support/serve_process.ts";

const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const RUNS = 3;

/** The process group id of `pid` (`ps`; reading /proc needs --allow-all). */
function processGroup(pid: number): number {
  const out = new Deno.Command("ps", { args: ["-o", "pgid=", "-p", String(pid)], stderr: "null" })
    .outputSync();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

function hasSetsid(): boolean {
  try {
    return new Deno.Command("setsid", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Runs `deno task TASK --listen 127.0.0.1:PORT --data DIR` as the leader of its own
 * process group, waits for `listening on`, sends `signal` to the whole group and
 * returns the exit code and stderr.
 */
async function runAndSignalGroup(
  task: "serve" | "storage",
  signal: Deno.Signal,
  dataDir: string,
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "task",
      "--config",
      CONFIG,
      task,
      "--listen",
      `127.0.0.1:${freePort()}`,
      "--data",
      dataDir,
    ],
    env: childEnv({}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  let killer: ReturnType<typeof setTimeout> | undefined;
  const group = child.pid;
  const killGroup = (sig: Deno.Signal) => {
    try {
      Deno.kill(-group, sig);
    } catch { /* gone */ }
  };
  try {
    let startTimer: ReturnType<typeof setTimeout> | undefined;
    const startTimeout = new Promise<"timeout">((resolve) => {
      startTimer = setTimeout(() => resolve("timeout"), STARTUP_TIMEOUT_MS);
    });
    for (let i = 0; i < 10_000 && !/^listening on /m.test(stdout); i++) {
      const next = await Promise.race([reader.read(), startTimeout]);
      if (next === "timeout" || next.done) break;
      stdout += next.value;
    }
    clearTimeout(startTimer);
    // setsid made the child the leader of a new group: never signal our own group.
    const leader = processGroup(child.pid);
    if (leader !== group || leader === processGroup(Deno.pid)) {
      child.kill("SIGKILL");
      throw new Error(`setsid did not start a new process group (${leader})`);
    }
    if (!/^listening on /m.test(stdout)) {
      killGroup("SIGKILL");
      throw new Error(`deno task ${task} did not start:\n${await stderr}`);
    }
    killGroup(signal);
    killer = setTimeout(() => killGroup("SIGKILL"), STOP_TIMEOUT_MS);
    for (let i = 0; i < 1_000_000; i++) {
      const next = await reader.read();
      if (next.done) break;
    }
    const status = await child.status;
    return { code: status.code, stderr: await stderr };
  } catch (error) {
    killGroup("SIGKILL");
    throw error;
  } finally {
    clearTimeout(killer);
    await child.status;
  }
}

for (const task of ["serve", "storage"] as const) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.test({
      name: `deno task ${task}: ${signal} to the process group exits 0 (${RUNS} runs)`,
      ignore: Deno.build.os !== "linux" || !hasSetsid(),
      async fn() {
        const dir = await Deno.makeTempDir({ prefix: "backupfs-signals-" });
        try {
          for (let run = 0; run < RUNS; run++) {
            const { code, stderr } = await runAndSignalGroup(task, signal, `${dir}/data`);
            assert(!/second signal/.test(stderr), `run ${run}: ${stderr}`);
            assertEquals(code, 0, `run ${run}: ${stderr}`);
            assert(/shutting down/.test(stderr), `run ${run}: ${stderr}`);
          }
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    });
  }
}
