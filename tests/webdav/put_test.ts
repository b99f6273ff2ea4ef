import { assert, assertEquals, davTest } from "./support/dav_server.ts";

davTest(
  "PUT: 201 when created, 204 when replaced, ETag of the new version, content by extension",
  async (dav) => {
    const created = await dav.request("/new.html", { method: "PUT", body: "<p>hi</p>" });
    assertEquals(created.status, 201);
    const etag1 = created.headers.get("etag");
    assertEquals(etag1, `"${(await dav.fs.stat("/new.html")).etag}"`);
    const replaced = await dav.request("/new.html", { method: "PUT", body: "<p>bye</p>" });
    assertEquals(replaced.status, 204);
    const etag2 = replaced.headers.get("etag");
    assert(etag2 && etag2 !== etag1);
    const get = await dav.request("/new.html");
    assertEquals(get.headers.get("content-type"), "text/html; charset=utf-8");
    assertEquals(get.headers.get("etag"), etag2);
    assertEquals(await get.text(), "<p>bye</p>");
    // Empty PUT (Windows creates files that way).
    const empty = await dav.request("/empty.txt", { method: "PUT" });
    assertEquals(empty.status, 201);
    assertEquals((await dav.fs.stat("/empty.txt")).size, 0);
  },
);

davTest("PUT: chunked body with X-Expected-Entity-Length streams in", async (dav) => {
  const size = 300_000;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(7_777, size - sent);
      controller.enqueue(new Uint8Array(n).fill(sent % 256));
      sent += n;
    },
  });
  const response = await dav.request("/big.bin", {
    method: "PUT",
    body,
    headers: { "X-Expected-Entity-Length": String(size) },
  });
  assertEquals(response.status, 201);
  assertEquals((await dav.fs.stat("/big.bin")).size, size);
});

davTest("PUT: X-OC-Mtime sets the mtime and is answered with X-OC-Mtime: accepted", async (dav) => {
  const response = await dav.request("/m.txt", {
    method: "PUT",
    body: "m",
    headers: { "X-OC-Mtime": "1600000000" },
  });
  assertEquals(response.status, 201);
  assertEquals(response.headers.get("x-oc-mtime"), "accepted");
  assertEquals((await dav.fs.stat("/m.txt")).mtime?.getTime(), 1_600_000_000_000);
  const get = await dav.request("/m.txt", { method: "HEAD" });
  assertEquals(get.headers.get("last-modified"), new Date(1_600_000_000_000).toUTCString());
  const bad = await dav.request("/m.txt", {
    method: "PUT",
    body: "m",
    headers: { "X-OC-Mtime": "soon" },
  });
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
  assertEquals((await dav.fs.stat("/m.txt")).mtime?.getTime(), 1_600_000_000_000);
});

davTest("PUT: 409 without a parent, 405 on a collection, 400 with Content-Range", async (dav) => {
  await dav.fs.mkdir("/dir");
  for (
    const [path, init, expected] of [
      ["/missing/x.txt", { body: "x" }, 409],
      ["/dir", { body: "x" }, 405],
      ["/dir/", { body: "x" }, 405],
      ["/dir/x", { body: "x", headers: { "Content-Range": "bytes 0-0/1" } }, 400],
    ] as const
  ) {
    const response = await dav.request(path, { method: "PUT", ...init });
    assertEquals(response.status, expected, path);
    if (expected === 405) assert(response.headers.get("allow"));
    await response.body?.cancel();
  }
  assertEquals(await dav.fs.exists("/missing"), false);
  assertEquals(await dav.fs.exists("/dir/x"), false);
});

davTest("PUT: an upload that fails midway leaves the old version", async (dav) => {
  await dav.fs.writeTextFile("/keep.txt", "old content");
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      if (pulls > 20) return controller.error(new Error("client gave up"));
      controller.enqueue(new Uint8Array(4096).fill(65));
    },
  });
  const failed = await dav.request("/keep.txt", { method: "PUT", body }).then(
    (response) => response.body?.cancel().then(() => response.status),
    () => "rejected",
  );
  assert(failed === "rejected" || (typeof failed === "number" && failed >= 400), String(failed));
  // The server keeps serving, and the old version is there.
  const after = await dav.request("/keep.txt");
  assertEquals(after.status, 200);
  assertEquals(await after.text(), "old content");
});
