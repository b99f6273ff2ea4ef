// `backupfs get` never writes outside its local target: an existing symbolic link
// where a directory goes is refused (even with --force), a symbolic link where a
// file goes is replaced rather than written through, an existing target needs
// --force, and object names another tool wrote with ".." segments reach nothing
// outside the target.

import { join } from "node:path";
import { chunkChecksum } from "../../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../../src/storage/mod.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { runBackupfs } from "./support/backupfs_process.ts";

async function withStore(fn: (dir: string, data: string[]) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-get-" });
  try {
    const store = await EmbeddedStore.open(join(dir, "data"), { gcIntervalMs: 0 });
    try {
      // Written as objects, as any BackupStorage client may name them.
      for (
        const name of [
          "top/ok.txt",
          "top/sub/file.txt",
          "top/../escape.txt",
          "top/sub/../../../climb.txt",
          "top/./dot.txt",
        ]
      ) {
        const bytes = new TextEncoder().encode(`remote ${name}`);
        await store.putObject({
          BackupJobId: "default",
          ObjectName: name,
          InlineChunk: bytes,
          InlineChunkLength: bytes.length,
          InlineChunkChecksum: chunkChecksum(bytes),
        });
      }
    } finally {
      await store.close();
    }
    await fn(dir, ["--data", join(dir, "data")]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test("get: a symbolic link where a directory goes is refused, even with --force", async () => {
  await withStore(async (dir, data) => {
    const outside = join(dir, "outside");
    await Deno.mkdir(outside);
    await Deno.mkdir(join(dir, "out/top"), { recursive: true });
    await Deno.symlink(outside, join(dir, "out/top/sub"));
    const result = await runBackupfs(["get", "-r", "--force", ...data, "/top", join(dir, "out")]);
    assertEquals(result.code, 1);
    assertEquals(
      result.stderr,
      `backupfs get: ${
        join(dir, "out/top/sub")
      } is a symbolic link; refusing to write through it\n`,
    );
    assertEquals(await names(outside), []);
  });
});

Deno.test("get: a symbolic link where a file goes is replaced, not written through", async () => {
  await withStore(async (dir, data) => {
    const outside = join(dir, "outside.txt");
    await Deno.writeTextFile(outside, "untouched");
    await Deno.mkdir(join(dir, "out/top"), { recursive: true });
    await Deno.symlink(outside, join(dir, "out/top/ok.txt"));
    const refused = await runBackupfs(["get", "-r", ...data, "/top", join(dir, "out")]);
    assertEquals(refused.code, 1);
    assertEquals(
      refused.stderr,
      `backupfs get: ${join(dir, "out/top")} already exists (use --force to merge into it)\n`,
    );
    const result = await runBackupfs(["get", "-r", "--force", ...data, "/top", join(dir, "out")]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(await Deno.readTextFile(outside), "untouched");
    const info = await Deno.lstat(join(dir, "out/top/ok.txt"));
    assert(info.isFile && !info.isSymlink);
    assertEquals(await Deno.readTextFile(join(dir, "out/top/ok.txt")), "remote top/ok.txt");
  });
});

Deno.test("get: names with '..' segments written by another tool reach nothing outside", async () => {
  await withStore(async (dir, data) => {
    await Deno.mkdir(join(dir, "restore/deep"), { recursive: true });
    const target = join(dir, "restore/deep");
    const result = await runBackupfs(["get", "-r", ...data, "/top", target]);
    assertEquals(result.code, 0, result.stderr);
    // Only what lies under /top as BackupFS paths, inside the target.
    assertEquals(await names(join(target, "top")), ["ok.txt", "sub"]); // "." is no name either
    assertEquals(await names(join(target, "top/sub")), ["file.txt"]);
    assertEquals(await names(join(dir, "restore")), ["deep"]);
    assertEquals(await names(target), ["top"]);
    assertEquals((await names(dir)).sort(), ["data", "restore"]);
  });
});
