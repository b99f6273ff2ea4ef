// `deno task serve --access-log`: one line per request, its fields checked, and
// never a password, an Authorization header, a cookie or a presigned signature;
// flushed while serving and on shutdown; whole lines from several workers; a
// client that leaves mid-body gets a line with the bytes actually sent.

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { startCommand } from "../integration/support/worker_command.ts";
import { eventually } from "../metrics/support/scrape.ts";
import { logLines } from "../metrics/support/log_lines.ts";
import { runServe } from "./support/serve_process.ts";
import { serveArgs } from "./support/serve_args.ts";

const PASSWORD = "Pa55-w0rd!secret";
const BASIC = `Basic ${btoa(`alice:${PASSWORD}`)}`;

/** `CLIENT - USER [TIME] "REQUEST" STATUS BYTES_OUT BYTES_IN MICROSECONDS`. */
const CLF =
  /^(\S+) - (\S+) \[(\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] "(\S+) (\S+) HTTP\/1\.1" (\d{3}) (\d+|-) (\d+) (\d+)$/;

Deno.test("--access-log clf: a line per request with user, path, status and bytes; no secret in it; written within a second and on shutdown", async () => {
  const dir = await Deno.makeTempDir();
  const log = `${dir}/access.log`;
  const serve = await startCommand("serve", [
    ...serveArgs(`${dir}/data`, { workers: 1 }),
    "--user",
    "alice",
    "--password",
    PASSWORD,
    "--access-log",
    log,
  ]);
  try {
    const send = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${serve.origin}${path}`, init);
      return { status: response.status, bytes: (await response.arrayBuffer()).byteLength };
    };
    const auth = { Authorization: BASIC, Cookie: "session=cookie-secret-value" };
    const sent = [
      await send("/notes.txt", { method: "PUT", body: "twelve bytes", headers: auth }),
      await send("/notes.txt", { headers: auth }),
      await send("/notes.txt"), // no credentials: 401
      await send("/notes.txt", { headers: { Authorization: `Basic ${btoa("alice:wrong")}` } }),
      await send("/notes.txt?X-Amz-Signature=sig-secret&X-Amz-Credential=AKID%2Fcred&a=1", {
        headers: auth,
      }),
      await send("/", { method: "PROPFIND", headers: { ...auth, Depth: "1" } }),
    ];
    assertEquals(sent.map((s) => s.status), [201, 200, 401, 401, 200, 207]);
    // Flushed within about a second while the server runs (bounded wait).
    await eventually("lines written", async () => (await logLines(log)).length >= 6 || undefined);
    const { code, stderr } = await serve.stop();
    assertEquals(code, 0, stderr);
    const written = await logLines(log);
    assertEquals(written.length, 6, written.join("\n"));
    const fields = written.map((line) => {
      const match = CLF.exec(line);
      assert(match, `not a CLF line: ${line}`);
      return match;
    });
    assertEquals(fields.map((f) => f[1]), Array(6).fill("127.0.0.1"));
    assertEquals(fields.map((f) => f[2]), ["alice", "alice", "-", "-", "alice", "alice"]);
    assertEquals(fields.map((f) => f[4]), ["PUT", "GET", "GET", "GET", "GET", "PROPFIND"]);
    assertEquals(fields[4][5], "/notes.txt?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&a=1");
    assertEquals(fields.map((f) => Number(f[6])), [201, 200, 401, 401, 200, 207]);
    assertEquals(
      fields.map((f) => f[7] === "-" ? 0 : Number(f[7])),
      sent.map((s) => s.bytes),
    );
    assertEquals(fields.map((f) => Number(f[8])), [12, 0, 0, 0, 0, 0]);
    const text = written.join("\n");
    for (
      const secret of [
        PASSWORD,
        btoa(`alice:${PASSWORD}`),
        "Basic",
        "cookie-secret",
        "sig-secret",
        "AKID",
      ]
    ) {
      assert(!text.includes(secret), `the log holds ${secret}`);
    }
  } finally {
    await serve.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--access-log json with --workers 2: whole lines from both workers; a client that leaves mid-body gets the bytes actually sent", async () => {
  const dir = await Deno.makeTempDir();
  const log = `${dir}/access.log`;
  const serve = await startCommand("serve", [
    ...serveArgs(`${dir}/data`, { workers: 2 }),
    "--access-log",
    log,
    "--access-log-format",
    "json",
  ], { BACKUPFS_WORKER_HEADER: "1" });
  const size = 24 * 1024 * 1024;
  try {
    const put = await fetch(`${serve.origin}/big.bin`, {
      method: "PUT",
      body: new Uint8Array(size).fill(7),
    });
    await put.body?.cancel();
    assertEquals(put.status, 201);
    // Many requests at once on their own connections, until both workers answered some.
    const workers = new Set<string | null>();
    let requests = 0;
    for (let round = 0; round < 20 && workers.size < 2; round++) {
      const answers = await Promise.all(Array.from({ length: 16 }, async (_, i) => {
        using client = Deno.createHttpClient({});
        const response = await fetch(`${serve.origin}/round-${round}-${i}.txt`, { client });
        await response.body?.cancel();
        return response.headers.get("x-backupfs-worker");
      }));
      for (const worker of answers) workers.add(worker);
      requests += answers.length;
    }
    assertEquals([...workers].sort(), ["0", "1"]);
    // A download the client abandons halfway (after 12 of its 24 MiB).
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(new URL(serve.origin).port),
    });
    await conn.write(new TextEncoder().encode(`GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n`));
    const buffer = new Uint8Array(64 * 1024);
    let received = 0;
    for (let i = 0; i < 100_000 && received < 12 * 1024 * 1024; i++) {
      const n = await conn.read(buffer);
      if (n === null) break;
      received += n;
    }
    conn.close();
    await eventually(
      "the abandoned download logged",
      async () =>
        (await logLines(log)).some((line) => line.includes('"GET","path":"/big.bin"')) || undefined,
    );
    const { code, stderr } = await serve.stop();
    assertEquals(code, 0, stderr);
    const records = (await logLines(log)).map((line) => JSON.parse(line));
    assertEquals(records.length, 1 + requests + 1);
    assertEquals(records.filter((r) => r.status === 404).length, requests);
    const upload = records.find((r) => r.method === "PUT");
    assertEquals([upload.status, upload.bytes_in, upload.user], [201, size, null]);
    const download = records.find((r) => r.method === "GET" && r.path === "/big.bin");
    assertEquals([download.status, download.completed], [200, false]);
    // What node reported handed to the connection: some, never all of it.
    assert(download.bytes_out > 0 && download.bytes_out < size, `bytes_out ${download.bytes_out}`);
    for (const record of records) {
      assertMatch(record.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assertEquals(typeof record.duration_ms, "number");
    }
  } finally {
    await serve.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--access-log flags: a bad format or address exits 2; a log that cannot be opened exits 1", async () => {
  const format = await runServe(["--access-log", "-", "--access-log-format", "xml"]);
  assertEquals(format.code, 2);
  assertMatch(format.stderr, /invalid --access-log-format "xml": expected clf or json/);
  const alone = await runServe(["--access-log-format", "json"]);
  assertEquals(alone.code, 2);
  assertMatch(alone.stderr, /--access-log-format needs --access-log/);
  const metrics = await runServe(["--metrics", "nowhere"]);
  assertEquals(metrics.code, 2);
  assertMatch(metrics.stderr, /--metrics: invalid listen address "nowhere"/);
  const dir = await Deno.makeTempDir();
  try {
    const unopenable = await runServe([
      ...serveArgs(`${dir}/data`, { workers: 1 }),
      "--access-log",
      `${dir}/no/such/dir/access.log`,
    ]);
    assertEquals(unopenable.code, 1);
    assertMatch(unopenable.stderr, /cannot open --access-log .*no\/such\/dir\/access\.log/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
