// Seeded fuzzing of every parser of the BackupStorage HTTP service that takes
// client input, against a real server over loopback (Deno.serve on 127.0.0.1,
// port 0, the storage app over an embedded store in a temp dir): the SigV4
// `Authorization` header and `X-Amz-Date`, presigned query parameters, and the
// URI labels, query members, headers and JSON bodies of the nine operations.
//
// Every input must get an HTTP answer within the deadline and never a 5xx; a
// validly signed request that was not tampered with succeeds, a tampered one is
// refused (403); an authenticated ListObjects on another connection keeps being
// answered. After the run nothing is outside the data directory and a plain
// PutObject / GetChunk still works.
//
// Replay: the seed is printed; `FUZZ_SEED=… FUZZ_CASE=… deno test …` reruns one
// case. `FUZZ_SECONDS` sets the time budget per target (default 3).

import { Hash, SignatureV4 } from "../../deps/smithy.ts";
import { createStorageApp } from "../../src/server/app.ts";
import { isReportable } from "../../src/server/error_response.ts";
import { parseRawQuery } from "../../src/server/raw_url.ts";
import { chunkChecksum } from "../../src/storage/checksum.ts";
import { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { encodeLabel, type OperationBinding, OPERATIONS } from "../../src/storage/operations.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { assertEquals } from "../support/assert.ts";
import {
  BROKEN_UTF8,
  headerSafe,
  mutateBytes,
  randomJson,
  randomText,
  type Rng,
  utf8,
} from "./support/generators.ts";
import { escapesOf, type RawRequest, type RawResponse, runFuzz } from "./support/harness.ts";

const FILE = "tests/fuzz/storage_fuzz_test.ts";
/** A URI label or query member, percent-encoded (lone surrogates replaced first). */
function enc(value: string): string {
  return encodeLabel(value.toWellFormed());
}

const ACCESS_KEY_ID = "AKIDFUZZ";
const SECRET = "fuzz-secret/with+chars";
const JOB = "job-1";

interface Fixture {
  port: number;
  host: string;
  sandbox: string;
  data: string;
  store: EmbeddedStore;
  /** Errors the app reported that are not service errors (each became a 500). */
  unexpected: unknown[];
  objectTokens: string[];
  chunkTokens: string[];
  uploadIds: string[];
  close(): Promise<void>;
}

async function startFixture(): Promise<Fixture> {
  const sandbox = await Deno.makeTempDir({ prefix: "backupfs-fuzz-storage-" });
  const data = `${sandbox}/data`;
  await Deno.mkdir(data);
  const store = await EmbeddedStore.open(data, { gcIntervalMs: 0, durable: false });
  const unexpected: unknown[] = [];
  const app = createStorageApp(store, {
    credentials: new Map([[ACCESS_KEY_ID, { secretAccessKey: SECRET }]]),
    onError: (error) => {
      if (!isReportable(error)) unexpected.push(error);
    },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const port = server.addr.port;
  for (const name of ["a", "dir/b", "\u00fc"]) {
    const bytes = utf8(`content of ${name}`);
    await store.putObject({
      BackupJobId: JOB,
      ObjectName: name,
      InlineChunk: bytes,
      InlineChunkLength: bytes.length,
      InlineChunkChecksum: chunkChecksum(bytes),
      InlineChunkChecksumAlgorithm: "SHA256",
      MetadataString: "meta",
    });
  }
  const { ObjectList } = await store.listObjects({ StorageJobId: JOB });
  const objectTokens = ObjectList.map((o) => o.ObjectToken);
  const chunkTokens: string[] = [];
  for (const token of objectTokens) {
    const { ChunkList } = await store.listChunks({ StorageJobId: JOB, ObjectToken: token });
    chunkTokens.push(...ChunkList.map((c) => c.ChunkToken));
  }
  const uploadIds: string[] = [];
  for (const name of ["up-1", "up-2"]) {
    uploadIds.push((await store.startObject({ BackupJobId: JOB, ObjectName: name })).UploadId);
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    sandbox,
    data,
    store,
    unexpected,
    objectTokens,
    chunkTokens,
    uploadIds,
    async close() {
      await server.shutdown();
      await store.close();
      await Deno.remove(sandbox, { recursive: true });
    },
  };
}

function signer(secret = SECRET): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: secret },
    region: "us-east-1",
    service: "backup-storage",
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: true,
  });
}

/** What a case sends before signing: the raw target as it goes on the wire. */
interface Unsigned {
  method: string;
  path: string;
  rawQuery: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Send `x-amz-content-sha256: UNSIGNED-PAYLOAD`. */
  unsignedPayload?: boolean;
}

function targetOf(request: Unsigned): string {
  return request.path + (request.rawQuery === "" ? "" : `?${request.rawQuery}`);
}

/** Signs a request the way the server will read it (its URL parsed, its query decoded). */
async function sign(fixture: Fixture, request: Unsigned, date = new Date()): Promise<RawRequest> {
  const url = new URL(`http://${fixture.host}${targetOf(request)}`);
  let query: Record<string, string | string[]> = {};
  try {
    query = { ...parseRawQuery(url.search.slice(1)) };
  } catch {
    // A malformed escape: the server refuses before any signature check.
  }
  const headers: Record<string, string> = { host: fixture.host, ...request.headers };
  if (request.unsignedPayload) headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  const signed = await signer().sign({
    method: request.method,
    protocol: "http:",
    hostname: "127.0.0.1",
    port: fixture.port,
    path: url.pathname,
    query,
    headers,
    ...(request.body ? { body: request.body } : {}),
  }, { signingDate: date });
  return {
    method: request.method,
    target: targetOf(request),
    headers: Object.entries(signed.headers).map(([k, v]) => [k, String(v)]),
    ...(request.body ? { body: request.body } : {}),
  };
}

function encodeQuery(query: Record<string, string>): string {
  return Object.entries(query).map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
}

/** Common checks: no 5xx, errors in the rest-json form, nothing unexpected reported. */
function checkAnswer(fixture: Fixture, response: RawResponse): string | undefined {
  if (fixture.unexpected.length > 0) {
    const error = fixture.unexpected.splice(0).at(-1);
    return `the app failed unexpectedly (${
      error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    }), answered ${response.status}`;
  }
  if (response.status >= 500) return `answered ${response.status}`;
  if (response.status >= 400 && response.status !== 400 || response.status === 400) {
    // Hyper itself answers some malformed requests (400, 414, 431) with no JSON.
    const type = response.headers.get("x-amzn-errortype");
    if (type === null && ![400, 413, 414, 431].includes(response.status)) {
      return `error ${response.status} without x-amzn-ErrorType`;
    }
  }
  return undefined;
}

async function probeListObjects(
  fixture: Fixture,
  signal: AbortSignal,
): Promise<string | undefined> {
  const request = await sign(fixture, {
    method: "GET",
    path: `/restore-jobs/${JOB}/objects/list`,
    rawQuery: "",
    headers: {},
  });
  const headers = new Headers();
  for (const [k, v] of request.headers) if (k !== "host") headers.set(k, v);
  const response = await fetch(`http://${fixture.host}${request.target}`, { headers, signal });
  await response.body?.cancel();
  return response.status === 200 ? undefined : `ListObjects answered ${response.status}`;
}

/** After a run: nothing outside the data directory; a plain PutObject / GetChunk works. */
async function checkAfterRun(fixture: Fixture): Promise<void> {
  const entries = [];
  for await (const entry of Deno.readDir(fixture.sandbox)) entries.push(entry.name);
  assertEquals(entries, ["data"], "something was written next to the data directory");
  assertEquals(await escapesOf(fixture.data), [], "a path in the data directory leads outside it");
  await using client = new BackupStorageClient({
    endpoint: `http://${fixture.host}`,
    region: "us-east-1",
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  });
  const bytes = crypto.getRandomValues(new Uint8Array(10_000));
  const name = `after-fuzz/${crypto.randomUUID()}`;
  await client.putObject({
    BackupJobId: "after",
    ObjectName: name,
    InlineChunk: bytes,
    InlineChunkLength: bytes.length,
    InlineChunkChecksum: chunkChecksum(bytes),
    InlineChunkChecksumAlgorithm: "SHA256",
  });
  const { ObjectList } = await client.listObjects({ StorageJobId: "after" });
  assertEquals(ObjectList.map((o) => o.Name), [name]);
  const { ChunkList } = await client.listChunks({
    StorageJobId: "after",
    ObjectToken: ObjectList[0]!.ObjectToken,
  });
  assertEquals(ChunkList.length, 1);
  const chunk = await client.getChunk({
    StorageJobId: "after",
    ChunkToken: ChunkList[0]!.ChunkToken,
  });
  assertEquals(new Uint8Array(await new Response(chunk.Data).arrayBuffer()), bytes);
}

async function fuzzStorage(
  name: string,
  generate: (
    rng: Rng,
    fixture: Fixture,
  ) => Promise<{ request: RawRequest; expect?: "ok" | "denied" }>,
): Promise<void> {
  const fixture = await startFixture();
  const expectations = new WeakMap<RawRequest, "ok" | "denied">();
  try {
    await runFuzz({
      name,
      file: FILE,
      port: fixture.port,
      generate: async (rng) => {
        const { request, expect } = await generate(rng, fixture);
        if (expect) expectations.set(request, expect);
        return request;
      },
      check: (request, response) => {
        const failure = checkAnswer(fixture, response);
        if (failure) return failure;
        const expect = expectations.get(request);
        if (expect === "ok" && (response.status < 200 || response.status > 299)) {
          return `a valid request was refused: ${response.status} ${
            new TextDecoder().decode(response.body).slice(0, 200)
          }`;
        }
        if (expect === "denied" && response.status !== 403) {
          return `a tampered request was not refused with 403 (status ${response.status})`;
        }
        return undefined;
      },
      probe: (signal) => probeListObjects(fixture, signal),
    });
    await checkAfterRun(fixture);
  } finally {
    await fixture.close();
  }
}

// ------------------------------------------------------------------ Generators

/** A valid request of an operation whose success does not depend on state. */
function validRequest(rng: Rng, fixture: Fixture): Unsigned {
  return rng.weighted<Unsigned>([
    [2, () => ({
      method: "GET",
      path: `/restore-jobs/${JOB}/objects/list`,
      rawQuery: rng.chance(0.5) ? "max-results=2&starting-object-prefix=d" : "",
      headers: {},
    })],
    [1, () => ({
      method: "GET",
      path: `/restore-jobs/${JOB}/object/${enc(rng.pick(fixture.objectTokens))}/metadata`,
      rawQuery: "",
      headers: {},
    })],
    [1, () => {
      const bytes = rng.bytes(rng.int(0, 64));
      return {
        method: "PUT",
        path: `/backup-jobs/${JOB}/object/${enc(`fuzz-${rng.int(0, 9)}`)}/put-object`,
        rawQuery: encodeQuery({
          length: String(bytes.length),
          checksum: chunkChecksum(bytes),
          "checksum-algorithm": "SHA256",
        }),
        headers: {},
        body: bytes,
        unsignedPayload: rng.chance(0.5),
      };
    }],
    [1, () => ({
      method: "PUT",
      path: `/backup-jobs/${JOB}/object/${enc(`start-${rng.int(0, 9)}`)}`,
      rawQuery: "",
      headers: { "content-type": "application/json" },
      body: utf8(rng.chance(0.5) ? "{}" : '{"ThrowOnDuplicate":false}'),
    })],
  ]);
}

/** An `X-Amz-Date` value: valid, shifted, or malformed. */
function amzDate(rng: Rng, now: Date): string {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  return rng.pick([
    iso(new Date(now.getTime() + rng.int(-20, 20) * 60_000)),
    iso(new Date(now.getTime() + rng.int(-400, 400) * 86_400_000)),
    "20241301T000000Z",
    "20240230T000000Z",
    "20240101T246060Z",
    "20231231T235960Z",
    "00000101T000000Z",
    "99991231T235959Z",
    "2024-01-01T00:00:00Z",
    iso(now).toLowerCase(),
    iso(now).slice(0, -1),
    iso(now) + " ",
    iso(now).replace("T", " "),
    "+" + iso(now),
    "1".repeat(rng.int(1, 300)),
    "",
    now.toUTCString(),
    randomText(rng, 30),
  ]);
}

type Mutation = {
  label: string;
  neutral?: boolean;
  apply: (headers: Array<[string, string]>) => void;
};

function setHeader(
  headers: Array<[string, string]>,
  name: string,
  value: string | undefined,
): void {
  const at = headers.findIndex(([k]) => k.toLowerCase() === name);
  if (at >= 0) headers.splice(at, 1);
  if (value !== undefined) headers.push([name, value]);
}

function getHeader(headers: Array<[string, string]>, name: string): string {
  return headers.find(([k]) => k.toLowerCase() === name)?.[1] ?? "";
}

function authorizationMutation(rng: Rng, now: Date): Mutation {
  const edit = (label: string, f: (value: string) => string, neutral = false): Mutation => ({
    label,
    neutral,
    apply: (headers) =>
      setHeader(headers, "authorization", headerSafe(f(getHeader(headers, "authorization")))),
  });
  const credentialPart = (index: number, value: string) => (auth: string) =>
    auth.replace(/Credential=([^,]*)/, (_, c: string) => {
      const parts = c.split("/");
      parts[index] = value;
      return `Credential=${parts.join("/")}`;
    });
  return rng.weighted<Mutation>([
    [2, () => edit("random authorization", () => randomText(rng, 200))],
    [
      2,
      () =>
        edit("signature changed", (a) =>
          a.replace(/Signature=([0-9a-f]+)/, (_, s: string) => {
            const at = rng.int(0, s.length - 1);
            const c = s[at] === "0" ? "1" : "0";
            return `Signature=${s.slice(0, at)}${c}${s.slice(at + 1)}`;
          })),
    ],
    [
      1,
      () =>
        edit(
          "signature upper-case",
          (a) =>
            a.replace(/Signature=([0-9a-f]+)/, (_, s: string) => `Signature=${s.toUpperCase()}A`),
        ),
    ],
    [
      1,
      () =>
        edit(
          "signature length",
          (a) =>
            a.replace(/Signature=([0-9a-f]+)/, (_, s: string) =>
              `Signature=${s.slice(0, rng.int(0, 70))}`),
        ),
    ],
    [1, () => edit("signature extra", (a) => a + rng.pick(["0", ",", " ", ", Foo=bar", "\t"]))],
    [
      1,
      () =>
        edit(
          "access key",
          credentialPart(
            0,
            rng.pick(["", "AKIDOTHER", "akidfuzz", ACCESS_KEY_ID + "x", randomText(rng, 20)]),
          ),
        ),
    ],
    [
      1,
      () =>
        edit(
          "credential date",
          credentialPart(
            1,
            rng.pick(["20240101", "2024010", "abcdefgh", "", amzDate(rng, now).slice(0, 8)]),
          ),
        ),
    ],
    [
      1,
      () =>
        edit(
          "region",
          credentialPart(2, rng.pick(["", "eu-west-1", "US-EAST-1", randomText(rng, 20)])),
        ),
    ],
    [
      1,
      () =>
        edit(
          "service",
          credentialPart(3, rng.pick(["s3", "", "backup-storage ", "Backup-Storage"])),
        ),
    ],
    [
      1,
      () => edit("terminator", credentialPart(4, rng.pick(["aws4_request/", "", "AWS4_REQUEST"]))),
    ],
    [
      1,
      () =>
        edit(
          "credential slashes",
          (a) =>
            a.replace(/Credential=([^,]*)/, (_, c: string) =>
              `Credential=${c}${"/x".repeat(rng.int(1, 50))}`),
        ),
    ],
    [2, () =>
      edit("signed headers", (a) =>
        a.replace(/SignedHeaders=([^,]*)/, (_, h: string) => {
          const names = h.split(";");
          const variant = rng.pick([
            () => names.filter((n) => n !== "host").join(";"),
            () => [...names].reverse().join(";"),
            () => [...names, names[0]!].join(";"),
            () => h.toUpperCase(),
            () => `${h};x-absent`,
            () => `${h};`,
            () => `;${h}`,
            () => "",
            () => Array.from({ length: rng.int(50, 3000) }, (_, i) => `h${i}`).join(";"),
            () => names.filter((n) => n !== "x-amz-date").join(";"),
            () => `${h};${randomText(rng, 10)}`,
          ])();
          return `SignedHeaders=${variant}`;
        }))],
    [1, () => edit("separators", (a) => a.replaceAll(", ", ","), true)],
    [1, () => edit("separators doubled", (a) => a.replaceAll(", ", ",  "))],
    [
      1,
      () =>
        edit("algorithm", (a) =>
          a.replace(
            "AWS4-HMAC-SHA256",
            rng.pick(["AWS4-HMAC-SHA512", "aws4-hmac-sha256", "AWS4-HMAC-SHA256 ", ""]),
          )),
    ],
    [1, () => edit("truncated", (a) => a.slice(0, rng.int(0, a.length - 1)))],
    [2, () => ({
      label: "x-amz-date",
      apply: (headers) => setHeader(headers, "x-amz-date", headerSafe(amzDate(rng, now))),
    })],
    [1, () => ({
      label: "date header instead of x-amz-date",
      apply: (headers) => {
        setHeader(headers, "x-amz-date", undefined);
        setHeader(
          headers,
          "date",
          headerSafe(rng.chance(0.5) ? now.toUTCString() : amzDate(rng, now)),
        );
      },
    })],
    [1, () => ({
      label: "x-amz-content-sha256",
      apply: (headers) =>
        setHeader(
          headers,
          "x-amz-content-sha256",
          rng.pick([
            "UNSIGNED-PAYLOAD",
            "0".repeat(64),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "",
            randomText(rng, 70).replace(/[^\x21-\x7e]/g, ""),
          ]),
        ),
    })],
    [1, () => ({
      label: "session token",
      apply: (headers) =>
        setHeader(headers, "x-amz-security-token", headerSafe(randomText(rng, 100)) || "t"),
    })],
    [1, () => ({
      label: "second authorization",
      apply: (headers) => headers.push(["Authorization", getHeader(headers, "authorization")]),
    })],
    [1, () => ({
      label: "presigned query as well",
      apply: () => {},
    })],
  ]);
}

Deno.test("fuzz storage: SigV4 Authorization header and X-Amz-Date", async () => {
  await fuzzStorage("storage-sigv4", async (rng, fixture) => {
    const now = new Date();
    const unsigned = validRequest(rng, fixture);
    const mutations = rng.chance(0.2)
      ? []
      : Array.from({ length: rng.int(1, 3) }, () => authorizationMutation(rng, now));
    if (mutations.some((m) => m.label === "presigned query as well")) {
      unsigned.rawQuery += (unsigned.rawQuery ? "&" : "") + "X-Amz-Signature=" + "0".repeat(64);
    }
    const request = await sign(fixture, unsigned, now);
    const canonical = () =>
      JSON.stringify(request.headers.map(([k, v]) => [k.toLowerCase(), v]).sort()) +
      request.target;
    const before = canonical();
    for (const mutation of mutations) mutation.apply(request.headers);
    const changed = canonical() !== before;
    request.note = `mutations: ${mutations.map((m) => m.label).join(", ") || "none"}`;
    if (mutations.length === 0) return { request, expect: "ok" };
    if (changed && mutations.every((m) => !m.neutral)) return { request, expect: "denied" };
    return { request };
  });
});

// ----------------------------------------------------------------- Presigned

function presignMutation(
  rng: Rng,
  now: Date,
): { label: string; neutral?: boolean; apply: (q: Array<[string, string]>) => void } {
  const setParam = (q: Array<[string, string]>, name: string, value: string | undefined) => {
    const at = q.findIndex(([k]) => k === name);
    if (value === undefined) {
      if (at >= 0) q.splice(at, 1);
    } else if (at >= 0) q[at] = [name, value];
    else q.push([name, value]);
  };
  const param = rng.pick([
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
  ]);
  return rng.weighted([
    [3, () => ({
      label: `${param} replaced`,
      apply: (q: Array<[string, string]>) =>
        setParam(
          q,
          enc(param),
          enc(
            param === "X-Amz-Expires"
              ? rng.pick([
                "0",
                "-1",
                "1",
                "604800",
                "604801",
                "1e3",
                "",
                "0900",
                "9".repeat(rng.int(1, 30)),
                " 900",
                "900.0",
              ])
              : param === "X-Amz-Date"
              ? amzDate(rng, now)
              : param === "X-Amz-Signature"
              ? rng.pick(["0".repeat(64), "g".repeat(64), "", "0".repeat(63), "A".repeat(64)])
              : randomText(rng, 80).toWellFormed(),
          ),
        ),
    })],
    [
      1,
      () => ({
        label: `${param} removed`,
        apply: (q: Array<[string, string]>) => setParam(q, enc(param), undefined),
      }),
    ],
    [1, () => ({
      label: `${param} repeated`,
      apply: (q: Array<[string, string]>) => {
        const found = q.find(([k]) => k === enc(param));
        if (found) q.push([found[0], found[1]]);
      },
    })],
    [1, () => ({
      label: `${param} raw slashes`,
      neutral: true,
      apply: (q: Array<[string, string]>) => {
        for (const entry of q) entry[1] = entry[1].replaceAll("%2F", "/");
      },
    })],
    [1, () => ({
      label: "malformed escape",
      apply: (q: Array<[string, string]>) =>
        q.push([rng.pick(["%zz", "a%", "%e9"]), rng.pick(["1", "%", "%ff"])]),
    })],
    [1, () => ({
      label: "extra parameter",
      apply: (q: Array<[string, string]>) =>
        q.push([
          enc(randomText(rng, 10).toWellFormed() || "x"),
          enc(randomText(rng, 10).toWellFormed()),
        ]),
    })],
    [1, () => ({
      label: "X-Amz-Security-Token",
      apply: (q: Array<[string, string]>) =>
        q.push(["X-Amz-Security-Token", enc(randomText(rng, 40).toWellFormed() || "t")]),
    })],
  ]);
}

Deno.test("fuzz storage: presigned query parameters", async () => {
  await fuzzStorage("storage-presigned", async (rng, fixture) => {
    const now = new Date();
    const choice = rng.pick(["list", "metadata", "chunks", "chunk"]);
    const path = choice === "list"
      ? `/restore-jobs/${JOB}/objects/list`
      : choice === "metadata"
      ? `/restore-jobs/${JOB}/object/${enc(rng.pick(fixture.objectTokens))}/metadata`
      : choice === "chunks"
      ? `/restore-jobs/${JOB}/chunks/${enc(rng.pick(fixture.objectTokens))}/list`
      : `/restore-jobs/${JOB}/chunk/${enc(rng.pick(fixture.chunkTokens))}`;
    const presigned = await signer().presign({
      method: "GET",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: fixture.port,
      path,
      query: {},
      headers: { host: fixture.host },
    }, { signingDate: now, expiresIn: rng.pick([60, 900, 604800]) });
    const query: Array<[string, string]> = Object.entries(presigned.query as Record<string, string>)
      .map(([k, v]) => [enc(k), enc(v)]);
    const mutations = rng.chance(0.2)
      ? []
      : Array.from({ length: rng.int(1, 3) }, () => presignMutation(rng, now));
    // The canonical query is sorted: only what changes the multiset of pairs counts.
    const canonical = () => JSON.stringify(query.map(([k, v]) => `${k}=${v}`).sort());
    const before = canonical();
    for (const mutation of mutations) mutation.apply(query);
    const rawQuery = query.map(([k, v]) => `${k}=${v}`).join("&");
    const headers: Array<[string, string]> = [];
    if (rng.chance(0.05)) headers.push(["Authorization", "AWS4-HMAC-SHA256 x"]);
    const request: RawRequest = {
      method: "GET",
      target: `${path}?${rawQuery}`,
      headers,
      note: `mutations: ${mutations.map((m) => m.label).join(", ") || "none"}`,
    };
    const changed = canonical() !== before || headers.length > 0;
    if (mutations.length === 0 && headers.length === 0) return { request, expect: "ok" };
    if (changed && mutations.every((m) => !m.neutral)) return { request, expect: "denied" };
    return { request };
  });
});

// ---------------------------------------------------------------- Operations

function label(rng: Rng, real: readonly string[]): string {
  return rng.weighted([
    [4, () => enc(rng.pick(real))],
    [2, () => enc(randomText(rng, 40).toWellFormed() || "x")],
    [1, () =>
      rng.pick([
        ".",
        "..",
        "%2e",
        "%2E%2E",
        "%00",
        "a%00b",
        "%ff",
        "%ed%a0%80",
        "%c0%af",
        "%",
        "%zz",
        "%2F..%2F..%2Fetc%2Fpasswd",
        "..%2F..%2F",
        "a%2Fb",
        "%20",
        "+",
        "~",
      ])],
    [1, () => enc("x".repeat(rng.pick([128, 129, 1024, 1025, 5000])))],
    [1, () => enc(mutateToken(rng, rng.pick(real)))],
  ]);
}

function mutateToken(rng: Rng, token: string): string {
  const at = rng.int(0, Math.max(0, token.length - 1));
  return rng.pick([
    token.slice(0, at) + String.fromCharCode(rng.int(0x21, 0x7e)) + token.slice(at + 1),
    token.slice(0, at),
    token + token,
    token.split("").reverse().join(""),
  ]);
}

function queryValue(rng: Rng, type: string): string {
  switch (type) {
    case "integer":
    case "long":
      return rng.pick([
        "1",
        "100",
        "0",
        "101",
        "-1",
        "1.5",
        "1e2",
        "99999999999999999",
        "9007199254740993",
        "",
        "0x10",
        " 1",
        "+1",
        "-0",
        "00000000000000001",
        String(rng.int(0, 5000)),
      ]);
    case "timestamp":
      return rng.pick([
        "2024-01-02T03:04:05Z",
        "2024-01-02T03:04:05.123456789+05:30",
        "2024-02-30T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",
        "+275760-09-13T00:00:00Z",
        "1704164645",
        "999999999999.999999999",
        "1e308",
        "-1",
        "2024-01-02T03:04:05+99:99",
        "2024-01-02t03:04:05z",
        "",
        randomText(rng, 30),
      ]);
    case "boolean":
      return rng.pick(["true", "false", "TRUE", "1", "", "yes"]);
    default:
      return rng.weighted([
        [3, () => randomText(rng, 60)],
        [1, () => chunkChecksum(rng.bytes(8))],
        [1, () => "SHA256"],
        [1, () => "SUMMARY"],
        [1, () => "x".repeat(rng.pick([256, 257, 5000]))],
      ]);
  }
}

function rawQueryFor(rng: Rng, binding: OperationBinding): string {
  const pairs: string[] = [];
  for (const member of binding.input) {
    if (member.location !== "querystring" || !rng.chance(0.7)) continue;
    const value = queryValue(rng, member.type).toWellFormed();
    pairs.push(`${member.wireName}=${enc(value)}`);
    if (rng.chance(0.05)) pairs.push(`${member.wireName}=${enc(value)}`);
  }
  if (rng.chance(0.1)) pairs.push(`${enc(randomText(rng, 10).toWellFormed())}=1`);
  if (rng.chance(0.05)) pairs.push(rng.pick(["%zz=1", "a=%", "%ff=%fe", "=", "&&&", "a==b"]));
  return pairs.join("&");
}

function jsonBody(rng: Rng): Uint8Array {
  return rng.weighted<Uint8Array>([
    [3, () => utf8(JSON.stringify({ ThrowOnDuplicate: rng.pick([true, false, 1, "true", null]) }))],
    [3, () => utf8(JSON.stringify(randomJson(rng)))],
    [1, () => utf8('{"__proto__":{"ThrowOnDuplicate":true},"constructor":{"prototype":{}}}')],
    [1, () => utf8("[".repeat(rng.int(1, 30_000)) + "]".repeat(rng.int(0, 30_000)))],
    [
      1,
      () => utf8(`{"a":${'{"a":'.repeat(rng.int(1, 10_000))}1${"}".repeat(rng.int(0, 10_000))}}`),
    ],
    [
      1,
      () =>
        Uint8Array.from([
          ...utf8('{"ThrowOnDuplicate":"'),
          ...rng.pick(BROKEN_UTF8),
          ...utf8('"}'),
        ]),
    ],
    [1, () => mutateBytes(rng, utf8('{"ThrowOnDuplicate":true}'), 70_000)],
    [1, () => utf8(`{"x":"${"a".repeat(rng.pick([60_000, 65_530, 70_000]))}"}`)],
    [1, () => rng.bytes(rng.size(1000))],
  ]);
}

Deno.test("fuzz storage: labels, query, headers and JSON bodies of the nine operations", async () => {
  const bindings = Object.values(OPERATIONS);
  await fuzzStorage("storage-operations", async (rng, fixture) => {
    const binding = rng.pick(bindings);
    const labels: Record<string, string> = {
      jobId: label(rng, [JOB, "job-2", "a".repeat(128)]),
      objectName: label(rng, ["a", "dir/b", "\u00fc", "new"]),
      objectToken: label(rng, fixture.objectTokens),
      chunkToken: label(rng, fixture.chunkTokens),
      uploadId: label(rng, fixture.uploadIds),
      chunkIndex: rng.pick([
        "0",
        "1",
        "-1",
        "99999999999999999999",
        "1.5",
        "%31",
        "0x1",
        "10000000",
      ]),
    };
    const path = binding.path.replace(/\{(\w+)\}/g, (_, name: string) => labels[name] ?? "x");
    const headers: Record<string, string> = {};
    if (rng.chance(0.1)) headers["x-amz-metadata-string"] = headerSafe(randomText(rng, 300)) || "m";
    if (rng.chance(0.1)) {
      headers["content-type"] = rng.pick(["application/json", "text/plain", "x"]);
    }
    let body: Uint8Array | undefined;
    let unsignedPayload = false;
    if (binding.name === "StartObject") {
      if (rng.chance(0.9)) body = jsonBody(rng);
    } else if (binding.unsignedPayload) {
      if (rng.chance(0.8)) body = rng.bytes(rng.size(5000));
      unsignedPayload = rng.chance(0.5);
    } else if (rng.chance(0.1)) {
      body = rng.bytes(rng.size(100));
    }
    let rawQuery = rawQueryFor(rng, binding);
    if (binding.name === "PutChunk" && body && rng.chance(0.5)) {
      rawQuery = encodeQuery({
        length: String(body.length),
        checksum: chunkChecksum(body),
        "checksum-algorithm": "SHA256",
      });
    }
    const method = rng.chance(0.05)
      ? rng.pick(["POST", "PATCH", "HEAD", "OPTIONS"])
      : binding.method;
    const request = await sign(fixture, {
      method,
      path,
      rawQuery,
      headers,
      ...(body ? { body } : {}),
      unsignedPayload,
    });
    return { request };
  });
});
