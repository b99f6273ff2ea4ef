// rclone (Debian `rclone`) over https: `deno task serve --tls-cert --tls-key` with
// Basic authentication, rclone trusting the test CA (--ca-cert). A tree copied up,
// checked equal (bytes downloaded), copied down and compared byte for byte; rclone's
// Go client speaks HTTP/2 (chosen by ALPN). Without rclone the test fails, naming the
// package.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { makeTestCertificates } from "../../support/test_certificates.ts";
import { startServe } from "../support/serve_process.ts";
import {
  listLocalFiles,
  patternBytes,
  requireTool,
  runOk,
  runTool,
  sameBytes,
  tempDir,
  writeLocalTree,
} from "./support/client_tools.ts";

const MiB = 1024 * 1024;

Deno.test("rclone over https (HTTP/2, --ca-cert, Basic auth): a tree up, checked, and down byte for byte", async () => {
  const rclone = await requireTool(["/usr/bin/rclone", "/usr/local/bin/rclone"], "rclone");
  const certs = await makeTestCertificates();
  await using work = await tempDir("backupfs-rclone-https-");
  const serve = await startServe([
    "--listen",
    "127.0.0.1:0",
    "--workers",
    "1",
    "--data",
    `${work.path}/data`,
    "--chunk-size",
    "1MiB",
    "--user",
    "rclone",
    "--password",
    "over-tls",
    "--tls-cert",
    certs.serverCert,
    "--tls-key",
    certs.serverKey,
  ]);
  try {
    assertMatch(serve.listenLine, /^listening on https:\/\/127\.0\.0\.1:\d+$/);
    const home = `${work.path}/home`;
    const src = `${work.path}/src`;
    const down = `${work.path}/down`;
    await Deno.mkdir(home);
    const files: Record<string, Uint8Array> = {
      "empty": new Uint8Array(),
      "small.txt": new TextEncoder().encode("hello over https\n"),
      "nested/two MiB.bin": patternBytes(2 * MiB + 3, 1),
      "nested/deeper/ünïcödé 日本.bin": patternBytes(70_000, 2),
    };
    await writeLocalTree(src, files);
    const names = Object.keys(files).sort();
    await Deno.writeTextFile(`${home}/rclone.conf`, "");
    const obscured = (await runOk(rclone, { args: ["obscure", "over-tls"] })).stdout.trim();
    const env = {
      HOME: home,
      RCLONE_CONFIG: `${home}/rclone.conf`,
      RCLONE_CONFIG_BFS_TYPE: "webdav",
      RCLONE_CONFIG_BFS_URL: `${serve.origin}/`,
      RCLONE_CONFIG_BFS_VENDOR: "other",
      RCLONE_CONFIG_BFS_USER: "rclone",
      RCLONE_CONFIG_BFS_PASS: obscured,
    };
    const run = (...args: string[]) =>
      runOk(rclone, {
        args: [...args, "--ca-cert", certs.caCert, "--retries", "1"],
        env,
        timeoutMs: 120_000,
      });

    const up = await run("copy", src, "bfs:up", "-vv", "--dump", "headers");
    // rclone's HTTP client negotiated HTTP/2 with the server.
    assertMatch(up.stderr, /HTTP\/2\.0 201/);
    const checked = await run("check", "--download", src, "bfs:up");
    assert(/0 differences found/.test(checked.stderr), checked.stderr);
    assert(new RegExp(`${names.length} matching files`).test(checked.stderr), checked.stderr);
    await run("copy", "bfs:up", down);
    assertEquals(await listLocalFiles(down), names);
    for (const name of names) {
      assert(sameBytes(await Deno.readFile(`${down}/${name}`), files[name]!), `${name} differs`);
    }

    // Without the CA, rclone refuses the server's certificate.
    const untrusted = await runTool(rclone, {
      args: ["lsjson", "bfs:up", "--retries", "1", "--low-level-retries", "1"],
      env,
      timeoutMs: 60_000,
    });
    assert(untrusted.code !== 0, "rclone must refuse an unknown CA");
    assertMatch(untrusted.stderr, /certificate/i);
  } finally {
    const { code, stderr } = await serve.stop();
    await certs.remove();
    assertEquals(code, 0, stderr);
  }
});
