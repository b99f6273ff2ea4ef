// davfs2 (Debian `davfs2`) over https: `deno task serve --tls-cert --tls-key` in a
// process of its own, mount.davfs trusting the test CA (trust_ca_cert). A small and a
// multi-MiB file written through the mount, read back, and after the unmount (davfs2
// uploads on close and on unmount) fetched with curl byte for byte. Needs root
// (mount); without davfs2 the test fails, naming the package.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { makeTestCertificates } from "../../support/test_certificates.ts";
import { startServe } from "../support/serve_process.ts";
import { serveArgs } from "../support/serve_args.ts";
import { patternBytes, requireTool, runOk, sameBytes } from "./support/client_tools.ts";
import {
  cleanUpDavfs2,
  isMounted,
  mountDavfs2,
  prepareDavfs2,
  requireDavfs2,
  unmountDavfs2,
} from "./support/davfs2_mount.ts";

const MiB = 1024 * 1024;

Deno.test("davfs2 over https (trust_ca_cert): files written through the mount arrive byte for byte", async () => {
  const tools = await requireDavfs2();
  const curl = await requireTool(["/usr/bin/curl", "/usr/local/bin/curl"], "curl");

  const certs = await makeTestCertificates();
  const work = await Deno.makeTempDir({ prefix: "backupfs-davfs2-https-" });
  // mount.davfs drops to the davfs2 user, which must reach the cache and the CA below `work`.
  const layout = await prepareDavfs2(work, { davfs2Gid: tools.davfs2Gid, caCert: certs.caCert });
  const { mnt } = layout;
  const serve = await startServe(serveArgs(`${work}/data`, { workers: 1, tls: certs }));
  const small = new TextEncoder().encode("hello through davfs2 over TLS\n");
  const big = patternBytes(5 * MiB + 4321, 21);
  try {
    assertMatch(serve.listenLine, /^listening on https:\/\//);
    await mountDavfs2(tools, `${serve.origin}/`, layout);
    await Deno.writeFile(`${mnt}/hello.txt`, small);
    await Deno.mkdir(`${mnt}/dir`);
    await Deno.writeFile(`${mnt}/dir/big.bin`, big);
    assert(sameBytes(await Deno.readFile(`${mnt}/hello.txt`), small), "hello.txt differs");
    assert(sameBytes(await Deno.readFile(`${mnt}/dir/big.bin`), big), "big.bin differs");
    await unmountDavfs2(tools, mnt);

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
    await cleanUpDavfs2(mnt, { umount: tools.umount });
    const { code, stderr } = await serve.stop();
    await certs.remove();
    if (!(await isMounted(mnt))) await Deno.remove(work, { recursive: true });
    assertEquals(code, 0, stderr);
  }
});
