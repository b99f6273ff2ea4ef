/**
 * The servers of the WebDAV benchmark, each started as a child process on 127.0.0.1
 * with its data in a directory of the benchmark: BackupFS as `deno task serve` runs it
 * (webdav/main.ts), Apache 2 with mod_dav and mod_dav_fs (a minimal config file of its
 * own, never the system's), `rclone serve webdav`, and two servers of this runtime that
 * do the least they can (the references of the worker and WebDAV benchmarks). Each is
 * stopped by its process id, descendants included.
 *
 * @module
 */

import { processTree, processTreeCpuSeconds } from "./process_tree.ts";

/** A running WebDAV server. */
export interface DavServer {
  /** Short name, e.g. `BackupFS`. */
  readonly name: string;
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Process id of the server's main process. */
  readonly pid: number;
  /** Directory holding everything of this server (data, config, logs). */
  readonly dir: string;
  /** CPU seconds used so far by the server's processes. */
  cpuSeconds(): Promise<number>;
  /** Stops the server (SIGTERM, then SIGKILL after 15 s) and its descendants. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startBackupFsDav}. */
export interface BackupFsDavOptions {
  /**
   * Profile the server: `--cpu-prof --cpu-prof-dir=DIR`, a `.cpuprofile` per process
   * written in DIR when it exits (open it in Chrome DevTools or speedscope).
   */
  profileDir?: string;
  /** More flags for webdav/main.ts (after `--listen` and `--data`), e.g. `--workers 1`. */
  args?: string[];
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it).
 *
 * @example
 * ```ts
 * import { freePort } from "./dav_servers.ts";
 * console.log(freePort() > 0); // true
 * ```
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Which of `pids` are still running (asked of `ps`; Deno will not read /proc). */
async function stillRunning(pids: number[]): Promise<number[]> {
  if (pids.length === 0) return [];
  const output = await new Deno.Command("ps", {
    args: ["-o", "pid=", "-p", pids.join(",")],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n").map((line) => Number(line.trim()))
    .filter((pid) => pid > 0 && pids.includes(pid));
}

/** Wraps a child process as a DavServer; stopping it ends every process of its tree. */
function serverOf(
  name: string,
  child: Deno.ChildProcess,
  url: string,
  dir: string,
): DavServer {
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    const pids = await processTree(child.pid).catch(() => [child.pid]);
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS);
    });
    const outcome = await Promise.race([child.status, timeout]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
    // Descendants that outlived their parent (e.g. Apache workers) end by their id.
    for (const pid of await stillRunning(pids.slice(1))) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone meanwhile */ }
    }
  };
  return {
    name,
    url,
    pid: child.pid,
    dir,
    cpuSeconds: () => processTreeCpuSeconds(child.pid),
    stop: () => stopping ??= stop(),
  };
}

/** Waits until `url` answers OPTIONS, failing early when the process exits. */
async function waitReady(server: DavServer, child: Deno.ChildProcess, log?: string) {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const response = await fetch(`${server.url}/`, { method: "OPTIONS" });
      await response.body?.cancel();
      return;
    } catch {
      await delay(50);
    }
  }
  await server.stop();
  let detail = "";
  if (log) {
    try {
      detail = `\n${(await Deno.readTextFile(log)).slice(-2000)}`;
    } catch { /* no log */ }
  }
  throw new Error(`${server.name} did not start${exited ? " (it exited)" : ""}${detail}`);
}

/**
 * The Deno flags and the script of a `deno run` task of deno.json (e.g. `serve`: its
 * permission flags and `webdav/main.ts`, the script as an absolute path).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoTask } from "./dav_servers.ts";
 * const serve = await denoTask("serve");
 * assert.ok(serve.script.endsWith("/webdav/main.ts"));
 * assert.ok(serve.flags.every((flag) => flag.startsWith("--")));
 * assert.ok(serve.flags.includes("--allow-write"));
 * ```
 */
export async function denoTask(name: string): Promise<{ flags: string[]; script: string }> {
  const configUrl = new URL("../../deno.json", import.meta.url);
  const config = JSON.parse(await Deno.readTextFile(configUrl));
  const task = config.tasks?.[name];
  const words = typeof task === "string" ? task.trim().split(/\s+/) : [];
  if (words[0] !== "deno" || words[1] !== "run") {
    throw new Error(`deno.json's task "${name}" is not a "deno run" command: ${task}`);
  }
  const flags: string[] = [];
  let i = 2;
  for (; i < words.length && words[i].startsWith("-"); i++) flags.push(words[i]);
  if (i >= words.length) throw new Error(`deno.json's task "${name}" names no script`);
  return { flags, script: new URL(words[i], configUrl).pathname };
}

/** Keeps the last `limit` characters of a stream (a child's stderr), for diagnosis. */
function tail(stream: ReadableStream<Uint8Array>, limit = 16_384): () => Promise<string> {
  let text = "";
  const done = (async () => {
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        text = (text + chunk).slice(-limit);
      }
    } catch { /* closed */ }
  })();
  return async () => {
    await Promise.race([done, delay(1000)]);
    return text;
  };
}

/**
 * Starts BackupFS's WebDAV server exactly as a user runs it: `webdav/main.ts` with the
 * Deno flags of deno.json's `serve` task (what `deno task serve` runs), its default
 * options, on `--listen 127.0.0.1:PORT --data dir/data` (a port the OS picked), then
 * `options.args`. Its `TMPDIR` (spools) is `dir/tmp`; its stderr is kept and shown
 * when it fails to start. Needs `--allow-run`.
 *
 * @example
 * ```ts ignore
 * import { startBackupFsDav } from "./dav_servers.ts";
 * const dir = await Deno.makeTempDir();
 * const server = await startBackupFsDav(dir);
 * console.log((await fetch(`${server.url}/`, { method: "OPTIONS" })).status); // 200
 * await server.stop();
 * ```
 */
export async function startBackupFsDav(
  dir: string,
  options: BackupFsDavOptions = {},
): Promise<DavServer & { stderr(): Promise<string> }> {
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  await Deno.mkdir(`${dir}/tmp`, { recursive: true });
  const serve = await denoTask("serve");
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const port = freePort();
  const args = [
    "run",
    `--config=${config}`,
    ...serve.flags,
    ...(options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []),
    serve.script,
    "--listen",
    `127.0.0.1:${port}`,
    "--data",
    `${dir}/data`,
    ...(options.args ?? []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    env: { NO_COLOR: "1", TMPDIR: `${dir}/tmp` },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = tail(child.stderr);
  const server = serverOf("BackupFS", child, `http://127.0.0.1:${port}`, dir);
  if (!await saysListening(child)) {
    await server.stop();
    throw new Error(`BackupFS's WebDAV server did not start:\n${await stderr()}`);
  }
  await waitReady(server, child);
  return { ...server, stderr };
}

/**
 * Whether a child printed `listening on http://` on its stdout within the start
 * timeout; the rest of its stdout is drained in the background (so it never blocks on a
 * full pipe).
 */
async function saysListening(child: Deno.ChildProcess): Promise<boolean> {
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let listening = false;
  let buffered = "";
  const deadline = setTimeout(() => lines.cancel().catch(() => {}), READY_TIMEOUT_MS);
  try {
    while (!listening) {
      const { value, done } = await lines.read();
      if (done) break;
      buffered += value;
      listening = /listening on http:\/\//.test(buffered);
    }
  } catch {
    /* cancelled: not started */
  } finally {
    clearTimeout(deadline);
  }
  (async () => {
    try {
      while (!(await lines.read()).done) { /* discard */ }
    } catch { /* closed */ }
  })();
  return listening;
}

/**
 * Starts the reference server of bench/support/reference_http_server.ts (node:http
 * doing nothing: 64 KiB for a GET) with `workers` Web Workers sharing a port the OS
 * picked, in its own process allowed only 127.0.0.1 and to read its own script. Needs
 * `--allow-run`.
 *
 * @example
 * ```ts ignore
 * import { startReferenceHttp } from "./dav_servers.ts";
 * const server = await startReferenceHttp(await Deno.makeTempDir(), { workers: 2 });
 * console.log((await fetch(`${server.url}/x`)).status); // 200
 * await server.stop();
 * ```
 */
export function startReferenceHttp(
  dir: string,
  options: { workers: number },
): Promise<DavServer> {
  const script = new URL("./reference_http_server.ts", import.meta.url).pathname;
  return startDenoScript("reference", dir, {
    script,
    permissions: [`--allow-read=${script}`],
    args: (port) => [String(port), String(options.workers)],
  });
}

/**
 * Starts the minimal Deno file server of bench/support/minimal_file_server.ts (node:http: a
 * PUT's body written to a file, nothing hashed or synced; a GET read back, nothing
 * verified) on a port the OS picked, its files in `dir/files`, in its own process
 * allowed only 127.0.0.1, its own script and that directory. Needs `--allow-run`.
 *
 * @example
 * ```ts ignore
 * import { startMinimalFileServer } from "./dav_servers.ts";
 * const server = await startMinimalFileServer(await Deno.makeTempDir());
 * console.log((await fetch(`${server.url}/a`, { method: "PUT", body: "x" })).status); // 201
 * await server.stop();
 * ```
 */
export async function startMinimalFileServer(dir: string): Promise<DavServer> {
  const files = `${dir}/files`;
  await Deno.mkdir(files, { recursive: true });
  const script = new URL("./minimal_file_server.ts", import.meta.url).pathname;
  return startDenoScript("Deno, minimal", dir, {
    script,
    permissions: [`--allow-read=${script},${files}`, `--allow-write=${files}`],
    args: (port) => [String(port), files],
  });
}

/**
 * Runs `options.script` with Deno, allowed 127.0.0.1 and `options.permissions`, its
 * arguments from the port the OS picked; resolves once it prints `listening on
 * http://`.
 */
async function startDenoScript(
  name: string,
  dir: string,
  options: { script: string; permissions: string[]; args: (port: number) => string[] },
): Promise<DavServer> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      ...options.permissions,
      options.script,
      ...options.args(port),
    ],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = tail(child.stderr);
  const server = serverOf(name, child, `http://127.0.0.1:${port}`, dir);
  if (!await saysListening(child)) {
    await server.stop();
    throw new Error(`${name} did not start:\n${await stderr()}`);
  }
  return server;
}

/** Uid and gid of a local user from /etc/passwd, or undefined. */
async function userIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await Deno.readTextFile("/etc/passwd").catch(() => "");
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  return undefined;
}

/** Options of {@link apacheConfig}. */
export interface ApacheConfigOptions {
  /** Directory of the pid file, logs and runtime files. */
  runDir: string;
  /** The DocumentRoot, served with `Dav On`. */
  root: string;
  /** Directory of the DAV lock database (writable by `user`). */
  lockDir: string;
  /** Port on 127.0.0.1. */
  port: number;
  /** User and group the workers run as (needed when started as root). */
  user?: string;
}

/**
 * A minimal Apache 2.4 configuration: event MPM, mod_dav + mod_dav_fs on the document
 * root, no request body limit, keep-alive without a request limit, everything else at
 * Apache's defaults.
 *
 * @example
 * ```ts
 * import { apacheConfig } from "./dav_servers.ts";
 * const conf = apacheConfig({ runDir: "/tmp/a", root: "/tmp/a/root", lockDir: "/tmp/a/lock", port: 8080 });
 * console.log(conf.includes("Listen 127.0.0.1:8080")); // true
 * ```
 */
export function apacheConfig(options: ApacheConfigOptions): string {
  const modules = "/usr/lib/apache2/modules";
  return [
    `ServerRoot "${options.runDir}"`,
    "ServerName 127.0.0.1",
    `Listen 127.0.0.1:${options.port}`,
    `PidFile "${options.runDir}/httpd.pid"`,
    `DefaultRuntimeDir "${options.runDir}"`,
    `ErrorLog "${options.runDir}/error.log"`,
    "LogLevel warn",
    ...(options.user ? [`User ${options.user}`, `Group ${options.user}`] : []),
    `LoadModule mpm_event_module ${modules}/mod_mpm_event.so`,
    `LoadModule authz_core_module ${modules}/mod_authz_core.so`,
    `LoadModule dav_module ${modules}/mod_dav.so`,
    `LoadModule dav_fs_module ${modules}/mod_dav_fs.so`,
    `DavLockDB "${options.lockDir}/DavLock"`,
    `DocumentRoot "${options.root}"`,
    "LimitRequestBody 0",
    "KeepAlive On",
    "MaxKeepAliveRequests 0",
    `<Directory "${options.root}">`,
    "  Dav On",
    "  AllowOverride None",
    "  Require all granted",
    "</Directory>",
    "",
  ].join("\n");
}

/**
 * Starts Apache 2 (`apache2 -DFOREGROUND -f <own config>`) serving `dir/root` with
 * mod_dav_fs on a free port. As root, the workers run as `www-data`, which then owns
 * the document root and lock directory (and `dir` must be traversable by it).
 *
 * @example
 * ```ts ignore
 * import { startApacheDav } from "./dav_servers.ts";
 * const dir = await Deno.makeTempDir();
 * const server = await startApacheDav(dir);
 * await server.stop();
 * ```
 */
export async function startApacheDav(dir: string): Promise<DavServer> {
  const root = `${dir}/root`;
  const lockDir = `${dir}/lock`;
  await Deno.mkdir(root, { recursive: true });
  await Deno.mkdir(lockDir, { recursive: true });
  await Deno.chmod(dir, 0o755);
  let user: string | undefined;
  if (Deno.uid() === 0) {
    const ids = await userIds("www-data");
    if (!ids) throw new Error("Apache as root needs the user www-data");
    user = "www-data";
    await Deno.chown(root, ids.uid, ids.gid);
    await Deno.chown(lockDir, ids.uid, ids.gid);
  }
  const port = freePort();
  const conf = `${dir}/httpd.conf`;
  await Deno.writeTextFile(
    conf,
    apacheConfig({ runDir: dir, root, lockDir, port, ...(user ? { user } : {}) }),
  );
  const child = new Deno.Command("apache2", {
    args: ["-DFOREGROUND", "-f", conf],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const server = serverOf("Apache", child, `http://127.0.0.1:${port}`, dir);
  await waitReady(server, child, `${dir}/error.log`);
  return server;
}

/**
 * Starts `rclone serve webdav dir/root` (defaults otherwise; its config, cache and
 * log kept in `dir`) on a free port.
 *
 * @example
 * ```ts ignore
 * import { startRcloneDav } from "./dav_servers.ts";
 * const dir = await Deno.makeTempDir();
 * const server = await startRcloneDav(dir);
 * await server.stop();
 * ```
 */
export async function startRcloneDav(dir: string): Promise<DavServer> {
  const root = `${dir}/root`;
  await Deno.mkdir(root, { recursive: true });
  const port = freePort();
  const log = `${dir}/rclone.log`;
  const child = new Deno.Command("rclone", {
    args: [
      "serve",
      "webdav",
      root,
      "--addr",
      `127.0.0.1:${port}`,
      "--config",
      `${dir}/rclone.conf`,
      "--cache-dir",
      `${dir}/cache`,
      "--log-file",
      log,
    ],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const server = serverOf("rclone", child, `http://127.0.0.1:${port}`, dir);
  await waitReady(server, child, log);
  return server;
}
