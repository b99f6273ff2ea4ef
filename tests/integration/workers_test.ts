// `--workers 2` (issue #12): `deno task serve` and `deno task storage` run two
// Web Workers over one store on one port. Each test pins one keep-alive
// connection to each worker (told apart by the x-backupfs-worker header, which
// BACKUPFS_WORKER_HEADER=1 turns on) and checks that locks, the metadata cache
// and the store hold across them, then that SIGTERM ends it all with exit 0.

import { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { GATEWAY_KEYS, writeGatewayCredentials } from "../support/gateway_process.ts";
import { putSmall } from "../storage/store/support/store_fixtures.ts";
import { connectionPerWorker, type PinnedConnection } from "./support/pinned_connection.ts";
import { type RunningCommand, startCommand } from "./support/worker_command.ts";

const TAG = { BACKUPFS_WORKER_HEADER: "1" };
const LOCKINFO = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">` +
  `<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`;
const PROPFIND_NAMES = `<?xml version="1.0" encoding="utf-8"?>` +
  `<D:propfind xmlns:D="DAV:"><D:prop><D:getcontentlength/></D:prop></D:propfind>`;

/** A WebDAV request through one pinned connection; checks the worker that answered. */
async function dav(
  connection: { pinned: PinnedConnection; origin: string; worker: number },
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await connection.pinned.fetch(`${connection.origin}${path}`, {
    method,
    ...init,
  });
  const text = await response.text();
  assertEquals(response.headers.get("x-backupfs-worker"), String(connection.worker));
  return { status: response.status, text, headers: response.headers };
}

/** Serves a temporary store with --workers 2; `fn` gets a connection to each worker. */
async function withServeWorkers(
  fn: (
    a: { pinned: PinnedConnection; origin: string; worker: number },
    b: { pinned: PinnedConnection; origin: string; worker: number },
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "workers_serve_" });
  let serve: RunningCommand | undefined;
  let connections: PinnedConnection[] = [];
  try {
    serve = await startCommand(
      "serve",
      ["--workers", "2", "--listen", "127.0.0.1:0", "--data", `${dir}/data`],
      TAG,
    );
    const origin = serve.origin;
    const found = await connectionPerWorker(origin, {
      workers: 2,
      probe: (c) => c.fetch(`${origin}/`, { method: "OPTIONS" }),
    });
    connections = found.connections;
    // (1) Connections land on both workers (the kernel spreads them; 200 tries bound it).
    assertEquals(connections.length, 2, `one worker answered ${found.opened} connections`);
    await fn(
      { pinned: connections[0], origin, worker: 0 },
      { pinned: connections[1], origin, worker: 1 },
    );
  } finally {
    for (const c of connections) c.close();
    const stopped = await serve?.stop("SIGTERM");
    await Deno.remove(dir, { recursive: true });
    if (stopped) {
      // (5) SIGTERM stops every worker and the command exits 0, saying so once.
      assertEquals(stopped.code, 0, stopped.stderr);
      assertEquals(stopped.stderr.match(/shutting down/g)?.length, 1, stopped.stderr);
      assert(!/died|giving up/.test(stopped.stderr), stopped.stderr);
    }
  }
}

Deno.test("serve --workers 2: a file written through one worker is at once read, stat'ed and listed through the other; a delete at once a 404", async () => {
  await withServeWorkers(async (a, b) => {
    // Worker B looks first: its cache now holds "absent" and the root's listing.
    assertEquals((await dav(b, "GET", "/note.txt")).status, 404);
    assertEquals((await dav(b, "HEAD", "/note.txt")).status, 404);
    const before = await dav(b, "PROPFIND", "/", {
      body: PROPFIND_NAMES,
      headers: { Depth: "1", "Content-Type": "application/xml" },
    });
    assertEquals(before.status, 207);
    assert(!before.text.includes("note.txt"));

    // Written through A, then at once (no sleep) through B.
    assertEquals((await dav(a, "PUT", "/note.txt", { body: "first" })).status, 201);
    const read = await dav(b, "GET", "/note.txt");
    assertEquals([read.status, read.text], [200, "first"]);
    const stat = await dav(b, "PROPFIND", "/note.txt", {
      body: PROPFIND_NAMES,
      headers: { Depth: "0", "Content-Type": "application/xml" },
    });
    assertEquals(stat.status, 207);
    assertMatch(stat.text, /getcontentlength>5</);
    const listed = await dav(b, "PROPFIND", "/", {
      body: PROPFIND_NAMES,
      headers: { Depth: "1", "Content-Type": "application/xml" },
    });
    assert(listed.text.includes("/note.txt"), listed.text);

    // Replaced through A: B reads the new bytes, not the version it looked up.
    assertEquals((await dav(a, "PUT", "/note.txt", { body: "second!" })).status, 204);
    const reread = await dav(b, "GET", "/note.txt");
    assertEquals([reread.status, reread.text], [200, "second!"]);
    assertEquals((await dav(b, "HEAD", "/note.txt")).headers.get("content-length"), "7");

    // Deleted through A: at once a 404 through B, and gone from B's listing.
    assertEquals((await dav(a, "DELETE", "/note.txt")).status, 204);
    assertEquals((await dav(b, "GET", "/note.txt")).status, 404);
    const after = await dav(b, "PROPFIND", "/", {
      body: PROPFIND_NAMES,
      headers: { Depth: "1", "Content-Type": "application/xml" },
    });
    assert(!after.text.includes("note.txt"), after.text);

    // A directory made through B is at once usable through A.
    assertEquals((await dav(b, "GET", "/docs/")).status, 404);
    assertEquals((await dav(a, "GET", "/docs/")).status, 404);
    assertEquals((await dav(b, "MKCOL", "/docs")).status, 201);
    assertEquals((await dav(a, "PUT", "/docs/in.txt", { body: "in" })).status, 201);
    assertEquals((await dav(b, "GET", "/docs/in.txt")).text, "in");
  });
});

Deno.test("serve --workers 2: a lock taken through one worker is honoured through the other", async () => {
  await withServeWorkers(async (a, b) => {
    assertEquals((await dav(a, "PUT", "/locked.txt", { body: "v1" })).status, 201);
    const locked = await dav(a, "LOCK", "/locked.txt", {
      headers: { "Content-Type": "application/xml", Timeout: "Second-600" },
      body: LOCKINFO,
    });
    assertEquals(locked.status, 200);
    const token = locked.headers.get("Lock-Token");
    assert(token);
    assertEquals((await dav(b, "PUT", "/locked.txt", { body: "by b" })).status, 423);
    assertEquals((await dav(b, "DELETE", "/locked.txt")).status, 423);
    assertEquals(
      (await dav(b, "PUT", "/locked.txt", { body: "by b", headers: { If: `(${token})` } }))
        .status,
      204,
    );
    assertEquals((await dav(a, "GET", "/locked.txt")).text, "by b");
    assertEquals(
      (await dav(b, "UNLOCK", "/locked.txt", { headers: { "Lock-Token": token } })).status,
      204,
    );
    assertEquals((await dav(a, "PUT", "/locked.txt", { body: "by a" })).status, 204);
  });
});

Deno.test("storage --workers 2: an object written through one worker's connection is listed and read through the other's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "workers_storage_" });
  const credentials = await writeGatewayCredentials(dir);
  let storage: RunningCommand | undefined;
  let connections: PinnedConnection[] = [];
  const clients: BackupStorageClient[] = [];
  try {
    storage = await startCommand(
      "storage",
      [
        "--workers",
        "2",
        "--listen",
        "127.0.0.1:0",
        "--data",
        `${dir}/data`,
        "--credentials",
        credentials,
      ],
      TAG,
    );
    const origin = storage.origin;
    ({ connections } = await connectionPerWorker(origin, {
      workers: 2,
      probe: (c) => c.fetch(`${origin}/`),
    }));
    assertEquals(connections.length, 2);
    const answeredBy: string[][] = [[], []];
    for (const [i, pinned] of connections.entries()) {
      clients.push(
        new BackupStorageClient({
          endpoint: origin,
          region: "us-east-1",
          credentials: GATEWAY_KEYS,
          fetch: async (input, init) => {
            const response = await pinned.fetch(input, init);
            answeredBy[i].push(response.headers.get("x-backupfs-worker") ?? "none");
            return response;
          },
        }),
      );
    }
    const [a, b] = clients;
    const data = new TextEncoder().encode("through worker 0\n".repeat(100));
    await putSmall(a, "workers", "from-a", data);
    const listed = await b.listObjects({ StorageJobId: "workers" });
    assertEquals(listed.ObjectList.map((o) => o.Name), ["from-a"]);
    const token = listed.ObjectList[0].ObjectToken;
    const metadata = await b.getObjectMetadata({ StorageJobId: "workers", ObjectToken: token });
    assertEquals(metadata.MetadataString, undefined);
    const chunks = await b.listChunks({ StorageJobId: "workers", ObjectToken: token });
    assertEquals(chunks.ChunkList.length, 1);
    const chunk = await b.getChunk({
      StorageJobId: "workers",
      ChunkToken: chunks.ChunkList[0].ChunkToken,
    });
    assertEquals(new Uint8Array(await new Response(chunk.Data).arrayBuffer()), data);
    assertEquals(new Set(answeredBy[0]), new Set(["0"]));
    assertEquals(new Set(answeredBy[1]), new Set(["1"]));
  } finally {
    for (const c of clients) await c.close();
    for (const c of connections) c.close();
    const stopped = await storage?.stop("SIGTERM");
    await Deno.remove(dir, { recursive: true });
    if (stopped) assertEquals(stopped.code, 0, stopped.stderr);
  }
});

Deno.test("serve --workers 2: SIGTERM lets an upload in flight finish, then every worker stops and the command exits 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "workers_serve_" });
  const serve = await startCommand(
    "serve",
    ["--workers", "2", "--listen", "127.0.0.1:0", "--data", `${dir}/data`],
  );
  let conn: Deno.TcpConn | undefined;
  try {
    const url = new URL(serve.origin);
    conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
    const encoder = new TextEncoder();
    // Expect: 100-continue tells when a worker has the request (then it is in flight).
    await conn.write(encoder.encode(
      `PUT /slow.txt HTTP/1.1\r\nhost: ${url.host}\r\ncontent-length: 10\r\n` +
        `expect: 100-continue\r\n\r\n`,
    ));
    const interim = new Uint8Array(1024);
    const got = await conn.read(interim);
    assertMatch(new TextDecoder().decode(interim.subarray(0, got ?? 0)), /^HTTP\/1\.1 100 /);
    await conn.write(encoder.encode("hello"));
    serve.signal("SIGTERM");
    assert(await serve.stderrMatches(/webdav: shutting down/));
    await conn.write(encoder.encode("world"));
    const answer = new Uint8Array(4096);
    const n = await conn.read(answer);
    assertMatch(new TextDecoder().decode(answer.subarray(0, n ?? 0)), /^HTTP\/1\.1 201 /);
  } finally {
    conn?.close();
    const stopped = await serve.stop();
    assertEquals(stopped.code, 0, stopped.stderr);
    // The upload was kept: a one-process server over the store reads it.
    const again = await startCommand(
      "serve",
      ["--workers", "1", "--listen", "127.0.0.1:0", "--data", `${dir}/data`],
    );
    try {
      assertEquals(await (await fetch(`${again.origin}/slow.txt`)).text(), "helloworld");
    } finally {
      assertEquals((await again.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  }
});
