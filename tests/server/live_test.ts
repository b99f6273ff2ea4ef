// The storage app over a real EmbeddedStore behind Deno.serve: a client that
// disconnects mid-body or lies about the payload hash stores nothing, and the
// server keeps serving; streamed responses carry their Content-Length.

import { randomBytes } from "node:crypto";
import { createStorageApp } from "../../src/server/app.ts";
import { sha256Hex } from "../../src/server/body.ts";
import { chunkChecksum, summaryChecksum } from "../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { CREDENTIALS, signedRequest } from "./support/server_fixtures.ts";

async function withServer(
  fn: (ctx: { store: EmbeddedStore; host: string; errors: unknown[] }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "server-live-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  const errors: unknown[] = [];
  const app = createStorageApp(store, {
    credentials: CREDENTIALS,
    onError: (error) => errors.push(error),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  try {
    await fn({ store, host: `127.0.0.1:${server.addr.port}`, errors });
  } finally {
    await server.shutdown();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function send(request: Request): Promise<Response> {
  return await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
}

/** Completing with no chunks succeeds only if no chunk was stored. */
async function completeEmpty(store: EmbeddedStore, job: string, upload: string): Promise<void> {
  await store.notifyObjectComplete({
    BackupJobId: job,
    UploadId: upload,
    ObjectChecksum: summaryChecksum([]),
    ObjectChecksumAlgorithm: "SUMMARY",
  });
}

Deno.test("a client that disconnects mid-body stores nothing; the server keeps serving", async () => {
  await withServer(async ({ store, host }) => {
    const { UploadId } = await store.startObject({ BackupJobId: "j", ObjectName: "o" });
    const data = new Uint8Array(1000).fill(7);
    const signed = await signedRequest(`/backup-jobs/j/chunk/${UploadId}/0`, {
      method: "PUT",
      host,
      unsigned: true,
      query: { length: "1000", checksum: chunkChecksum(data), "checksum-algorithm": "SHA256" },
      body: data,
    });
    const url = new URL(signed.url);
    let head = `PUT ${url.pathname}${url.search} HTTP/1.1\r\n`;
    for (const [name, value] of signed.headers) head += `${name}: ${value}\r\n`;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(url.port) });
    const writer = conn.writable.getWriter();
    await writer.write(new TextEncoder().encode(head + "\r\n"));
    await writer.write(data.subarray(0, 400));
    await writer.close(); // the client goes away with 600 bytes missing
    await conn.readable.cancel().catch(() => {});

    // The server still answers, and chunk 0 was never stored.
    const listed = await send(await signedRequest("/restore-jobs/j/objects/list", { host }));
    assertEquals(listed.status, 200);
    await listed.body?.cancel();
    await completeEmpty(store, "j", UploadId);
  });
});

Deno.test("a PutChunk whose declared hex hash is wrong is refused and stores nothing", async () => {
  await withServer(async ({ store, host }) => {
    const { UploadId } = await store.startObject({ BackupJobId: "j", ObjectName: "o" });
    const data = new TextEncoder().encode("real bytes");
    const response = await send(
      await signedRequest(`/backup-jobs/j/chunk/${UploadId}/0`, {
        method: "PUT",
        host,
        query: {
          length: String(data.length),
          checksum: chunkChecksum(data),
          "checksum-algorithm": "SHA256",
        },
        headers: { "x-amz-content-sha256": sha256Hex(new TextEncoder().encode("other")) },
        body: data,
      }),
    );
    assertEquals(response.status, 403);
    assertEquals(response.headers.get("x-amzn-ErrorType"), "AccessDeniedException");
    await response.body?.cancel();
    await completeEmpty(store, "j", UploadId);
  });
});

Deno.test("GetChunk over HTTP streams the chunk with its Content-Length", async () => {
  await withServer(async ({ store, host, errors }) => {
    const data = new Uint8Array(randomBytes(200_000));
    const put = await send(
      await signedRequest(`/backup-jobs/j/object/a%2Fb/put-object`, {
        method: "PUT",
        host,
        unsigned: true,
        query: {
          length: String(data.length),
          checksum: chunkChecksum(data),
          "checksum-algorithm": "SHA256",
        },
        body: data,
      }),
    );
    assertEquals(put.status, 200, JSON.stringify(errors));
    await put.body?.cancel();
    const { ObjectList } = await store.listObjects({ StorageJobId: "j" });
    assertEquals(ObjectList.map((o) => o.Name), ["a/b"]);
    const { ChunkList } = await store.listChunks({
      StorageJobId: "j",
      ObjectToken: ObjectList[0].ObjectToken,
    });
    const got = await send(
      await signedRequest(`/restore-jobs/j/chunk/${encodeURIComponent(ChunkList[0].ChunkToken)}`, {
        host,
      }),
    );
    assertEquals(got.status, 200);
    assertEquals(got.headers.get("content-length"), String(data.length));
    assertEquals(got.headers.get("x-amz-checksum"), chunkChecksum(data));
    const body = new Uint8Array(await got.arrayBuffer());
    assert(body.length === data.length && body.every((b, i) => b === data[i]));
  });
});

Deno.test("a refused PutChunk with a signed, unread body is answered and its connection closed", async () => {
  await withServer(async ({ store, host }) => {
    const { UploadId } = await store.startObject({ BackupJobId: "j", ObjectName: "o" });
    const data = new Uint8Array(100_000).fill(3);
    // Signed payload (no UNSIGNED-PAYLOAD), and no checksum-algorithm: refused
    // before anything reads the body.
    const signed = await signedRequest(`/backup-jobs/j/chunk/${UploadId}/0`, {
      method: "PUT",
      host,
      query: { length: "1", checksum: "x" },
      body: data,
    });
    const url = new URL(signed.url);
    let head = `PUT ${url.pathname}${url.search} HTTP/1.1\r\nconnection: close\r\n`;
    for (const [name, value] of signed.headers) head += `${name}: ${value}\r\n`;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(url.port) });
    const writer = conn.writable.getWriter();
    await writer.write(new TextEncoder().encode(head + "\r\n"));
    await writer.write(data).catch(() => {});
    // The whole answer, up to the server closing the connection (a generous
    // deadline only detects a connection left open forever).
    const timer = setTimeout(() => conn.close(), 10_000);
    const answer = await new Response(conn.readable).text().catch(() => "");
    clearTimeout(timer);
    await writer.close().catch(() => {});
    assertEquals(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1], "400");
    assert(answer.includes("IllegalArgumentException"), answer);
  });
});
