// Mounting the WebDAV server with davfs2 (Debian `davfs2`) in the tests, shared by
// davfs2_test.ts and davfs2_https_test.ts: the tools (root needed), a work
// directory davfs2 can use, mount, unmount, and a bounded clean-up.

import { assert, assertEquals } from "../../../support/assert.ts";
import { requireTool, runOk, runTool, waitFor } from "./client_tools.ts";

/** The commands a davfs2 test runs, and the gid of the `davfs2` group. */
export interface Davfs2Tools {
  mountDavfs: string;
  mount: string;
  umount: string;
  davfs2Gid: number;
}

/** Finds mount.davfs, mount, umount and findmnt (a missing one fails, naming its package); asserts root. */
export async function requireDavfs2(): Promise<Davfs2Tools> {
  const mountDavfs = await requireTool(["/usr/sbin/mount.davfs", "/sbin/mount.davfs"], "davfs2");
  const mount = await requireTool(["/usr/bin/mount", "/bin/mount"], "mount");
  const umount = await requireTool(["/usr/bin/umount", "/bin/umount"], "mount");
  await requireTool(["/usr/bin/findmnt", "/bin/findmnt"], "util-linux");
  assertEquals(Deno.uid(), 0, "mounting with davfs2 needs root");
  return { mountDavfs, mount, umount, davfs2Gid: await groupId("davfs2") };
}

/** The gid of a group from /etc/group. */
async function groupId(name: string): Promise<number> {
  const line = (await Deno.readTextFile("/etc/group")).split("\n")
    .find((l) => l.startsWith(`${name}:`));
  assert(line, `group ${name} is missing (it comes with the Debian package davfs2)`);
  return Number(line.split(":")[2]);
}

/** Where {@link prepareDavfs2} put things below the work directory. */
export interface Davfs2Layout {
  /** The mount point. */
  mnt: string;
  /** davfs2's cache directory. */
  cache: string;
  /** The davfs2.conf to pass as `-o conf=…`. */
  conf: string;
}

/**
 * Makes `work` reachable by the davfs2 user (mount.davfs drops to it), creates the
 * mount point and the cache (group davfs2), and writes davfs2.conf: small buffers,
 * locks, no prompt, upload on close, bounded timeouts, then `lines`; with `caCert`,
 * a world-readable copy of it as `trust_ca_cert`.
 */
export async function prepareDavfs2(
  work: string,
  options: { davfs2Gid: number; lines?: string[]; caCert?: string },
): Promise<Davfs2Layout> {
  await Deno.chmod(work, 0o755);
  const layout = { mnt: `${work}/mnt`, cache: `${work}/cache`, conf: `${work}/davfs2.conf` };
  await Deno.mkdir(layout.mnt);
  await Deno.mkdir(layout.cache);
  await Deno.chown(layout.cache, 0, options.davfs2Gid);
  await Deno.chmod(layout.cache, 0o775);
  const lines = [
    "buf_size 64", // this davfs2 fails its writes with the default buffer size
    `cache_dir ${layout.cache}`,
    "use_locks 1", // LOCK before each upload, UNLOCK after
    "ask_auth 0", // no credentials: never prompt
    "delay_upload 0", // upload on close, not 10 s later
    "connect_timeout 10",
    "read_timeout 30",
    ...(options.lines ?? []),
  ];
  if (options.caCert !== undefined) {
    const ca = `${work}/ca.pem`;
    await Deno.copyFile(options.caCert, ca);
    await Deno.chmod(ca, 0o644);
    lines.push(`trust_ca_cert ${ca}`);
  }
  await Deno.writeTextFile(layout.conf, [...lines, ""].join("\n"));
  return layout;
}

/** Whether `mountPoint` is in the mount table (`findmnt`: Deno may not read /proc). */
export async function isMounted(mountPoint: string): Promise<boolean> {
  const result = await runTool("findmnt", {
    args: ["-n", "--mountpoint", mountPoint],
    env: {},
    timeoutMs: 10_000,
  });
  return result.code === 0;
}

/** `mount -t davfs URL MNT -o conf=CONF`; asserts it worked and the mount shows (bounded). */
export async function mountDavfs2(
  tools: Davfs2Tools,
  url: string,
  layout: Davfs2Layout,
): Promise<void> {
  const mounted = await runTool(tools.mount, {
    args: ["-t", "davfs", url, layout.mnt, "-o", `conf=${layout.conf}`],
    env: {},
    timeoutMs: 30_000,
  });
  assert(
    mounted.code === 0 && !mounted.timedOut,
    `mount -t davfs failed (${mounted.code}):\n${mounted.stdout}\n${mounted.stderr}`,
  );
  assert(await waitFor(() => isMounted(layout.mnt), { timeoutMs: 10_000 }), "nothing mounted");
}

/** `umount MNT` (davfs2 uploads what is left first); asserts it is gone from the mount table. */
export async function unmountDavfs2(tools: Davfs2Tools, mnt: string): Promise<void> {
  await runOk(tools.umount, { args: [mnt], env: {}, timeoutMs: 120_000 });
  assert(!(await isMounted(mnt)), "still mounted after umount");
}

/** The pid of the mount.davfs serving `mountPoint` (from its pid file), if any. */
export async function mountDavfsPid(mountPoint: string): Promise<number | undefined> {
  const name = mountPoint.replace(/^\//, "").replaceAll("/", "-") + ".pid";
  for (const dir of ["/var/run/mount.davfs", "/run/mount.davfs"]) {
    try {
      const pid = Number((await Deno.readTextFile(`${dir}/${name}`)).trim());
      if (Number.isInteger(pid) && pid > 0) return pid;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/** Whether process `pid` is alive (`kill -0`; Deno may not read /proc). */
export async function processExists(pid: number): Promise<boolean> {
  const result = await runTool("sh", {
    args: ["-c", `kill -0 ${pid}`],
    env: {},
    timeoutMs: 10_000,
  });
  return result.code === 0;
}

/** SIGKILL to `pid` (a mount.davfs the test started), if it still runs. */
export function killProcess(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Unmounts `mnt` if mounted (while the server still answers; lazily when that
 * fails) and, given the mount.davfs `pid`, makes sure it is gone. Returns the
 * problems met, for the caller to report.
 */
export async function cleanUpDavfs2(
  mnt: string,
  options: { umount: string; pid?: number },
): Promise<string[]> {
  const { umount, pid } = options;
  const problems: string[] = [];
  if (await isMounted(mnt)) {
    const result = await runTool(umount, { args: [mnt], env: {}, timeoutMs: 60_000 });
    if (result.code !== 0 || await isMounted(mnt)) {
      problems.push(`umount ${mnt}: ${result.timedOut ? "timed out" : result.stderr.trim()}`);
      if (pid !== undefined) killProcess(pid); // the mount.davfs this test started
      await runTool(umount, { args: ["-l", mnt], env: {}, timeoutMs: 10_000 });
    }
  }
  if (pid !== undefined) {
    const gone = await waitFor(async () => !(await processExists(pid)), { timeoutMs: 30_000 });
    if (!gone) {
      problems.push(`mount.davfs ${pid} still running: killed`);
      killProcess(pid);
    }
  }
  return problems;
}
