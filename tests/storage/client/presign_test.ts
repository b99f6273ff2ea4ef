// Presigned URLs: query parameters, path, expiry bounds, and a signature checked
// by an independent SigV4 computation written out here with node:crypto.

import { createHash, createHmac } from "node:crypto";
import { assert, assertEquals, assertRejects } from "../../support/assert.ts";
import {
  CREDENTIALS,
  decodeQuery,
  REGION,
  startServer,
  testClient,
} from "./support/client_fixtures.ts";

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** SigV4 of a presigned GET, by hand (the algorithm of the AWS documentation). */
function expectedSignature(url: URL, secret: string): string {
  const query = decodeQuery(url.search.slice(1));
  delete query["X-Amz-Signature"];
  const canonicalQuery = Object.keys(query).map((k) => [rfc3986(k), rfc3986(query[k])])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join("&");
  // Non-S3 services double-encode: each already-encoded segment is encoded again.
  const canonicalPath = url.pathname.split("/").map(rfc3986).join("/");
  const canonicalRequest = [
    "GET",
    canonicalPath,
    canonicalQuery,
    `host:${url.host}`,
    "",
    "host",
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const date = query["X-Amz-Date"];
  const scope = query["X-Amz-Credential"].split("/").slice(1).join("/");
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    date,
    scope,
    createHash("sha256").update(canonicalRequest).digest("hex"),
  ].join("\n");
  const [day, region, service] = scope.split("/");
  let key: Buffer | string = `AWS4${secret}`;
  for (const part of [day, region, service, "aws4_request"]) {
    key = createHmac("sha256", key).update(part).digest();
  }
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}

Deno.test("presigned GetChunk URL: path, X-Amz-* parameters, verifiable signature", async () => {
  await using client = testClient("http://127.0.0.1:9/base");
  const url = new URL(
    await client.presign("GetChunk", { StorageJobId: "job-1", ChunkToken: "to/ken+ü" }, {
      expiresIn: 60,
    }),
  );
  assertEquals(url.origin, "http://127.0.0.1:9");
  assertEquals(url.pathname, "/base/restore-jobs/job-1/chunk/to%2Fken%2B%C3%BC");
  const q = decodeQuery(url.search.slice(1));
  assertEquals(q["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
  assert(
    new RegExp(`^AKIDTEST/\\d{8}/${REGION}/backup-storage/aws4_request$`).test(
      q["X-Amz-Credential"],
    ),
    q["X-Amz-Credential"],
  );
  assert(/^\d{8}T\d{6}Z$/.test(q["X-Amz-Date"]));
  assertEquals(q["X-Amz-Expires"], "60");
  assertEquals(q["X-Amz-SignedHeaders"], "host");
  assert(/^[0-9a-f]{64}$/.test(q["X-Amz-Signature"]));
  assertEquals(q["X-Amz-Security-Token"], undefined);
  assertEquals(q["x-amz-content-sha256"], undefined);
  assertEquals(q["X-Amz-Signature"], expectedSignature(url, CREDENTIALS.secretAccessKey));
  assert(q["X-Amz-Signature"] !== expectedSignature(url, "another secret"));
});

Deno.test("presigned ListObjects URL keeps query members and is fetchable as is", async () => {
  await using server = startServer(() => new Response("{}", { status: 200 }));
  await using client = testClient(server.url);
  const href = await client.presign("ListObjects", {
    StorageJobId: "job",
    StartingObjectPrefix: "a b/",
    MaxResults: 7,
    CreatedAfter: new Date(Date.UTC(2024, 4, 6, 7, 8, 9)),
  });
  const url = new URL(href);
  assertEquals(url.pathname, "/restore-jobs/job/objects/list");
  assertEquals(q(url)["starting-object-prefix"], "a b/");
  assertEquals(q(url)["max-results"], "7");
  assertEquals(q(url)["created-after"], "2024-05-06T07:08:09Z");
  assertEquals(q(url)["X-Amz-Expires"], "900");
  assertEquals(q(url)["X-Amz-Signature"], expectedSignature(url, CREDENTIALS.secretAccessKey));
  const response = await fetch(href);
  await response.body?.cancel();
  const [req] = server.requests;
  assertEquals(req.rawPath, "/restore-jobs/job/objects/list");
  assertEquals(req.query, q(url));
  assertEquals(req.headers.get("authorization"), null);
});

function q(url: URL): Record<string, string> {
  return decodeQuery(url.search.slice(1));
}

Deno.test("presign: session token, other read operations, expiresIn bounds, bad operations", async () => {
  const credentials = {
    accessKeyId: "ASIAX",
    secretAccessKey: "tmp-secret",
    sessionToken: "st/1=",
  };
  await using client = testClient("http://127.0.0.1:9", { credentials });
  const withToken = new URL(
    await client.presign("GetObjectMetadata", { StorageJobId: "j", ObjectToken: "o" }, {
      expiresIn: 604800,
    }),
  );
  assertEquals(withToken.pathname, "/restore-jobs/j/object/o/metadata");
  assertEquals(q(withToken)["X-Amz-Security-Token"], "st/1=");
  assertEquals(q(withToken)["X-Amz-Expires"], "604800");
  assertEquals(q(withToken)["X-Amz-Signature"], expectedSignature(withToken, "tmp-secret"));

  const chunks = new URL(
    await client.presign("ListChunks", { StorageJobId: "j", ObjectToken: "o", NextToken: "n" }),
  );
  assertEquals(chunks.pathname, "/restore-jobs/j/chunks/o/list");
  assertEquals(q(chunks)["next-token"], "n");

  for (const expiresIn of [0, -1, 604801, 1.5, NaN]) {
    await assertRejects(
      () => client.presign("GetChunk", { StorageJobId: "j", ChunkToken: "t" }, { expiresIn }),
      RangeError,
      "expiresIn",
    );
  }
  await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => client.presign("PutChunk" as any, { BackupJobId: "j" } as any),
    TypeError,
    "presign",
  );
  const url = await client.presign("GetChunk", { StorageJobId: "j", ChunkToken: "t" }, {
    expiresIn: 1,
  });
  assert(!url.includes("tmp-secret"));
});
