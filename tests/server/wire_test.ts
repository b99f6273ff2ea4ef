// Wire decoding and encoding of the storage app for all nine operations, over a
// recording BackupStorage: signed raw HTTP requests must decode into exactly the
// expected interface input, and outputs must encode to the binding's wire form.

import { createStorageApp } from "../../src/server/app.ts";
import { readHeaderValue } from "../../src/server/wire_output.ts";
import { encodeLabel } from "../../src/storage/operations.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { CREDENTIALS, RecordingStorage, signedRequest } from "./support/server_fixtures.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const bytes = (text: string) => new TextEncoder().encode(text);
const NAME = "dir/sub file+~é ü.txt";

function setup(options: { maxChunkLength?: number } = {}) {
  const recorder = new RecordingStorage();
  const errors: unknown[] = [];
  const app = createStorageApp(recorder.asStorage(), {
    credentials: CREDENTIALS,
    maxChunkLength: options.maxChunkLength,
    onError: (error) => errors.push(error),
  });
  return { recorder, app, errors };
}

Deno.test("StartObject: label decoded whole, JSON member, JSON output", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("StartObject", () => ({ UploadId: "upload-1" }));
  const response = await app.fetch(
    await signedRequest(`/backup-jobs/job-1/object/${encodeLabel(NAME)}`, {
      method: "PUT",
      body: JSON.stringify({ ThrowOnDuplicate: true }),
      headers: { "content-type": "application/json" },
    }),
  );
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "application/json");
  assertMatch(response.headers.get("x-amzn-RequestId") ?? "", UUID);
  assertEquals(await response.json(), { UploadId: "upload-1" });
  assertEquals(recorder.calls, [{
    operation: "StartObject",
    input: { BackupJobId: "job-1", ObjectName: NAME, ThrowOnDuplicate: true },
  }]);
});

Deno.test("StartObject: empty body means no members", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("StartObject", () => ({ UploadId: "u" }));
  const response = await app.fetch(
    await signedRequest("/backup-jobs/j/object/a", { method: "PUT" }),
  );
  assertEquals(response.status, 200);
  await response.body?.cancel();
  assertEquals(recorder.calls[0].input, { BackupJobId: "j", ObjectName: "a" });
});

Deno.test("PutChunk: unsigned payload streams through with query members", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("PutChunk", () => ({
    ChunkChecksum: "c1",
    ChunkChecksumAlgorithm: "SHA256",
  }));
  const response = await app.fetch(
    await signedRequest("/backup-jobs/job-1/chunk/up%2B1/7", {
      method: "PUT",
      unsigned: true,
      query: { length: "5", checksum: "ab+/cd==", "checksum-algorithm": "SHA256" },
      body: "hello",
    }),
  );
  assertEquals(response.status, 200);
  assertEquals(await response.json(), { ChunkChecksum: "c1", ChunkChecksumAlgorithm: "SHA256" });
  assertEquals(recorder.calls, [{
    operation: "PutChunk",
    input: {
      BackupJobId: "job-1",
      UploadId: "up+1",
      ChunkIndex: 7,
      Data: bytes("hello"),
      Length: 5,
      Checksum: "ab+/cd==",
      ChecksumAlgorithm: "SHA256",
    },
  }]);
});

Deno.test("PutChunk: a signed (hex) payload hash that matches is accepted", async () => {
  const { recorder, app } = setup();
  const response = await app.fetch(
    await signedRequest("/backup-jobs/j/chunk/u/0", {
      method: "PUT",
      query: { length: "3", checksum: "x", "checksum-algorithm": "SHA256" },
      body: "abc",
    }),
  );
  assertEquals(response.status, 200);
  await response.body?.cancel();
  assertEquals(recorder.calls[0].input.Data, bytes("abc"));
});

Deno.test("PutChunk: an empty body becomes an empty Uint8Array", async () => {
  const { recorder, app } = setup();
  const response = await app.fetch(
    await signedRequest("/backup-jobs/j/chunk/u/0", {
      method: "PUT",
      unsigned: true,
      query: { length: "0", checksum: "x", "checksum-algorithm": "SHA256" },
      body: "",
    }),
  );
  assertEquals(response.status, 200);
  await response.body?.cancel();
  assertEquals(recorder.calls[0].input.Data, new Uint8Array());
});

Deno.test("PutObject: all query members, non-ASCII metadata string, inline chunk", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("PutObject", () => ({
    InlineChunkChecksum: "i",
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: "o",
    ObjectChecksumAlgorithm: "SUMMARY",
  }));
  const response = await app.fetch(
    await signedRequest(`/backup-jobs/j/object/${encodeLabel(NAME)}/put-object`, {
      method: "PUT",
      unsigned: true,
      query: {
        "metadata-string": "v1;naïve=日本 &x=1",
        length: "4",
        checksum: "cs==",
        "checksum-algorithm": "SHA256",
        "object-checksum": "oc==",
        "object-checksum-algorithm": "SUMMARY",
        throwOnDuplicate: "false",
      },
      body: "data",
    }),
  );
  assertEquals(response.status, 200);
  assertEquals(await response.json(), {
    InlineChunkChecksum: "i",
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: "o",
    ObjectChecksumAlgorithm: "SUMMARY",
  });
  assertEquals(recorder.calls[0].input, {
    BackupJobId: "j",
    ObjectName: NAME,
    MetadataString: "v1;naïve=日本 &x=1",
    InlineChunk: bytes("data"),
    InlineChunkLength: 4,
    InlineChunkChecksum: "cs==",
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: "oc==",
    ObjectChecksumAlgorithm: "SUMMARY",
    ThrowOnDuplicate: false,
  });
});

Deno.test("PutObject: no body means no InlineChunk", async () => {
  const { recorder, app } = setup();
  const response = await app.fetch(
    await signedRequest("/backup-jobs/j/object/empty/put-object", {
      method: "PUT",
      unsigned: true,
      query: { throwOnDuplicate: "true" },
    }),
  );
  assertEquals(response.status, 200);
  await response.body?.cancel();
  assertEquals(recorder.calls[0].input, {
    BackupJobId: "j",
    ObjectName: "empty",
    ThrowOnDuplicate: true,
  });
});

Deno.test("NotifyObjectComplete: query members and metadata blob", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("NotifyObjectComplete", () => ({
    ObjectChecksum: "o",
    ObjectChecksumAlgorithm: "SUMMARY",
  }));
  const response = await app.fetch(
    await signedRequest("/backup-jobs/j/object/upload-9/complete", {
      method: "PUT",
      unsigned: true,
      query: {
        checksum: "sum==",
        "checksum-algorithm": "SUMMARY",
        "metadata-string": "meta",
        "metadata-blob-length": "4",
        "metadata-checksum": "mc==",
        "metadata-checksum-algorithm": "SHA256",
      },
      body: "blob",
    }),
  );
  assertEquals(response.status, 200);
  assertEquals(await response.json(), { ObjectChecksum: "o", ObjectChecksumAlgorithm: "SUMMARY" });
  assertEquals(recorder.calls[0].input, {
    BackupJobId: "j",
    UploadId: "upload-9",
    ObjectChecksum: "sum==",
    ObjectChecksumAlgorithm: "SUMMARY",
    MetadataString: "meta",
    MetadataBlob: bytes("blob"),
    MetadataBlobLength: 4,
    MetadataBlobChecksum: "mc==",
    MetadataBlobChecksumAlgorithm: "SHA256",
  });
});

Deno.test("ListObjects: query members by type; output items restricted to the model", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("ListObjects", () => ({
    ObjectList: [{
      Name: "a",
      ChunksCount: 2,
      MetadataString: "m",
      ObjectChecksum: "c",
      ObjectChecksumAlgorithm: "SUMMARY",
      ObjectToken: "t",
      Internal: "not for the wire",
    }],
    NextToken: "next",
  }));
  const response = await app.fetch(
    await signedRequest("/restore-jobs/job-1/objects/list", {
      query: {
        "starting-object-name": "a b+c",
        "starting-object-prefix": "é/",
        "max-results": "10",
        "next-token": "tok=en&x",
        "created-before": "1704164645",
        "created-after": "2024-01-01T00:00:00.123456Z",
      },
    }),
  );
  assertEquals(response.status, 200);
  assertEquals(await response.json(), {
    ObjectList: [{
      Name: "a",
      ChunksCount: 2,
      MetadataString: "m",
      ObjectChecksum: "c",
      ObjectChecksumAlgorithm: "SUMMARY",
      ObjectToken: "t",
    }],
    NextToken: "next",
  });
  assertEquals(recorder.calls[0].input, {
    StorageJobId: "job-1",
    StartingObjectName: "a b+c",
    StartingObjectPrefix: "é/",
    MaxResults: 10,
    NextToken: "tok=en&x",
    CreatedBefore: new Date("2024-01-02T03:04:05Z"),
    CreatedAfter: new Date("2024-01-01T00:00:00.123Z"),
  });
});

Deno.test("ListChunks: pagination members and chunk list", async () => {
  const { recorder, app } = setup();
  const chunk = {
    Index: 0,
    Length: 3,
    Checksum: "c",
    ChecksumAlgorithm: "SHA256",
    ChunkToken: "k",
  };
  recorder.outputs.set("ListChunks", () => ({ ChunkList: [chunk] }));
  const response = await app.fetch(
    await signedRequest("/restore-jobs/j/chunks/obj%2Ftoken/list", {
      query: { "max-results": "1", "next-token": "n" },
    }),
  );
  assertEquals(response.status, 200);
  assertEquals(await response.json(), { ChunkList: [chunk] });
  assertEquals(recorder.calls[0].input, {
    StorageJobId: "j",
    ObjectToken: "obj/token",
    MaxResults: 1,
    NextToken: "n",
  });
});

Deno.test("GetChunk: header members and the payload with Content-Length", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("GetChunk", () => ({
    Data: new Response("chunk-bytes").body!,
    Length: 11,
    Checksum: "cs==",
    ChecksumAlgorithm: "SHA256",
  }));
  const response = await app.fetch(await signedRequest("/restore-jobs/j/chunk/tok"));
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("x-amz-data-length"), "11");
  assertEquals(response.headers.get("content-length"), "11");
  assertEquals(response.headers.get("x-amz-checksum"), "cs==");
  assertEquals(response.headers.get("x-amz-checksum-algorithm"), "SHA256");
  assertEquals(await response.text(), "chunk-bytes");
  assertEquals(recorder.calls[0].input, { StorageJobId: "j", ChunkToken: "tok" });
});

Deno.test("GetObjectMetadata: non-ASCII metadata string as UTF-8 bytes, blob as body", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("GetObjectMetadata", () => ({
    MetadataString: "naïve 日本",
    MetadataBlob: new Response("blob").body!,
    MetadataBlobLength: 4,
    MetadataBlobChecksum: "bc==",
    MetadataBlobChecksumAlgorithm: "SHA256",
  }));
  const response = await app.fetch(await signedRequest("/restore-jobs/j/object/t/metadata"));
  assertEquals(response.status, 200);
  assertEquals(readHeaderValue(response.headers.get("x-amz-metadata-string")!), "naïve 日本");
  assertEquals(response.headers.get("x-amz-data-length"), "4");
  assertEquals(response.headers.get("x-amz-checksum"), "bc==");
  assertEquals(await response.text(), "blob");
  assertEquals(recorder.calls[0].input, { StorageJobId: "j", ObjectToken: "t" });
});

Deno.test("GetObjectMetadata: no blob gives an empty body and no blob headers", async () => {
  const { recorder, app } = setup();
  recorder.outputs.set("GetObjectMetadata", () => ({
    MetadataBlob: new Response(new Uint8Array()).body!,
    MetadataBlobLength: 0,
  }));
  const response = await app.fetch(await signedRequest("/restore-jobs/j/object/t/metadata"));
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("x-amz-metadata-string"), null);
  assertEquals(response.headers.get("x-amz-checksum"), null);
  assertEquals((await response.arrayBuffer()).byteLength, 0);
});

Deno.test("DeleteObject: decoded label, empty JSON output", async () => {
  const { recorder, app } = setup();
  const response = await app.fetch(
    await signedRequest(`/backup-jobs/j/object/${encodeLabel(NAME)}`, { method: "DELETE" }),
  );
  assertEquals(response.status, 200);
  assertEquals(await response.json(), {});
  assertEquals(recorder.calls, [{
    operation: "DeleteObject",
    input: { BackupJobId: "j", ObjectName: NAME },
  }]);
});

async function expectIllegal(
  app: ReturnType<typeof setup>["app"],
  request: Request,
  mention?: string,
): Promise<void> {
  const response = await app.fetch(request);
  assertEquals(response.status, 400);
  assertEquals(response.headers.get("x-amzn-ErrorType"), "IllegalArgumentException");
  const body = await response.json();
  if (mention) assert(body.message.includes(mention), `message "${body.message}" names ${mention}`);
}

Deno.test("malformed numbers, booleans and timestamps are IllegalArgumentException", async () => {
  const { recorder, app } = setup();
  for (const value of ["1e2", "10abc", " 10", "0x10", "", "1.5", "99999999999999999"]) {
    await expectIllegal(
      app,
      await signedRequest("/restore-jobs/j/objects/list", { query: { "max-results": value } }),
      "MaxResults",
    );
  }
  await expectIllegal(
    app,
    await signedRequest("/backup-jobs/j/chunk/u/x1", {
      method: "PUT",
      unsigned: true,
      query: { length: "1", checksum: "c", "checksum-algorithm": "SHA256" },
      body: "a",
    }),
    "ChunkIndex",
  );
  await expectIllegal(
    app,
    await signedRequest("/backup-jobs/j/chunk/u/1", {
      method: "PUT",
      unsigned: true,
      query: { length: "one", checksum: "c", "checksum-algorithm": "SHA256" },
      body: "a",
    }),
    "Length",
  );
  await expectIllegal(
    app,
    await signedRequest("/backup-jobs/j/object/o/put-object", {
      method: "PUT",
      unsigned: true,
      query: { throwOnDuplicate: "yes" },
    }),
    "ThrowOnDuplicate",
  );
  await expectIllegal(
    app,
    await signedRequest("/restore-jobs/j/objects/list", {
      query: { "created-after": "yesterday" },
    }),
    "CreatedAfter",
  );
  await expectIllegal(
    app,
    await signedRequest("/restore-jobs/j/objects/list", {
      query: { "created-before": "2024-02-30T00:00:00Z" },
    }),
    "CreatedBefore",
  );
  assertEquals(recorder.calls.length, 0);
});

Deno.test("malformed JSON, bad label escapes and missing members are IllegalArgumentException", async () => {
  const { recorder, app } = setup();
  for (const body of ["{", "[true]", '"x"', '{"ThrowOnDuplicate":"yes"}']) {
    await expectIllegal(
      app,
      await signedRequest("/backup-jobs/j/object/o", { method: "PUT", body }),
    );
  }
  await expectIllegal(app, await signedRequest("/restore-jobs/j/chunk/%E0%A4%A"), "chunkToken");
  await expectIllegal(app, await signedRequest("/restore-jobs/j/chunk/%FF"), "chunkToken");
  await expectIllegal(
    app,
    await signedRequest("/backup-jobs/j/chunk/u/1", {
      method: "PUT",
      unsigned: true,
      query: { checksum: "c", "checksum-algorithm": "SHA256" },
      body: "a",
    }),
    "Length",
  );
  assertEquals(recorder.calls.length, 0);
});

function trackedBody(): { body: ReadableStream<Uint8Array>; pulls: () => number } {
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(1024));
      if (pulls > 1000) controller.close();
    },
  }, { highWaterMark: 0 });
  return { body, pulls: () => pulls };
}

Deno.test("oversize bodies are refused from Content-Length before reading", async () => {
  const { recorder, app } = setup({ maxChunkLength: 1000 });
  const cases: Array<[string, string, number]> = [
    ["/backup-jobs/j/chunk/u/0?length=1&checksum=c&checksum-algorithm=SHA256", "PUT", 1001],
    ["/backup-jobs/j/object/o/put-object", "PUT", 1001],
    ["/backup-jobs/j/object/u/complete?checksum=c&checksum-algorithm=SUMMARY", "PUT", 4194305],
    ["/backup-jobs/j/object/o", "PUT", 65537],
  ];
  for (const [path, method, length] of cases) {
    const tracked = trackedBody();
    const request = new Request(`http://127.0.0.1:9000${path}`, {
      method,
      body: tracked.body,
      headers: { "content-length": String(length), host: "127.0.0.1:9000" },
    });
    await expectIllegal(app, request);
    assertEquals(tracked.pulls(), 0, `${path}: body must not be read`);
    await tracked.body.cancel();
  }
  assertEquals(recorder.calls.length, 0);
});

Deno.test("unknown route is 404 and a known path with a wrong method is 405", async () => {
  const { app } = setup();
  const missing = await app.fetch(new Request("http://127.0.0.1:9000/nowhere/at/all"));
  assertEquals(missing.status, 404);
  assertEquals(missing.headers.get("content-type"), "application/json");
  assertMatch(missing.headers.get("x-amzn-RequestId") ?? "", UUID);
  assert(typeof (await missing.json()).message === "string");

  const wrong = await app.fetch(
    new Request("http://127.0.0.1:9000/restore-jobs/j/objects/list", { method: "POST" }),
  );
  assertEquals(wrong.status, 405);
  assertEquals(wrong.headers.get("allow"), "GET");
  assert(typeof (await wrong.json()).message === "string");

  const put = await app.fetch(
    new Request("http://127.0.0.1:9000/backup-jobs/j/object/o", { method: "GET" }),
  );
  assertEquals(put.status, 405);
  assertEquals(put.headers.get("allow"), "DELETE, PUT");
  await put.body?.cancel();
});
