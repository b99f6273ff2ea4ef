// SigV4 end to end: BackupStorageClient signing, the service verifying. Wrong
// keys are refused and store nothing, session tokens work when the service
// expects them, and presigned URLs from `client.presign` work with plain fetch
// until they expire.

import { randomBytes } from "node:crypto";
import { chunkChecksum, sha256, summaryChecksum } from "../../src/storage/checksum.ts";
import type { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { AccessDeniedException } from "../../src/storage/errors.ts";
import type { ResponseMetadata } from "../../src/storage/types.ts";
import { assert, assertEquals, assertInstanceOf, assertMatch } from "../support/assert.ts";
import {
  ACCESS_KEY_ID,
  makeClient,
  readAll,
  SECRET_ACCESS_KEY,
  type Service,
  startService,
} from "./support/service_fixtures.ts";
import { stagedLeftovers } from "../support/staged_leftovers.ts";

const JOB = "job-sigv4";
const SESSION_KEY_ID = "ASIAINTEGRATION";
const SESSION_SECRET = "session/secret+value=";
const SESSION_TOKEN = "FwoGZXIvYXdzEJr//////////wEaDH+token/with+plus=and=equals";
const ACCESS_DENIED_MESSAGE = "The request signature could not be verified";

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

function assertDenied(error: unknown, secret: string): void {
  assertInstanceOf(error, AccessDeniedException);
  assertEquals(error.statusCode, 403);
  assertEquals(error.message, ACCESS_DENIED_MESSAGE);
  assert(!error.message.includes(secret));
  assertMatch(error.requestId ?? "", /^[0-9a-f-]{36}$/);
  assertEquals((error as unknown as { $metadata: ResponseMetadata }).$metadata.attempts, 1);
}

/** Puts an object of two chunks with a metadata string and blob; returns what was sent. */
async function putTwoChunks(client: BackupStorageClient, name: string) {
  const parts = [new Uint8Array(randomBytes(70_000)), new Uint8Array(randomBytes(33))];
  const blob = new Uint8Array(randomBytes(5000));
  const metadataString = "v1;owner=Jürgen;🗂";
  const { UploadId } = await client.startObject({ BackupJobId: JOB, ObjectName: name });
  for (const [i, part] of parts.entries()) {
    await client.putChunk({
      BackupJobId: JOB,
      UploadId,
      ChunkIndex: i,
      Data: part,
      Length: part.byteLength,
      Checksum: chunkChecksum(part),
      ChecksumAlgorithm: "SHA256",
    });
  }
  const summary = summaryChecksum(parts.map((p) => sha256(p)));
  await client.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: summary,
    ObjectChecksumAlgorithm: "SUMMARY",
    MetadataString: metadataString,
    MetadataBlob: blob,
    MetadataBlobLength: blob.byteLength,
    MetadataBlobChecksum: chunkChecksum(blob),
    MetadataBlobChecksumAlgorithm: "SHA256",
  });
  return { parts, blob, metadataString, summary };
}

/** Decodes a header value that carries UTF-8 bytes (fetch exposes them as latin-1). */
function utf8Header(value: string | null): string {
  assert(value !== null);
  return new TextDecoder().decode(Uint8Array.from(value, (c) => c.charCodeAt(0)));
}

function sessionService(app: Record<string, unknown> = {}): Promise<Service> {
  return startService({
    app: {
      credentials: new Map([
        [ACCESS_KEY_ID, { secretAccessKey: SECRET_ACCESS_KEY }],
        [SESSION_KEY_ID, { secretAccessKey: SESSION_SECRET, sessionToken: SESSION_TOKEN }],
      ]),
      ...app,
    },
  });
}

Deno.test("sigv4: a wrong secret, an unknown key or a wrong region is AccessDenied and stores nothing", async () => {
  await using service = await startService();
  await using good = makeClient(service.url);
  const existing = await putTwoChunks(good, "existing");
  const { UploadId } = await good.startObject({ BackupJobId: JOB, ObjectName: "pending" });
  const storedChunks = async () => {
    const counts = await service.store.storedChunks();
    return counts.files + counts.inline;
  };
  const chunksBefore = await storedChunks();
  assertEquals(chunksBefore, 3); // two chunks and one blob

  const wrong = [
    { label: "wrong secret", accessKeyId: ACCESS_KEY_ID, secret: "not-the-secret/at+all" },
    { label: "unknown key", accessKeyId: "AKIDUNKNOWN", secret: SECRET_ACCESS_KEY },
    { label: "wrong region", accessKeyId: ACCESS_KEY_ID, secret: SECRET_ACCESS_KEY },
  ];
  for (const { label, accessKeyId, secret } of wrong) {
    await using bad = makeClient(service.url, {
      credentials: { accessKeyId, secretAccessKey: secret },
      ...(label === "wrong region" ? { region: "eu-elsewhere-9" } : {}),
      maxAttempts: 3,
    });
    const data = new Uint8Array(randomBytes(100_000));
    const attempts: [string, () => Promise<unknown>][] = [
      ["StartObject", () => bad.startObject({ BackupJobId: JOB, ObjectName: "intruder" })],
      ["PutObject bytes", () =>
        bad.putObject({
          BackupJobId: JOB,
          ObjectName: "intruder",
          InlineChunk: data,
          InlineChunkLength: data.byteLength,
          InlineChunkChecksum: chunkChecksum(data),
        })],
      ["PutObject stream", () =>
        bad.putObject({
          BackupJobId: JOB,
          ObjectName: "existing",
          InlineChunk: new Blob([data as BlobPart]).stream(),
          InlineChunkLength: data.byteLength,
          InlineChunkChecksum: chunkChecksum(data),
        })],
      ["PutChunk", () =>
        bad.putChunk({
          BackupJobId: JOB,
          UploadId,
          ChunkIndex: 0,
          Data: data,
          Length: data.byteLength,
          Checksum: chunkChecksum(data),
          ChecksumAlgorithm: "SHA256",
        })],
      ["NotifyObjectComplete", () =>
        bad.notifyObjectComplete({
          BackupJobId: JOB,
          UploadId,
          ObjectChecksum: summaryChecksum([]),
          ObjectChecksumAlgorithm: "SUMMARY",
          MetadataString: "intruder",
        })],
      ["DeleteObject", () => bad.deleteObject({ BackupJobId: JOB, ObjectName: "existing" })],
      ["ListObjects", () => bad.listObjects({ StorageJobId: JOB })],
    ];
    for (const [operation, attempt] of attempts) {
      const error = await caught(attempt());
      try {
        assertDenied(error, secret);
      } catch (cause) {
        throw new Error(`${label} ${operation}`, { cause });
      }
    }
  }

  // Nothing changed: the same object, the same files, the upload still pending and empty.
  const listed = await service.store.listObjects({ StorageJobId: JOB });
  assertEquals(listed.ObjectList.map((o) => [o.Name, o.ObjectChecksum]), [
    ["existing", existing.summary],
  ]);
  assertEquals(await storedChunks(), chunksBefore);
  assertEquals(await stagedLeftovers(`${service.store.directory}/tmp`), []);
  const done = await good.notifyObjectComplete({
    BackupJobId: JOB,
    UploadId,
    ObjectChecksum: summaryChecksum([]),
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  assertEquals(done.ObjectChecksum, summaryChecksum([]));
  const pending = (await good.listObjects({ StorageJobId: JOB, StartingObjectName: "pending" }))
    .ObjectList;
  assertEquals(pending.map((o) => [o.Name, o.ChunksCount, o.MetadataString]), [
    ["pending", 0, undefined],
  ]);
});

Deno.test("sigv4: session credentials work when the service expects their token", async () => {
  await using service = await sessionService();
  await using session = makeClient(service.url, {
    credentials: {
      accessKeyId: SESSION_KEY_ID,
      secretAccessKey: SESSION_SECRET,
      sessionToken: SESSION_TOKEN,
    },
  });
  const sent = await putTwoChunks(session, "by session");
  const [object] = (await session.listObjects({ StorageJobId: JOB })).ObjectList;
  assertEquals(object.ObjectChecksum, sent.summary);
  const { ChunkList } = await session.listChunks({
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });
  const got = await session.getChunk({ StorageJobId: JOB, ChunkToken: ChunkList[1].ChunkToken });
  assertEquals(await readAll(got.Data), sent.parts[1]);
  // A presigned URL of session credentials carries the token and works too.
  const url = await session.presign("GetChunk", {
    StorageJobId: JOB,
    ChunkToken: ChunkList[0].ChunkToken,
  });
  assert(new URL(url).searchParams.get("X-Amz-Security-Token") === SESSION_TOKEN);
  const response = await fetch(url);
  assertEquals(response.status, 200);
  assertEquals(new Uint8Array(await response.arrayBuffer()), sent.parts[0]);

  // The same key without its token, or with another token, is refused; so is a
  // token on a key that has none.
  const variants = [
    { accessKeyId: SESSION_KEY_ID, secretAccessKey: SESSION_SECRET },
    { accessKeyId: SESSION_KEY_ID, secretAccessKey: SESSION_SECRET, sessionToken: "other" },
    {
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      sessionToken: SESSION_TOKEN,
    },
  ];
  for (const credentials of variants) {
    await using client = makeClient(service.url, { credentials });
    assertDenied(await caught(client.listObjects({ StorageJobId: JOB })), SESSION_SECRET);
    assertDenied(
      await caught(client.deleteObject({ BackupJobId: JOB, ObjectName: "by session" })),
      SESSION_SECRET,
    );
  }
  assertEquals((await session.listObjects({ StorageJobId: JOB })).ObjectList.length, 1);
});

Deno.test("sigv4: presigned URLs of the four GET operations work with plain fetch", async () => {
  await using service = await startService();
  await using client = makeClient(service.url);
  const sent = await putTwoChunks(client, "shared/file ü+%.bin");
  await client.putObject({ BackupJobId: JOB, ObjectName: "shared/other" });
  const [object] = (await client.listObjects({
    StorageJobId: JOB,
    StartingObjectPrefix: "shared/file",
  })).ObjectList;
  const { ChunkList } = await client.listChunks({
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });

  // ListObjects, with query members that need encoding.
  const listUrl = await client.presign("ListObjects", {
    StorageJobId: JOB,
    StartingObjectPrefix: "shared/",
    MaxResults: 1,
  });
  const listed = await fetch(listUrl);
  assertEquals(listed.status, 200);
  const listBody = await listed.json();
  assertEquals(listBody.ObjectList.map((o: { Name: string }) => o.Name), ["shared/file ü+%.bin"]);
  assertEquals(listBody.ObjectList[0].ObjectChecksum, sent.summary);
  assert(typeof listBody.NextToken === "string");
  // The same URL twice works (presigned URLs are not single-use).
  const twice = await fetch(listUrl);
  assertEquals(twice.status, 200);
  await twice.body?.cancel();

  // ListChunks.
  const chunksUrl = await client.presign("ListChunks", {
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });
  const chunks = await fetch(chunksUrl);
  assertEquals(chunks.status, 200);
  const chunkBody = await chunks.json();
  assertEquals(
    chunkBody.ChunkList.map((c: { Index: number; Checksum: string; Length: number }) => [
      c.Index,
      c.Length,
      c.Checksum,
    ]),
    sent.parts.map((p, i) => [i, p.byteLength, chunkChecksum(p)]),
  );

  // GetChunk, for each chunk.
  for (const [i, chunk] of ChunkList.entries()) {
    const url = await client.presign("GetChunk", {
      StorageJobId: JOB,
      ChunkToken: chunk.ChunkToken,
    });
    const response = await fetch(url);
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("x-amz-checksum"), chunkChecksum(sent.parts[i]));
    assertEquals(response.headers.get("x-amz-data-length"), String(sent.parts[i].byteLength));
    assertEquals(new Uint8Array(await response.arrayBuffer()), sent.parts[i]);
  }

  // GetObjectMetadata.
  const metaUrl = await client.presign("GetObjectMetadata", {
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });
  const meta = await fetch(metaUrl);
  assertEquals(meta.status, 200);
  assertEquals(utf8Header(meta.headers.get("x-amz-metadata-string")), sent.metadataString);
  assertEquals(meta.headers.get("x-amz-checksum"), chunkChecksum(sent.blob));
  assertEquals(new Uint8Array(await meta.arrayBuffer()), sent.blob);

  // Changing any signed part of a URL breaks it.
  const tampered = [
    listUrl.replace("max-results=1", "max-results=2"),
    listUrl.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_, c) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`,
    ),
    metaUrl.replace(`/restore-jobs/${JOB}/`, "/restore-jobs/other-job/"),
  ];
  for (const url of tampered) {
    const response = await fetch(url);
    assertEquals(response.status, 403, url);
    assertEquals(response.headers.get("x-amzn-ErrorType"), "AccessDeniedException");
    assertEquals((await response.json()).message, ACCESS_DENIED_MESSAGE);
  }
  // A presigned GET URL does not authorize another method.
  const deleted = await fetch(metaUrl, { method: "DELETE" });
  assert(deleted.status >= 400, `DELETE on a presigned URL answered ${deleted.status}`);
  await deleted.body?.cancel();
  assertEquals((await client.listObjects({ StorageJobId: JOB })).ObjectList.length, 2);
});

Deno.test("sigv4: presigned URLs expire, and signed requests outside the clock skew are refused", async () => {
  const clock = { offsetMs: 0 };
  await using service = await startService({
    app: { now: () => Date.now() + clock.offsetMs },
  });
  await using client = makeClient(service.url, { maxAttempts: 1 });
  const sent = await putTwoChunks(client, "expiring");
  const [object] = (await client.listObjects({ StorageJobId: JOB })).ObjectList;
  const { ChunkList } = await client.listChunks({
    StorageJobId: JOB,
    ObjectToken: object.ObjectToken,
  });
  const inputs = {
    ListObjects: { StorageJobId: JOB },
    ListChunks: { StorageJobId: JOB, ObjectToken: object.ObjectToken },
    GetChunk: { StorageJobId: JOB, ChunkToken: ChunkList[0].ChunkToken },
    GetObjectMetadata: { StorageJobId: JOB, ObjectToken: object.ObjectToken },
  };
  const presignAll = async (expiresIn: number) => [
    await client.presign("ListObjects", inputs.ListObjects, { expiresIn }),
    await client.presign("ListChunks", inputs.ListChunks, { expiresIn }),
    await client.presign("GetChunk", inputs.GetChunk, { expiresIn }),
    await client.presign("GetObjectMetadata", inputs.GetObjectMetadata, { expiresIn }),
  ];
  const statuses = async (urls: string[]) => {
    const out: number[] = [];
    for (const url of urls) {
      const response = await fetch(url);
      out.push(response.status);
      if (response.status === 403) {
        assertEquals(response.headers.get("x-amzn-ErrorType"), "AccessDeniedException");
        assertEquals((await response.json()).message, ACCESS_DENIED_MESSAGE);
      } else {
        await response.body?.cancel();
      }
    }
    return out;
  };

  const short = await presignAll(1);
  const minute = await presignAll(60);
  // The service's clock moves 3 s ahead: the 1-second URLs have expired, the others not.
  clock.offsetMs = 3_000;
  assertEquals(await statuses(short), [403, 403, 403, 403]);
  assertEquals(await statuses(minute), [200, 200, 200, 200]);
  // 61 s ahead: all expired.
  clock.offsetMs = 61_000;
  assertEquals(await statuses(minute), [403, 403, 403, 403]);
  // A URL signed "in the future" beyond the skew is refused too.
  clock.offsetMs = -16 * 60_000;
  assertEquals(await statuses(await presignAll(900)), [403, 403, 403, 403]);

  // Header-signed requests: 16 minutes of skew either way is refused, 10 minutes is fine.
  for (const offsetMs of [16 * 60_000, -16 * 60_000]) {
    clock.offsetMs = offsetMs;
    assertDenied(await caught(client.listObjects({ StorageJobId: JOB })), SECRET_ACCESS_KEY);
  }
  for (const offsetMs of [10 * 60_000, -10 * 60_000]) {
    clock.offsetMs = offsetMs;
    assertEquals((await client.listObjects({ StorageJobId: JOB })).ObjectList.length, 1);
  }
  clock.offsetMs = 0;
  const chunk = await client.getChunk(inputs.GetChunk);
  assertEquals(await readAll(chunk.Data), sent.parts[0]);
});
