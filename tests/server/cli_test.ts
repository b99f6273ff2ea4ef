// The `storage` command: starts, prints its address, serves a signed request with
// the key pair it generated, and exits 0 on SIGTERM; --help and bad flags.

import { fileURLToPath } from "node:url";
import { loadCredentialsFile } from "../../src/server/cli_credentials.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { signedRequest } from "./support/server_fixtures.ts";

const MAIN = fileURLToPath(new URL("../../src/server/main.ts", import.meta.url));
const PERMISSIONS = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Reads lines from a stream until one matches or `timeoutMs` passes; keeps draining after. */
async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  timeoutMs: number,
): Promise<{ line?: string; rest: Promise<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  let found: string | undefined;
  try {
    for (let i = 0; i < 10_000 && found === undefined; i++) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      buffer += next.value;
      found = buffer.split("\n").find((line) => pattern.test(line));
    }
  } finally {
    clearTimeout(timer);
  }
  const rest = (async () => {
    for (let i = 0; i < 1_000_000; i++) {
      const next = await reader.read();
      if (next.done) break;
      buffer += next.value;
    }
    return buffer;
  })();
  return { line: found, rest };
}

Deno.test("storage CLI: listens, serves a signed request, exits 0 on SIGTERM", async () => {
  const data = await Deno.makeTempDir({ prefix: "storage-cli-" });
  try {
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, MAIN, "--listen", `127.0.0.1:${port}`, "--data", data],
      env: {
        AWS_ACCESS_KEY_ID: "",
        AWS_SECRET_ACCESS_KEY: "",
        AWS_SESSION_TOKEN: "",
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const { line, rest } = await waitForLine(child.stdout, /^listening on /, 60_000);
    let status: Deno.CommandStatus;
    try {
      assertEquals(line, `listening on http://127.0.0.1:${port}`);

      // The generated key pair is kept in DATA/credentials, mode 0600.
      const path = `${data}/credentials`;
      assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
      const keys = await loadCredentialsFile(path);
      assertEquals(keys.size, 1);
      const [[accessKeyId, { secretAccessKey }]] = [...keys];

      const signed = await signedRequest("/restore-jobs/job-1/objects/list", {
        host: `127.0.0.1:${port}`,
        accessKeyId,
        secret: secretAccessKey,
      });
      const response = await fetch(signed.url, { headers: signed.headers });
      assertEquals(response.status, 200);
      assertEquals(await response.json(), { ObjectList: [] });

      const denied = await fetch(`http://127.0.0.1:${port}/restore-jobs/job-1/objects/list`);
      assertEquals(denied.status, 403);
      await denied.body?.cancel();

      const log = () => stderr;
      child.kill("SIGTERM");
      status = await child.status;
      const text = await log();
      assert(text.includes(path), "stderr names the credentials file");
      assert(text.includes(accessKeyId), "stderr names the access key id");
      assert(!text.includes(secretAccessKey), "the secret is never printed");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      status = await child.status;
      await stderr;
    }
    assertEquals(status.code, 0);
    const stdout = await rest;
    assertEquals(stdout.trim().split("\n").length, 1, "exactly one line on stdout");
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("storage CLI: --help lists every flag and exits 0", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, "--help"],
    stdin: "null",
  }).output();
  assertEquals(output.code, 0);
  const text = new TextDecoder().decode(output.stdout);
  for (
    const flag of [
      "--listen",
      "--data",
      "--credentials",
      "--region",
      "--help",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
    ]
  ) {
    assert(text.includes(flag), `--help mentions ${flag}`);
  }
});

Deno.test("storage CLI: unknown flags and bad values exit 2 with a message", async () => {
  for (
    const args of [["--bogus"], ["--listen", "nowhere"], ["--listen", "127.0.0.1:70000"], ["x"]]
  ) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, MAIN, ...args],
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(output.code, 2, `exit code for ${args.join(" ")}`);
    assertMatch(new TextDecoder().decode(output.stderr), /^storage: .+/);
    assertEquals(output.stdout.byteLength, 0);
  }
});
