// --tls-cert/--tls-key on `deno task serve` and `deno task storage`: flag errors exit 2,
// bad files exit 1 naming the file; serve over https (one process and --workers 2)
// answers WebDAV to curl with the test CA, over HTTP/2 and HTTP/1.1; storage over
// https answers boto3 (verify=CA) PutObject / GetChunk; the cleartext-password
// warning appears once off loopback with Basic auth without TLS, and not with TLS.

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { makeTestCertificates, type TestCertificates } from "../support/test_certificates.ts";
import { requireTool, runTool } from "./clients/support/client_tools.ts";
import { startCommand } from "../integration/support/worker_command.ts";
import {
  childEnv,
  runServe,
  SERVE_PERMISSIONS,
  STORAGE_MAIN,
  STORAGE_PERMISSIONS,
} from "./support/serve_process.ts";
import { serveArgs } from "./support/serve_args.ts";

const CURL = ["/usr/bin/curl", "/usr/local/bin/curl"];
const CLEARTEXT = /passwords cross the network in clear/g;

async function withCerts(body: (certs: TestCertificates, dir: string) => Promise<void>) {
  const certs = await makeTestCertificates();
  const dir = await Deno.makeTempDir({ prefix: "backupfs-tls-serve-" });
  try {
    await body(certs, dir);
  } finally {
    await certs.remove();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("tls flags: one without the other exits 2; a bad or mismatched file exits 1 naming it, on both commands", async () => {
  await withCerts(async (certs, dir) => {
    const half = await runServe(["--data", `${dir}/d`, "--tls-cert", certs.serverCert]);
    assertEquals(half.code, 2);
    assertMatch(half.stderr, /--tls-cert needs --tls-key FILE/);
    const storageHalf = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...STORAGE_PERMISSIONS,
        STORAGE_MAIN,
        "--data",
        `${dir}/s`,
        "--tls-key",
        certs.serverKey,
      ],
      env: childEnv({}),
      stdin: "null",
    }).output();
    assertEquals(storageHalf.code, 2);
    assertMatch(new TextDecoder().decode(storageHalf.stderr), /--tls-key needs --tls-cert FILE/);

    const secret = (await Deno.readTextFile(certs.serverKey)).split("\n")[1];
    const bad = await runServe(
      serveArgs(`${dir}/d`, {
        workers: 1,
        tls: { serverCert: `${dir}/nothing.pem`, serverKey: certs.serverKey },
      }),
    );
    assertEquals(bad.code, 1);
    assertMatch(
      bad.stderr,
      /cannot serve TLS: .*nothing\.pem: cannot read the certificate: no such file/,
    );
    const mismatched = await runServe(
      serveArgs(`${dir}/d`, {
        workers: 2,
        tls: { serverCert: certs.serverCert, serverKey: certs.otherKey },
      }),
    );
    assertEquals(mismatched.code, 1);
    assertMatch(
      mismatched.stderr,
      /other\.key: the private key does not belong to the certificate/,
    );
    assertEquals(bad.stdout + mismatched.stdout, "", "no listening line");
    assert(!(bad.stderr + mismatched.stderr).includes(secret), "no key material in messages");
  });
});

Deno.test("tls serve: https with HTTP/2 and HTTP/1.1, WebDAV PUT, GET and MOVE with an https Destination; mount instructions in https", async () => {
  const curl = await requireTool(CURL, "curl");
  await withCerts(async (certs, dir) => {
    const serve = await startCommand("serve", serveArgs(`${dir}/data`, { workers: 1, tls: certs }));
    try {
      assertMatch(serve.listenLine, /^listening on https:\/\/127\.0\.0\.1:\d+$/);
      const origin = serve.origin;
      await Deno.writeTextFile(`${dir}/hello.txt`, "hello over TLS\n");
      const curlArgs = (...args: string[]) => ["-sS", "--cacert", certs.caCert, ...args];
      // A request whose answer is only its HTTP version and status.
      const versionAndStatus = (...args: string[]) =>
        runTool(curl, {
          args: curlArgs(...args, "-w", "%{http_version} %{http_code}", "-o", "/dev/null"),
        });
      const put = await versionAndStatus("-T", `${dir}/hello.txt`, `${origin}/a.txt`);
      assertEquals(put.stdout, "2 201", put.stderr);
      const move = await versionAndStatus(
        "--http1.1",
        "-X",
        "MOVE",
        "-H",
        `Destination: ${origin}/b.txt`,
        `${origin}/a.txt`,
      );
      assertEquals(move.stdout, "1.1 201", move.stderr);
      const get = await runTool(curl, { args: curlArgs("--http2", `${origin}/b.txt`) });
      assertEquals(get.stdout, "hello over TLS\n", get.stderr);
    } finally {
      const { code, stderr } = await serve.stop();
      assertEquals(code, 0, stderr);
      assertMatch(stderr, /net use Z: https:\/\/127\.0\.0\.1:\d+\//);
      assertMatch(stderr, /gio mount davs:\/\//);
      assertEquals(stderr.match(CLEARTEXT), null);
    }
  });
});

Deno.test("tls serve --workers 2: both workers answer over https", async () => {
  const curl = await requireTool(CURL, "curl");
  await withCerts(async (certs, dir) => {
    const serve = await startCommand(
      "serve",
      serveArgs(`${dir}/data`, { workers: 2, tls: certs }),
      { BACKUPFS_WORKER_HEADER: "1" },
    );
    try {
      assertMatch(serve.listenLine, /^listening on https:\/\/127\.0\.0\.1:\d+$/);
      const seen = new Set<string>();
      // Each curl run is a new connection; the kernel spreads them over the workers.
      for (let i = 0; i < 60 && seen.size < 2; i++) {
        const head = await runTool(curl, {
          args: ["-sS", "--cacert", certs.caCert, "-o", "/dev/null", "-D", "-", `${serve.origin}/`],
        });
        assertEquals(head.code, 0, head.stderr);
        const worker = /^x-backupfs-worker: (\d+)/im.exec(head.stdout)?.[1];
        assert(worker !== undefined, head.stdout);
        assertMatch(head.stdout, /^HTTP\/2 /);
        seen.add(worker);
      }
      assertEquals([...seen].sort(), ["0", "1"]);
    } finally {
      const { code, stderr } = await serve.stop();
      assertEquals(code, 0, stderr);
    }
  });
});

Deno.test("tls serve: off loopback with Basic auth, plain http warns once that passwords cross in clear; https does not", async () => {
  await withCerts(async (certs, dir) => {
    const permissions = SERVE_PERMISSIONS.map((flag) =>
      flag.startsWith("--allow-net") ? "--allow-net" : flag
    );
    const auth = ["--user", "alice", "--password", "s3cret-pw"];
    const offLoopback = (options: Parameters<typeof serveArgs>[1]) =>
      startCommand(
        "serve",
        [...serveArgs(`${dir}/data`, { listen: "0.0.0.0:0", ...options }), ...auth],
        {},
        {
          permissions,
        },
      );
    const plain = await offLoopback({ workers: 2 });
    const plainOut = await plain.stop();
    assertEquals(plainOut.code, 0, plainOut.stderr);
    assertMatch(plain.listenLine, /^listening on http:\/\/0\.0\.0\.0:\d+$/);
    assertEquals(plainOut.stderr.match(CLEARTEXT)?.length, 1, plainOut.stderr);
    assert(!plainOut.stderr.includes("s3cret-pw"), "the password is never printed");

    const secure = await offLoopback({ workers: 1, tls: certs });
    const secureOut = await secure.stop();
    assertEquals(secureOut.code, 0, secureOut.stderr);
    assertMatch(secure.listenLine, /^listening on https:\/\/0\.0\.0\.0:\d+$/);
    assertEquals(secureOut.stderr.match(CLEARTEXT), null, secureOut.stderr);
  });
});

const PYTHON = "/usr/bin/python3";
const BOTO3_ROUND_TRIP = `
import base64, hashlib, os, sys
import boto3, botocore.config
bs = boto3.client("backupstorage", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                  verify=os.environ["CA"], config=botocore.config.Config(retries={"max_attempts": 1}))
body = os.urandom(3000)
sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
bs.put_object(BackupJobId="tls", ObjectName="o", InlineChunk=body, InlineChunkLength=len(body),
              InlineChunkChecksum=sha, InlineChunkChecksumAlgorithm="SHA256")
token = [o for o in bs.list_objects(StorageJobId="tls")["ObjectList"] if o["Name"] == "o"][0]["ObjectToken"]
chunk = bs.list_chunks(StorageJobId="tls", ObjectToken=token)["ChunkList"][0]
got = bs.get_chunk(StorageJobId="tls", ChunkToken=chunk["ChunkToken"])["Data"].read()
print("same" if got == body else "different")
`;

Deno.test("tls storage: boto3 with verify=CA puts an object and gets its chunk back over https", async () => {
  await withCerts(async (certs, dir) => {
    const keys = { AWS_ACCESS_KEY_ID: "AKIDTLSTEST", AWS_SECRET_ACCESS_KEY: "tls/secret+key" };
    const storage = await startCommand(
      "storage",
      serveArgs(`${dir}/data`, { workers: 1, tls: certs }),
      keys,
    );
    try {
      assertMatch(storage.listenLine, /^listening on https:\/\/127\.0\.0\.1:\d+$/);
      const run = (ca: string) =>
        new Deno.Command(PYTHON, {
          args: ["-c", BOTO3_ROUND_TRIP],
          clearEnv: true,
          env: {
            ...keys,
            AWS_CONFIG_FILE: "/dev/null",
            AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
            AWS_EC2_METADATA_DISABLED: "true",
            ENDPOINT: storage.origin,
            CA: ca,
            LANG: "C.UTF-8",
          },
          stdin: "null",
        }).output();
      let output: Deno.CommandOutput;
      try {
        output = await run(certs.caCert);
      } catch (error) {
        throw new Error(`${PYTHON} is not available (${error}): apt-get install python3-boto3`);
      }
      const stderr = new TextDecoder().decode(output.stderr);
      assert(output.success, `boto3 failed (apt-get install python3-boto3 if missing):\n${stderr}`);
      assertEquals(new TextDecoder().decode(output.stdout).trim(), "same");
      // Without the CA, boto3 refuses the certificate.
      const untrusted = await run("/etc/ssl/certs/ca-certificates.crt");
      assert(!untrusted.success);
      assertMatch(new TextDecoder().decode(untrusted.stderr), /SSL|certificate/i);
    } finally {
      const { code, stderr } = await storage.stop();
      assertEquals(code, 0, stderr);
    }
  });
});
