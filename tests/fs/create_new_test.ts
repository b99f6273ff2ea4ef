// createNew holds until the new version commits: a file another writer creates
// after the operation's own lookup, before its commit, is kept and the operation
// fails with AlreadyExists (before, the check was only the lookup, and the other
// writer's file was replaced). writeFile with both commits, PutObject (one chunk)
// and NotifyObjectComplete (several); copyFile and rename (the source then stays).

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

for (const op of ["copyFile", "rename"] as const) {
  Deno.test(`${op} createNew: a destination created just before the commit is kept`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "backupfs-create-new-" });
    const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    try {
      const other = new BackupFS(store, { jobId: JOB });
      await other.writeTextFile("/src.txt", "source");
      let armed = false;
      let raced = false;
      const race = async () => {
        if (!armed || raced) return;
        raced = true;
        await other.writeTextFile("/dst.txt", "the other writer's");
      };
      const storage: BackupStorage = wrapStorage(store, {
        putObject: async (input, options) => (await race(), store.putObject(input, options)),
      });
      const fs = new BackupFS(storage, { jobId: JOB });
      armed = true;
      let error: unknown;
      await fs[op]("/src.txt", "/dst.txt", { createNew: true }).catch((e) => error = e);
      assert(raced, "the other writer ran");
      assert(error instanceof Deno.errors.AlreadyExists, `AlreadyExists, got ${error}`);
      assertEquals(await other.readTextFile("/dst.txt"), "the other writer's");
      assertEquals(await other.readTextFile("/src.txt"), "source");
      // A destination already there: refused at once, nothing written.
      let refused: unknown;
      await fs[op]("/src.txt", "/dst.txt", { createNew: true }).catch((e) => refused = e);
      assert(refused instanceof Deno.errors.AlreadyExists, `AlreadyExists, got ${refused}`);
      // No race, nothing there: createNew copies or moves.
      await fs[op]("/src.txt", "/new.txt", { createNew: true });
      assertEquals(await other.readTextFile("/new.txt"), "source");
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
