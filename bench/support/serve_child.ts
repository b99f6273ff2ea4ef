/**
 * `deno task serve` (webdav/main.ts) as a child process for the benchmarks and the
 * load test: started on 127.0.0.1 (port 0) over a data directory and a temp
 * directory of the caller's choosing (`TMPDIR`, where spools go), with its memory
 * read from `/proc/PID/status`. Deno reads `/proc` only with `--allow-all`, so the
 * status is read through `cat` (`--allow-run`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { readProcFiles } from "./proc_files.ts";
import { SERVE_PERMISSIONS } from "../../tests/webdav/support/serve_process.ts";

/** webdav/main.ts. */
export const SERVE_MAIN: string = fileURLToPath(new URL("../../webdav/main.ts", import.meta.url));

const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Resident memory of a process, in bytes.
 *
 * @example
 * ```ts
 * import type { ProcessMemory } from "./serve_child.ts";
 * const m: ProcessMemory = { rssBytes: 1, peakBytes: 2 };
 * ```
 */
export interface ProcessMemory {
  /** VmRSS: resident now. */
  rssBytes: number;
  /** VmHWM: the most ever resident. */
  peakBytes: number;
}

/**
 * VmRSS and VmHWM of a live process, or `undefined` when it is gone.
 *
 * @example
 * ```ts ignore
 * import { processMemory } from "./serve_child.ts";
 * console.log(await processMemory(Deno.pid)); // { rssBytes: …, peakBytes: … }
 * ```
 */
export async function processMemory(pid: number): Promise<ProcessMemory | undefined> {
  const { text, all } = await readProcFiles([`/proc/${pid}/status`]);
  if (!all) return undefined;
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    return match ? Number(match[1]) * 1024 : NaN;
  };
  const rssBytes = kib("VmRSS");
  const peakBytes = kib("VmHWM");
  if (!Number.isFinite(rssBytes) || !Number.isFinite(peakBytes)) return undefined;
  return { rssBytes, peakBytes };
}

/**
 * A running webdav/main.ts.
 *
 * @example
 * ```ts ignore
 * import { startServeChild } from "./serve_child.ts";
 * const server = await startServeChild({ dataDir: "/tmp/d", tmpDir: "/tmp/t" });
 * console.log(server.origin, server.pid);
 * console.log(await server.stop()); // { code: 0, stderr: "…" }
 * ```
 */
export interface ServeChild {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** The server process (the `deno` running main.ts itself). */
  pid: number;
  /** Its memory now (undefined once it exited). */
  memory(): Promise<ProcessMemory | undefined>;
  /** SIGTERM, then the exit code and stderr (SIGKILL if it does not stop in time). */
  stop(): Promise<{ code: number; stderr: string }>;
}

/**
 * Options of {@link startServeChild}.
 *
 * @example
 * ```ts
 * import type { ServeChildOptions } from "./serve_child.ts";
 * const options: ServeChildOptions = { dataDir: "/tmp/d", tmpDir: "/tmp/t", args: ["--job", "x"] };
 * ```
 */
export interface ServeChildOptions {
  /** `--data DIR`. */
  dataDir: string;
  /** The child's `TMPDIR` (spools). */
  tmpDir: string;
  /** More arguments for main.ts. */
  args?: string[];
  /** V8 flags of the server (`--v8-flags=…`), for diagnosis. */
  v8Flags?: string;
}

/**
 * Starts webdav/main.ts and resolves once it printed `listening on`; throws with
 * its stderr when it exits or does not start within a minute.
 *
 * @example
 * ```ts ignore
 * import { startServeChild } from "./serve_child.ts";
 * const server = await startServeChild({ dataDir: "/tmp/d", tmpDir: "/tmp/t" });
 * await server.stop();
 * ```
 */
export async function startServeChild(options: ServeChildOptions): Promise<ServeChild> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...SERVE_PERMISSIONS,
      ...(options.v8Flags ? [`--v8-flags=${options.v8Flags}`] : []),
      SERVE_MAIN,
      "--listen",
      "127.0.0.1:0",
      "--data",
      options.dataDir,
      ...(options.args ?? []),
    ],
    env: {
      NO_COLOR: "1",
      TMPDIR: options.tmpDir,
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let origin: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), STARTUP_TIMEOUT_MS);
  });
  try {
    for (let i = 0; i < 10_000 && origin === undefined; i++) {
      const match = /^listening on (\S+)\n/m.exec(text);
      if (match) {
        origin = match[1];
        break;
      }
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      text += next.value;
    }
  } finally {
    clearTimeout(timer);
  }
  // The rest of stdout: kept only for diagnosis (V8 flags such as --trace-gc print there).
  let rest = "";
  const drained = (async () => {
    for (let i = 0; i < 100_000_000; i++) {
      const next = await reader.read();
      if (next.done) return;
      if (options.v8Flags && rest.length < 64 * 1024 * 1024) rest += next.value;
    }
  })();
  const finish = async () => {
    const status = await child.status;
    await drained.catch(() => {});
    return { code: status.code, stderr: rest + (await stderr) };
  };
  if (origin === undefined) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    const { code, stderr: errors } = await finish();
    throw new Error(`webdav/main.ts did not start (exit ${code}):\n${errors}`);
  }
  let stopping: ReturnType<typeof finish> | undefined;
  return {
    origin,
    pid: child.pid,
    memory: () => processMemory(child.pid),
    stop() {
      if (stopping) return stopping;
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, STOP_TIMEOUT_MS);
      stopping = finish().finally(() => clearTimeout(killer));
      return stopping;
    },
  };
}

/**
 * Samples a process's memory every `intervalMs` until stopped; the peak seen
 * (VmHWM catches what sampling misses).
 *
 * @example
 * ```ts ignore
 * import { sampleMemory } from "./serve_child.ts";
 * const sampler = sampleMemory(Deno.pid, 50);
 * const { peakRssBytes, peakHwmBytes } = await sampler.stop();
 * ```
 */
export function sampleMemory(
  pid: number,
  intervalMs: number,
): { stop(): Promise<{ peakRssBytes: number; peakHwmBytes: number; samples: number }> } {
  let running = true;
  let peakRssBytes = 0;
  let peakHwmBytes = 0;
  let samples = 0;
  const loop = (async () => {
    // Bounded: a day of samples at most.
    for (let i = 0; running && i < 86_400_000 / intervalMs; i++) {
      const memory = await processMemory(pid);
      if (memory === undefined) return;
      samples++;
      peakRssBytes = Math.max(peakRssBytes, memory.rssBytes);
      peakHwmBytes = Math.max(peakHwmBytes, memory.peakBytes);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const last = await processMemory(pid);
      if (last) {
        peakRssBytes = Math.max(peakRssBytes, last.rssBytes);
        peakHwmBytes = Math.max(peakHwmBytes, last.peakBytes);
      }
      return { peakRssBytes, peakHwmBytes, samples };
    },
  };
}
