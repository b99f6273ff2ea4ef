// davfs2 (Debian `davfs2`) over https: `deno task serve --tls-cert --tls-key` in a
// process of its own, mount.davfs trusting the test CA (trust_ca_cert). A small and a
// multi-MiB file written through the mount, read back, and after the unmount (davfs2
// uploads on close and on unmount) fetched with curl byte for byte. Needs root
// (mount); without davfs2 the test fails, naming the package.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { makeTestCertificates } from "../../support/test_certificates.ts";
import { startServe } from "../support/serve_process.ts";
import {
  patternBytes,
  requireTool,
  runOk,
  runTool,
  sameBytes,
  waitFor,
} from "./support/client_tools.ts";

const MiB = 1024 * 1024;

async function isMounted(mountPoint: string): Promise<boolean> {
  const result = await runTool("findmnt", {
    args: ["-n", "--mountpoint", mountPoint],
    env: {},
    timeoutMs: 10_000,
  });
  return result.code === 0;
}

async function groupId(name: string): Promise<number> {
  const line = (await Deno.readTextFile("/etc/group")).split("\n").find((l) =>
    l.startsWith(`${name}:`)
  );
  assert(line, `group ${name} is missing (it comes with the Debian package davfs2)`);
  return Number(line.split(":")[2]);
}

Deno.test("davfs2 over https (trust_ca_cert): files written through the mount arrive byte for byte", async () => {
  await requireTool(["/usr/sbin/mount.davfs", "/sbin/mount.davfs"], "davfs2");
  const mountCmd = await requireTool(["/usr/bin/mount", "/bin/mount"], "mount");
  const umountCmd = await requireTool(["/usr/bin/umount", "/bin/umount"], "mount");
  const curl = await requireTool(["/usr/bin/curl", "/usr/local/bin/curl"], "curl");
  await requireTool(["/usr/bin/findmnt", "/bin/findmnt"], "util-linux");
  assertEquals(Deno.uid(), 0, "mounting with davfs2 needs root");
  const davfs2Gid = await groupId("davfs2");

  const certs = await makeTestCertificates();
  const work = await Deno.makeTempDir({ prefix: "backupfs-davfs2-https-" });
  // mount.davfs drops to the davfs2 user, which must reach the cache and the CA below `work`.
  await Deno.chmod(work, 0o755);
  const mnt = `${work}/mnt`;
  const cache = `${work}/cache`;
  const ca = `${work}/ca.pem`;
  await Deno.mkdir(mnt);
  await Deno.mkdir(cache);
  await Deno.chown(cache, 0, davfs2Gid);
  await Deno.chmod(cache, 0o775);
  await Deno.copyFile(certs.caCert, ca);
  await Deno.chmod(ca, 0o644);
  await Deno.writeTextFile(
    `${work}/davfs2.conf`,
    [
      "buf_size 64",
      `cache_dir ${cache}`,
      "use_locks 1",
      "ask_auth 0",
      "delay_upload 0",
      "connect_timeout 10",
      "read_timeout 30",
      `trust_ca_cert ${ca}`,
      "",
    ].join("\n"),
  );
  const serve = await startServe([
    "--listen",
    "127.0.0.1:0",
    "--workers",
    "1",
    "--data",
    `${work}/data`,
    "--tls-cert",
    certs.serverCert,
    "--tls-key",
    certs.serverKey,
  ]);
  const small = new TextEncoder().encode("hello through davfs2 over TLS\n");
  const big = patternBytes(5 * MiB + 4321, 21);
  try {
    assertMatch(serve.listenLine, /^listening on https:\/\//);
    const mounted = await runTool(mountCmd, {
      args: ["-t", "davfs", `${serve.origin}/`, mnt, "-o", `conf=${work}/davfs2.conf`],
      env: {},
      timeoutMs: 30_000,
    });
    assert(
      mounted.code === 0 && !mounted.timedOut,
      `mount failed (${mounted.code}): ${mounted.stderr}`,
    );
    assert(await waitFor(() => isMounted(mnt), { timeoutMs: 10_000 }), "nothing mounted");
    await Deno.writeFile(`${mnt}/hello.txt`, small);
    await Deno.mkdir(`${mnt}/dir`);
    await Deno.writeFile(`${mnt}/dir/big.bin`, big);
    assert(sameBytes(await Deno.readFile(`${mnt}/hello.txt`), small), "hello.txt differs");
    assert(sameBytes(await Deno.readFile(`${mnt}/dir/big.bin`), big), "big.bin differs");
    await runOk(umountCmd, { args: [mnt], env: {}, timeoutMs: 120_000 });
    assert(!(await isMounted(mnt)), "still mounted after umount");

    for (const [path, bytes] of [["hello.txt", small], ["dir/big.bin", big]] as const) {
      await runOk(curl, {
        args: [
          "-sS",
          "--fail",
          "--cacert",
          certs.caCert,
          "-o",
          `${work}/got`,
          `${serve.origin}/${path}`,
        ],
      });
      assert(sameBytes(await Deno.readFile(`${work}/got`), bytes), `${path} differs on the server`);
    }
  } finally {
    if (await isMounted(mnt)) {
      await runTool(umountCmd, { args: [mnt], env: {}, timeoutMs: 60_000 });
      if (await isMounted(mnt)) {
        await runTool(umountCmd, { args: ["-l", mnt], env: {}, timeoutMs: 10_000 });
      }
    }
    const { code, stderr } = await serve.stop();
    await certs.remove();
    if (!(await isMounted(mnt))) await Deno.remove(work, { recursive: true });
    assertEquals(code, 0, stderr);
  }
});
