// The warm-up of webdav/serve/warm_up.ts: a full round of requests on a throwaway
// store that leaves nothing behind, skipped without a prompt where temporary
// files may not be written; and a served store, its access log and its folder
// listing show nothing of it.

import { warmUp } from "../../../webdav/serve/warm_up.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { freePort, startServe } from "../support/serve_process.ts";

/** Runs `fn` with TMPDIR pointing at a new, empty directory; removes it after. */
async function withTemporaryDirectory(fn: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "backupfs-warm-up-test-" });
  const before = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", tmp);
  try {
    await fn(tmp);
  } finally {
    if (before === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", before);
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("warm-up: every request succeeds, and its store is deleted afterwards", async () => {
  await withTemporaryDirectory(async (tmp) => {
    const requests = await warmUp({ files: 30, listings: 4 });
    // MKCOL, 30 PUTs, 4 PROPFINDs, 20 GET/HEADs, PROPPATCH, LOCK, UNLOCK, MOVE, DELETE:
    // a failed request would have ended it early.
    assertEquals(requests, 1 + 30 + 4 + 20 + 5);
    assertEquals(await Array.fromAsync(Deno.readDir(tmp)), []);
  });
});

Deno.test("warm-up: by default, 40 listings of 100 files, all succeeding (the number of listings is what compiles the listing code)", async () => {
  await withTemporaryDirectory(async (tmp) => {
    assertEquals(await warmUp(), 1 + 100 + 40 + 20 + 5);
    assertEquals(await Array.fromAsync(Deno.readDir(tmp)), []);
  });
});

Deno.test("warm-up: the leftover of a warm-up killed an hour ago is removed, a recent one kept", async () => {
  await withTemporaryDirectory(async (tmp) => {
    const old = `${tmp}/backupfs-warm-up-killed`;
    const recent = `${tmp}/backupfs-warm-up-running`;
    const other = `${tmp}/someone-else`;
    for (const dir of [old, recent, other]) await Deno.mkdir(`${dir}/data`, { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
    await Deno.utime(old, twoHoursAgo, twoHoursAgo);
    await Deno.utime(other, twoHoursAgo, twoHoursAgo);
    assertEquals(await warmUp({ files: 2, listings: 1 }), 1 + 2 + 1 + 2 + 5);
    const left = (await Array.fromAsync(Deno.readDir(tmp))).map((entry) => entry.name).sort();
    assertEquals(left, ["backupfs-warm-up-running", "someone-else"]);
  });
});

Deno.test("warm-up: a served store, its listing and its access log show nothing of it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-warm-up-serve-" });
  try {
    const tmp = `${dir}/tmp`;
    await Deno.mkdir(tmp);
    const log = `${dir}/access.log`;
    const port = freePort();
    const serve = await startServe(
      ["--listen", `127.0.0.1:${port}`, "--data", `${dir}/data`, "--access-log", log],
      { TMPDIR: tmp },
    );
    try {
      const listing = await fetch(`${serve.origin}/`, {
        method: "PROPFIND",
        headers: { Depth: "1" },
      });
      assertEquals(listing.status, 207);
      const xml = await listing.text();
      assertEquals(xml.match(/<D:response>/g)?.length, 1, `only / itself:\n${xml}`);
      assert(!xml.includes("warm"), xml);
    } finally {
      await serve.stop();
    }
    const lines = (await Deno.readTextFile(log)).trim().split("\n");
    assertEquals(lines.length, 1, lines.join("\n")); // the PROPFIND above, nothing else
    assert(lines[0].includes('"PROPFIND / HTTP/1.1" 207'), lines[0]);
    assertEquals(await Array.fromAsync(Deno.readDir(tmp)), []); // warmed up, and cleaned up
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("warm-up: a temporary directory that cannot be used only skips it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-warm-up-serve-" });
  try {
    const notADirectory = `${dir}/file`;
    await Deno.writeTextFile(notADirectory, "");
    await withTemporaryDirectory(async () => {
      Deno.env.set("TMPDIR", notADirectory);
      assertEquals(await warmUp({ files: 3, listings: 1 }), 0);
    });
    const serve = await startServe(
      ["--listen", `127.0.0.1:${freePort()}`, "--data", `${dir}/data`],
      { TMPDIR: notADirectory },
    );
    try {
      const put = await fetch(`${serve.origin}/a.txt`, { method: "PUT", body: "served" });
      assertEquals(put.status, 201);
      await put.body?.cancel();
      assertEquals(await (await fetch(`${serve.origin}/a.txt`)).text(), "served");
    } finally {
      await serve.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
