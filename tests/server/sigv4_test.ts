// SigV4 verification of the storage app: forged, stale and tampered requests are
// refused with 403 AccessDeniedException and reach no storage; genuine ones pass.

import { Hash, SignatureV4 } from "../../deps/smithy.ts";
import { createStorageApp } from "../../src/server/app.ts";
import { sha256Hex } from "../../src/server/body.ts";
import { parseAmzDate } from "../../src/server/sigv4_parse.ts";
import type { AccessKeyEntry } from "../../src/server/sigv4_verify.ts";
import { assert, assertEquals } from "../support/assert.ts";
import {
  ACCESS_KEY_ID,
  CREDENTIALS,
  encodeQuery,
  HOST,
  presignedUrl,
  RecordingStorage,
  SECRET,
  signedRequest,
} from "./support/server_fixtures.ts";

const NOW = Date.parse("2026-03-04T05:06:07Z");
const MINUTE = 60_000;
const CHUNK_QUERY = { length: "3", checksum: "x", "checksum-algorithm": "SHA256" };

function setup(
  options: { credentials?: ReadonlyMap<string, AccessKeyEntry>; region?: string } = {},
) {
  const recorder = new RecordingStorage();
  const reasons: unknown[] = [];
  const app = createStorageApp(recorder.asStorage(), {
    credentials: options.credentials ?? CREDENTIALS,
    region: options.region,
    now: () => NOW,
    onError: (error) => reasons.push((error as Error).cause ?? error),
  });
  return { recorder, app, reasons };
}

async function expectDenied(
  env: ReturnType<typeof setup>,
  request: Request,
  reason?: string,
): Promise<void> {
  const response = await env.app.fetch(request);
  assertEquals(response.status, 403, `expected 403, reasons so far: ${env.reasons.join("; ")}`);
  assertEquals(response.headers.get("x-amzn-ErrorType"), "AccessDeniedException");
  assertEquals(await response.json(), {
    message: "The request signature could not be verified",
  });
  assertEquals(env.recorder.calls.length, 0, "nothing reaches the storage");
  if (reason) assertEquals(env.reasons.at(-1), reason);
}

async function expectOk(env: ReturnType<typeof setup>, request: Request): Promise<Response> {
  const response = await env.app.fetch(request);
  assertEquals(response.status, 200, `reasons: ${env.reasons.join("; ")}`);
  return response;
}

/** Copies a request with another URL and/or extra headers. */
function alter(
  request: Request,
  change: { url?: string; headers?: Record<string, string>; body?: BodyInit },
): Request {
  const headers = new Headers(request.headers);
  for (const [k, v] of Object.entries(change.headers ?? {})) headers.set(k, v);
  return new Request(change.url ?? request.url, {
    method: request.method,
    headers,
    body: change.body ?? request.body,
  });
}

const at = (offset = 0) => new Date(NOW + offset);

Deno.test("a genuine signed request passes (header form, fixed clock)", async () => {
  const env = setup();
  const response = await expectOk(
    env,
    await signedRequest("/restore-jobs/j/objects/list", { date: at() }),
  );
  await response.body?.cancel();
  assertEquals(env.recorder.calls.length, 1);
});

Deno.test("wrong secret and unknown key are refused", async () => {
  await expectDenied(
    setup(),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), secret: "nope" }),
    "signature mismatch",
  );
  await expectDenied(
    setup(),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), accessKeyId: "AKIDOTHER" }),
    "unknown access key",
  );
});

Deno.test("tampered path, query and signed header are refused", async () => {
  const name = "a%2Fb";
  const signed = await signedRequest(`/backup-jobs/j/object/${name}`, {
    method: "DELETE",
    date: at(),
    headers: { "x-amz-meta-note": "one" },
  });
  await expectDenied(
    setup(),
    alter(signed, { url: `http://${HOST}/backup-jobs/j/object/a%2Fc` }),
    "signature mismatch",
  );
  await expectDenied(
    setup(),
    alter(signed, { headers: { "x-amz-meta-note": "two" } }),
    "signature mismatch",
  );
  const listed = await signedRequest("/restore-jobs/j/objects/list", {
    date: at(),
    query: { "max-results": "5", "starting-object-prefix": "a b" },
  });
  const url = new URL(listed.url);
  url.search = encodeQuery({ "max-results": "6", "starting-object-prefix": "a b" });
  await expectDenied(setup(), alter(listed, { url: url.href }), "signature mismatch");
  url.search = encodeQuery({
    "max-results": "5",
    "starting-object-prefix": "a b",
    "next-token": "x",
  });
  await expectDenied(setup(), alter(listed, { url: url.href }), "signature mismatch");
});

Deno.test("a request whose SignedHeaders leave out host is refused", async () => {
  const signer = new SignatureV4({
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
    region: "us-east-1",
    service: "backup-storage",
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign({
    method: "GET",
    protocol: "http:",
    hostname: "127.0.0.1",
    path: "/restore-jobs/j/objects/list",
    query: {},
    headers: { host: HOST },
  }, { signingDate: at(), unsignableHeaders: new Set(["host"]) });
  assert(!signed.headers.authorization.includes("host"));
  await expectDenied(
    setup(),
    new Request(`http://${HOST}/restore-jobs/j/objects/list`, { headers: signed.headers }),
    "host is not signed",
  );
});

Deno.test("clock skew beyond 15 minutes either way is refused (header form)", async () => {
  await expectDenied(
    setup(),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(-16 * MINUTE) }),
    "request date too old",
  );
  await expectDenied(
    setup(),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(16 * MINUTE) }),
    "request date in the future",
  );
  const env = setup();
  const response = await expectOk(
    env,
    await signedRequest("/restore-jobs/j/objects/list", { date: at(-14 * MINUTE) }),
  );
  await response.body?.cancel();
});

Deno.test("wrong service or region in the credential scope is refused", async () => {
  await expectDenied(
    setup(),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), service: "s3" }),
    "wrong service in credential scope",
  );
  await expectDenied(
    setup({ region: "eu-west-1" }),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), region: "us-east-1" }),
    "wrong region",
  );
  const env = setup({ region: "eu-west-1" });
  const response = await expectOk(
    env,
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), region: "eu-west-1" }),
  );
  await response.body?.cancel();
});

Deno.test("UNSIGNED-PAYLOAD is refused on an operation with a signed payload", async () => {
  await expectDenied(
    setup(),
    await signedRequest("/backup-jobs/j/object/o", {
      method: "PUT",
      date: at(),
      unsigned: true,
      body: "{}",
    }),
    "UNSIGNED-PAYLOAD on a signed-payload operation",
  );
  await expectDenied(
    setup(),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), unsigned: true }),
    "UNSIGNED-PAYLOAD on a signed-payload operation",
  );
});

Deno.test("a tampered signed JSON body is refused", async () => {
  const signed = await signedRequest("/backup-jobs/j/object/o", {
    method: "PUT",
    date: at(),
    body: '{"ThrowOnDuplicate":false}',
  });
  // Without x-amz-content-sha256 the signature covers the hash of the body itself.
  const bare = await signedRequest("/backup-jobs/j/object/o", {
    method: "PUT",
    date: at(),
    body: '{"ThrowOnDuplicate":false}',
    applyChecksum: false,
  });
  assertEquals(bare.headers.get("x-amz-content-sha256"), null);
  const env = setup();
  const response = await expectOk(env, alter(bare, {}));
  await response.body?.cancel();
  await expectDenied(
    setup(),
    alter(bare, { body: '{"ThrowOnDuplicate":true} ' }),
    "signature mismatch",
  );
  await expectDenied(
    setup(),
    alter(signed, { body: '{"ThrowOnDuplicate":true!}' }),
    "payload hash mismatch",
  );
});

Deno.test("a wrong hex payload hash on PutChunk is refused and nothing is stored", async () => {
  const env = setup();
  const request = await signedRequest("/backup-jobs/j/chunk/u/0", {
    method: "PUT",
    date: at(),
    query: CHUNK_QUERY,
    headers: { "x-amz-content-sha256": sha256Hex(new TextEncoder().encode("xyz")) },
    body: "abc",
  });
  await expectDenied(env, request, "payload hash mismatch");
});

Deno.test("session tokens: accepted when configured, refused otherwise", async () => {
  const withToken = new Map([[ACCESS_KEY_ID, { secretAccessKey: SECRET, sessionToken: "tok" }]]);
  const env = setup({ credentials: withToken });
  const ok = await expectOk(
    env,
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), sessionToken: "tok" }),
  );
  await ok.body?.cancel();
  await expectDenied(
    setup({ credentials: withToken }),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), sessionToken: "other" }),
    "wrong session token",
  );
  await expectDenied(
    setup({ credentials: withToken }),
    await signedRequest("/restore-jobs/j/objects/list", { date: at() }),
    "session token missing or unsigned",
  );
  await expectDenied(
    setup(),
    await signedRequest("/restore-jobs/j/objects/list", { date: at(), sessionToken: "tok" }),
    "session token not accepted for this key",
  );
});

Deno.test("missing or malformed Authorization is refused", async () => {
  await expectDenied(
    setup(),
    new Request(`http://${HOST}/restore-jobs/j/objects/list`, { headers: { host: HOST } }),
    "no signature",
  );
  const signed = await signedRequest("/restore-jobs/j/objects/list", { date: at() });
  const auth = signed.headers.get("authorization")!;
  for (
    const bad of [
      auth.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"),
      auth.replace(/Signature=[0-9a-f]+/, "Signature=abc"),
      auth.replace("SignedHeaders=", "SignedHeaders=zzz;"),
      auth.replace("/aws4_request", "/aws5_request"),
    ]
  ) {
    await expectDenied(setup(), alter(signed, { headers: { authorization: bad } }));
  }
});

Deno.test("presigned URLs (smithy): valid, expired, from the future, wrong secret", async () => {
  const path = "/restore-jobs/j/chunk/tok%2Fen";
  const env = setup();
  env.recorder.outputs.set("GetChunk", () => ({
    Data: new Response("abc").body!,
    Length: 3,
    Checksum: "c",
    ChecksumAlgorithm: "SHA256",
  }));
  const url = await presignedUrl(path, { date: at(-5 * MINUTE), expiresIn: 600 });
  const response = await expectOk(env, new Request(url, { headers: { host: HOST } }));
  assertEquals(await response.text(), "abc");
  assertEquals(env.recorder.calls[0].input, { StorageJobId: "j", ChunkToken: "tok/en" });

  await expectDenied(
    setup(),
    new Request(await presignedUrl(path, { date: at(-11 * MINUTE), expiresIn: 600 }), {
      headers: { host: HOST },
    }),
    "presigned URL expired",
  );
  await expectDenied(
    setup(),
    new Request(await presignedUrl(path, { date: at(16 * MINUTE), expiresIn: 600 }), {
      headers: { host: HOST },
    }),
    "request date in the future",
  );
  await expectDenied(
    setup(),
    new Request(await presignedUrl(path, { date: at(), secret: "nope" }), {
      headers: { host: HOST },
    }),
    "signature mismatch",
  );
  const tampered = new URL(await presignedUrl(path, { date: at() }));
  tampered.pathname = "/restore-jobs/j/chunk/other";
  await expectDenied(
    setup(),
    new Request(tampered, { headers: { host: HOST } }),
    "signature mismatch",
  );
});

Deno.test("parseAmzDate is strict", () => {
  assertEquals(parseAmzDate("20260304T050607Z"), new Date("2026-03-04T05:06:07Z"));
  assertEquals(parseAmzDate("20260230T050607Z"), undefined);
  assertEquals(parseAmzDate("2026-03-04T05:06:07Z"), undefined);
});
