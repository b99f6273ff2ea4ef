// createNew holds until the new version commits: a file another writer creates
// after the operation's own lookup, before its commit, is kept and the operation
// fails with AlreadyExists (before, the check was only the lookup, and the other
// writer's file was replaced). writeFile with both commits, PutObject (one chunk)
// and NotifyObjectComplete (several); copyFile and rename (the source then stays).

import { assert, assertEquals } from "../support/assert.ts";
import { withWriterRace } from "./support/writer_race.ts";

for (
  const [label, size] of [["one chunk (PutObject)", 1000], ["several chunks", 20_000]] as const
) {
  Deno.test(`writeFile createNew: a file created just before the commit is kept, ${label}`, async () => {
    await withWriterRace("create-new", async (race) => {
      const { fs, other, arm } = race;
      // The other writer's file appears right before this writer's commit.
      arm(
        () => other.writeTextFile("/f.txt", "the other writer's").then(() => {}),
        ["putObject", "notifyObjectComplete"],
      );
      let error: unknown;
      await fs.writeFile("/f.txt", new Uint8Array(size).fill(1), { createNew: true })
        .catch((e) => error = e);
      assert(race.raced, "the other writer ran");
      assert(error instanceof Deno.errors.AlreadyExists, `AlreadyExists, got ${error}`);
      assertEquals(await other.readTextFile("/f.txt"), "the other writer's");
      // No race: createNew creates.
      await fs.writeFile("/g.txt", new Uint8Array(size).fill(2), { createNew: true });
      assertEquals((await race.fresh().stat("/g.txt")).size, size);
    });
  });
}

for (const op of ["copyFile", "rename"] as const) {
  Deno.test(`${op} createNew: a destination created just before the commit is kept`, async () => {
    await withWriterRace("create-new", async (race) => {
      const { fs, other, arm } = race;
      await other.writeTextFile("/src.txt", "source");
      arm(() => other.writeTextFile("/dst.txt", "the other writer's").then(() => {}), [
        "putObject",
      ]);
      let error: unknown;
      await fs[op]("/src.txt", "/dst.txt", { createNew: true }).catch((e) => error = e);
      assert(race.raced, "the other writer ran");
      assert(error instanceof Deno.errors.AlreadyExists, `AlreadyExists, got ${error}`);
      assertEquals(await other.readTextFile("/dst.txt"), "the other writer's");
      assertEquals(await other.readTextFile("/src.txt"), "source");
      // A destination already there: refused at once, nothing written.
      let refused: unknown;
      await fs[op]("/src.txt", "/dst.txt", { createNew: true }).catch((e) => refused = e);
      assert(refused instanceof Deno.errors.AlreadyExists, `AlreadyExists, got ${refused}`);
      // No race, nothing there: createNew copies or moves.
      await fs[op]("/src.txt", "/new.txt", { createNew: true });
      assertEquals(await race.fresh().readTextFile("/new.txt"), "source");
    });
  });
}
