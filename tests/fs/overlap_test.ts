// rename, copy and copyFile whose destination overlaps the source (an ancestor of
// it, or a path inside a source directory) are refused with OverlappingPathsError
// before anything changes, whatever the caller: replacing an ancestor would delete
// the source before it is read.

import { assertEquals, assertRejects } from "../support/assert.ts";
import { fsTest } from "./support/backends.ts";
import { OverlappingPathsError } from "../../src/fs/fs_errors.ts";
import type { BackupFS } from "../../src/fs/backup_fs.ts";
import { chunkChecksum } from "../../src/storage/checksum.ts";

async function tree(fs: BackupFS, dir = "/"): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of fs.readDir(dir)) {
    const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(`${path}/`, ...await tree(fs, path));
    else out.push(`${path}=${await fs.readTextFile(path)}`);
  }
  return out.sort();
}

fsTest(
  "rename, copy and copyFile onto an ancestor of the source are refused, nothing lost",
  async ({ fs }) => {
    await fs.mkdir("/m/b/c", { recursive: true });
    await fs.writeTextFile("/m/b/c/f.txt", "deep");
    await fs.writeTextFile("/m/b/f.txt", "inner");
    await fs.writeTextFile("/m/keep.txt", "keep");
    // Implicit directories (no markers, as other tools write) as the ancestors.
    const data = new TextEncoder().encode("implicit");
    await fs.storage.putObject({
      BackupJobId: fs.jobId,
      ObjectName: "imp/b/g.txt",
      InlineChunk: data,
      InlineChunkLength: data.length,
      InlineChunkChecksum: chunkChecksum(data),
    });
    const before = await tree(fs);
    const cases: [string, () => Promise<unknown>][] = [
      ["rename dir → parent", () => fs.rename("/m/b", "/m")],
      ["rename dir → grandparent", () => fs.rename("/m/b/c", "/m")],
      ["rename file → parent", () => fs.rename("/m/b/f.txt", "/m/b")],
      ["rename file → grandparent", () => fs.rename("/m/b/c/f.txt", "/m")],
      ["copy dir → parent", () => fs.copy("/m/b", "/m", { recursive: true })],
      ["copy file → parent", () => fs.copy("/m/b/f.txt", "/m/b")],
      ["copyFile → parent", () => fs.copyFile("/m/b/f.txt", "/m/b")],
      ["copyFile → grandparent", () => fs.copyFile("/m/b/c/f.txt", "/m")],
      ["rename into implicit parent", () => fs.rename("/imp/b", "/imp")],
      ["copy into implicit parent", () => fs.copy("/imp/b/g.txt", "/imp/b")],
    ];
    for (const [name, run] of cases) {
      const error = await assertRejects(run, OverlappingPathsError, "contains the source");
      assertEquals([name, error.relation, error.code], [name, "ancestor", "EINVAL"]);
      assertEquals([name, await tree(fs)], [name, before]);
    }
  },
);

fsTest("rename and copy of a directory into itself are refused, nothing lost", async ({ fs }) => {
  await fs.mkdir("/d/e", { recursive: true });
  await fs.writeTextFile("/d/e/f.txt", "f");
  const before = await tree(fs);
  for (
    const run of [
      () => fs.rename("/d", "/d/x"),
      () => fs.rename("/d", "/d/e"),
      () => fs.copy("/d", "/d/e/x", { recursive: true }),
    ]
  ) {
    const error = await assertRejects(run, OverlappingPathsError, "inside the source");
    assertEquals(error.relation, "inside");
    assertEquals(await tree(fs), before);
  }
  // Siblings whose names share a prefix do not overlap.
  await fs.writeTextFile("/d2.txt", "x");
  await fs.rename("/d/e", "/d-e");
  await fs.copy("/d-e", "/d/e", { recursive: true });
  assertEquals(await fs.readTextFile("/d/e/f.txt"), "f");
  assertEquals(await fs.readTextFile("/d-e/f.txt"), "f");
});
