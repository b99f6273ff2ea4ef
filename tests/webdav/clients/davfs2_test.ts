// davfs2 (Debian `davfs2`) mounts the WebDAV app: files written, listed, read back,
// renamed, moved, deleted through the mount are, after the unmount (mount.davfs
// uploads on close and on unmount), exactly what BackupFS holds. Needs root (mount);
// without davfs2 the test fails, naming the package.
//
// The server runs in a process of its own (serve_child.ts): with it inside the test
// process, a file operation on the mount (run by Deno on a blocking thread) waits on
// mount.davfs, which waits on an upload the server never reads, and everything hangs.

import { assert, assertEquals } from "../../support/assert.ts";
import { BackupFS } from "../../../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import {
  patternBytes,
  requireTool,
  runOk,
  runTool,
  sameBytes,
  startDavProcess,
  waitFor,
} from "./support/client_tools.ts";

const MiB = 1024 * 1024;

/** Whether `mountPoint` is in the mount table (`findmnt`: Deno may not read /proc). */
async function isMounted(mountPoint: string): Promise<boolean> {
  const result = await runTool("findmnt", {
    args: ["-n", "--mountpoint", mountPoint],
    env: {},
    timeoutMs: 10_000,
  });
  return result.code === 0;
}

/** The pid of the mount.davfs serving `mountPoint` (from its pid file), if any. */
async function mountDavfsPid(mountPoint: string): Promise<number | undefined> {
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
async function processExists(pid: number): Promise<boolean> {
  const result = await runTool("sh", {
    args: ["-c", `kill -0 ${pid}`],
    env: {},
    timeoutMs: 10_000,
  });
  return result.code === 0;
}

function killProcess(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** The gid of a group from /etc/group. */
async function groupId(name: string): Promise<number> {
  const line = (await Deno.readTextFile("/etc/group")).split("\n")
    .find((l) => l.startsWith(`${name}:`));
  assert(line, `group ${name} is missing (it comes with the Debian package davfs2)`);
  return Number(line.split(":")[2]);
}

/** Names in a directory of the mount (directories with a `/`), without davfs2's lost+found. */
async function mountNames(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name !== "lost+found") out.push(entry.isDirectory ? `${entry.name}/` : entry.name);
  }
  return out.sort();
}

/** Names in a BackupFS directory (directories with a `/`). */
async function fsNames(fs: BackupFS, dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of fs.readDir(dir)) {
    out.push(entry.isDirectory ? `${entry.name}/` : entry.name);
  }
  return out.sort();
}

const DAVFS2_CONF = (cache: string) =>
  [
    "buf_size 64", // this davfs2 fails its writes with the default buffer size
    `cache_dir ${cache}`,
    "use_locks 1", // LOCK before each upload, UNLOCK after
    "ask_auth 0", // no credentials: never prompt
    "delay_upload 0", // upload on close, not 10 s later
    "dir_refresh 1",
    "file_refresh 1",
    "connect_timeout 10",
    "read_timeout 30",
    "",
  ].join("\n");

/** Every wait on the mount is bounded: after this, mount.davfs is killed (the FUSE calls fail). */
const WATCHDOG_MS = 300_000;

Deno.test("davfs2: mount, write small and multi-MiB files, list, read back, rename, mkdir, delete, unmount; BackupFS holds the result", async () => {
  const mountDavfs = await requireTool(["/usr/sbin/mount.davfs", "/sbin/mount.davfs"], "davfs2");
  const mountCmd = await requireTool(["/usr/bin/mount", "/bin/mount"], "mount");
  const umountCmd = await requireTool(["/usr/bin/umount", "/bin/umount"], "mount");
  await requireTool(["/usr/bin/findmnt", "/bin/findmnt"], "util-linux");
  assertEquals(Deno.uid(), 0, "mounting with davfs2 needs root");
  const davfs2Gid = await groupId("davfs2");

  const server = await startDavProcess({ chunkSize: MiB });
  const work = await Deno.makeTempDir({ prefix: "backupfs-davfs2-" });
  // mount.davfs drops to the davfs2 user, which must reach the cache below `work`.
  await Deno.chmod(work, 0o755);
  const mnt = `${work}/mnt`;
  const cache = `${work}/cache`;
  const conf = `${work}/davfs2.conf`;
  let davfsPid: number | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let failure: unknown;
  const small = new TextEncoder().encode("hello through davfs2\n");
  const big = patternBytes(6 * MiB + 12_345, 11);
  const mid = patternBytes(3 * MiB, 12);
  try {
    await Deno.mkdir(mnt);
    await Deno.mkdir(cache);
    await Deno.chown(cache, 0, davfs2Gid);
    await Deno.chmod(cache, 0o775);
    await Deno.writeTextFile(conf, DAVFS2_CONF(cache));
    const mounted = await runTool(mountCmd, {
      args: ["-t", "davfs", server.base, mnt, "-o", `conf=${conf}`],
      env: {},
      timeoutMs: 30_000,
    });
    assert(
      mounted.code === 0 && !mounted.timedOut,
      `mount -t davfs failed (${mounted.code}):\n${mounted.stdout}\n${mounted.stderr}`,
    );
    assert(await waitFor(() => isMounted(mnt), { timeoutMs: 10_000 }), "nothing mounted");
    davfsPid = await mountDavfsPid(mnt);
    assert(davfsPid, `no pid file of ${mountDavfs} for ${mnt}`);
    const pid = davfsPid;
    watchdog = setTimeout(() => killProcess(pid), WATCHDOG_MS);

    // Write through the mount: small, empty and multi-MiB files, a directory.
    await Deno.writeFile(`${mnt}/hello.txt`, small);
    await Deno.writeFile(`${mnt}/empty`, new Uint8Array());
    await Deno.writeFile(`${mnt}/big.bin`, big);
    await Deno.writeFile(`${mnt}/gone.txt`, small);
    await Deno.mkdir(`${mnt}/sub dir`);
    await Deno.writeFile(`${mnt}/sub dir/mid ünï.bin`, mid);
    assertEquals(await mountNames(mnt), ["big.bin", "empty", "gone.txt", "hello.txt", "sub dir/"]);
    assertEquals((await Deno.stat(`${mnt}/big.bin`)).size, big.length);

    // Read back byte for byte.
    assert(sameBytes(await Deno.readFile(`${mnt}/hello.txt`), small), "hello.txt differs");
    assert(sameBytes(await Deno.readFile(`${mnt}/big.bin`), big), "big.bin differs");
    assert(sameBytes(await Deno.readFile(`${mnt}/sub dir/mid ünï.bin`), mid), "mid differs");
    assertEquals((await Deno.readFile(`${mnt}/empty`)).length, 0);

    // Rename, move into a directory, new directory, overwrite, delete a file and a directory.
    await Deno.rename(`${mnt}/hello.txt`, `${mnt}/greeting.txt`);
    await Deno.rename(`${mnt}/big.bin`, `${mnt}/sub dir/big.bin`);
    await Deno.mkdir(`${mnt}/made`);
    await Deno.writeTextFile(`${mnt}/made/note.txt`, "first version, longer than the second\n");
    await Deno.writeTextFile(`${mnt}/made/note.txt`, "second version\n");
    await Deno.mkdir(`${mnt}/scratch`);
    await Deno.remove(`${mnt}/scratch`);
    await Deno.remove(`${mnt}/gone.txt`);
    assertEquals(await mountNames(mnt), ["empty", "greeting.txt", "made/", "sub dir/"]);
    assertEquals(await mountNames(`${mnt}/sub dir`), ["big.bin", "mid ünï.bin"]);
    assert(sameBytes(await Deno.readFile(`${mnt}/sub dir/big.bin`), big), "moved big.bin differs");

    // Unmount; umount.davfs waits for mount.davfs, which uploads what is left.
    await runOk(umountCmd, { args: [mnt], env: {}, timeoutMs: 120_000 });
    assert(!(await isMounted(mnt)), "still mounted after umount");
    assert(
      await waitFor(async () => !(await processExists(pid)), { timeoutMs: 60_000 }),
      "mount.davfs did not exit after the unmount",
    );
    davfsPid = undefined;
  } catch (error) {
    failure = error;
  } finally {
    clearTimeout(watchdog);
    const problems = await cleanUp(mnt, davfsPid, umountCmd);
    await server.stop().catch((error) => problems.push(String(error)));
    // Only remove the work dir when nothing is mounted below it.
    if (await isMounted(mnt)) problems.push(`${mnt} is still mounted: work dir ${work} kept`);
    else await Deno.remove(work, { recursive: true });
    if (failure === undefined && problems.length > 0) failure = new Error(problems.join("\n"));
  }
  try {
    if (failure !== undefined) throw failure;
    // What BackupFS holds now, read from the store the server wrote.
    const store = await EmbeddedStore.open(server.dataDir, { gcIntervalMs: 0, durable: false });
    try {
      const fs = new BackupFS(store, { jobId: server.jobId });
      assertEquals(await fsNames(fs, "/"), ["empty", "greeting.txt", "made/", "sub dir/"]);
      assertEquals(await fsNames(fs, "/sub dir"), ["big.bin", "mid ünï.bin"]);
      assertEquals(await fsNames(fs, "/made"), ["note.txt"]);
      assert(sameBytes(await fs.readFile("/greeting.txt"), small), "greeting.txt differs");
      assert(sameBytes(await fs.readFile("/sub dir/big.bin"), big), "big.bin differs");
      assert(sameBytes(await fs.readFile("/sub dir/mid ünï.bin"), mid), "mid differs");
      assertEquals(await fs.readTextFile("/made/note.txt"), "second version\n");
      assertEquals((await fs.stat("/empty")).size, 0);
      for (const gone of ["/gone.txt", "/hello.txt", "/big.bin", "/scratch"]) {
        assertEquals(await fs.exists(gone), false, `${gone} should be gone`);
      }
    } finally {
      await store.close();
    }
  } finally {
    await server.dispose();
  }
});

/** Unmounts `mnt` if mounted (while the server still answers) and makes sure mount.davfs is gone. */
async function cleanUp(mnt: string, pid: number | undefined, umountCmd: string): Promise<string[]> {
  const problems: string[] = [];
  if (await isMounted(mnt)) {
    const result = await runTool(umountCmd, { args: [mnt], env: {}, timeoutMs: 60_000 });
    if (result.code !== 0 || await isMounted(mnt)) {
      problems.push(`umount ${mnt}: ${result.timedOut ? "timed out" : result.stderr.trim()}`);
      if (pid !== undefined) killProcess(pid); // the mount.davfs this test started
      await runTool(umountCmd, { args: ["-l", mnt], env: {}, timeoutMs: 10_000 });
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
