// PROPFIND Depth 1 listings answered at once are bounded: beyond the bound they wait
// their turn (and all complete), one that waits too long is 503 with Retry-After, and
// a reply that ends, fails or is cancelled gives its turn back.

import { BackupFS } from "../../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { createWebDavApp, type WebDavOptions } from "../../webdav/mod.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";

async function withApp(
  options: WebDavOptions,
  body: (call: (path: string, depth: string) => Promise<Response>, fs: BackupFS) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-listings-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  try {
    const fs = new BackupFS(store, { jobId: "listings" });
    const dav = createWebDavApp(fs, { onError: () => {}, ...options });
    await fs.mkdir("/d");
    for (let i = 0; i < 5; i++) await fs.writeTextFile(`/d/f${i}.txt`, "x");
    await body(
      (path, depth) =>
        dav.fetch(
          new Request(`http://localhost${path}`, { method: "PROPFIND", headers: { Depth: depth } }),
        ),
      fs,
    );
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("PROPFIND: beyond the listing bound a Depth 1 waits, then 503 with Retry-After; a cancelled reply gives its turn back", async () => {
  await withApp({ listings: { max: 1, waitMs: 200 } }, async (call) => {
    const first = await call("/d/", "1"); // its reply is not read: it holds the turn
    assertEquals(first.status, 207);
    const second = await call("/d/", "1");
    assertEquals(second.status, 503);
    assertEquals(second.headers.get("retry-after"), "5");
    await second.body?.cancel();
    // Depth 0 needs no turn.
    const shallow = await call("/d/", "0");
    assertEquals(shallow.status, 207);
    await shallow.body?.cancel();
    await first.body!.cancel();
    const third = await call("/d/", "1");
    assertEquals(third.status, 207);
    assertEquals((await third.text()).match(/<D:response>/g)?.length, 6);
    // A reply read to its end gives the turn back too.
    const fourth = await call("/d/", "1");
    assertEquals(fourth.status, 207);
    assertMatch(await fourth.text(), /f4\.txt/);
  });
});

Deno.test("PROPFIND: Depth 1 listings beyond the bound wait their turn and all complete", async () => {
  await withApp({ listings: { max: 2, waitMs: 20_000 } }, async (call) => {
    const replies = await Promise.all(Array.from({ length: 12 }, async () => {
      const response = await call("/d/", "1");
      return {
        status: response.status,
        members: (await response.text()).split("<D:response>").length - 1,
      };
    }));
    for (const reply of replies) assertEquals(reply, { status: 207, members: 6 });
  });
});
