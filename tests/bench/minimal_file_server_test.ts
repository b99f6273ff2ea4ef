import assert from "node:assert/strict";
import { fileOf, serveMinimalFiles } from "../../bench/support/minimal_file_server.ts";

Deno.test("minimal file server: a PUT's bytes come back whole from a GET, across pieces", async () => {
  const root = await Deno.makeTempDir();
  const server = await serveMinimalFiles(0, root);
  try {
    const base = `http://127.0.0.1:${server.port}`;
    // 9 MiB + 5: three 4 MiB pieces on the way back, the last one short.
    const bytes = new Uint8Array(9 * 1024 * 1024 + 5);
    for (let i = 0; i < bytes.length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, bytes.length)));
    }
    assert.equal((await fetch(`${base}/big.bin`, { method: "PUT", body: bytes })).status, 201);
    const back = new Uint8Array(await (await fetch(`${base}/big.bin`)).arrayBuffer());
    assert.equal(back.length, bytes.length);
    assert.deepEqual(back, bytes);
    // Replaced: 204, and the shorter body is all that is left.
    assert.equal((await fetch(`${base}/big.bin`, { method: "PUT", body: "short" })).status, 204);
    assert.equal(await (await fetch(`${base}/big.bin`)).text(), "short");
    assert.equal((await fetch(`${base}/small/`, { method: "MKCOL" })).status, 201);
    assert.equal((await fetch(`${base}/small/f.bin`, { method: "PUT", body: "x" })).status, 201);
    assert.equal(await Deno.readTextFile(`${root}/small/f.bin`), "x");
  } finally {
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("minimal file server: what it does not serve is a clear 404 or 405, nothing outside its root", async () => {
  const root = await Deno.makeTempDir();
  const server = await serveMinimalFiles(0, root);
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const status = async (path: string, init?: RequestInit) => {
      const response = await fetch(`${base}${path}`, init);
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await status("/missing.bin"), 404);
    assert.equal(await status("/"), 404);
    // (fetch resolves dot segments itself: fileOf's test below covers them.)
    assert.equal(await status("/a%2F..%2Fb", { method: "PUT", body: "x" }), 404);
    assert.equal(await status("/small/", { method: "PROPFIND" }), 405);
    assert.equal(await status("/no-dir/f.bin", { method: "PUT", body: "x" }), 404);
    assert.deepEqual([...Deno.readDirSync(root)], []);
  } finally {
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("minimal file server: only plain segments map to files under the root", () => {
  assert.equal(fileOf("/r", "/a/b.bin"), "/r/a/b.bin");
  assert.equal(fileOf("/r", "/a//b.bin?x=1"), "/r/a/b.bin");
  for (const target of ["/", "", "/..", "/a/../b", "/./a", "/a%2fb", "/a b"]) {
    assert.equal(fileOf("/r", target), undefined, target);
  }
});

Deno.test("minimal file server: a PUT stops taking the body while its writes wait, then finishes whole", async () => {
  const root = await Deno.makeTempDir();
  const server = await serveMinimalFiles(0, root);
  // Every file write waits for the gate: a disk far slower than the client.
  const gate = Promise.withResolvers<void>();
  const original = Deno.FsFile.prototype.write;
  Deno.FsFile.prototype.write = async function (this: Deno.FsFile, bytes: Uint8Array) {
    await gate.promise;
    return original.call(this, bytes);
  };
  try {
    const total = 64 * 1024 * 1024;
    const piece = new Uint8Array(256 * 1024).fill(9);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += piece.byteLength;
        controller.enqueue(piece.slice());
      },
    });
    const put = fetch(`http://127.0.0.1:${server.port}/big.bin`, {
      method: "PUT",
      body,
      duplex: "half",
    } as RequestInit);
    put.catch(() => {}); // awaited below; a failure meanwhile is not an uncaught one
    // Give the client every chance to send it all (bounded: 40 × 50 ms).
    let last = -1;
    for (let i = 0; i < 40 && pulled !== last; i++) {
      last = pulled;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Held at what the sockets buffer and 8 pieces, far from the 64 MiB sent.
    assert.ok(pulled < total / 2, `${pulled} bytes taken while no write could finish`);
    gate.resolve();
    const response = await put;
    await response.body?.cancel();
    assert.equal(response.status, 201);
    assert.equal((await Deno.stat(`${root}/big.bin`)).size, total);
  } finally {
    gate.resolve();
    Deno.FsFile.prototype.write = original;
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});
