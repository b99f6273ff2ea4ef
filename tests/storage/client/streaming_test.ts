// Streaming payloads: a several-MiB ReadableStream goes up as it is produced,
// GetChunk comes back as a stream, and a truncated GetChunk body is an error.

import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects } from "../../support/assert.ts";
import {
  json,
  readAll,
  sha256Base64,
  startRawServer,
  startServer,
  testClient,
  verifySignature,
  writeRaw,
} from "./support/client_fixtures.ts";

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;

function piece(i: number): Uint8Array {
  const bytes = new Uint8Array(PIECE);
  for (let j = 0; j < PIECE; j += 4096) bytes[j] = (i * 31 + j) & 0xff;
  bytes[PIECE - 1] = i & 0xff;
  return bytes;
}

Deno.test("PutChunk streams a 8 MiB ReadableStream as it is produced, intact", async () => {
  const total = 8 * MiB;
  const pieces = total / PIECE;
  const expected = createHash("sha256");
  for (let i = 0; i < pieces; i++) expected.update(piece(i));
  const checksum = expected.digest("base64");

  const { promise: serverStarted, resolve: markStarted } = Promise.withResolvers<void>();
  let received = 0;
  const hash = createHash("sha256");
  let contentLength: string | null = "unset";
  let authorization: string | null = null;
  let payloadHash: string | null = null;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    contentLength = req.headers.get("content-length");
    authorization = req.headers.get("authorization");
    payloadHash = req.headers.get("x-amz-content-sha256");
    const reader = req.body!.getReader();
    for (let i = 0; i < 1_000_000; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      hash.update(value);
      markStarted();
    }
    return json({ ChunkChecksum: hash.digest("base64"), ChunkChecksumAlgorithm: "SHA256" });
  });
  try {
    await using client = testClient(`http://127.0.0.1:${server.addr.port}`);
    let produced = 0;
    let fallback: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (produced === pieces / 2) {
          // The second half is produced only once the server has received bytes:
          // a client that buffered the whole body first would never get here.
          const outcome = await Promise.race([
            serverStarted.then(() => "streamed"),
            new Promise<string>((resolve) => {
              fallback = setTimeout(() => resolve("buffered"), 20_000);
            }),
          ]);
          clearTimeout(fallback);
          if (outcome !== "streamed") {
            controller.error(new Error("the client buffered the body instead of streaming it"));
            return;
          }
        }
        if (produced === pieces) {
          controller.close();
          return;
        }
        controller.enqueue(piece(produced++));
      },
    });
    const out = await client.putChunk({
      BackupJobId: "job",
      UploadId: "up",
      ChunkIndex: 3,
      Data: body,
      Length: total,
      Checksum: checksum,
      ChecksumAlgorithm: "SHA256",
    });
    assertEquals(received, total);
    assertEquals(out.ChunkChecksum, checksum);
    assertEquals(out.$metadata.attempts, 1);
    assertEquals(contentLength, null); // streamed (chunked), not buffered with a length
    assertEquals(payloadHash, "UNSIGNED-PAYLOAD");
    assert(String(authorization).startsWith("AWS4-HMAC-SHA256 "));
  } finally {
    await server.shutdown();
  }
});

Deno.test("GetChunk streams an 8 MiB body back", async () => {
  const total = 8 * MiB;
  const pieces = total / PIECE;
  const expected = createHash("sha256");
  for (let i = 0; i < pieces; i++) expected.update(piece(i));
  const checksum = expected.digest("base64");
  await using server = startServer(() => {
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i === pieces) controller.close();
        else controller.enqueue(piece(i++));
      },
    });
    return new Response(stream, {
      headers: {
        "x-amz-data-length": String(total),
        "x-amz-checksum": checksum,
        "x-amz-checksum-algorithm": "SHA256",
      },
    });
  });
  await using client = testClient(server.url);
  const out = await client.getChunk({ StorageJobId: "job", ChunkToken: "tok" });
  assertEquals(out.Length, total);
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of out.Data) {
    size += chunk.byteLength;
    hash.update(chunk);
  }
  assertEquals(size, total);
  assertEquals(hash.digest("base64"), checksum);
  await verifySignature(server.requests[0]);
});

Deno.test("GetChunk: a body shorter than x-amz-data-length makes Data error", async () => {
  await using server = startServer(() =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(5));
          controller.close();
        },
      }),
      { headers: { "x-amz-data-length": "10", "x-amz-checksum": "c" } },
    )
  );
  await using client = testClient(server.url);
  const out = await client.getChunk({ StorageJobId: "job", ChunkToken: "tok" });
  assertEquals(out.Length, 10);
  await assertRejects(() => readAll(out.Data), Error, "5 of 10 bytes");
});

Deno.test("GetChunk: a body longer than x-amz-data-length makes Data error", async () => {
  await using server = startServer(() =>
    new Response(new Uint8Array(8), { headers: { "x-amz-data-length": "3" } })
  );
  await using client = testClient(server.url);
  const out = await client.getChunk({ StorageJobId: "job", ChunkToken: "tok" });
  await assertRejects(() => readAll(out.Data), Error, "longer than");
});

Deno.test("GetChunk: a connection cut mid-body makes Data error", async () => {
  await using server = startRawServer([async (conn) => {
    await writeRaw(
      conn,
      "HTTP/1.1 200 OK\r\ncontent-length: 10\r\nx-amz-data-length: 10\r\n" +
        "x-amz-checksum: c\r\nx-amz-checksum-algorithm: SHA256\r\n\r\nhello",
    );
  }]);
  await using client = testClient(server.url);
  const out = await client.getChunk({ StorageJobId: "job", ChunkToken: "tok" });
  await assertRejects(() => readAll(out.Data), Error);
});

Deno.test("GetChunk: cancelling Data releases the response", async () => {
  const data = new Uint8Array(2 * MiB);
  await using server = startServer(() =>
    new Response(data, {
      headers: {
        "x-amz-data-length": String(data.byteLength),
        "x-amz-checksum": sha256Base64(data),
      },
    })
  );
  await using client = testClient(server.url);
  const out = await client.getChunk({ StorageJobId: "job", ChunkToken: "tok" });
  const reader = out.Data.getReader();
  const first = await reader.read();
  assert(!first.done && first.value.byteLength > 0);
  await reader.cancel();
});
