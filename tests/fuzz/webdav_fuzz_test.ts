// Seeded fuzzing of every WebDAV parser that takes client input, against a real
// server over loopback (Deno.serve on 127.0.0.1, port 0, the Hono app over an
// embedded store in a temp dir): XML bodies of PROPFIND/PROPPATCH/LOCK, the
// headers If, Destination, Range, Timeout, Depth, Overwrite and the conditional
// ones, request paths, and Basic `Authorization`.
//
// Every input must get an HTTP answer within the deadline and never a 5xx
// (but 501 for unknown methods, 502 for a foreign Destination, 507 for a size
// limit); an OPTIONS probe on another connection keeps being answered. After the
// run nothing is outside the data directory and a plain PUT/GET still works.
//
// Replay: the seed is printed; `FUZZ_SEED=… FUZZ_CASE=… deno test …` reruns one
// case. `FUZZ_SECONDS` sets the time budget per target (default 3).

import { serveHttp } from "../../src/http/mod.ts";
import { BackupFS } from "../../src/fs/backup_fs.ts";
import { listAllObjects } from "../../src/storage/paginate.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { createBasicAuth } from "../../webdav/auth/basic_auth.ts";
import { MemoryLockManager } from "../../webdav/locks/lock_manager.ts";
import { createWebDavApp, type WebDavOptions } from "../../webdav/mod.ts";
import { DEFAULT_MAX_XML_BYTES } from "../../webdav/xml/parse.ts";
import { ALLOWED_METHODS } from "../../webdav/methods/common.ts";
import { assert, assertEquals } from "../support/assert.ts";
import {
  basicAuthorization,
  depthHeader,
  destinationHeader,
  etagHeader,
  headerSafe,
  httpDate,
  ifHeader,
  lockinfoBody,
  overwriteHeader,
  randomText,
  rangeHeader,
  requestPath,
  type Rng,
  timeoutHeader,
  utf8,
  xmlBody,
} from "./support/generators.ts";
import { escapesOf, type RawRequest, type RawResponse, runFuzz } from "./support/harness.ts";

const FILE = "tests/fuzz/webdav_fuzz_test.ts";
const USER = "fuzzer";
const PASSWORD = "pa:ss w\u00f6rd";
/** Largest XML body the fuzzed server accepts: the default (1 MiB). */
const MAX_XML_BYTES = DEFAULT_MAX_XML_BYTES;
const ALLOWED_5XX = new Set([501, 502, 507]);

const METHODS = [
  ...ALLOWED_METHODS,
  "POST",
  "PATCH",
  "TRACE",
  "SEARCH",
  "BREW",
  "propfind",
  "X-" + "M".repeat(40),
];

interface Fixture {
  port: number;
  origin: string;
  sandbox: string;
  data: string;
  store: EmbeddedStore;
  fs: BackupFS;
  locks: MemoryLockManager;
  /** Lock tokens handed out (from `Lock-Token`), for later `If` and `Lock-Token` headers. */
  tokens: string[];
  errors: unknown[];
  authHeaders: Record<string, string>;
  close(): Promise<void>;
}

async function startFixture(auth: boolean): Promise<Fixture> {
  const sandbox = await Deno.makeTempDir({ prefix: "backupfs-fuzz-dav-" });
  const data = `${sandbox}/data`;
  await Deno.mkdir(data);
  const store = await EmbeddedStore.open(data, { gcIntervalMs: 0, durable: false });
  const fs = new BackupFS(store, { jobId: "fuzz", chunkSize: 4096 });
  await fs.writeTextFile("/a.txt", "hello, fuzz\n".repeat(100));
  await fs.mkdir("/dir");
  await fs.writeTextFile("/dir/b.txt", "b");
  await fs.writeTextFile("/\u00fc.txt", "u");
  const locks = new MemoryLockManager();
  const errors: unknown[] = [];
  const options: WebDavOptions = {
    locks,
    maxXmlBytes: MAX_XML_BYTES,
    onError: (error) => errors.push(error),
  };
  if (auth) options.authenticate = createBasicAuth(new Map([[USER, PASSWORD]]));
  const dav = createWebDavApp(fs, options);
  // The server `deno task serve` runs (node's HTTP/1.1 server with its limits).
  const server = await serveHttp(dav.fetch, { hostname: "127.0.0.1", port: 0 });
  const port = server.addr.port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    sandbox,
    data,
    store,
    fs,
    locks,
    tokens: [],
    errors,
    authHeaders: auth
      ? { Authorization: `Basic ${btoa(String.fromCharCode(...utf8(`${USER}:${PASSWORD}`)))}` }
      : {},
    async close() {
      await server.shutdown();
      await store.close();
      await Deno.remove(sandbox, { recursive: true });
    },
  };
}

/** Common checks of every answer: no 5xx but the allowed ones; remember lock tokens. */
function checkAnswer(fixture: Fixture, response: RawResponse): string | undefined {
  if (response.status < 100 || response.status > 599) return `status ${response.status}`;
  if (response.status >= 500 && !ALLOWED_5XX.has(response.status)) {
    const detail = fixture.errors.at(-1);
    return `answered ${response.status}${
      detail instanceof Error ? ` (server error: ${detail.name}: ${detail.message})` : ""
    }`;
  }
  const token = /^<(.+)>$/.exec(response.headers.get("lock-token") ?? "")?.[1];
  if (token && fixture.tokens.length < 64) fixture.tokens.push(token);
  return undefined;
}

async function probeOptions(
  fixture: Fixture,
  signal: AbortSignal,
): Promise<string | undefined> {
  const response = await fetch(`${fixture.origin}/`, {
    method: "OPTIONS",
    headers: fixture.authHeaders,
    signal,
  });
  await response.body?.cancel();
  return response.status === 200 ? undefined : `OPTIONS answered ${response.status}`;
}

/** After a run: nothing outside the data directory, sane names, and PUT/GET still work. */
async function checkAfterRun(fixture: Fixture): Promise<void> {
  const entries = [];
  for await (const entry of Deno.readDir(fixture.sandbox)) entries.push(entry.name);
  assertEquals(entries, ["data"], "something was written next to the data directory");
  assertEquals(await escapesOf(fixture.data), [], "a path in the data directory leads outside it");
  for await (const object of listAllObjects(fixture.store, { StorageJobId: "fuzz" })) {
    const segments = object.Name.replace(/\/$/, "").split("/");
    assert(
      !object.Name.startsWith("/") && !object.Name.includes("\0") &&
        segments.every((s) => s !== "" && s !== "." && s !== ".."),
      `an object name escapes the file system's tree: ${JSON.stringify(object.Name)}`,
    );
  }
  // Locks the fuzzer took (up to an hour) would refuse the PUT: they go first.
  for (const lock of fixture.locks.list()) fixture.locks.unlock(lock.token);
  const name = `/after-fuzz-${crypto.randomUUID()}.bin`;
  const body = crypto.getRandomValues(new Uint8Array(10_000));
  const put = await fetch(fixture.origin + name, {
    method: "PUT",
    body,
    headers: fixture.authHeaders,
  });
  await put.body?.cancel();
  assertEquals(put.status, 201);
  const get = await fetch(fixture.origin + name, { headers: fixture.authHeaders });
  assertEquals(get.status, 200);
  assertEquals(new Uint8Array(await get.arrayBuffer()), body);
  assertEquals(await fixture.fs.readFile(name), body);
}

async function fuzzDav(
  name: string,
  options: { auth?: boolean },
  generate: (rng: Rng, fixture: Fixture) => RawRequest,
  check?: (request: RawRequest, response: RawResponse) => string | undefined,
): Promise<void> {
  const fixture = await startFixture(options.auth ?? false);
  try {
    await runFuzz({
      name,
      file: FILE,
      port: fixture.port,
      generate: (rng) => generate(rng, fixture),
      check: (request, response) => checkAnswer(fixture, response) ?? check?.(request, response),
      probe: (signal) => probeOptions(fixture, signal),
    });
    await checkAfterRun(fixture);
  } finally {
    await fixture.close();
  }
}

const XML_TYPE: [string, string] = ["Content-Type", "application/xml; charset=utf-8"];

function fixturePath(rng: Rng): string {
  return rng.pick(["/", "/a.txt", "/dir/", "/dir/b.txt", "/%C3%BC.txt", "/new.txt", "/dir/new/"]);
}

Deno.test("fuzz webdav: XML bodies of PROPFIND, PROPPATCH and LOCK", async () => {
  await fuzzDav("webdav-xml", {}, (rng) => {
    const method = rng.pick(["PROPFIND", "PROPPATCH", "LOCK"]);
    const headers: Array<[string, string]> = [];
    if (rng.chance(0.8)) headers.push(XML_TYPE);
    if (method === "PROPFIND") headers.push(["Depth", rng.pick(["0", "1"])]);
    if (method === "LOCK") headers.push(["Timeout", "Second-5"]);
    return {
      method,
      target: fixturePath(rng),
      headers,
      body: xmlBody(rng, method, MAX_XML_BYTES + 1024),
    };
  });
});

Deno.test("fuzz webdav: headers If, Destination, Range, Timeout, Depth, Overwrite, conditionals", async () => {
  await fuzzDav("webdav-headers", {}, (rng, fixture) => {
    // Locks of up to an hour pile up and refuse most requests (423): now and
    // then they all go, so that LOCK, PUT, MOVE… get past them again.
    if (rng.chance(0.05)) {
      for (const lock of fixture.locks.list()) fixture.locks.unlock(lock.token);
    }
    const method = rng.pick(METHODS.slice(0, 12));
    const headers: Array<[string, string]> = [];
    const add = (name: string, value: string) => headers.push([name, headerSafe(value)]);
    const pathOf = () => fixturePath(rng);
    const all: Array<[number, () => void]> = [
      [3, () => add("If", ifHeader(rng, fixture.origin, fixture.tokens))],
      [2, () => add("Destination", destinationHeader(rng, fixture.origin, () => requestPath(rng)))],
      [2, () => add("Range", rangeHeader(rng))],
      [1, () => add("If-Range", rng.chance(0.5) ? etagHeader(rng) : httpDate(rng))],
      [2, () => add("Timeout", timeoutHeader(rng))],
      [2, () => add("Depth", depthHeader(rng))],
      [1, () => add("Overwrite", overwriteHeader(rng))],
      [1, () => add("If-Match", etagHeader(rng))],
      [1, () => add("If-None-Match", etagHeader(rng))],
      [1, () => add("If-Modified-Since", httpDate(rng))],
      [1, () => add("If-Unmodified-Since", httpDate(rng))],
      [1, () =>
        add(
          "Lock-Token",
          rng.chance(0.5) && fixture.tokens.length > 0
            ? `<${rng.pick(fixture.tokens)}>`
            : randomText(rng, 60),
        )],
      [1, () => add("Content-Type", randomText(rng, 40))],
    ];
    for (let i = 0, n = rng.int(1, 4); i < n; i++) rng.weighted(all);
    if (
      (method === "COPY" || method === "MOVE") && !headers.some(([h]) => h === "Destination")
    ) {
      add("Destination", fixture.origin + requestPath(rng));
    }
    let body: Uint8Array | undefined;
    if (method === "LOCK" && rng.chance(0.7)) {
      headers.push(XML_TYPE);
      body = utf8(lockinfoBody(rng));
    } else if (method === "PUT") {
      body = rng.bytes(rng.size(10_000));
    }
    // Mostly the seeded files, sometimes any path.
    const target = rng.chance(0.8) ? pathOf() : requestPath(rng);
    return { method, target, headers, ...(body ? { body } : {}) };
  }, checkHeaderSemantics);
});

/** RFC 7231 §7.1.1.1: IMF-fixdate, RFC 850 or asctime, with fields in range. */
function isHttpDate(value: string): boolean {
  const month = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
  const time = "([01]\\d|2[0-3]):[0-5]\\d:([0-5]\\d|60)";
  const imf = new RegExp(
    `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${month} (\\d{4}) ${time} GMT$`,
  );
  const rfc850 = new RegExp(
    `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${month}-(\\d{2}) ${time} GMT$`,
  );
  const asctime = new RegExp(
    `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${month} ( \\d|\\d{2}) ${time} (\\d{4})$`,
  );
  let day: number, mon: string, year: number;
  let m = imf.exec(value) ?? rfc850.exec(value);
  if (m) {
    [day, mon, year] = [Number(m[1]), m[2]!, Number(m[3])];
    if (m[3]!.length === 2) year += 1900;
  } else if ((m = asctime.exec(value))) {
    [day, mon, year] = [Number(m[2]), m[1]!, Number(m[5])];
  } else {
    return false;
  }
  const index = "JanFebMarAprMayJunJulAugSepOctNovDec".indexOf(mon) / 3;
  const check = new Date(Date.UTC(year, index, day));
  return day >= 1 && check.getUTCDate() === day && check.getUTCMonth() === index;
}

/** Seconds a LOCK's `Timeout` header asks for (600 default, 3600 most, RFC 4918 §10.7). */
function expectedTimeout(header: string | undefined): number {
  if (header === undefined) return 600;
  for (const raw of header.split(",")) {
    const item = raw.trim();
    if (/^infinite$/i.test(item)) return 3600;
    const m = /^second-(\d+)$/i.exec(item);
    if (m) {
      const n = BigInt(m[1]!);
      return n > 3600n ? 3600 : n < 1n ? 1 : Number(n);
    }
  }
  return 600;
}

/** Properties of answers to header-fuzzed requests that a reference can decide. */
function checkHeaderSemantics(request: RawRequest, response: RawResponse): string | undefined {
  // Repeated headers reach the server joined with ", ".
  const header = (name: string) => {
    const values = request.headers.filter(([h]) => h.toLowerCase() === name.toLowerCase());
    return values.length === 0 ? undefined : values.map(([, v]) => v).join(", ");
  };
  // A LOCK grants what its Timeout asks for, clamped to 1…3600 s.
  if (request.method === "LOCK" && (response.status === 200 || response.status === 201)) {
    const granted = /<D:timeout>Second-(\d+)<\/D:timeout>/.exec(
      new TextDecoder().decode(response.body),
    );
    const expected = expectedTimeout(header("Timeout"));
    if (granted && !(Number(granted[1]) <= expected && Number(granted[1]) >= expected - 1)) {
      return `Timeout ${JSON.stringify(header("Timeout")?.slice(0, 80))} granted ${
        granted[1]
      } s, expected ${expected} s`;
    }
  }
  // A date that is not an HTTP-date is ignored (RFC 7232 §3.3, §3.4).
  const others = ["If", "If-Match", "If-None-Match", "Overwrite", "Lock-Token"];
  if (others.every((name) => header(name) === undefined)) {
    const ims = header("If-Modified-Since");
    const ius = header("If-Unmodified-Since");
    if (ims !== undefined && ius === undefined && !isHttpDate(ims) && response.status === 304) {
      return `If-Modified-Since ${JSON.stringify(ims)} is not an HTTP-date, yet 304`;
    }
    if (
      ius !== undefined && ims === undefined && !isHttpDate(ius) && response.status === 412 &&
      request.method !== "COPY" && request.method !== "MOVE"
    ) {
      return `If-Unmodified-Since ${JSON.stringify(ius)} is not an HTTP-date, yet 412`;
    }
  }
  // A 206 never sends (much) more than the representation: no overlapping-range amplification.
  if (response.status === 206) {
    const text = new TextDecoder("latin1").decode(response.body);
    const size = /bytes \d+-\d+\/(\d+)/.exec(
      response.headers.get("content-range") ?? text,
    )?.[1];
    if (size !== undefined && response.body.byteLength > Number(size) + 64 * 512) {
      return `a 206 of ${response.body.byteLength} bytes for a representation of ${size} bytes`;
    }
  }
  return undefined;
}

Deno.test("fuzz webdav: request paths", async () => {
  await fuzzDav("webdav-paths", {}, (rng, fixture) => {
    const method = rng.pick(METHODS);
    const headers: Array<[string, string]> = [];
    if (method === "COPY" || method === "MOVE") {
      headers.push(["Destination", headerSafe(fixture.origin + requestPath(rng))]);
    }
    if (method === "PROPFIND") headers.push(["Depth", rng.pick(["0", "1"])]);
    let body: Uint8Array | undefined;
    if (method === "PUT") body = rng.bytes(rng.size(2000));
    if (method === "LOCK") body = utf8(lockinfoBody(rng));
    let target = requestPath(rng);
    if (rng.chance(0.1)) target += "?" + encodeURIComponent(randomText(rng, 20).toWellFormed());
    if (rng.chance(0.05)) target += "#frag";
    if (rng.chance(0.05)) target = `http://127.0.0.1:${fixture.port}${target}`; // absolute-form
    return { method, target, headers, ...(body ? { body } : {}) };
  });
});

/** Whether an `Authorization` value carries exactly the fuzzer's credentials. */
function carriesValidCredentials(value: string | undefined): boolean {
  if (value === undefined) return false;
  const match = /^[ \t]*basic[ \t]+([^ \t]+)[ \t]*$/i.exec(value);
  return match?.[1] === btoa(String.fromCharCode(...utf8(`${USER}:${PASSWORD}`)));
}

Deno.test("fuzz webdav: Basic Authorization", async () => {
  await fuzzDav(
    "webdav-auth",
    { auth: true },
    (rng) => {
      const method = rng.pick(["OPTIONS", "GET", "PROPFIND", "PUT", "DELETE", "HEAD"]);
      const headers: Array<[string, string]> = [];
      if (rng.chance(0.95)) {
        headers.push(["Authorization", headerSafe(basicAuthorization(rng, USER, PASSWORD))]);
      }
      if (rng.chance(0.05)) headers.push(["Authorization", "Basic Zm9vOmJhcg=="]); // repeated
      if (method === "PROPFIND") headers.push(["Depth", "0"]);
      const target = rng.pick(["/", "/a.txt", "/dir/", "/new.txt"]);
      return {
        method,
        target,
        headers,
        ...(method === "PUT" ? { body: rng.bytes(rng.size(100)) } : {}),
      };
    },
    (request, response) => {
      const values = request.headers.filter(([h]) => h === "Authorization").map(([, v]) => v);
      const valid = values.length === 1 && carriesValidCredentials(values[0]);
      if (!valid && response.status !== 401) {
        return `accepted without valid credentials (status ${response.status})`;
      }
      if (valid && response.status === 401) return "refused valid credentials";
      if (
        response.status === 401 &&
        !/^Basic realm=/.test(response.headers.get("www-authenticate") ?? "")
      ) {
        return "401 without a Basic challenge";
      }
      const text = new TextDecoder().decode(response.body);
      if (text.includes(PASSWORD)) return "the password is echoed";
      return undefined;
    },
  );
});
