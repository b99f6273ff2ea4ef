// `deno task serve` (webdav/main.ts) as a process: it starts on the embedded store,
// serves PUT/GET/PROPFIND with quota, keeps data across restarts, exits 0 on SIGTERM;
// Basic auth, read-only, --endpoint through a storage service, refusals and --help.

import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { createStorageApp } from "../../src/server/app.ts";
import { main } from "../../webdav/main.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { freePort, runServe, startServe } from "./support/serve_process.ts";

const QUOTA_PROPFIND = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop>
  <D:quota-available-bytes/><D:quota-used-bytes/><D:getcontentlength/>
</D:prop></D:propfind>`;

function basic(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-serve-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function quotaOf(xml: string): { used: number; available: number } {
  const used = /<D:quota-used-bytes>(\d+)<\/D:quota-used-bytes>/.exec(xml);
  const available = /<D:quota-available-bytes>(\d+)<\/D:quota-available-bytes>/.exec(xml);
  assert(used && available, `quota properties in:\n${xml}`);
  return { used: Number(used[1]), available: Number(available[1]) };
}

Deno.test("serve: embedded store — PUT, GET, PROPFIND with quota, restart keeps data, SIGTERM exits 0", async () => {
  await withTempDir(async (dir) => {
    const port = freePort();
    const data = `${dir}/data`;
    const serve = await startServe(["--listen", `127.0.0.1:${port}`, "--data", data]);
    let result;
    try {
      assertEquals(serve.listenLine, `listening on http://127.0.0.1:${port}`);
      const body = new TextEncoder().encode("hello, webdav\n".repeat(100));
      const put = await fetch(`${serve.origin}/docs%20x/`, { method: "MKCOL" });
      assertEquals(put.status, 201);
      await put.body?.cancel();
      const created = await fetch(`${serve.origin}/docs%20x/a.txt`, { method: "PUT", body });
      assertEquals(created.status, 201);
      await created.body?.cancel();
      const got = await fetch(`${serve.origin}/docs%20x/a.txt`);
      assertEquals(got.status, 200);
      assertEquals(new Uint8Array(await got.arrayBuffer()), body);

      const propfind = await fetch(`${serve.origin}/`, {
        method: "PROPFIND",
        headers: { Depth: "0", "Content-Type": "application/xml" },
        body: QUOTA_PROPFIND,
      });
      assertEquals(propfind.status, 207);
      const quota = quotaOf(await propfind.text());
      assertEquals(quota.used, body.byteLength, "used = the bytes of the job's files");
      assert(quota.available > 0, "free disk space is positive");
      assert(Number.isSafeInteger(quota.available));
    } finally {
      result = await serve.stop("SIGTERM");
    }
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, `listening on http://127.0.0.1:${port}\n`, "one stdout line");
    for (
      const hint of [
        "Connect to Server",
        `net use Z: http://127.0.0.1:${port}/`,
        `mount -t davfs http://127.0.0.1:${port}/ /mnt/backupfs`,
        `gio mount dav://127.0.0.1:${port}/`,
      ]
    ) {
      assert(result.stderr.includes(hint), `stderr shows "${hint}":\n${result.stderr}`);
    }
    assert(!result.stderr.includes("BasicAuthLevel"), "no auth note without auth");

    // A second run on the same directory (SIGINT this time) sees the file.
    const again = await startServe(["--listen", `127.0.0.1:${port}`, "--data", data]);
    try {
      const got = await fetch(`${again.origin}/docs%20x/a.txt`);
      assertEquals(got.status, 200);
      assertEquals((await got.text()).length, 1400);
    } finally {
      result = await again.stop("SIGINT");
    }
    assertEquals(result.code, 0, result.stderr);
  });
});

Deno.test("serve: --user/--password — 401 without or with wrong credentials, 2xx with the right ones", async () => {
  await withTempDir(async (dir) => {
    const password = "pa:ss wörd-S3cret";
    const serve = await startServe([
      "--listen",
      `127.0.0.1:${freePort()}`,
      "--data",
      dir,
      "--user",
      "zoë",
      "--password",
      password,
    ]);
    let result;
    try {
      for (
        const [method, headers] of [
          ["OPTIONS", {}],
          ["PROPFIND", { Depth: "0" }],
          ["GET", { Authorization: basic("zoë", "wrong") }],
          ["GET", { Authorization: basic("nobody", password) }],
          ["GET", { Authorization: `Bearer ${password}` }],
        ] as const
      ) {
        const response = await fetch(`${serve.origin}/`, { method, headers });
        assertEquals(response.status, 401, `${method} ${JSON.stringify(headers)}`);
        assertEquals(
          response.headers.get("WWW-Authenticate"),
          'Basic realm="BackupFS", charset="UTF-8"',
        );
        await response.body?.cancel();
      }
      const denied = await fetch(`${serve.origin}/x.txt`, { method: "PUT", body: "no" });
      assertEquals(denied.status, 401);
      await denied.body?.cancel();

      const auth = { Authorization: basic("zoë", password) };
      const put = await fetch(`${serve.origin}/x.txt`, {
        method: "PUT",
        body: "yes",
        headers: auth,
      });
      assertEquals(put.status, 201);
      await put.body?.cancel();
      const got = await fetch(`${serve.origin}/x.txt`, { headers: auth });
      assertEquals(got.status, 200);
      assertEquals(await got.text(), "yes");
      const options = await fetch(`${serve.origin}/`, { method: "OPTIONS", headers: auth });
      assertEquals(options.status, 200);
      assertEquals(options.headers.get("DAV"), "1, 2");
      await options.body?.cancel();
    } finally {
      result = await serve.stop();
    }
    assertEquals(result.code, 0);
    assert(result.stderr.includes("BasicAuthLevel"), "the Windows note is shown with auth");
    assert(result.stderr.includes("/user:"), "net use with a user");
    assert(!result.stderr.includes(password), "the password is never printed");
  });
});

Deno.test("serve: --credentials FILE — its users get in; a bad file exits 2 without echoing it", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/users`;
    await Deno.writeTextFile(file, "# users\nalice:one:two\n\nbob:hunter2\n", { mode: 0o600 });
    const serve = await startServe([
      "--listen",
      `127.0.0.1:${freePort()}`,
      "--data",
      `${dir}/data`,
      "--credentials",
      file,
    ]);
    try {
      for (
        const [user, password, status] of [["alice", "one:two", 207], ["bob", "x", 401]] as const
      ) {
        const response = await fetch(`${serve.origin}/`, {
          method: "PROPFIND",
          headers: { Depth: "0", Authorization: basic(user, password) },
        });
        assertEquals(response.status, status, user);
        await response.body?.cancel();
      }
    } finally {
      assertEquals((await serve.stop()).code, 0);
    }

    await Deno.writeTextFile(file, "alice:ok\nbroken-line-secret\n", { mode: 0o600 });
    const bad = await runServe(["--data", `${dir}/data`, "--credentials", file]);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /line 2/);
    assert(!bad.stderr.includes("broken-line-secret"), "the line's content is not echoed");
    assertEquals(bad.stdout, "");
  });
});

Deno.test("serve: a non-loopback address without authentication is refused (exit 2)", async () => {
  await withTempDir(async (dir) => {
    for (const listen of [`0.0.0.0:${freePort()}`, `[::]:${freePort()}`, "192.0.2.1:8080"]) {
      const output = await runServe(["--listen", listen, "--data", dir]);
      assertEquals(output.code, 2, listen);
      assertMatch(output.stderr, /refusing to listen on .+ without authentication/);
      assertMatch(output.stderr, /--user NAME --password PW or --credentials FILE/);
      assertEquals(output.stdout, "", "never listened");
    }
    // Nothing was created: the refusal comes before the store opens.
    assertEquals([...Deno.readDirSync(dir)].length, 0);
  });
});

Deno.test("serve: --read-only — GET and PROPFIND work, PUT and MKCOL are 403", async () => {
  await withTempDir(async (dir) => {
    const port = freePort();
    const writer = await startServe(["--listen", `127.0.0.1:${port}`, "--data", dir]);
    try {
      const put = await fetch(`${writer.origin}/kept.txt`, { method: "PUT", body: "kept" });
      assertEquals(put.status, 201);
      await put.body?.cancel();
    } finally {
      assertEquals((await writer.stop()).code, 0);
    }
    const serve = await startServe(["--listen", `127.0.0.1:${port}`, "--data", dir, "--read-only"]);
    try {
      const put = await fetch(`${serve.origin}/new.txt`, { method: "PUT", body: "x" });
      assertEquals(put.status, 403);
      await put.body?.cancel();
      const mkcol = await fetch(`${serve.origin}/dir/`, { method: "MKCOL" });
      assertEquals(mkcol.status, 403);
      await mkcol.body?.cancel();
      const got = await fetch(`${serve.origin}/kept.txt`);
      assertEquals(await got.text(), "kept");
      const missing = await fetch(`${serve.origin}/new.txt`);
      assertEquals(missing.status, 404);
      await missing.body?.cancel();
    } finally {
      assertEquals((await serve.stop()).code, 0);
    }
  });
});

Deno.test("serve: --help lists every flag and exits 0", async () => {
  const output = await runServe(["--help"]);
  assertEquals(output.code, 0);
  for (
    const flag of [
      "--listen",
      "--data",
      "--job",
      "--endpoint",
      "--region",
      "--user",
      "--password",
      "--credentials",
      "--read-only",
      "--chunk-size",
      "--cache-size",
      "--help",
      "127.0.0.1:8080",
      "backupfs-data",
    ]
  ) {
    assert(output.stdout.includes(flag), `--help mentions ${flag}`);
  }
});

Deno.test("serve: unknown flags, bad values and conflicting flags exit 2 with a message", async () => {
  const cases = [
    ["--bogus"],
    ["positional"],
    ["--listen", "nowhere"],
    ["--listen", "127.0.0.1:70000"],
    ["--job", "a/b"],
    ["--chunk-size", "12XB"],
    ["--chunk-size", "100"],
    ["--chunk-size", "1GiB"],
    ["--cache-size", "-1"],
    ["--user", "alice"],
    ["--password", "x"],
    ["--user", "a:b", "--password", "x"],
    ["--data", "d", "--endpoint", "http://127.0.0.1:9"],
    ["--endpoint", "ftp://127.0.0.1/"],
    ["--region", "us-east-1"],
    ["--credentials", "/nonexistent/backupfs-users"],
  ];
  await Promise.all(cases.map(async (args) => {
    const output = await runServe(args);
    assertEquals(output.code, 2, `exit code for ${args.join(" ")}: ${output.stderr}`);
    assertMatch(output.stderr, /^webdav: .+/);
    assertEquals(output.stdout, "");
  }));
  // In-process too (type-checks main.ts with the tests).
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    assertEquals(await main(["--bogus"]), 2);
  } finally {
    console.error = original;
  }
  assertMatch(String(errors[0]), /^webdav: .*--bogus/);
});

Deno.test("serve: two servers and a store in this process share one data directory", async () => {
  await withTempDir(async (dir) => {
    const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    const first = await startServe(["--listen", `127.0.0.1:${freePort()}`, "--data", dir]);
    const second = await startServe(["--listen", `127.0.0.1:${freePort()}`, "--data", dir]);
    try {
      const body = new TextEncoder().encode("written through the first server\n");
      const put = await fetch(`${first.origin}/shared.txt`, { method: "PUT", body });
      assertEquals(put.status, 201);
      await put.body?.cancel();
      // The other server reads it (its cache has never seen the name).
      const got = await fetch(`${second.origin}/shared.txt`);
      assertEquals(got.status, 200);
      assertEquals(new Uint8Array(await got.arrayBuffer()), body);
      // And so does the store this process holds open on the same directory.
      const listed = await store.listObjects({ StorageJobId: "default" });
      assert(listed.ObjectList.some((o) => o.Name.includes("shared.txt")), "listed by the store");
    } finally {
      await first.stop();
      await second.stop();
      await store.close();
    }
  });
});

Deno.test("serve: --endpoint — PUT and GET through a BackupStorage service with AWS env credentials", async () => {
  await withTempDir(async (dir) => {
    const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    const accessKeyId = "AKIDSERVETEST";
    const secretAccessKey = "serve-test-secret-key";
    const storage = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      createStorageApp(store, { credentials: new Map([[accessKeyId, { secretAccessKey }]]) }).fetch,
    );
    const endpoint = `http://127.0.0.1:${storage.addr.port}`;
    try {
      const env = { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey };
      const serve = await startServe([
        "--listen",
        `127.0.0.1:${freePort()}`,
        "--endpoint",
        endpoint,
        "--region",
        "us-east-1",
        "--job",
        "remote-job",
        "--chunk-size",
        "4KiB",
      ], env);
      let result;
      try {
        const body = new Uint8Array(10_000).map((_, i) => i % 251);
        const put = await fetch(`${serve.origin}/r.bin`, { method: "PUT", body });
        assertEquals(put.status, 201);
        await put.body?.cancel();
        const got = await fetch(`${serve.origin}/r.bin`);
        assertEquals(new Uint8Array(await got.arrayBuffer()), body);
        const listed = await store.listObjects({ StorageJobId: "remote-job" });
        assertEquals(listed.ObjectList.map((o) => o.Name), ["r.bin"]);
        const chunks = await store.listChunks({
          StorageJobId: "remote-job",
          ObjectToken: listed.ObjectList[0].ObjectToken,
        });
        assertEquals(chunks.ChunkList.length, 3, "--chunk-size 4KiB: 10,000 bytes in 3 chunks");
        // No quota for a remote service: the properties are not found.
        const propfind = await fetch(`${serve.origin}/`, {
          method: "PROPFIND",
          headers: { Depth: "0" },
          body: QUOTA_PROPFIND,
        });
        const xml = await propfind.text();
        assertEquals(propfind.status, 207);
        assertMatch(xml, /<D:quota-used-bytes\/>[\s\S]*404 Not Found/);
      } finally {
        result = await serve.stop();
      }
      assertEquals(result.code, 0, result.stderr);
      assert(!result.stderr.includes(secretAccessKey), "the secret is never printed");

      // Wrong credentials: refused at start-up, with a message, exit 1.
      const refused = await runServe([
        "--listen",
        `127.0.0.1:${freePort()}`,
        "--endpoint",
        endpoint,
        "--region",
        "us-east-1",
      ], { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: "wrong-secret" });
      assertEquals(refused.code, 1, refused.stderr);
      assertMatch(refused.stderr, /cannot use the BackupStorage service at http:\/\/127\.0\.0\.1/);
      assert(!refused.stderr.includes("wrong-secret"));
    } finally {
      await storage.shutdown();
      await store.close();
    }
  });
});

Deno.test("serve: a WebDAV lock taken before a restart still holds after it", async () => {
  await withTempDir(async (dir) => {
    const port = freePort();
    const data = `${dir}/data`;
    const lockBody = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>
<D:locktype><D:write/></D:locktype><D:owner>test</D:owner></D:lockinfo>`;
    const first = await startServe(["--listen", `127.0.0.1:${port}`, "--data", data]);
    let token: string | null;
    try {
      const put = await fetch(`${first.origin}/report.docx`, { method: "PUT", body: "v1" });
      assertEquals(put.status, 201);
      await put.body?.cancel();
      const lock = await fetch(`${first.origin}/report.docx`, {
        method: "LOCK",
        headers: { "Content-Type": "application/xml", Timeout: "Second-600" },
        body: lockBody,
      });
      assertEquals(lock.status, 200);
      await lock.body?.cancel();
      token = lock.headers.get("lock-token");
      assert(token, "a Lock-Token header");
    } finally {
      assertEquals((await first.stop("SIGTERM")).code, 0);
    }
    const again = await startServe(["--listen", `127.0.0.1:${port}`, "--data", data]);
    try {
      // Without the token the file stays locked; with it, the owner writes and unlocks.
      const blocked = await fetch(`${again.origin}/report.docx`, { method: "PUT", body: "v2" });
      assertEquals(blocked.status, 423);
      await blocked.body?.cancel();
      const owner = await fetch(`${again.origin}/report.docx`, {
        method: "PUT",
        body: "v2",
        headers: { If: `(${token})` },
      });
      assertEquals(owner.status, 204);
      await owner.body?.cancel();
      const unlock = await fetch(`${again.origin}/report.docx`, {
        method: "UNLOCK",
        headers: { "Lock-Token": token! },
      });
      assertEquals(unlock.status, 204);
      await unlock.body?.cancel();
      assertEquals(await (await fetch(`${again.origin}/report.docx`)).text(), "v2");
    } finally {
      assertEquals((await again.stop("SIGTERM")).code, 0);
    }
  });
});
