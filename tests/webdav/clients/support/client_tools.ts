// Helpers for the tests that drive real WebDAV clients (davfs2, rclone, cadaver,
// headless Chromium) against the WebDAV app: finding a tool (a missing one fails
// the test with the Debian package to install), running it with a bounded time,
// temp dirs, file trees and byte comparison.

import { assert } from "../../../support/assert.ts";

/**
 * The path of the first of `candidates` that exists; otherwise throws an error
 * naming the Debian package to install (the test fails, it never skips).
 */
export async function requireTool(candidates: string[], debianPackage: string): Promise<string> {
  for (const candidate of candidates) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // try the next one
    }
  }
  const name = candidates[0]!.split("/").pop();
  const hint = Deno.env.get("CI") === "true"
    ? `${name} is missing on CI: .ci/run must \`apt-get install ${debianPackage}\``
    : `${name} is not installed: apt-get install ${debianPackage}`;
  throw new Error(hint);
}

/** What {@link runTool} returns. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the run was stopped because it took longer than `timeoutMs`. */
  timedOut: boolean;
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  args?: string[];
  /** Written to the tool's standard input, which is then closed (default: no input). */
  stdin?: string | Uint8Array;
  /** The whole environment of the tool (PATH is added when absent); default: this process's. */
  env?: Record<string, string>;
  cwd?: string;
  /** The tool is killed after this long (default 60 s). */
  timeoutMs?: number;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Runs `command` to its end (killed after `timeoutMs`) and returns its exit code and output. */
export async function runTool(command: string, options: RunToolOptions = {}): Promise<ToolResult> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs ?? 60_000);
  try {
    const child = new Deno.Command(command, {
      args: options.args ?? [],
      cwd: options.cwd,
      env: options.env === undefined ? undefined : { PATH: DEFAULT_PATH, ...options.env },
      clearEnv: options.env !== undefined,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      const bytes = typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin;
      try {
        await writer.write(bytes);
        await writer.close();
      } catch {
        // the tool exited without reading everything: its output tells why
      }
    }
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `command` and fails (with its output) unless it exits with 0. */
export async function runOk(command: string, options: RunToolOptions = {}): Promise<ToolResult> {
  const result = await runTool(command, options);
  assert(
    result.code === 0 && !result.timedOut,
    `${command} ${(options.args ?? []).join(" ")} ${
      result.timedOut ? "timed out" : `exited with ${result.code}`
    }\n--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`,
  );
  return result;
}

/** Waits until `condition` holds, checking every `intervalMs`, at most `timeoutMs`; false on timeout. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const interval = options.intervalMs ?? 100;
  for (let i = 0; i < 100_000; i++) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  return false;
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be reproduced. */
export function patternBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = (seed | 0) || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Whether two byte arrays are equal (without building a message of megabytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Every file below `root` (local disk) by relative path (`/`-separated), sorted. */
export async function listLocalFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string, depth: number) => {
    assert(depth < 32, "tree too deep");
    for await (const entry of Deno.readDir(dir)) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(`${dir}/${entry.name}`, rel, depth + 1);
      else out.push(rel);
    }
  };
  await walk(root, "", 0);
  return out.sort();
}

/** Writes `files` (relative path → bytes) below `root`, creating directories. */
export async function writeLocalTree(
  root: string,
  files: Record<string, Uint8Array>,
): Promise<void> {
  for (const [rel, bytes] of Object.entries(files)) {
    const path = `${root}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, bytes);
  }
}

/** A temp dir removed by `[Symbol.asyncDispose]` (`await using`). */
export async function tempDir(
  prefix: string,
): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** A WebDAV server in a process of its own (see serve_child.ts). */
export interface DavProcess {
  /** `http://127.0.0.1:PORT/`. */
  base: string;
  /** The store's directory (kept after `stop`, removed by `dispose`). */
  dataDir: string;
  jobId: string;
  /** Ends the server process (closing its store); bounded, kills it if it hangs. */
  stop(): Promise<void>;
  /** Stops the server if running and removes the store's directory. */
  dispose(): Promise<void>;
}

const SERVE_CHILD = new URL("./serve_child.ts", import.meta.url);
const REPO_ROOT = new URL("../../../../", import.meta.url);

/** Starts serve_child.ts over a new store directory and waits (bounded) until it listens. */
export async function startDavProcess(options: { chunkSize?: number } = {}): Promise<DavProcess> {
  const dataDir = await Deno.makeTempDir({ prefix: "backupfs-dav-child-" });
  const portFile = `${dataDir}.port`;
  const jobId = "clients";
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      SERVE_CHILD.pathname,
      dataDir,
      portFile,
      jobId,
      String(options.chunkSize ?? 1024 * 1024),
    ],
    cwd: REPO_ROOT.pathname,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let running = true;
  const stop = async () => {
    if (!running) return;
    running = false;
    await child.stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, 30_000);
    try {
      const output = await child.output();
      if (output.code !== 0) {
        throw new Error(
          `the WebDAV server process exited with ${output.code}: ${
            new TextDecoder().decode(output.stderr).slice(-2000)
          }`,
        );
      }
    } finally {
      clearTimeout(timer);
    }
  };
  const dispose = async () => {
    try {
      await stop();
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(portFile).catch(() => {});
    }
  };
  let port = "";
  const ready = await waitFor(async () => {
    try {
      port = (await Deno.readTextFile(portFile)).trim();
      return port !== "";
    } catch {
      return false;
    }
  }, { timeoutMs: 60_000 });
  if (!ready) {
    await dispose().catch(() => {});
    throw new Error("the WebDAV server process did not start within 60 s");
  }
  return { base: `http://127.0.0.1:${port}/`, dataDir, jobId, stop, dispose };
}
