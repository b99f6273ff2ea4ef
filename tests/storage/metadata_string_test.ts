// MetadataString refuses control characters: C0 (U+0000–U+001F), DEL (U+007F)
// and C1 (U+0080–U+009F) — checked by validateMetadataString, the embedded store,
// and the HTTP service (IllegalArgumentException, 400). Other non-ASCII text
// (U+00A0 on, emoji) is fine.

import { createStorageApp } from "../../src/server/app.ts";
import { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { chunkChecksum, summaryChecksum } from "../../src/storage/checksum.ts";
import { IllegalArgumentException } from "../../src/storage/errors.ts";
import { validateMetadataString } from "../../src/storage/limits.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { CREDENTIALS, REGION } from "./client/support/client_fixtures.ts";
import { openTestStore } from "../support/test_store.ts";

const REFUSED = [0x00, 0x09, 0x0a, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f];
const ACCEPTED = ["\u00a0nbsp", "naïve ü", "日本", "😀", "\u2028 line separator is not C0/C1"];
const MESSAGE = "C0 controls U+0000–U+001F, DEL U+007F and C1 controls U+0080–U+009F";

Deno.test("validateMetadataString refuses C0, DEL and C1 controls, saying exactly which", () => {
  for (const code of REFUSED) {
    const value = `bfs1 t${String.fromCharCode(code)}x`;
    const error = assertThrows(() => validateMetadataString(value), IllegalArgumentException);
    assertEquals([code, error.message.includes(MESSAGE)], [code, true]);
  }
  for (const value of ACCEPTED) validateMetadataString(value);
});

async function refusesEverywhere(storage: BackupStorage, job: string): Promise<void> {
  const data = new TextEncoder().encode("x");
  for (const code of [0x85, 0x80, 0x9f, 0x01]) {
    const MetadataString = `m${String.fromCharCode(code)}`;
    const error = await assertRejects(
      () =>
        storage.putObject({
          BackupJobId: job,
          ObjectName: `put-${code}`,
          InlineChunk: data,
          InlineChunkLength: data.length,
          InlineChunkChecksum: chunkChecksum(data),
          MetadataString,
        }),
      IllegalArgumentException,
      MESSAGE,
    );
    assertEquals(error.statusCode, 400);
    const { UploadId } = await storage.startObject({
      BackupJobId: job,
      ObjectName: `notify-${code}`,
    });
    await assertRejects(
      () =>
        storage.notifyObjectComplete({
          BackupJobId: job,
          UploadId,
          ObjectChecksum: summaryChecksum([]),
          ObjectChecksumAlgorithm: "SUMMARY",
          MetadataString,
        }),
      IllegalArgumentException,
      MESSAGE,
    );
  }
  // Nothing was stored; ordinary non-ASCII text still is.
  const objects = await storage.listObjects({ StorageJobId: job });
  assertEquals(objects.ObjectList, []);
  for (const [i, MetadataString] of ACCEPTED.entries()) {
    await storage.putObject({
      BackupJobId: job,
      ObjectName: `ok-${i}`,
      InlineChunk: data,
      InlineChunkLength: data.length,
      InlineChunkChecksum: chunkChecksum(data),
      MetadataString,
    });
  }
  const listed = await storage.listObjects({ StorageJobId: job });
  assertEquals(
    (listed.ObjectList ?? []).map((o) => o.MetadataString),
    ACCEPTED.map((_, i) => i).sort((a, b) => `ok-${a}` < `ok-${b}` ? -1 : 1).map((i) =>
      ACCEPTED[i]
    ),
  );
}

Deno.test("the embedded store refuses C1 controls in MetadataString (PutObject, NotifyObjectComplete)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "metadata-string-" });
  try {
    await using store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
    await refusesEverywhere(store, "job-c1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the HTTP service refuses C1 controls in MetadataString: IllegalArgumentException, 400", async () => {
  const dir = await Deno.makeTempDir({ prefix: "metadata-string-http-" });
  const store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
  const app = createStorageApp(store, {
    credentials: new Map([[CREDENTIALS.accessKeyId, {
      secretAccessKey: CREDENTIALS.secretAccessKey,
    }]]),
    region: REGION,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  try {
    await using client = new BackupStorageClient({
      endpoint: `http://127.0.0.1:${server.addr.port}`,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    await refusesEverywhere(client, "job-c1-http");
  } finally {
    await server.shutdown();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
