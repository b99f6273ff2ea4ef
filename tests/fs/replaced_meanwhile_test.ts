// Operations that copy a file's chunks and then act on its name must not lose a
// version another writer commits while they copy. A metadata rewrite (utime,
// setExtendedAttributes, a PROPPATCH) committed the older bytes over it, silently
// reverting an acknowledged write; a rename deleted it from the source after copying
// the older one; a conditional write (If-Match) judged only the version it started
// from. Now the rewrite stops with Busy ("changed meanwhile"), the rename leaves the
// newer version at the source (and succeeds: its copy is already at the destination),
// and writeFile's precondition is evaluated again after the upload: the newer version stays.

import { assert, assertEquals } from "../support/assert.ts";
import { withWriterRace } from "./support/writer_race.ts";

const OLD = new Uint8Array(20_000).fill(1); // 5 chunks of 4 KiB: the copy takes PutChunks

Deno.test("a metadata rewrite never commits over a version written while it copied", async () => {
  await withWriterRace("rewrite-race", async (race) => {
    const { fs, other, arm } = race;
    await fs.writeFile("/f.bin", OLD);
    // Another client replaces the file while the copy runs.
    arm(() => other.writeTextFile("/f.bin", "the other writer's").then(() => {}), ["putChunk"]);
    let error: unknown;
    await fs.utime("/f.bin", new Date(1000)).catch((e) => error = e);
    assert(race.raced, "the other writer ran");
    assert(error instanceof Deno.errors.Busy, `Busy, got ${error}`);
    assertEquals(await other.readTextFile("/f.bin"), "the other writer's");

    // Without a race: the rewrite goes through, the bytes unchanged.
    await fs.writeFile("/g.bin", OLD);
    await fs.setExtendedAttributes("/g.bin", (current) => ({ ...current, "user.tag": "blue" }));
    await fs.utime("/g.bin", new Date(2000));
    assertEquals(await race.fresh().readFile("/g.bin"), OLD);
    assertEquals((await race.fresh().stat("/g.bin")).mtime?.getTime(), 2000);
  });
});

Deno.test("a rename never deletes a version written at its source while it copied", async () => {
  await withWriterRace("rename-race", async (race) => {
    const { fs, other, arm } = race;
    await fs.writeFile("/src.bin", OLD);
    // Another client replaces the source while the move copies it.
    arm(() => other.writeTextFile("/src.bin", "the other writer's").then(() => {}), ["putChunk"]);
    // The newer write counts as coming after the move: the move succeeds (it had
    // already changed the destination), the newer version stays at the source.
    await fs.rename("/src.bin", "/dst.bin");
    assert(race.raced, "the other writer ran");
    assertEquals(await other.readTextFile("/src.bin"), "the other writer's");
    assertEquals(await other.readFile("/dst.bin"), OLD);

    // Without a race: moved.
    await fs.writeFile("/a.bin", OLD);
    await fs.rename("/a.bin", "/b.bin");
    assertEquals(await race.fresh().exists("/a.bin"), false);
    assertEquals(await race.fresh().readFile("/b.bin"), OLD);
  });
});

Deno.test("writeFile precondition sees a version written during the upload and can cancel the write", async () => {
  await withWriterRace("precondition-race", async (race) => {
    const { fs, other, arm } = race;
    await fs.writeFile("/f.bin", OLD);
    const expected = (await fs.stat("/f.bin")).etag;
    // Another client replaces the file during this upload.
    arm(() => other.writeTextFile("/f.bin", "the other writer's").then(() => {}), ["putChunk"]);
    const seen: (string | undefined)[] = [];
    const unless = (current: { etag?: string } | undefined) => {
      seen.push(current?.etag);
      if (current?.etag !== expected) throw new Error("precondition failed");
    };
    let error: unknown;
    await fs.writeFile("/f.bin", new Uint8Array(20_000).fill(3), { precondition: unless })
      .catch((e) => error = e);
    assert(race.raced, "the other writer ran");
    assertEquals((error as Error)?.message, "precondition failed");
    assertEquals(seen.length, 1);
    assert(seen[0] !== expected, "the precondition saw the other writer's version");
    assertEquals(await other.readTextFile("/f.bin"), "the other writer's");

    // Holding: the write goes through.
    const now = (await other.stat("/f.bin")).etag;
    await fs.writeFile("/f.bin", OLD, {
      precondition: (current) => assertEquals(current?.etag, now),
    });
    assertEquals(await race.fresh().readFile("/f.bin"), OLD);
    let refused = false;
    await fs.writeFile("/f.bin", OLD, { append: true, precondition: () => {} })
      .catch((e) => refused = e instanceof TypeError);
    assert(refused, "precondition with append is a TypeError");
  });
});
