// COPY and MOVE onto an ancestor of the source: the destination (which contains
// the source) must not be deleted before the source is read. Refused with 403 as
// Apache mod_dav does; nothing changes.

import { assertEquals, davTest, sendStatus } from "./support/dav_server.ts";

const send = sendStatus;

async function status(
  dav: { request(path: string, init?: RequestInit): Promise<Response> },
  method: string,
  path: string,
  body?: string,
): Promise<number> {
  const response = await dav.request(path, { method, ...(body === undefined ? {} : { body }) });
  await response.body?.cancel();
  return response.status;
}

davTest("MOVE of a collection onto its parent is 403 and loses nothing", async (dav) => {
  assertEquals(await status(dav, "MKCOL", "/m"), 201);
  assertEquals(await status(dav, "MKCOL", "/m/b"), 201);
  assertEquals(await status(dav, "PUT", "/m/b/f.txt", "inner"), 201);
  assertEquals(await status(dav, "PUT", "/m/keep.txt", "keep"), 201);
  assertEquals(await send(dav, "MOVE", "/m/b", { Destination: `${dav.base}m` }), 403);
  assertEquals(await send(dav, "MOVE", "/m/b/", { Destination: `${dav.base}m/` }), 403);
  assertEquals(await send(dav, "MOVE", "/m/b", { Destination: "/m", Overwrite: "F" }), 403);
  assertEquals(await dav.fs.readTextFile("/m/keep.txt"), "keep");
  assertEquals(await dav.fs.readTextFile("/m/b/f.txt"), "inner");
  assertEquals((await dav.fs.stat("/m")).isDirectory, true);
});

davTest("COPY of a collection onto its parent is 403 and loses nothing", async (dav) => {
  assertEquals(await status(dav, "MKCOL", "/k"), 201);
  assertEquals(await status(dav, "MKCOL", "/k/b"), 201);
  assertEquals(await status(dav, "PUT", "/k/b/f.txt", "inner"), 201);
  assertEquals(await status(dav, "PUT", "/k/keep.txt", "keep"), 201);
  assertEquals(await send(dav, "COPY", "/k/b", { Destination: `${dav.base}k` }), 403);
  assertEquals(await send(dav, "COPY", "/k/b", { Destination: `${dav.base}k`, Depth: "0" }), 403);
  assertEquals(await dav.fs.readTextFile("/k/keep.txt"), "keep");
  assertEquals(await dav.fs.readTextFile("/k/b/f.txt"), "inner");
});

davTest(
  "COPY and MOVE of a file onto an ancestor collection are 403 and lose nothing",
  async (dav) => {
    assertEquals(await status(dav, "MKCOL", "/q"), 201);
    assertEquals(await status(dav, "MKCOL", "/q/b"), 201);
    assertEquals(await status(dav, "PUT", "/q/b/f.txt", "inner"), 201);
    assertEquals(await status(dav, "PUT", "/q/keep.txt", "keep"), 201);
    assertEquals(await send(dav, "COPY", "/q/b/f.txt", { Destination: `${dav.base}q` }), 403);
    assertEquals(await send(dav, "MOVE", "/q/b/f.txt", { Destination: `${dav.base}q` }), 403);
    assertEquals(await send(dav, "COPY", "/q/b/f.txt", { Destination: `${dav.base}q/b` }), 403);
    assertEquals(await send(dav, "MOVE", "/q/b/f.txt", { Destination: `${dav.base}q/b/` }), 403);
    assertEquals(await dav.fs.readTextFile("/q/keep.txt"), "keep");
    assertEquals(await dav.fs.readTextFile("/q/b/f.txt"), "inner");
    // A sibling destination still works (and replaces as before).
    assertEquals(
      await send(dav, "COPY", "/q/b/f.txt", { Destination: `${dav.base}q/keep.txt` }),
      204,
    );
    assertEquals(await dav.fs.readTextFile("/q/keep.txt"), "inner");
    assertEquals(await send(dav, "MOVE", "/q/b", { Destination: `${dav.base}q/c` }), 201);
    assertEquals(await dav.fs.readTextFile("/q/c/f.txt"), "inner");
  },
);
