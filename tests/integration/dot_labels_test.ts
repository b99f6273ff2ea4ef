// URI labels "." and ".." cannot travel in a URL: fetch (WHATWG URL parsing) and
// SigV4 canonicalization both remove such dot segments, so the request would
// reach a different path — e.g. PutObject of the name "." arrives as
// `PUT /backup-jobs/j/object/put-object`, which is the StartObject route for an
// object named "put-object". limits.ts says no URI label can carry them, so the
// client must refuse them with IllegalArgumentException before sending anything.

import { IllegalArgumentException } from "../../src/storage/errors.ts";
import { summaryChecksum } from "../../src/storage/checksum.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";
import { makeClient, startService } from "./support/service_fixtures.ts";

Deno.test("dot labels: '.' and '..' as job id, name, upload id or token are refused before sending", async () => {
  await using service = await startService();
  let sent = 0;
  const paths: string[] = [];
  await using client = makeClient(service.url, {
    maxAttempts: 1,
    fetch: (input, init) => {
      sent++;
      paths.push(new URL(String(input)).pathname);
      return fetch(input, init);
    },
  });
  const empty = summaryChecksum([]);
  for (const dot of [".", ".."]) {
    const calls: [string, () => Promise<unknown>][] = [
      ["StartObject name", () => client.startObject({ BackupJobId: "j", ObjectName: dot })],
      ["PutObject name", () => client.putObject({ BackupJobId: "j", ObjectName: dot })],
      ["DeleteObject name", () => client.deleteObject({ BackupJobId: "j", ObjectName: dot })],
      ["ListObjects job", () => client.listObjects({ StorageJobId: dot })],
      ["StartObject job", () => client.startObject({ BackupJobId: dot, ObjectName: "x" })],
      ["NotifyObjectComplete upload", () =>
        client.notifyObjectComplete({
          BackupJobId: "j",
          UploadId: dot,
          ObjectChecksum: empty,
          ObjectChecksumAlgorithm: "SUMMARY",
        })],
      ["PutChunk upload", () =>
        client.putChunk({
          BackupJobId: "j",
          UploadId: dot,
          ChunkIndex: 0,
          Data: new Uint8Array(),
          Length: 0,
          Checksum: empty,
          ChecksumAlgorithm: "SHA256",
        })],
      ["GetChunk token", () => client.getChunk({ StorageJobId: "j", ChunkToken: dot })],
      ["ListChunks token", () => client.listChunks({ StorageJobId: "j", ObjectToken: dot })],
      [
        "GetObjectMetadata token",
        () => client.getObjectMetadata({ StorageJobId: "j", ObjectToken: dot }),
      ],
    ];
    for (const [label, call] of calls) {
      const before = sent;
      await assertRejects(call, IllegalArgumentException).catch((cause) => {
        throw new Error(`${label} ${JSON.stringify(dot)} (sent to ${paths.at(-1)})`, { cause });
      });
      assertEquals(sent, before, `${label} ${JSON.stringify(dot)}: a request was sent`);
    }
  }
  // Nothing was created by a misrouted request.
  assertEquals((await service.store.listObjects({ StorageJobId: "j" })).ObjectList, []);
});
