// writeFile's createNew holds until the new version commits: a file another writer
// creates after writeFile's own lookup, before its commit, is kept and the write
// fails with AlreadyExists (before, the check was only the lookup, and the other
// writer's file was replaced). Both commits: PutObject (one chunk) and
// NotifyObjectComplete (several).

import { BackupFS } from "../../src/fs/mod.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { wrapStorage } from "./support/read_fixtures.ts";

const JOB = "create-new";

for (
  const [label, size] of [["one chunk (PutObject)", 1000], ["several chunks", 20_000]] as const
) {
  Deno.test(`writeFile createNew: a file created just before the commit is kept, ${label}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "backupfs-create-new-" });
    const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    try {
      const other = new BackupFS(store, { jobId: JOB });
      let raced = false;
      /** The other writer's file appears right before this writer's commit. */
      const race = async () => {
        if (raced) return;
        raced = true;
        await other.writeTextFile("/f.txt", "the other writer's");
      };
      const storage: BackupStorage = wrapStorage(store, {
        putObject: async (input, options) => (await race(), store.putObject(input, options)),
        notifyObjectComplete: async (input, options) => (
          await race(), store.notifyObjectComplete(input, options)
        ),
      });
      const fs = new BackupFS(storage, { jobId: JOB, chunkSize: 4096 });
      let error: unknown;
      await fs.writeFile("/f.txt", new Uint8Array(size).fill(1), { createNew: true }).catch((e) =>
        error = e
      );
      assert(raced, "the other writer ran");
      assert(error instanceof Deno.errors.AlreadyExists, `AlreadyExists, got ${error}`);
      assertEquals(await other.readTextFile("/f.txt"), "the other writer's");
      // No race: createNew creates.
      await fs.writeFile("/g.txt", new Uint8Array(size).fill(2), { createNew: true });
      assertEquals((await other.stat("/g.txt")).size, size);
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
