// Closing the client: `await using`, close(), and calls after close.

import { BackupStorageClient, ClientClosedError } from "../../../src/storage/client/mod.ts";
import { assertEquals, assertRejects, assertThrows } from "../../support/assert.ts";
import { CREDENTIALS, json, startServer, testClient } from "./support/client_fixtures.ts";

Deno.test("await using closes the client; later calls fail clearly", async () => {
  await using server = startServer(() => json({ UploadId: "u" }));
  let escaped: BackupStorageClient | undefined;
  {
    await using client = testClient(server.url);
    escaped = client;
    assertEquals((await client.startObject({ BackupJobId: "j", ObjectName: "o" })).UploadId, "u");
  }
  const closed = escaped!;
  await assertRejects(
    () => closed.startObject({ BackupJobId: "j", ObjectName: "o" }),
    ClientClosedError,
    "BackupStorageClient is closed",
  );
  await assertRejects(
    () => closed.presign("GetChunk", { StorageJobId: "j", ChunkToken: "t" }),
    ClientClosedError,
  );
  await closed.close(); // idempotent
  assertEquals(server.requests.length, 1);
});

Deno.test("close() with a custom fetch, and bad constructor options", async () => {
  const client = new BackupStorageClient({
    region: "r",
    credentials: CREDENTIALS,
    fetch: () => Promise.resolve(new Response("{}")),
  });
  await client.close();
  await assertRejects(() => client.listObjects({ StorageJobId: "j" }), ClientClosedError);
  assertThrows(() => new BackupStorageClient({ endpoint: "ftp://x" }), TypeError, "http");
  assertThrows(() => new BackupStorageClient({ endpoint: "not a url" }), TypeError, "endpoint");
  assertThrows(
    () => new BackupStorageClient({ endpoint: "http://user:pw@127.0.0.1:1" }),
    TypeError,
    "user info",
  );
  assertThrows(() => new BackupStorageClient({ maxAttempts: 0 }), RangeError, "maxAttempts");
});
