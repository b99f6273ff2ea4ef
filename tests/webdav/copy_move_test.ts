import { withRacingDav } from "./support/racing_fs.ts";
import { assert, assertEquals, davTest, sendStatus } from "./support/dav_server.ts";

const send = sendStatus;

davTest(
  "COPY: 201 new, 204 replaced, 412 with Overwrite F, 409 without parent, 403 onto itself, 502 elsewhere",
  async (dav) => {
    await dav.fs.writeTextFile("/a.txt", "A");
    await dav.fs.writeTextFile("/b.txt", "B");
    const to = (path: string) => ({ Destination: `${dav.base}${path}` });
    assertEquals(await send(dav, "COPY", "/a.txt", to("c.txt")), 201);
    assertEquals(await dav.fs.readTextFile("/c.txt"), "A");
    assertEquals(await send(dav, "COPY", "/a.txt", { ...to("b.txt"), Overwrite: "F" }), 412);
    assertEquals(await dav.fs.readTextFile("/b.txt"), "B");
    assertEquals(await send(dav, "COPY", "/a.txt", { ...to("b.txt"), Overwrite: "T" }), 204);
    assertEquals(await dav.fs.readTextFile("/b.txt"), "A");
    assertEquals(await send(dav, "COPY", "/a.txt", to("no/parent.txt")), 409);
    assertEquals(await send(dav, "COPY", "/a.txt", to("a.txt")), 403);
    assertEquals(
      await send(dav, "COPY", "/a.txt", { Destination: "http://example.invalid/x" }),
      502,
    );
    // A path-only Destination is on this server.
    assertEquals(await send(dav, "COPY", "/a.txt", { Destination: "/d%20d.txt" }), 201);
    assertEquals(await dav.fs.readTextFile("/d d.txt"), "A");
    assertEquals(await send(dav, "COPY", "/a.txt", {}), 400);
    assertEquals(await send(dav, "COPY", "/a.txt", { ...to("e"), Overwrite: "maybe" }), 400);
    assertEquals(await send(dav, "COPY", "/a.txt", { ...to("e"), Depth: "1" }), 400);
    assertEquals(await send(dav, "COPY", "/missing", to("e")), 404);
  },
);

davTest(
  "COPY of a collection: Depth infinity copies the tree, Depth 0 only the collection and its properties",
  async (dav) => {
    await dav.fs.mkdir("/src/sub", { recursive: true });
    await dav.fs.writeTextFile("/src/sub/f.txt", "f");
    await dav.fs.setExtendedAttributes("/src", () => ({
      properties: { "{urn:x}p": '<p xmlns="urn:x">v</p>' },
    }));
    assertEquals(await send(dav, "COPY", "/src/", { Destination: "/deep/" }), 201);
    assertEquals(await dav.fs.readTextFile("/deep/sub/f.txt"), "f");
    assertEquals(await send(dav, "COPY", "/src/", { Destination: "/shallow/", Depth: "0" }), 201);
    assert((await dav.fs.stat("/shallow")).isDirectory);
    const members = [];
    for await (const entry of dav.fs.readDir("/shallow")) members.push(entry.name);
    assertEquals(members, []);
    assertEquals(
      (await dav.fs.getExtendedAttributes("/shallow")).properties,
      { "{urn:x}p": '<p xmlns="urn:x">v</p>' },
    );
    // Into itself is refused.
    assertEquals(await send(dav, "COPY", "/src/", { Destination: "/src/sub/again/" }), 403);
    // Replacing a non-empty collection deletes it first (RFC 4918 §9.8.4).
    await dav.fs.writeTextFile("/deep/stale.txt", "old");
    assertEquals(await send(dav, "COPY", "/src/", { Destination: "/deep/" }), 204);
    assertEquals(await dav.fs.exists("/deep/stale.txt"), false);
    assertEquals(await dav.fs.readTextFile("/deep/sub/f.txt"), "f");
  },
);

davTest(
  "MOVE: 201/204, Depth must be infinity, dead properties travel, the source is gone",
  async (dav) => {
    await dav.fs.writeTextFile("/m.txt", "M");
    await dav.fs.setExtendedAttributes("/m.txt", () => ({
      properties: { "{urn:x}p": '<p xmlns="urn:x">v</p>' },
    }));
    assertEquals(await send(dav, "MOVE", "/m.txt", { Destination: "/n.txt", Depth: "0" }), 400);
    assertEquals(await send(dav, "MOVE", "/m.txt", { Destination: "/n.txt" }), 201);
    assertEquals(await dav.fs.exists("/m.txt"), false);
    assertEquals(await dav.fs.readTextFile("/n.txt"), "M");
    assertEquals(
      (await dav.fs.getExtendedAttributes("/n.txt")).properties,
      { "{urn:x}p": '<p xmlns="urn:x">v</p>' },
    );
    await dav.fs.writeTextFile("/o.txt", "O");
    assertEquals(await send(dav, "MOVE", "/n.txt", { Destination: "/o.txt", Overwrite: "F" }), 412);
    assertEquals(await send(dav, "MOVE", "/n.txt", { Destination: "/o.txt" }), 204);
    assertEquals(await dav.fs.readTextFile("/o.txt"), "M");
    await dav.fs.mkdir("/coll/inner", { recursive: true });
    await dav.fs.writeTextFile("/coll/inner/x", "x");
    await dav.fs.mkdir("/target");
    await dav.fs.writeTextFile("/target/old", "old");
    assertEquals(await send(dav, "MOVE", "/coll/", { Destination: "/target/" }), 204);
    assertEquals(await dav.fs.readTextFile("/target/inner/x"), "x");
    assertEquals(await dav.fs.exists("/target/old"), false);
    assertEquals(await dav.fs.exists("/coll"), false);
    assertEquals(await send(dav, "MOVE", "/target/", { Destination: "/nowhere/deeper" }), 409);
  },
);

davTest("DELETE and MKCOL status codes", async (dav) => {
  assertEquals(await send(dav, "MKCOL", "/c", {}), 201);
  assertEquals(await send(dav, "MKCOL", "/c", {}), 405);
  assertEquals(await send(dav, "MKCOL", "/x/y", {}), 409);
  const withBody = await dav.request("/b", { method: "MKCOL", body: "<x/>" });
  assertEquals(withBody.status, 415);
  await withBody.body?.cancel();
  assertEquals(await dav.fs.exists("/b"), false);
  await dav.fs.writeTextFile("/c/f", "f");
  assertEquals(await send(dav, "DELETE", "/c/", {}), 204);
  assertEquals(await dav.fs.exists("/c"), false);
  assertEquals(await send(dav, "DELETE", "/c/", {}), 404);
  assertEquals(await send(dav, "DELETE", "/", {}), 403);
});

for (const method of ["COPY", "MOVE"]) {
  Deno.test(`${method} Overwrite: F is atomic: a destination another client creates after the check is kept, 412`, async () => {
    await withRacingDav(async (fs, fetch) => {
      await fs.writeTextFile("/src.txt", "source");
      // Another client creates the destination between the handler's check and its copy.
      fs.afterNextStat("/dst.txt", async () => {
        await fs.writeTextFile("/dst.txt", "the other client's");
      });
      const response = await fetch(
        new Request("http://h/src.txt", {
          method,
          headers: { Destination: "http://h/dst.txt", Overwrite: "F" },
        }),
      );
      await response.body?.cancel();
      assertEquals(fs.pending("/dst.txt"), false, "the race ran");
      assertEquals(response.status, 412);
      assertEquals(await fs.readTextFile("/dst.txt"), "the other client's");
      assertEquals(await fs.readTextFile("/src.txt"), "source");
    });
  });
}
