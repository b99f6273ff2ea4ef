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
import { patternBytes, sameBytes, startDavProcess, waitFor } from "./support/client_tools.ts";
import {
  cleanUpDavfs2,
  isMounted,
  killProcess,
  mountDavfs2,
  mountDavfsPid,
  prepareDavfs2,
  processExists,
  requireDavfs2,
  unmountDavfs2,
} from "./support/davfs2_mount.ts";

const MiB = 1024 * 1024;

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

/** This test's own davfs2.conf lines: listings and file metadata trusted for 1 s only. */
const REFRESH = ["dir_refresh 1", "file_refresh 1"];

/** Every wait on the mount is bounded: after this, mount.davfs is killed (the FUSE calls fail). */
const WATCHDOG_MS = 300_000;

Deno.test("davfs2: mount, write small and multi-MiB files, list, read back, rename, mkdir, delete, unmount; BackupFS holds the result", async () => {
  const tools = await requireDavfs2();

  const server = await startDavProcess({ chunkSize: MiB });
  const work = await Deno.makeTempDir({ prefix: "backupfs-davfs2-" });
  const mnt = `${work}/mnt`;
  let davfsPid: number | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let failure: unknown;
  const small = new TextEncoder().encode("hello through davfs2\n");
  const big = patternBytes(6 * MiB + 12_345, 11);
  const mid = patternBytes(3 * MiB, 12);
  try {
    // mount.davfs drops to the davfs2 user, which must reach the cache below `work`.
    const layout = await prepareDavfs2(work, { davfs2Gid: tools.davfs2Gid, lines: REFRESH });
    await mountDavfs2(tools, server.base, layout);
    davfsPid = await mountDavfsPid(mnt);
    assert(davfsPid, `no pid file of ${tools.mountDavfs} for ${mnt}`);
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
    await unmountDavfs2(tools, mnt);
    assert(
      await waitFor(async () => !(await processExists(pid)), { timeoutMs: 60_000 }),
      "mount.davfs did not exit after the unmount",
    );
    davfsPid = undefined;
  } catch (error) {
    failure = error;
  } finally {
    clearTimeout(watchdog);
    const problems = await cleanUpDavfs2(mnt, { umount: tools.umount, pid: davfsPid });
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
