// Private data by default: a new store's directory tree is 0700 and its files 0600
// even under umask 022; an existing directory others can read gets a warning.

import { join } from "node:path";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { dataDirectoryWarning } from "../../../src/storage/store/data_dir_mode.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { seededBytes, uploadObject } from "./support/store_fixtures.ts";

const posix = Deno.build.os !== "windows";

async function modes(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  out.set(".", (await Deno.stat(root)).mode! & 0o777);
  const walk = async (dir: string, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      out.set(name, (await Deno.lstat(path)).mode! & 0o777);
      if (entry.isDirectory) await walk(path, name);
    }
  };
  await walk(root, "");
  return out;
}

Deno.test({
  name: "a new store under umask 022: directories 0700, files 0600",
  ignore: !posix,
  async fn() {
    const previous = Deno.umask(0o022);
    const parent = await Deno.makeTempDir({ prefix: "data_dir_mode_test_" });
    const dir = join(parent, "nested", "data");
    try {
      const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
      try {
        await uploadObject(store, "job", "a.bin", [seededBytes("a", 70_000)]);
        const checked = await modes(dir);
        assert(checked.has("metadata.db") && checked.has("chunks"), [...checked.keys()].join());
        for (const [name, mode] of checked) {
          const isDir = (await Deno.stat(join(dir, name))).isDirectory;
          assertEquals(mode.toString(8), isDir ? "700" : "600", `${name}`);
        }
        assertEquals(await dataDirectoryWarning(dir), undefined);
      } finally {
        await store.close();
      }
      const after = await modes(dir);
      for (const [name, mode] of after) assertEquals(mode & 0o077, 0, `${name} after close`);
    } finally {
      Deno.umask(previous);
      await Deno.remove(parent, { recursive: true });
    }
  },
});

Deno.test({
  name: "dataDirectoryWarning: names the fix for a 0755 directory, nothing for 0700",
  ignore: !posix,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "data_dir_mode_test_" });
    try {
      await Deno.chmod(dir, 0o755);
      assertEquals(
        await dataDirectoryWarning(dir),
        `${dir} is readable by other users (mode 755); chmod 700 ${dir}`,
      );
      await Deno.chmod(dir, 0o700);
      assertEquals(await dataDirectoryWarning(dir), undefined);
      assertEquals(await dataDirectoryWarning(join(dir, "missing")), undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
