// The cross-site refusal over real HTTP: a change with a foreign Origin (or
// Sec-Fetch-Site: cross-site) is answered 403 with a clear body and changes
// nothing; the same change from the server's own origin, or without Origin (a
// WebDAV client), goes through; reads from anywhere pass.

import { assert, assertEquals, davTest, sendStatus } from "./support/dav_server.ts";

const EVIL = "https://evil.example";

davTest(
  "origin check: changes with a foreign Origin are refused 403 and change nothing",
  async (dav) => {
    await dav.fs.writeTextFile("/keep.txt", "kept");
    const put = await dav.request("/evil.txt", {
      method: "PUT",
      headers: { Origin: EVIL },
      body: "x",
    });
    assertEquals(put.status, 403);
    const message = await put.text();
    assert(/cross-site request refused/i.test(message), message);
    assert(!(await dav.fs.exists("/evil.txt")), "the refused PUT wrote the file");

    assertEquals(await sendStatus(dav, "DELETE", "/keep.txt", { Origin: EVIL }), 403);
    assertEquals(await sendStatus(dav, "MKCOL", "/evil-dir", { Origin: EVIL }), 403);
    assertEquals(
      await sendStatus(dav, "MOVE", "/keep.txt", {
        Origin: EVIL,
        Destination: `${dav.base}moved.txt`,
      }),
      403,
    );
    assertEquals(
      await sendStatus(dav, "COPY", "/keep.txt", {
        Origin: EVIL,
        Destination: `${dav.base}copied.txt`,
      }),
      403,
    );
    assertEquals(await sendStatus(dav, "LOCK", "/keep.txt", { Origin: "null" }), 403);
    // Another port of the same host is another origin.
    const otherPort = dav.origin.replace(/:(\d+)$/, (_, port) => `:${Number(port) + 1}`);
    assertEquals(await sendStatus(dav, "DELETE", "/keep.txt", { Origin: otherPort }), 403);
    // No Origin but a browser's word that the request is cross-site.
    assertEquals(
      await sendStatus(dav, "DELETE", "/keep.txt", { "Sec-Fetch-Site": "cross-site" }),
      403,
    );

    assertEquals(await dav.fs.readTextFile("/keep.txt"), "kept");
    for (const name of ["/evil-dir", "/moved.txt", "/copied.txt"]) {
      assert(!(await dav.fs.exists(name)), `${name} exists`);
    }
    // Reads are not refused.
    const get = await dav.request("/keep.txt", { headers: { Origin: EVIL } });
    assertEquals(get.status, 200);
    assertEquals(await get.text(), "kept");
  },
);

davTest("origin check: same-origin changes and changes without Origin go through", async (dav) => {
  const same = await dav.request("/same.txt", {
    method: "PUT",
    headers: { Origin: dav.origin, "Sec-Fetch-Site": "same-origin" },
    body: "same",
  });
  assertEquals(same.status, 201);
  await same.body?.cancel();
  assertEquals(await dav.fs.readTextFile("/same.txt"), "same");
  const plain = await dav.request("/plain.txt", { method: "PUT", body: "plain" });
  assertEquals(plain.status, 201);
  await plain.body?.cancel();
  assertEquals(await dav.fs.readTextFile("/plain.txt"), "plain");
  assertEquals(await sendStatus(dav, "DELETE", "/same.txt", { Origin: dav.origin }), 204);
  assert(!(await dav.fs.exists("/same.txt")));
});

davTest(
  "origin check: the server's own origin can be given (a reverse proxy's public one)",
  async (dav) => {
    const refused = await dav.request("/direct.txt", {
      method: "PUT",
      headers: { Origin: dav.origin },
      body: "x",
    });
    assertEquals(refused.status, 403);
    await refused.body?.cancel();
    const allowed = await dav.request("/proxied.txt", {
      method: "PUT",
      headers: { Origin: "https://files.example.org" },
      body: "y",
    });
    assertEquals(allowed.status, 201);
    await allowed.body?.cancel();
    assert(!(await dav.fs.exists("/direct.txt")));
    assertEquals(await dav.fs.readTextFile("/proxied.txt"), "y");
  },
  { ownOrigin: () => "https://files.example.org" },
);
