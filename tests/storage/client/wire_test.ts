// What the client puts on the wire for each of the nine operations, and how it
// decodes the answers: exact method, raw path, query, headers, body, signature.

import { AssertionError } from "node:assert";
import { IllegalArgumentException } from "../../../src/storage/errors.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../../support/assert.ts";
import {
  json,
  readAll,
  REGION,
  sha256Base64,
  sha256Hex,
  startServer,
  testClient,
  verifySignature,
} from "./support/client_fixtures.ts";

const EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const NAME = "dir/sub dir/100%+1~ü€😀.txt";
const NAME_RAW = "dir%2Fsub%20dir%2F100%25%2B1~%C3%BC%E2%82%AC%F0%9F%98%80.txt";
const TOKEN = "tok/en+=~";
const TOKEN_RAW = "tok%2Fen%2B%3D~";

function latin1(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

Deno.test("DeleteObject: DELETE with both labels encoded whole, empty signed payload", async () => {
  await using server = startServer(() =>
    new Response(null, { status: 200, headers: { "x-amzn-RequestId": "req-del" } })
  );
  await using client = testClient(server.url);
  const out = await client.deleteObject({ BackupJobId: "job-1", ObjectName: NAME });
  assertEquals(out, { $metadata: { httpStatusCode: 200, requestId: "req-del", attempts: 1 } });
  const [req] = server.requests;
  assertEquals(req.method, "DELETE");
  assertEquals(req.rawPath, `/backup-jobs/job-1/object/${NAME_RAW}`);
  assertEquals(req.rawQuery, "");
  assertEquals(req.body.byteLength, 0);
  assertEquals(req.headers.get("content-length"), "0");
  assertEquals(req.headers.get("content-type"), null);
  const facts = await verifySignature(req);
  assertEquals(facts.payloadHash, EMPTY_SHA);
  assertEquals(facts.service, "backup-storage");
  assertEquals(facts.region, REGION);
  assertEquals(facts.accessKeyId, "AKIDTEST");
  assert(facts.signedHeaders.includes("host"));
  assert(facts.signedHeaders.includes("x-amz-date"));
  assert(facts.signedHeaders.includes("x-amz-content-sha256"));
  assertMatch(
    req.headers.get("authorization")!,
    /Credential=AKIDTEST\/\d{8}\/eu-test-1\/backup-storage\/aws4_request,/,
  );
});

Deno.test("GetChunk: GET, token label encoded, Data streamed, header members decoded", async () => {
  const data = new TextEncoder().encode("hello chunk");
  await using server = startServer(() =>
    new Response(data, {
      headers: {
        "x-amz-data-length": String(data.byteLength),
        "x-amz-checksum": sha256Base64(data),
        "x-amz-checksum-algorithm": "SHA256",
        "x-amzn-RequestId": "req-gc",
      },
    })
  );
  await using client = testClient(server.url);
  const out = await client.getChunk({ StorageJobId: "job-1", ChunkToken: TOKEN });
  assert(out.Data instanceof ReadableStream);
  assertEquals(await readAll(out.Data), data);
  assertEquals(out.Length, data.byteLength);
  assertEquals(out.Checksum, sha256Base64(data));
  assertEquals(out.ChecksumAlgorithm, "SHA256");
  assertEquals(out.$metadata, { httpStatusCode: 200, requestId: "req-gc", attempts: 1 });
  const [req] = server.requests;
  assertEquals(req.method, "GET");
  assertEquals(req.rawPath, `/restore-jobs/job-1/chunk/${TOKEN_RAW}`);
  assertEquals(req.rawQuery, "");
  assertEquals((await verifySignature(req)).payloadHash, EMPTY_SHA);
});

Deno.test("GetObjectMetadata: UTF-8 metadata string header and blob stream decoded", async () => {
  const blob = new Uint8Array([0, 1, 2, 250, 255]);
  await using server = startServer((_req, n) =>
    n === 0
      ? new Response(blob, {
        headers: {
          "x-amz-metadata-string": latin1("v1;name=été ☃"),
          "x-amz-data-length": "5",
          "x-amz-checksum": sha256Base64(blob),
          "x-amz-checksum-algorithm": "SHA256",
        },
      })
      : new Response(null, { headers: { "x-amz-data-length": "0" } })
  );
  await using client = testClient(server.url);
  const out = await client.getObjectMetadata({ StorageJobId: "job-1", ObjectToken: TOKEN });
  assertEquals(out.MetadataString, "v1;name=été ☃");
  assertEquals(out.MetadataBlobLength, 5);
  assertEquals(out.MetadataBlobChecksum, sha256Base64(blob));
  assertEquals(out.MetadataBlobChecksumAlgorithm, "SHA256");
  assertEquals(await readAll(out.MetadataBlob), blob);
  const [req] = server.requests;
  assertEquals(req.method, "GET");
  assertEquals(req.rawPath, `/restore-jobs/job-1/object/${TOKEN_RAW}/metadata`);
  await verifySignature(req);

  // No blob: an empty stream, absent optional headers stay absent.
  const empty = await client.getObjectMetadata({ StorageJobId: "job-1", ObjectToken: "t" });
  assertEquals(empty.MetadataString, undefined);
  assertEquals(empty.MetadataBlobLength, 0);
  assertEquals((await readAll(empty.MetadataBlob)).byteLength, 0);
});

Deno.test("ListChunks: GET with max-results and next-token, JSON list decoded", async () => {
  const chunks = [
    { Index: 0, Length: 10, Checksum: "a+b/c=", ChecksumAlgorithm: "SHA256", ChunkToken: "c0" },
    { Index: 1, Length: 4, Checksum: "zz==", ChecksumAlgorithm: "SHA256", ChunkToken: "c1" },
  ];
  await using server = startServer(() =>
    json({ ChunkList: chunks, NextToken: "next/2", Extra: "ignored" })
  );
  await using client = testClient(server.url);
  const out = await client.listChunks({
    StorageJobId: "job-1",
    ObjectToken: TOKEN,
    MaxResults: 2,
    NextToken: "page+1/x=",
  });
  assertEquals(out.ChunkList, chunks);
  assertEquals(out.NextToken, "next/2");
  assertEquals(out.$metadata.httpStatusCode, 200);
  assertEquals((out as unknown as Record<string, unknown>).Extra, undefined);
  const [req] = server.requests;
  assertEquals(req.method, "GET");
  assertEquals(req.rawPath, `/restore-jobs/job-1/chunks/${TOKEN_RAW}/list`);
  assertEquals(req.query, { "max-results": "2", "next-token": "page+1/x=" });
  assert(req.rawQuery.includes("next-token=page%2B1%2Fx%3D"), req.rawQuery);
  await verifySignature(req);
});

Deno.test("ListObjects: every query member, timestamps as ISO 8601 UTC", async () => {
  const objects = [{
    Name: "a b/c",
    ChunksCount: 3,
    MetadataString: "m",
    ObjectChecksum: "sum=",
    ObjectChecksumAlgorithm: "SUMMARY",
    ObjectToken: "o1",
  }, {
    Name: "d",
    ObjectChecksum: "sum2=",
    ObjectChecksumAlgorithm: "SUMMARY",
    ObjectToken: "o2",
  }];
  await using server = startServer((_req, n) =>
    n === 0 ? json({ ObjectList: objects }) : new Response("", { status: 200 })
  );
  await using client = testClient(server.url);
  const out = await client.listObjects({
    StorageJobId: "job-1",
    StartingObjectName: "a b/ü~",
    StartingObjectPrefix: "a b/",
    MaxResults: 100,
    NextToken: "n",
    CreatedBefore: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    CreatedAfter: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 123)),
  });
  assertEquals(out.ObjectList, objects);
  assertEquals(out.NextToken, undefined);
  const [req] = server.requests;
  assertEquals(req.method, "GET");
  assertEquals(req.rawPath, "/restore-jobs/job-1/objects/list");
  assertEquals(req.query, {
    "starting-object-name": "a b/ü~",
    "starting-object-prefix": "a b/",
    "max-results": "100",
    "next-token": "n",
    "created-before": "2024-01-02T03:04:05Z",
    "created-after": "2024-01-01T00:00:00.123Z",
  });
  assert(req.rawQuery.includes("starting-object-name=a%20b%2F%C3%BC~"), req.rawQuery);
  assert(req.rawQuery.includes("created-before=2024-01-02T03%3A04%3A05Z"), req.rawQuery);
  await verifySignature(req);

  // An empty body still gives the required list, empty.
  const empty = await client.listObjects({ StorageJobId: "job-1" });
  assertEquals(empty.ObjectList, []);
  assertEquals(server.requests[1].rawQuery, "");
});

Deno.test("NotifyObjectComplete: PUT, query members, blob body, UNSIGNED-PAYLOAD", async () => {
  const blob = new TextEncoder().encode("blob!");
  await using server = startServer(() =>
    json({ ObjectChecksum: "sum=", ObjectChecksumAlgorithm: "SUMMARY" })
  );
  await using client = testClient(server.url);
  const out = await client.notifyObjectComplete({
    BackupJobId: "job-1",
    UploadId: "up/1",
    ObjectChecksum: "sum+/=",
    ObjectChecksumAlgorithm: "SUMMARY",
    MetadataString: "v1;size=42 ü",
    MetadataBlob: blob,
    MetadataBlobLength: blob.byteLength,
    MetadataBlobChecksum: sha256Base64(blob),
    MetadataBlobChecksumAlgorithm: "SHA256",
  });
  assertEquals(out.ObjectChecksum, "sum=");
  assertEquals(out.ObjectChecksumAlgorithm, "SUMMARY");
  const [req] = server.requests;
  assertEquals(req.method, "PUT");
  assertEquals(req.rawPath, "/backup-jobs/job-1/object/up%2F1/complete");
  assertEquals(req.query, {
    "checksum": "sum+/=",
    "checksum-algorithm": "SUMMARY",
    "metadata-string": "v1;size=42 ü",
    "metadata-blob-length": "5",
    "metadata-checksum": sha256Base64(blob),
    "metadata-checksum-algorithm": "SHA256",
  });
  assertEquals(req.body, blob);
  assertEquals(req.headers.get("content-type"), "application/octet-stream");
  const facts = await verifySignature(req);
  assertEquals(facts.payloadHash, "UNSIGNED-PAYLOAD");
  assertEquals(req.headers.get("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
});

Deno.test("PutChunk: PUT with the index label, length/checksum query, raw body, unsigned", async () => {
  const data = crypto.getRandomValues(new Uint8Array(1000));
  await using server = startServer(() =>
    json({ ChunkChecksum: sha256Base64(data), ChunkChecksumAlgorithm: "SHA256" })
  );
  await using client = testClient(server.url);
  const out = await client.putChunk({
    BackupJobId: "job-1",
    UploadId: "u 1",
    ChunkIndex: 7,
    Data: data,
    Length: data.byteLength,
    Checksum: sha256Base64(data),
    ChecksumAlgorithm: "SHA256",
  });
  assertEquals(out.ChunkChecksum, sha256Base64(data));
  assertEquals(out.ChunkChecksumAlgorithm, "SHA256");
  const [req] = server.requests;
  assertEquals(req.method, "PUT");
  assertEquals(req.rawPath, "/backup-jobs/job-1/chunk/u%201/7");
  assertEquals(req.query, {
    length: "1000",
    checksum: sha256Base64(data),
    "checksum-algorithm": "SHA256",
  });
  assertEquals(req.body, data);
  assertEquals(req.headers.get("content-length"), "1000");
  assertEquals((await verifySignature(req)).payloadHash, "UNSIGNED-PAYLOAD");
});

Deno.test("PutObject: PUT put-object with every query member, and without a chunk", async () => {
  const data = new TextEncoder().encode("inline");
  const answer = {
    InlineChunkChecksum: sha256Base64(data),
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: "obj=",
    ObjectChecksumAlgorithm: "SUMMARY",
  };
  await using server = startServer(() => json(answer));
  await using client = testClient(server.url);
  const out = await client.putObject({
    BackupJobId: "job-1",
    ObjectName: NAME,
    MetadataString: "meta",
    InlineChunk: data,
    InlineChunkLength: data.byteLength,
    InlineChunkChecksum: sha256Base64(data),
    InlineChunkChecksumAlgorithm: "SHA256",
    ObjectChecksum: "obj=",
    ObjectChecksumAlgorithm: "SUMMARY",
    ThrowOnDuplicate: true,
  });
  assertEquals({ ...out, $metadata: undefined }, { ...answer, $metadata: undefined });
  const [req] = server.requests;
  assertEquals(req.method, "PUT");
  assertEquals(req.rawPath, `/backup-jobs/job-1/object/${NAME_RAW}/put-object`);
  assertEquals(req.query, {
    "metadata-string": "meta",
    length: "6",
    checksum: sha256Base64(data),
    "checksum-algorithm": "SHA256",
    "object-checksum": "obj=",
    "object-checksum-algorithm": "SUMMARY",
    throwOnDuplicate: "true",
  });
  assertEquals(req.body, data);
  assertEquals((await verifySignature(req)).payloadHash, "UNSIGNED-PAYLOAD");

  await client.putObject({ BackupJobId: "job-1", ObjectName: "empty/", ThrowOnDuplicate: false });
  const second = server.requests[1];
  assertEquals(second.rawPath, "/backup-jobs/job-1/object/empty%2F/put-object");
  assertEquals(second.query, { throwOnDuplicate: "false" });
  assertEquals(second.body.byteLength, 0);
  assertEquals(second.headers.get("content-type"), null);
  await verifySignature(second);
});

Deno.test("StartObject: JSON body only when a member is set, its hash signed", async () => {
  await using server = startServer(() => json({ UploadId: "upload-1" }));
  await using client = testClient(server.url);
  const out = await client.startObject({
    BackupJobId: "job-1",
    ObjectName: NAME,
    ThrowOnDuplicate: true,
  });
  assertEquals(out.UploadId, "upload-1");
  assertEquals(out.$metadata, { httpStatusCode: 200, requestId: "req-1", attempts: 1 });
  const [req] = server.requests;
  assertEquals(req.method, "PUT");
  assertEquals(req.rawPath, `/backup-jobs/job-1/object/${NAME_RAW}`);
  assertEquals(req.rawQuery, "");
  assertEquals(new TextDecoder().decode(req.body), '{"ThrowOnDuplicate":true}');
  assertEquals(req.headers.get("content-type"), "application/json");
  const facts = await verifySignature(req);
  assertEquals(facts.payloadHash, sha256Hex(req.body));
  assert(facts.signedHeaders.includes("content-type"));

  await client.startObject({ BackupJobId: "job-1", ObjectName: "x" });
  const second = server.requests[1];
  assertEquals(second.body.byteLength, 0);
  assertEquals(second.headers.get("content-type"), null);
  assertEquals((await verifySignature(second)).payloadHash, EMPTY_SHA);
});

Deno.test("endpoint base path is kept and signed", async () => {
  await using server = startServer(() => json({ UploadId: "u" }));
  await using client = testClient(`${server.url}/base/path/`);
  await client.startObject({ BackupJobId: "j", ObjectName: "o" });
  assertEquals(server.requests[0].rawPath, "/base/path/backup-jobs/j/object/o");
  await verifySignature(server.requests[0]);
});

Deno.test("session token is sent in x-amz-security-token and signed", async () => {
  const credentials = { accessKeyId: "ASIATEMP", secretAccessKey: "tmp", sessionToken: "tok/en=" };
  await using server = startServer(() => json({ UploadId: "u" }));
  await using client = testClient(server.url, { credentials });
  await client.startObject({ BackupJobId: "j", ObjectName: "o" });
  const [req] = server.requests;
  assertEquals(req.headers.get("x-amz-security-token"), "tok/en=");
  const facts = await verifySignature(req, credentials);
  assert(facts.signedHeaders.includes("x-amz-security-token"));
  assertEquals(facts.accessKeyId, "ASIATEMP");
});

Deno.test("local validation: nothing is sent for a bad input", async () => {
  await using server = startServer(() => json({}));
  await using client = testClient(server.url);
  const cases: Array<[() => Promise<unknown>, string]> = [
    // deno-lint-ignore no-explicit-any
    [() => client.deleteObject({ BackupJobId: "job" } as any), "ObjectName"],
    [() => client.deleteObject({ BackupJobId: "", ObjectName: "x" }), "BackupJobId"],
    [() => client.getChunk({ StorageJobId: "job", ChunkToken: "" }), "ChunkToken"],
    [() => client.listObjects({ StorageJobId: "job", MaxResults: 0 }), "MaxResults"],
    [
      () => client.listChunks({ StorageJobId: "j", ObjectToken: "t", MaxResults: 101 }),
      "MaxResults",
    ],
    [() =>
      client.putChunk({
        BackupJobId: "j",
        UploadId: "u",
        ChunkIndex: 1.5,
        Data: new Uint8Array(),
        Length: 0,
        Checksum: "c",
        ChecksumAlgorithm: "SHA256",
      }), "ChunkIndex"],
    [() =>
      client.listObjects({
        StorageJobId: "j",
        CreatedAfter: new Date(NaN),
      }), "CreatedAfter"],
    [() =>
      // deno-lint-ignore no-explicit-any
      client.putChunk({ BackupJobId: "j", UploadId: "u", ChunkIndex: 0 } as any), "Data"],
  ];
  for (const [call, member] of cases) {
    await assertRejects(call, IllegalArgumentException, member);
  }
  assertEquals(server.requests.length, 0);
});

Deno.test("the signature check in these tests does catch a tampered request", async () => {
  await using server = startServer(() => json({ UploadId: "u" }));
  await using client = testClient(server.url);
  await client.startObject({ BackupJobId: "j", ObjectName: "o" });
  const [req] = server.requests;
  await verifySignature(req);
  await assertRejects(
    () => verifySignature({ ...req, rawPath: "/backup-jobs/j/object/p" }),
    AssertionError,
    "signature mismatch",
  );
  await assertRejects(
    () => verifySignature(req, { accessKeyId: "AKIDTEST", secretAccessKey: "wrong" }),
    AssertionError,
    "signature mismatch",
  );
});
