// `deno task serve --base-url /dav/` behind Apache httpd as a reverse proxy
// (tests/webdav/support/apache_proxy.ts): litmus through the proxy passes all its
// 104 tests, with the client's Host preserved and with it only in
// X-Forwarded-Host from a --trusted-proxy; forwarded headers from a peer that is
// not trusted are ignored (COPY to the proxy's host is then another server: 502);
// every href, lock root and the mount instructions are under the prefix, and
// anything outside it is 404; rclone copies a tree through the proxy byte for
// byte. Without apache2, litmus or rclone the test fails, naming the package.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { startApacheProxy } from "../support/apache_proxy.ts";
import { type RunningServe, runServe, startServe } from "../support/serve_process.ts";
import {
  listLocalFiles,
  patternBytes,
  requireTool,
  runTool,
  sameBytes,
  tempDir,
  writeLocalTree,
} from "../clients/support/client_tools.ts";
import { rcloneRemote } from "../clients/support/rclone_remote.ts";

const SUITES = ["basic", "copymove", "props", "http", "locks"];

/** `deno task serve` on a fresh data directory under `work`, with `args`. */
async function serve(work: string, args: string[]): Promise<RunningServe> {
  return await startServe([
    "--listen",
    "127.0.0.1:0",
    "--data",
    `${work}/data`,
    "--chunk-size",
    "64KiB",
    ...args,
  ]);
}

/** The status of a request whose answer's body is not needed (cancelled). */
async function statusOf(url: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(url, init);
  await response.body?.cancel();
  return response.status;
}

/** Runs litmus's suites against `url`; asserts 104 of 104 passed, no warning. */
async function litmusPasses(
  url: string,
  work: string,
  errorLog: () => Promise<string>,
): Promise<void> {
  const litmus = await requireTool(["/usr/bin/litmus", "/usr/local/bin/litmus"], "litmus");
  const cwd = `${work}/litmus`;
  await Deno.mkdir(cwd, { recursive: true });
  const result = await runTool(litmus, {
    args: [url],
    cwd, // litmus writes debug.log and child.log here
    env: { ...Deno.env.toObject(), TESTS: SUITES.join(" ") },
    timeoutMs: 300_000,
  });
  const text = result.stdout + result.stderr +
    `\n--- the proxy's error log\n${(await errorLog()).slice(-3000)}`;
  const summaries = [
    ...text.matchAll(/summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed/g),
  ];
  const report = summaries.map((m) => m[0]).join("\n");
  assertEquals(summaries.map((m) => m[1]), SUITES, `every suite ran:\n${text.slice(-4000)}`);
  for (const match of summaries) {
    assertEquals(match[4], "0", `${match[1]} has failures:\n${text.slice(-4000)}`);
    assertEquals(match[2], match[3], `${match[1]}: not all run tests passed`);
  }
  assertEquals(summaries.reduce((sum, m) => sum + Number(m[3]), 0), 104, report);
  assert(!/warning/i.test(text), `litmus issued warnings:\n${text.slice(-4000)}`);
  assertEquals(result.code, 0, report);
}

Deno.test("behind Apache (ProxyPreserveHost On), --base-url /dav/: litmus passes 104 of 104; hrefs, lock roots and mount instructions under /dav/; outside it 404", async () => {
  await using work = await tempDir("backupfs-proxy-");
  const server = await serve(work.path, ["--base-url", "/dav/", "--workers", "1"]);
  let stderr = "";
  try {
    const proxy = await startApacheProxy({ backend: server.origin, path: "/dav/" });
    try {
      await litmusPasses(proxy.base, work.path, proxy.errorLog);

      // Hrefs of a deep listing and a lock root, through the proxy.
      const put = await fetch(`${proxy.base}a%20dir/`, { method: "MKCOL" });
      assertEquals(put.status, 201);
      await (await fetch(`${proxy.base}a%20dir/f.txt`, { method: "PUT", body: "f" })).body
        ?.cancel();
      const listing = await fetch(proxy.base, {
        method: "PROPFIND",
        headers: { Depth: "infinity" },
      });
      assertEquals(listing.status, 207);
      const hrefs = [...(await listing.text()).matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) =>
        m[1]
      );
      assert(hrefs.includes("/dav/a%20dir/f.txt"), hrefs.join(" "));
      for (const href of hrefs) assert(href.startsWith("/dav/"), href);
      const lock = await fetch(`${proxy.base}a%20dir/f.txt`, {
        method: "LOCK",
        headers: { "Content-Type": "application/xml" },
        body: '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
          "<D:locktype><D:write/></D:locktype></D:lockinfo>",
      });
      assertEquals(lock.status, 200);
      assertMatch(await lock.text(), /<D:lockroot><D:href>\/dav\/a%20dir\/f\.txt<\/D:href>/);
      const token = lock.headers.get("lock-token")!;
      const unlock = await fetch(`${proxy.base}a%20dir/f.txt`, {
        method: "UNLOCK",
        headers: { "Lock-Token": token },
      });
      assertEquals(unlock.status, 204);
      // A MOVE whose Destination names the proxy's host and the prefix.
      const move = await fetch(`${proxy.base}a%20dir/f.txt`, {
        method: "MOVE",
        headers: { Destination: `${proxy.base}a%20dir/g.txt` },
      });
      assertEquals(move.status, 201);
      assertEquals(await (await fetch(`${proxy.base}a%20dir/g.txt`)).text(), "f");
      assertEquals(await proxy.errorLog().then((log) => /\[proxy.*:error\]/.test(log)), false);
    } finally {
      await proxy.close();
    }
    // Outside the prefix, straight to the server: 404.
    for (const path of ["/", "/a%20dir/g.txt", "/davx/", "/other/dav/"]) {
      assertEquals(await statusOf(`${server.origin}${path}`, { method: "PROPFIND" }), 404, path);
    }
    assertEquals(
      await statusOf(`${server.origin}/dav`, { method: "PROPFIND", headers: { Depth: "0" } }),
      207,
    );
  } finally {
    stderr = (await server.stop()).stderr;
  }
  assertMatch(stderr, new RegExp(`net use Z: ${server.origin}/dav/`));
  assertMatch(stderr, /gio mount dav:\/\/127\.0\.0\.1:\d+\/dav\//);
});

Deno.test("behind Apache (ProxyPreserveHost Off), --trusted-proxy 127.0.0.1, 2 workers: litmus passes 104 of 104 (Destination compared with X-Forwarded-Host)", async () => {
  await using work = await tempDir("backupfs-proxy-");
  const server = await serve(work.path, [
    "--base-url",
    "/dav/",
    "--trusted-proxy",
    "127.0.0.1",
    "--workers",
    "2",
  ]);
  try {
    const proxy = await startApacheProxy({
      backend: server.origin,
      path: "/dav/",
      preserveHost: false,
      forwardedProto: "http",
    });
    try {
      await litmusPasses(proxy.base, work.path, proxy.errorLog);
      // A browser's Origin is compared with the forwarded origin: the proxy's is the server's own.
      assertEquals(
        await statusOf(`${proxy.base}page.txt`, {
          method: "PUT",
          body: "p",
          headers: { Origin: proxy.origin },
        }),
        201,
      );
      assertEquals(
        await statusOf(`${proxy.base}page.txt`, {
          method: "PUT",
          body: "p",
          headers: { Origin: "http://elsewhere.example" },
        }),
        403,
      );
    } finally {
      await proxy.close();
    }
  } finally {
    await server.stop();
  }
});

Deno.test("behind Apache (ProxyPreserveHost Off), forwarded headers from a peer that is not trusted are ignored: a COPY to the proxy's host is to another server (502)", async () => {
  await using work = await tempDir("backupfs-proxy-");
  // 127.0.0.2 is not the proxy's address (it connects from 127.0.0.1).
  const server = await serve(work.path, [
    "--base-url",
    "/dav/",
    "--trusted-proxy",
    "127.0.0.2,10.0.0.0/8",
    "--workers",
    "1",
  ]);
  try {
    const proxy = await startApacheProxy({
      backend: server.origin,
      path: "/dav/",
      preserveHost: false,
    });
    try {
      const put = await fetch(`${proxy.base}a.txt`, { method: "PUT", body: "a" });
      assertEquals(put.status, 201);
      assertEquals(
        await statusOf(`${proxy.base}a.txt`, {
          method: "COPY",
          headers: { Destination: `${proxy.base}b.txt` },
        }),
        502,
      );
      // The backend's own host still works (what the server sees as its origin).
      assertEquals(
        await statusOf(`${proxy.base}a.txt`, {
          method: "COPY",
          headers: { Destination: `${server.origin}/dav/b.txt` },
        }),
        201,
      );
      // Nor is a browser on the proxy's origin taken for the server's own.
      assertEquals(
        await statusOf(`${proxy.base}c.txt`, {
          method: "PUT",
          body: "c",
          headers: { Origin: proxy.origin },
        }),
        403,
      );
    } finally {
      await proxy.close();
    }
  } finally {
    await server.stop();
  }
});

Deno.test("rclone copies a tree through Apache to --base-url /dav/ and back, byte for byte", async () => {
  const rclone = await requireTool(["/usr/bin/rclone", "/usr/local/bin/rclone"], "rclone");
  await using work = await tempDir("backupfs-proxy-rclone-");
  const server = await serve(work.path, ["--base-url", "/dav/", "--workers", "1"]);
  try {
    const proxy = await startApacheProxy({ backend: server.origin, path: "/dav/" });
    try {
      const files: Record<string, Uint8Array> = {
        "empty": new Uint8Array(),
        "one byte.bin": patternBytes(1, 1),
        "nested/deeper/mega.bin": patternBytes(1024 * 1024 + 17, 2),
        "nested/three MiB.bin": patternBytes(3 * 1024 * 1024, 3),
        "ünïcödé/日本語 ファイル.txt": new TextEncoder().encode("こんにちは\n"),
        "ünïcödé/a+b=c & d#e%f.txt": patternBytes(777, 4),
        "nested/deeper/deepest/odd 'quote'.txt": patternBytes(100, 5),
      };
      const src = `${work.path}/src`;
      const down = `${work.path}/down`;
      await writeLocalTree(src, files);
      const { run } = await rcloneRemote(rclone, `${work.path}/home`, {
        url: proxy.base,
        inheritEnv: true,
        timeoutMs: 180_000,
      });
      await run("copy", src, "bfs:up");
      const checked = await run("check", src, "bfs:up");
      assert(/0 differences found/.test(checked.stderr), checked.stderr);
      await run("copy", "bfs:up", down);
      const names = Object.keys(files).sort();
      assertEquals((await listLocalFiles(down)).sort(), names);
      for (const name of names) {
        assert(sameBytes(await Deno.readFile(`${down}/${name}`), files[name]!), name);
      }
      // The files are where the prefix maps them: /up/… of the file system.
      const direct = await fetch(`${server.origin}/dav/up/nested/three%20MiB.bin`);
      assert(sameBytes(new Uint8Array(await direct.arrayBuffer()), files["nested/three MiB.bin"]!));
    } finally {
      await proxy.close();
    }
  } finally {
    await server.stop();
  }
});

Deno.test("--base-url, --trusted-proxy and --depth-infinity: bad values exit 2 naming the flag", async () => {
  for (
    const [args, message] of [
      [["--base-url", "dav/"], /--base-url "dav\/": must start with '\/'/],
      [["--base-url", "/a/../b/"], /--base-url "\/a\/\.\.\/b\/": must not hold '\.' or '\.\.'/],
      [["--base-url", "/dav/?x=1"], /--base-url .*query/],
      [["--trusted-proxy", "proxy.example"], /--trusted-proxy "proxy\.example"/],
      [["--trusted-proxy", "10.0.0.0/33"], /--trusted-proxy "10\.0\.0\.0\/33"/],
      [["--depth-infinity", "maybe"], /--depth-infinity "maybe": expected allow or refuse/],
    ] as const
  ) {
    const result = await runServe([...args]);
    assertEquals(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assertMatch(result.stderr, message);
  }
});
