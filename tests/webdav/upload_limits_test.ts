// Uploads under the connection limits and the upload memory budget: a PUT that
// stalls is abandoned after the body timeout (old version whole, nothing partial,
// its share of memory returned to the next upload); uploads beyond the budget wait
// their turn, and one that waits too long is answered 503 with Retry-After.

import { BackupFS } from "../../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { serveHttp } from "../../src/http/mod.ts";
import { createWebDavApp, type WebDavOptions } from "../../webdav/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { freePort, startServe } from "./support/serve_process.ts";

const encoder = new TextEncoder();

/** Opens a PUT of `declared` bytes, sends `sent` of them, and leaves it stalled. */
async function stalledPut(port: number, path: string, declared: number, sent: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    encoder.encode(
      `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${declared}\r\n\r\n`,
    ),
  );
  const piece = new Uint8Array(64 * 1024).fill(120);
  for (let left = sent; left > 0; left -= piece.byteLength) {
    await conn.write(piece.subarray(0, Math.min(left, piece.byteLength)));
  }
  /** Resolves once the server closed the connection (bounded by `ms`). */
  const closedWithin = async (ms: number): Promise<boolean> => {
    const buffer = new Uint8Array(4096);
    const deadline = Date.now() + ms;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        conn.read(buffer).catch(() => null),
        new Promise<"wait">((r) => timer = setTimeout(() => r("wait"), deadline - Date.now())),
      ]);
      clearTimeout(timer);
      if (n === null) return true;
      if (n === "wait") return false;
    }
    return false;
  };
  return { conn, closedWithin };
}

async function startApp(
  options: WebDavOptions,
  limits: { bodyIdleTimeoutMs: number },
) {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-upload-limits-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  const fs = new BackupFS(store, { jobId: "uploads", chunkSize: 256 * 1024 });
  const dav = createWebDavApp(fs, { onError: () => {}, ...options });
  const server = await serveHttp(dav.fetch, { hostname: "127.0.0.1", port: 0, limits });
  return {
    fs,
    port: server.addr.port,
    base: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      await server.shutdown(2000);
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("uploads: beyond the memory budget a PUT waits, then gets 503 with Retry-After; a stalled one is abandoned and its share goes to the next", async () => {
  const app = await startApp({
    // Room for one streamed upload at a time.
    uploadMemory: { totalBytes: 2 * 1024 * 1024, perUploadBytes: 2 * 1024 * 1024, waitMs: 300 },
  }, { bodyIdleTimeoutMs: 1500 });
  try {
    await app.fs.writeTextFile("/kept.txt", "the old version");
    const stalled = await stalledPut(app.port, "/kept.txt", 50_000_000, 1_000_000);
    try {
      await new Promise((r) => setTimeout(r, 200)); // the stalled PUT holds the budget
      // A second upload finds no memory free and, after the wait, is refused.
      const refused = await fetch(`${app.base}/other.bin`, {
        method: "PUT",
        body: new Uint8Array(3_000_000),
      });
      assertEquals(refused.status, 503);
      assertEquals(refused.headers.get("retry-after"), "5");
      await refused.body?.cancel();
      // The stalled upload is abandoned after the body timeout: connection closed…
      assert(await stalled.closedWithin(10_000), "the stalled upload's connection stayed open");
      // …the old version is whole and nothing partial is visible…
      assertEquals(await app.fs.readTextFile("/kept.txt"), "the old version");
      assertEquals((await app.fs.stat("/kept.txt")).size, 15);
      // …and its share of memory serves the next upload.
      const body = new Uint8Array(3_000_000).map((_, i) => i % 253);
      const accepted = await fetch(`${app.base}/other.bin`, { method: "PUT", body });
      assertEquals(accepted.status, 201);
      await accepted.body?.cancel();
      assertEquals(await app.fs.readFile("/other.bin"), body);
    } finally {
      stalled.conn.close();
    }
  } finally {
    await app.close();
  }
});

Deno.test("uploads: uploads beyond the budget wait their turn and all complete when the wait allows", async () => {
  const app = await startApp({
    uploadMemory: { totalBytes: 1024 * 1024, perUploadBytes: 1024 * 1024, waitMs: 20_000 },
  }, { bodyIdleTimeoutMs: 20_000 });
  try {
    const bodies = Array.from({ length: 6 }, (_, k) => new Uint8Array(700_000).fill(k + 1));
    const statuses = await Promise.all(bodies.map(async (body, k) => {
      const response = await fetch(`${app.base}/f${k}.bin`, { method: "PUT", body });
      await response.body?.cancel();
      return response.status;
    }));
    assertEquals(statuses, [201, 201, 201, 201, 201, 201]);
    for (const [k, body] of bodies.entries()) {
      assertEquals(await app.fs.readFile(`/f${k}.bin`), body);
    }
  } finally {
    await app.close();
  }
});

/** Sends a PUT head with `Expect: 100-continue`; the first answer, and the connection. */
async function expectingPut(port: number, path: string, length: number, extra = "") {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(
    `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${length}\r\n` +
      `Expect: 100-continue\r\n${extra}\r\n`,
  ));
  const buffer = new Uint8Array(16 * 1024);
  const n = await conn.read(buffer);
  return { conn, first: new TextDecoder().decode(buffer.subarray(0, n ?? 0)) };
}

Deno.test("uploads: a PUT sent with Expect: 100-continue is refused on its head (409, 412, 423) without its body; an accepted one gets 100, then 201", async () => {
  const app = await startApp({}, { bodyIdleTimeoutMs: 5000 });
  try {
    await app.fs.writeTextFile("/kept.txt", "the old version");
    const lock = await fetch(`${app.base}/kept.txt`, {
      method: "LOCK",
      headers: { "Content-Type": "application/xml", Timeout: "Second-60" },
      body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>' +
        "</D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>",
    });
    await lock.body?.cancel();
    assertEquals(lock.status, 200);
    const refusals: [string, string, RegExp][] = [
      ["/no/such/folder.bin", "", /^HTTP\/1\.1 409 /],
      ["/kept.txt", "", /^HTTP\/1\.1 423 /],
      ["/new.bin", 'If-Match: "no-such-etag"\r\n', /^HTTP\/1\.1 412 /],
    ];
    for (const [path, extra, status] of refusals) {
      const { conn, first } = await expectingPut(app.port, path, 50_000_000, extra);
      conn.close();
      assert(status.test(first), `${path}: ${first}`);
    }
    assertEquals(await app.fs.readTextFile("/kept.txt"), "the old version");

    const { conn, first } = await expectingPut(app.port, "/new.bin", 5);
    try {
      assertEquals(first, "HTTP/1.1 100 Continue\r\n\r\n");
      await conn.write(encoder.encode("hello"));
      const buffer = new Uint8Array(16 * 1024);
      const n = await conn.read(buffer);
      assert(/^HTTP\/1\.1 201 /.test(new TextDecoder().decode(buffer.subarray(0, n ?? 0))));
    } finally {
      conn.close();
    }
    assertEquals(await app.fs.readTextFile("/new.bin"), "hello");
  } finally {
    await app.close();
  }
});

Deno.test("serve: stalled uploads are abandoned after --body-timeout, slowloris heads after --header-timeout; the old versions stay", async () => {
  const data = await Deno.makeTempDir({ prefix: "backupfs-serve-limits-" });
  const port = freePort();
  const serve = await startServe([
    "--listen",
    `127.0.0.1:${port}`,
    "--data",
    data,
    "--body-timeout",
    "1s",
    "--header-timeout",
    "1s",
    "--chunk-size",
    "1MiB",
  ]);
  const stalled: Awaited<ReturnType<typeof stalledPut>>[] = [];
  const heads: Deno.Conn[] = [];
  try {
    for (let k = 0; k < 5; k++) {
      const put = await fetch(`${serve.origin}/doc${k}.txt`, { method: "PUT", body: `old ${k}` });
      assertEquals(put.status, 201);
    }
    for (let k = 0; k < 5; k++) {
      stalled.push(await stalledPut(port, `/doc${k}.txt`, 100 * 1024 * 1024, 3 * 1024 * 1024));
    }
    for (let k = 0; k < 20; k++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(encoder.encode("PROPFIND / HTTP/1.1\r\nHost: 127.0.0.1\r\nDep"));
      heads.push(conn);
    }
    const closed = await Promise.all(stalled.map((s) => s.closedWithin(15_000)));
    assertEquals(closed, [true, true, true, true, true]);
    const buffer = new Uint8Array(1024);
    for (const conn of heads) {
      let n: number | null = 0;
      for (let i = 0; i < 100 && n !== null; i++) n = await conn.read(buffer).catch(() => null);
      assertEquals(n, null);
    }
    for (let k = 0; k < 5; k++) {
      const got = await fetch(`${serve.origin}/doc${k}.txt`);
      assertEquals(await got.text(), `old ${k}`);
    }
  } finally {
    for (const s of stalled) s.conn.close();
    for (const conn of heads) conn.close();
    const result = await serve.stop();
    assertEquals(result.code, 0);
    await Deno.remove(data, { recursive: true });
  }
});
