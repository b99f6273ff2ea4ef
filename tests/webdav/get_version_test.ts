// GET reads the version it announced: a file overwritten between the handler's stat
// (Content-Length, ETag, Content-Range) and its read still sends the stat's version,
// whole, so no client takes one version's bytes under another's length or ETag. Before
// the fix, the body came from the new version: a length that did not match (the
// connection reset mid-body) or, for equal sizes, new bytes under the old ETag.

import { assert, assertEquals } from "../support/assert.ts";
import { type RacingFS, withRacingDav } from "./support/racing_fs.ts";

const OLD = new Uint8Array(10_000).map((_, i) => (i * 7) % 251);
const SHORTER = new Uint8Array(3_000).fill(1);
const SAME_SIZE = new Uint8Array(10_000).fill(2);

/** After the next stat of `path`: `next` written there, or the file removed. */
function raceOn(fs: RacingFS, path: string, next: Uint8Array | "remove"): void {
  fs.afterNextStat(path, async () => {
    if (next === "remove") await fs.remove(path);
    else await fs.writeFile(path, next);
  });
}

for (
  const [label, raceWith] of [
    ["overwritten by a shorter file", SHORTER],
    ["overwritten by a file of the same size", SAME_SIZE],
    ["removed", "remove"],
  ] as const
) {
  Deno.test(`GET: a file ${label} after the stat sends the stat's version whole`, async () => {
    await withRacingDav(async (fs, fetch) => {
      await fs.writeFile("/f.bin", OLD);
      const etag = `"${(await fs.stat("/f.bin")).etag}"`;

      raceOn(fs, "/f.bin", raceWith);
      const full = await fetch(new Request("http://h/f.bin"));
      assertEquals(full.status, 200);
      assertEquals(full.headers.get("etag"), etag);
      assertEquals(full.headers.get("content-length"), String(OLD.length));
      assertEquals(new Uint8Array(await full.arrayBuffer()), OLD);
      assertEquals(fs.pending("/f.bin"), false, "the race ran");
    });
  });
}

Deno.test("GET: a single range and a multipart range read the stat's version", async () => {
  await withRacingDav(async (fs, fetch) => {
    await fs.writeFile("/f.bin", OLD);
    const etag = `"${(await fs.stat("/f.bin")).etag}"`;

    raceOn(fs, "/f.bin", SHORTER);
    const single = await fetch(
      new Request("http://h/f.bin", { headers: { Range: "bytes=5000-8999" } }),
    );
    assertEquals(single.status, 206);
    assertEquals(single.headers.get("etag"), etag);
    assertEquals(single.headers.get("content-range"), `bytes 5000-8999/${OLD.length}`);
    assertEquals(new Uint8Array(await single.arrayBuffer()), OLD.subarray(5000, 9000));

    await fs.writeFile("/g.bin", OLD);
    raceOn(fs, "/g.bin", SAME_SIZE);
    const multi = await fetch(
      new Request("http://h/g.bin", { headers: { Range: "bytes=0-9,9000-9009" } }),
    );
    assertEquals(multi.status, 206);
    const text = new TextDecoder("latin1").decode(await multi.arrayBuffer());
    const latin1 = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);
    assert(text.includes(latin1(OLD.subarray(0, 10))), "first part from the old version");
    assert(text.includes(latin1(OLD.subarray(9000, 9010))), "second part from the old version");
    assert(!text.includes(latin1(SAME_SIZE.subarray(0, 10))), "nothing of the new version");
  });
});

Deno.test("readStream: version pins the read to a stat's version; a directory's is refused", async () => {
  await withRacingDav(async (fs) => {
    await fs.writeFile("/f.bin", OLD);
    const info = await fs.stat("/f.bin");
    await fs.writeFile("/f.bin", SHORTER);
    const pinned = await fs.readStream("/f.bin", { version: info, start: 100, end: 200 });
    assertEquals(new Uint8Array(await new Response(pinned).arrayBuffer()), OLD.subarray(100, 200));
    await fs.remove("/f.bin");
    const after = await fs.readStream("/f.bin", { version: info });
    assertEquals(new Uint8Array(await new Response(after).arrayBuffer()), OLD);
    // Without a version: the current state (nothing there now).
    let notFound = false;
    await fs.readStream("/f.bin").catch((error) =>
      notFound = error instanceof Deno.errors.NotFound
    );
    assert(notFound, "no version given: the path's current state");

    await fs.mkdir("/d");
    const directory = await fs.stat("/d");
    let refused = false;
    await fs.readStream("/d", { version: directory }).catch((error) =>
      refused = error instanceof Error
    );
    assert(refused, "a directory's info is refused");
  });
});
