// The pieces of `deno task serve`: command-line parsing, byte sizes, the loopback
// check, the mount instructions and the disk quota.

import { defaultWorkerCount } from "../../src/workers/worker_flags.ts";
import { resolve } from "node:path";
import { parseServeCli } from "../../webdav/serve/cli_options.ts";
import { parseByteSize } from "../../webdav/serve/byte_size.ts";
import { isLoopbackHost } from "../../webdav/serve/loopback.ts";
import { mountInstructions } from "../../webdav/serve/mount_instructions.ts";
import { availableDiskBytes, storeQuota } from "../../webdav/serve/disk_quota.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";

Deno.test("serve options: defaults", () => {
  const options = parseServeCli([]);
  assertEquals(options, {
    listen: { hostname: "127.0.0.1", port: 8080 },
    dataDir: resolve("backupfs-data"),
    store: { dataDir: resolve("backupfs-data") },
    job: "default",
    readOnly: false,
    limits: {},
    workers: defaultWorkerCount(navigator.hardwareConcurrency), // --workers by default
    help: false,
  });
});

Deno.test("serve options: --metadata and --chunks name where the store lives; bad ones exit 2", () => {
  const options = parseServeCli([
    "--data",
    "d",
    "--metadata",
    "postgres://backupfs@db:5432/backupfs",
    "--chunks",
    "s3://backups/team-a",
    "--s3-endpoint",
    "http://127.0.0.1:7480",
    "--s3-region",
    "eu-west-1",
  ]);
  assertEquals(options.store, {
    dataDir: resolve("d"),
    metadata: "postgres://backupfs@db:5432/backupfs",
    chunks: {
      bucket: "backups",
      prefix: "team-a/",
      endpoint: "http://127.0.0.1:7480",
      region: "eu-west-1",
      pathStyle: true,
    },
  });
  assertEquals(
    parseServeCli(["--chunks", "s3://backups", "--s3-addressing", "virtual"]).store?.chunks
      ?.pathStyle,
    false,
  );
  assertThrows(
    () => parseServeCli(["--metadata", "postgres://u:secret@db/x"]),
    TypeError,
    "password",
  );
  assertThrows(() => parseServeCli(["--metadata", "mysql://db/x"]), TypeError, "postgres://");
  assertThrows(() => parseServeCli(["--chunks", "/tmp/x"]), TypeError, "s3://BUCKET/PREFIX");
  assertThrows(() => parseServeCli(["--s3-endpoint", "http://x"]), TypeError, "--chunks");
  assertThrows(
    () => parseServeCli(["--chunks", "s3://bkt", "--s3-addressing", "sideways"]),
    TypeError,
    "path or virtual",
  );
  assertThrows(
    () => parseServeCli(["--endpoint", "http://127.0.0.1:9000", "--chunks", "s3://bkt"]),
    TypeError,
    "exclude",
  );
});

Deno.test("serve options: every flag", () => {
  const options = parseServeCli([
    "--listen",
    "[::1]:0",
    "--job",
    "photos.2026_a-b",
    "--endpoint",
    "https://storage.example/base",
    "--region",
    "eu-west-1",
    "--user",
    "zoë",
    "--password",
    "p:w",
    "--read-only",
    "--chunk-size",
    "8MiB",
    "--cache-size",
    "1.5GiB",
    "--upload-memory",
    "64MiB",
    "--header-timeout",
    "5s",
    "--keepalive-timeout",
    "500ms",
    "--body-timeout",
    "2min",
    "--response-timeout",
    "0",
    "--max-connections",
    "300",
  ]);
  assertEquals(options, {
    listen: { hostname: "::1", port: 0 },
    endpoint: "https://storage.example/base",
    job: "photos.2026_a-b",
    region: "eu-west-1",
    users: new Map([["zoë", "p:w"]]),
    readOnly: true,
    chunkSize: 8 * 1024 * 1024,
    cacheBytes: 1.5 * 1024 ** 3,
    uploadMemoryBytes: 64 * 1024 * 1024,
    limits: {
      headersTimeoutMs: 5000,
      keepAliveTimeoutMs: 500,
      bodyIdleTimeoutMs: 120_000,
      responseIdleTimeoutMs: 0,
      maxConnections: 300,
    },
    workers: 1, // --endpoint: one worker (its locks live in the process)
    help: false,
  });
  assertEquals(
    parseServeCli(["--data", "x/y", "--credentials", "users.txt"]).credentialsFile,
    "users.txt",
  );
  assertEquals(parseServeCli(["--data", "x/y"]).dataDir, resolve("x/y"));
  // --help parses even with an address that would need auth.
  assertEquals(parseServeCli(["--help", "--listen", "0.0.0.0:80"]).help, true);
});

Deno.test("serve options: non-loopback needs auth; loopback forms do not", () => {
  for (const listen of ["0.0.0.0:8080", "[::]:8080", "10.0.0.5:8080", "example.org:80"]) {
    assertThrows(() => parseServeCli(["--listen", listen]), TypeError, "without authentication");
    // With either kind of auth it parses.
    assertEquals(
      parseServeCli(["--listen", listen, "--user", "a", "--password", "b"]).users?.get("a"),
      "b",
    );
    assertEquals(
      parseServeCli(["--listen", listen, "--credentials", "f"]).credentialsFile,
      "f",
    );
  }
  for (const listen of ["127.0.0.1:1", "127.9.8.7:1", "localhost:1", "[::1]:1", "[0:0::1]:1"]) {
    assertEquals(parseServeCli(["--listen", listen]).help, false, listen);
  }
});

Deno.test("serve options: errors", () => {
  const cases: [string[], string][] = [
    [["--nope"], "nope"],
    [["--listen"], "listen"],
    [["--data", ""], "--data must not be empty"],
    [["--job", ""], "invalid --job"],
    [["--job", "x".repeat(129)], "invalid --job"],
    [["--endpoint", "not a url"], "invalid --endpoint"],
    [["--endpoint", "http://u:p@127.0.0.1:9000"], "must not hold credentials"],
    [["--endpoint", "http://127.0.0.1:9000", "--data", "d"], "exclude each other"],
    [["--region", "eu-west-1"], "--region needs --endpoint"],
    [["--endpoint", "http://127.0.0.1:9000", "--region", "EU WEST"], "invalid --region"],
    [["--user", "a"], "--user needs --password"],
    [["--password", "a"], "--password needs --user"],
    [["--user", "a", "--password", ""], "--password must not be empty"],
    [["--user", "", "--password", "x"], "--user must be non-empty"],
    [["--user", "a", "--password", "b", "--credentials", "f"], "exclude each other"],
    [["--chunk-size", "1023"], "--chunk-size must be between"],
    [["--chunk-size", "65MiB"], "--chunk-size must be between"],
    [["--cache-size", "lots"], "--cache-size: invalid size"],
    [["--upload-memory", "1KiB"], "--upload-memory must be at least 1MiB"],
    [["--header-timeout", "soon"], "--header-timeout must be a duration"],
    [["--body-timeout=-1s"], "--body-timeout must be a duration"],
    [["--keepalive-timeout", "2days"], "--keepalive-timeout must be a duration"],
    [["--response-timeout", "25h"], "--response-timeout must be a duration"],
    [["--response-timeout", "1441min"], "--response-timeout must be at most 24 hours"],
    [["--max-connections", "0"], "--max-connections must be a whole number"],
    [["--max-connections", "1.5"], "--max-connections must be a whole number"],
  ];
  for (const [args, message] of cases) {
    assertThrows(() => parseServeCli(args), TypeError, message);
  }
});

Deno.test("serve options: byte sizes", () => {
  const table: [string, number][] = [
    ["0", 0],
    ["65536", 65536],
    ["64k", 65536],
    ["64KiB", 65536],
    ["4MiB", 4 * 1024 ** 2],
    ["4 mib", 4 * 1024 ** 2],
    ["1.5GiB", 1.5 * 1024 ** 3],
    ["2G", 2 * 1024 ** 3],
    ["1TiB", 1024 ** 4],
    ["10B", 10],
  ];
  for (const [text, bytes] of table) assertEquals(parseByteSize(text), bytes, text);
  for (const text of ["", "-1", "1.5", "1e6", "4MB", "4 XiB", "0x10", "MiB", "99999999999999999"]) {
    assertThrows(() => parseByteSize(text), TypeError, undefined);
  }
});

Deno.test("serve options: loopback hosts", () => {
  for (
    const host of [
      "127.0.0.1",
      "127.255.0.1",
      "localhost",
      "LOCALHOST",
      "::1",
      "0:0:0:0:0:0:0:1",
      "[::1]",
      "::ffff:127.0.0.1",
    ]
  ) {
    assert(isLoopbackHost(host), host);
  }
  for (
    const host of [
      "0.0.0.0",
      "::",
      "128.0.0.1",
      "127.0.0.256",
      "10.1.2.3",
      "::2",
      "fe80::1",
      "example.com",
      "localhost.example",
      "::ffff:10.0.0.1",
    ]
  ) {
    assert(!isLoopbackHost(host), host);
  }
});

Deno.test("serve options: mount instructions", () => {
  const plain = mountInstructions({ hostname: "127.0.0.1", port: 8080 });
  assertMatch(plain, /Connect to Server.*http:\/\/127\.0\.0\.1:8080\//);
  assertMatch(plain, /net use Z: http:\/\/127\.0\.0\.1:8080\/\n/);
  assertMatch(plain, /mount -t davfs http:\/\/127\.0\.0\.1:8080\/ \/mnt\/backupfs/);
  assertMatch(plain, /gio mount dav:\/\/127\.0\.0\.1:8080\//);
  assert(!plain.includes("BasicAuthLevel"));

  const auth = mountInstructions({ hostname: "::1", port: 9000 }, { auth: true, user: "alice" });
  assertMatch(auth, /net use Z: http:\/\/\[::1\]:9000\/ \/user:alice \*/);
  assertMatch(auth, /BasicAuthLevel = 2/);
  assertMatch(auth, /gio mount dav:\/\/alice@\[::1\]:9000\//);

  const wildcard = mountInstructions({ hostname: "0.0.0.0", port: 80 }, { auth: true });
  assertMatch(wildcard, /http:\/\/HOST:80\//);
  assertMatch(wildcard, /HOST: this machine's name or address/);
});

Deno.test("serve options: quota = store usage and free disk space", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-quota-" });
  try {
    const free = await availableDiskBytes(dir);
    assert(Number.isSafeInteger(free) && free > 0, `free bytes ${free}`);
    const jobs: string[] = [];
    const quota = storeQuota({
      usage: (job) => {
        jobs.push(job);
        return Promise.resolve({ objects: 2, bytes: 1234 });
      },
    }, { jobId: "j", directory: dir });
    const info = await quota();
    assertEquals(info.usedBytes, 1234);
    assertEquals(jobs, ["j"]);
    // Free space moves a little with other activity; it is the same order of magnitude.
    assert(info.availableBytes > free / 2 && info.availableBytes < free * 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
