// Conformance with the official client: Debian's boto3 (python3-boto3) drives
// all nine operations, their error paths and a presigned URL against the storage
// app over a real EmbeddedStore on 127.0.0.1. See boto3_conformance.py.

import { fileURLToPath } from "node:url";
import { createStorageApp } from "../../src/server/app.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { openTestStore } from "../support/test_store.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./boto3_conformance.py", import.meta.url));
const ACCESS_KEY_ID = "AKIDCONFORMANCE";
const SECRET = "conformance/secret+key=";

async function requireBoto3(): Promise<void> {
  const hint = Deno.env.get("CI") === "true"
    ? "CI must install it: apt-get install python3-boto3"
    : "install it with: apt-get install python3-boto3";
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        "import boto3; assert 'backupstorage' in boto3.session.Session().get_available_services()",
      ],
      stdin: "null",
      clearEnv: true,
    }).output();
  } catch (error) {
    throw new Error(`${PYTHON} is not available (${error}); ${hint}`);
  }
  if (!output.success) {
    throw new Error(
      `boto3 with the backupstorage client is missing from ${PYTHON}; ${hint}\n` +
        new TextDecoder().decode(output.stderr),
    );
  }
}

Deno.test("boto3 conformance: nine operations, error paths, presigned URL", async () => {
  await requireBoto3();
  const dir = await Deno.makeTempDir({ prefix: "boto3-conformance-" });
  const store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
  const serverErrors: unknown[] = [];
  const app = createStorageApp(store, {
    credentials: new Map([[ACCESS_KEY_ID, { secretAccessKey: SECRET }]]),
    onError: (error, context) => {
      if (!(error instanceof Error) || !("code" in error)) serverErrors.push([error, context]);
    },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  try {
    const job = "conformance-job";
    const output = await new Deno.Command(PYTHON, {
      args: [SCRIPT],
      clearEnv: true,
      env: {
        AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: SECRET,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
        BACKUPSTORAGE_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
        BACKUPSTORAGE_JOB: job,
        LANG: "C.UTF-8",
      },
      stdin: "null",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assert(output.success, `boto3 script failed:\n${stderr}\n${stdout}`);
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert(report.checks >= 60, `only ${report.checks} checks ran`);
    assertEquals(serverErrors, [], "no unexpected server-side failure");

    // What boto3 left is what the store holds.
    const listed = await store.listObjects({ StorageJobId: job });
    assertEquals(listed.ObjectList.map((o) => o.Name), report.names);
    assert(report.names.includes(report.multiChunk));
    const multi = listed.ObjectList.find((o) => o.Name === report.multiChunk)!;
    assertEquals(multi.ChunksCount, 3);
  } finally {
    await server.shutdown();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
