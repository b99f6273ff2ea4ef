// Pieces of the storage command: listen addresses, flags, credential sources,
// and the timestamp forms the wire accepts.

import { defaultWorkerCount } from "../../src/workers/worker_flags.ts";
import { resolveCredentials } from "../../src/server/cli_credentials.ts";
import { listenUrl, parseListenAddress } from "../../src/cli/listen_address.ts";
import { parseStorageCli } from "../../src/server/cli_options.ts";
import { parseTimestamp } from "../../src/server/wire_input.ts";
import { IllegalArgumentException } from "../../src/storage/errors.ts";
import { assertEquals, assertRejects, assertThrows } from "../support/assert.ts";

Deno.test("listen addresses: IPv4, IPv6 in brackets, names; bad ones refused", () => {
  assertEquals(parseListenAddress("127.0.0.1:9000"), { hostname: "127.0.0.1", port: 9000 });
  assertEquals(parseListenAddress("[::1]:9001"), { hostname: "::1", port: 9001 });
  assertEquals(parseListenAddress("localhost:0"), { hostname: "localhost", port: 0 });
  assertEquals(listenUrl({ hostname: "::1", port: 9001 }), "http://[::1]:9001");
  for (const bad of ["9000", "::1:9000", "host:", "host:65536", "[::1]", "a b:1"]) {
    assertThrows(() => parseListenAddress(bad), TypeError);
  }
});

Deno.test("flags: defaults, every option, unknown flags refused", () => {
  const defaults = parseStorageCli([]);
  assertEquals(defaults.listen, { hostname: "127.0.0.1", port: 9000 });
  assertEquals(defaults.dataDir, `${Deno.cwd()}/backupfs-data`);
  assertEquals(defaults.help, false);
  assertEquals(defaults.workers, defaultWorkerCount(navigator.hardwareConcurrency));
  const all = parseStorageCli([
    "--listen=[::1]:1234",
    "--data",
    "/tmp/d",
    "--credentials",
    "/tmp/c",
    "--region",
    "eu-west-1",
    "--header-timeout",
    "3s",
    "--body-timeout",
    "90s",
    "--max-connections",
    "50",
    "--workers",
    "3",
    "--help",
  ]);
  assertEquals(all, {
    listen: { hostname: "::1", port: 1234 },
    dataDir: "/tmp/d",
    credentialsFile: "/tmp/c",
    region: "eu-west-1",
    store: { dataDir: "/tmp/d" },
    limits: { headersTimeoutMs: 3000, bodyIdleTimeoutMs: 90_000, maxConnections: 50 },
    workers: 3,
    help: true,
  });
  assertEquals(
    parseStorageCli([
      "--data",
      "/tmp/d",
      "--metadata",
      "postgres://gw@db/bs",
      "--chunks",
      "s3://bucket-1/p",
    ]).store,
    {
      dataDir: "/tmp/d",
      metadata: "postgres://gw@db/bs",
      chunks: { bucket: "bucket-1", prefix: "p/", pathStyle: false },
    },
  );
  assertThrows(
    () => parseStorageCli(["--metadata", "postgres://u:pw@db/x"]),
    TypeError,
    "password",
  );
  assertEquals(defaults.limits, {});
  assertThrows(
    () => parseStorageCli(["--keepalive-timeout", "x"]),
    TypeError,
    "--keepalive-timeout",
  );
  assertThrows(() => parseStorageCli(["--bogus"]), TypeError, "Unknown option '--bogus'");
  assertThrows(
    () => parseStorageCli(["positional"]),
    TypeError,
    "Unexpected argument 'positional'",
  );
  assertThrows(
    () => parseStorageCli(["--region", "EU WEST"]),
    TypeError,
    'invalid --region "EU WEST"',
  );
});

Deno.test("credentials: every profile of a file, else env, else a generated pair", async () => {
  const dir = await Deno.makeTempDir({ prefix: "server-creds-" });
  try {
    const file = `${dir}/creds.ini`;
    await Deno.writeTextFile(
      file,
      "[default]\naws_access_key_id = AKID1\naws_secret_access_key = s1\n\n" +
        "[other]\naws_access_key_id=AKID2\naws_secret_access_key=s2\naws_session_token=t2\n" +
        "[incomplete]\naws_access_key_id=AKID3\n",
    );
    const fromFile = await resolveCredentials({ file, dataDir: dir });
    assertEquals(fromFile.source, "file");
    assertEquals([...fromFile.keys], [
      ["AKID1", { secretAccessKey: "s1" }],
      ["AKID2", { secretAccessKey: "s2", sessionToken: "t2" }],
    ]);
    await assertRejects(
      () => resolveCredentials({ file: `${dir}/missing`, dataDir: dir }),
      Deno.errors.NotFound,
      `${dir}/missing`,
    );

    const env = {
      AWS_ACCESS_KEY_ID: "AKENV",
      AWS_SECRET_ACCESS_KEY: "se",
      AWS_SESSION_TOKEN: "te",
    };
    const fromEnv = await resolveCredentials({
      dataDir: dir,
      env: (name) => env[name as keyof typeof env],
    });
    assertEquals(fromEnv.source, "env");
    assertEquals([...fromEnv.keys], [["AKENV", { secretAccessKey: "se", sessionToken: "te" }]]);

    const data = `${dir}/data`;
    const first = await resolveCredentials({ dataDir: data, env: () => undefined });
    const again = await resolveCredentials({ dataDir: data, env: () => undefined });
    assertEquals(first.source, "generated");
    assertEquals(first.path, `${data}/credentials`);
    assertEquals([...again.keys], [...first.keys], "generated once, then reused");
    assertEquals((await Deno.stat(`${data}/credentials`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("timestamps: ISO 8601 forms and epoch seconds", () => {
  const t = new Date("2024-01-02T03:04:05Z");
  assertEquals(parseTimestamp("2024-01-02T03:04:05Z", "X"), t);
  assertEquals(parseTimestamp("2024-01-02T04:04:05+01:00", "X"), t);
  assertEquals(parseTimestamp("2024-01-02T03:04:05.000000Z", "X"), t);
  assertEquals(parseTimestamp("1704164645", "X"), t);
  assertEquals(parseTimestamp("1704164645.5", "X"), new Date(t.getTime() + 500));
  for (const bad of ["2024-01-02", "2024-13-02T00:00:00Z", "-1", "soon", ""]) {
    assertThrows(
      () => parseTimestamp(bad, "CreatedAfter"),
      IllegalArgumentException,
      "CreatedAfter",
    );
  }
});
