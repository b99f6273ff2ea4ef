// Private helpers of the engine starters: a free loopback port, bounded waits,
// bounded command runs and bounded child shutdown.

/** Returns a TCP port on 127.0.0.1 that was free a moment ago (listen on port 0, close). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Options of {@linkcode waitFor}. */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 60 000). */
  timeoutMs?: number;
  /** Pause between tries in milliseconds (default 100). */
  intervalMs?: number;
  /** Called after each failed try; throw from it to stop waiting early. */
  onRetry?: () => void;
}

/**
 * Calls `probe` until it returns a value other than `undefined` (or stops
 * throwing), for at most `timeoutMs`; throws naming `what` with the last error.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options?: WaitOptions,
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 100, onRetry } = options ?? {};
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    onRetry?.();
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `${what}: not ready after ${timeoutMs} ms` +
      (last === undefined ? "" : ` (last error: ${(last as Error).message ?? last})`),
  );
}

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** Kill the command after this many milliseconds (default 60 000). */
  timeoutMs?: number;
  /** Text written to the command's standard input. */
  stdin?: string;
  /** Environment variables added to the inherited ones. */
  env?: Record<string, string>;
}

/** Runs a command to completion (bounded); throws with its output unless it exits 0. */
export async function run(
  command: string,
  args: string[],
  options?: RunOptions,
): Promise<string> {
  const { timeoutMs = 60_000, stdin, env } = options ?? {};
  const child = new Deno.Command(command, {
    args,
    env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  try {
    const { code, stdout, stderr } = await child.output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    if (code !== 0) {
      throw new Error(`${command} ${args.join(" ")} exited with ${code}:\n${text}`);
    }
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/** Sends SIGTERM, then SIGKILL if `child` has not exited after `graceMs` (default 10 000); resolves when it exited. */
export async function stopChild(child: Deno.ChildProcess, graceMs?: number): Promise<void> {
  const signal = (name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch { /* already exited */ }
  };
  signal("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), graceMs ?? 10_000)),
  ]);
  clearTimeout(timer);
  if (!exited) {
    signal("SIGKILL");
    await child.status;
  }
}

/** Tells whether every binary in `paths` exists. */
export function binariesExist(paths: string[]): boolean {
  return paths.every((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * Finds `name` in `dirs`, by default PATH and the usual sbin/bin directories;
 * undefined when absent.
 */
export function findBinary(name: string, dirs?: string[]): string | undefined {
  for (const dir of dirs ?? defaultBinaryDirs()) {
    if (binariesExist([`${dir}/${name}`])) return `${dir}/${name}`;
  }
  return undefined;
}

function defaultBinaryDirs(): string[] {
  return [
    ...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean),
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
  ];
}

/**
 * Pids of the processes whose full command line contains `text` (`pgrep -f`;
 * Deno refuses to read /proc without --allow-all).
 */
export async function processesMatching(text: string): Promise<number[]> {
  const { code, stdout } = await new Deno.Command("pgrep", {
    args: ["-f", "--", text],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (code === 1) return [];
  if (code !== 0) throw new Error(`pgrep -f ${text} exited with ${code}`);
  return new TextDecoder().decode(stdout).split("\n").filter(Boolean).map(Number);
}

/**
 * Tells whether process `pid` exists and is not a zombie (`ps -p`; Deno refuses
 * to read /proc without --allow-all).
 */
export async function processAlive(pid: number): Promise<boolean> {
  const { code, stdout } = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  return code === 0 && !new TextDecoder().decode(stdout).trim().startsWith("Z");
}

/** Waits (bounded by `timeoutMs`, default 10 000) until process `pid` is gone; tells whether it went. */
export async function waitForExit(pid: number, timeoutMs?: number): Promise<boolean> {
  try {
    await waitFor(
      `exit of process ${pid}`,
      async () => (await processAlive(pid)) ? undefined : true,
      { timeoutMs: timeoutMs ?? 10_000, intervalMs: 50 },
    );
    return true;
  } catch {
    return false;
  }
}
