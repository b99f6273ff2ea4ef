// rclone (Debian `rclone`) over https: `deno task serve --tls-cert --tls-key` with
// Basic authentication, rclone trusting the test CA (--ca-cert). A tree copied up,
// checked equal (bytes downloaded), copied down and compared byte for byte; rclone's
// Go client speaks HTTP/2 (chosen by ALPN). Without rclone the test fails, naming the
// package.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { makeTestCertificates } from "../../support/test_certificates.ts";
import { startServe } from "../support/serve_process.ts";
import { serveArgs } from "../support/serve_args.ts";
import { rcloneRemote } from "./support/rclone_remote.ts";
import {
  listLocalFiles,
  patternBytes,
  requireTool,
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
    ...serveArgs(`${work.path}/data`, { workers: 1, tls: certs }),
    "--chunk-size",
    "1MiB",
    "--user",
    "rclone",
    "--password",
    "over-tls",
  ]);
  try {
    assertMatch(serve.listenLine, /^listening on https:\/\/127\.0\.0\.1:\d+$/);
    const src = `${work.path}/src`;
    const down = `${work.path}/down`;
    const files: Record<string, Uint8Array> = {
      "empty": new Uint8Array(),
      "small.txt": new TextEncoder().encode("hello over https\n"),
      "nested/two MiB.bin": patternBytes(2 * MiB + 3, 1),
      "nested/deeper/ünïcödé 日本.bin": patternBytes(70_000, 2),
    };
    await writeLocalTree(src, files);
    const names = Object.keys(files).sort();
    const { env, run } = await rcloneRemote(rclone, `${work.path}/home`, {
      url: `${serve.origin}/`,
      auth: { user: "rclone", password: "over-tls" },
      flags: ["--ca-cert", certs.caCert],
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
