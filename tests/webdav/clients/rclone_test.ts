// rclone (Debian `rclone`) as a WebDAV client of the app, with vendor `owncloud`
// (modtimes sent as X-OC-Mtime and kept) and vendor `other`: a tree of files of many
// sizes and names copied up, checked equal, copied down and compared byte for byte.
// Without rclone the test fails, naming the package.

import { assert, assertEquals } from "../../support/assert.ts";
import { startDav } from "../support/dav_server.ts";
import {
  listLocalFiles,
  patternBytes,
  requireTool,
  runOk,
  sameBytes,
  tempDir,
  writeLocalTree,
} from "./support/client_tools.ts";

const MiB = 1024 * 1024;

/** The tree copied up: sizes 0 B to 9 MiB, spaces, unicode, nested directories. */
function sourceTree(): Record<string, Uint8Array> {
  return {
    "empty": new Uint8Array(),
    "one byte.bin": patternBytes(1, 1),
    "four k.dat": patternBytes(4096, 2),
    "nested/deeper/mega.bin": patternBytes(MiB, 3),
    "nested/nine MiB.bin": patternBytes(9 * MiB, 4),
    "ünïcödé/日本語 ファイル.txt": new TextEncoder().encode("こんにちは, WebDAV\n"),
    "ünïcödé/a+b=c & d#e%f.txt": patternBytes(777, 5),
    "nested/deeper/deepest/odd 'quote'.txt": patternBytes(100, 6),
  };
}

/** A distinct old modification time per file (whole seconds: X-OC-Mtime has no fraction). */
function mtimeOf(index: number): Date {
  return new Date(Date.UTC(2001, 1, 3, 4, 5, 6) + index * 86_400_000 + index * 1000);
}

interface LsJsonEntry {
  Path: string;
  Size: number;
  ModTime: string;
  IsDir: boolean;
}

for (const vendor of ["owncloud", "other"]) {
  Deno.test(`rclone (vendor ${vendor}): copy a tree up, check equal, copy it down byte for byte${vendor === "owncloud" ? ", modtimes kept" : ""}`, async () => {
    const rclone = await requireTool(["/usr/bin/rclone", "/usr/local/bin/rclone"], "rclone");
    const dav = await startDav(
      { quota: () => Promise.resolve({ usedBytes: 0, availableBytes: 1024 ** 4 }) },
      { chunkSize: MiB },
    );
    await using work = await tempDir("backupfs-rclone-");
    try {
      const home = `${work.path}/home`;
      const src = `${work.path}/src`;
      const down = `${work.path}/down`;
      await Deno.mkdir(home);
      const files = sourceTree();
      await writeLocalTree(src, files);
      const names = Object.keys(files).sort();
      for (const [i, name] of names.entries()) {
        await Deno.utime(`${src}/${name}`, mtimeOf(i), mtimeOf(i));
      }
      await Deno.writeTextFile(`${home}/rclone.conf`, "");
      const env = {
        HOME: home,
        RCLONE_CONFIG: `${home}/rclone.conf`,
        RCLONE_CONFIG_BFS_TYPE: "webdav",
        RCLONE_CONFIG_BFS_URL: dav.base,
        RCLONE_CONFIG_BFS_VENDOR: vendor,
      };
      const remote = `bfs:${vendor} up`;
      const run = (...args: string[]) =>
        runOk(rclone, { args: [...args, "--retries", "1"], env, timeoutMs: 120_000 });

      await run("copy", src, remote);
      const checked = await run("check", src, remote);
      assert(/0 differences found/.test(checked.stderr), checked.stderr);
      assert(new RegExp(`${names.length} matching files`).test(checked.stderr), checked.stderr);
      // --download compares the bytes, not only sizes (and hashes, which WebDAV lacks here).
      const downloaded = await run("check", "--download", src, remote);
      assert(/0 differences found/.test(downloaded.stderr), downloaded.stderr);

      await run("copy", remote, down);
      assertEquals(await listLocalFiles(down), names);
      for (const name of names) {
        const bytes = await Deno.readFile(`${down}/${name}`);
        assert(sameBytes(bytes, files[name]!), `${name} differs after the round trip`);
      }

      // What the server holds, through rclone and through BackupFS.
      const listed = JSON.parse(
        (await run("lsjson", "--recursive", remote)).stdout,
      ) as LsJsonEntry[];
      const listedFiles = listed.filter((e) => !e.IsDir).sort((a, b) => a.Path < b.Path ? -1 : 1);
      assertEquals(listedFiles.map((e) => e.Path), names);
      assertEquals(listedFiles.map((e) => e.Size), names.map((n) => files[n]!.length));
      for (const name of names) {
        const info = await dav.fs.stat(`/${vendor} up/${name}`);
        assertEquals(info.size, files[name]!.length, name);
      }
      if (vendor === "owncloud") {
        // rclone sent X-OC-Mtime with every PUT: the source modtimes are kept.
        assertEquals(
          listedFiles.map((e) => new Date(e.ModTime).toISOString()),
          names.map((_, i) => mtimeOf(i).toISOString()),
        );
        for (const [i, name] of names.entries()) {
          const info = await dav.fs.stat(`/${vendor} up/${name}`);
          assertEquals(info.mtime?.toISOString(), mtimeOf(i).toISOString(), name);
        }
        // and rclone sets them on the files it copies down.
        for (const [i, name] of names.entries()) {
          const local = await Deno.stat(`${down}/${name}`);
          assertEquals(local.mtime?.getTime(), mtimeOf(i).getTime(), name);
        }
      } else {
        // Without X-OC-Mtime the server keeps the upload time (so the check above is not vacuous).
        const info = await dav.fs.stat(`/${vendor} up/${names[0]}`);
        assert(info.mtime && info.mtime.getTime() > mtimeOf(names.length).getTime(), "upload time");
      }
    } finally {
      await dav.close();
    }
  });
}
