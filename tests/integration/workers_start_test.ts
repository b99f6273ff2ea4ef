// The life of a server with workers (src/workers/): a start-up failure of any
// worker fails the command with its message and no `listening on` line; a
// worker that dies is reported and replaced, and one that keeps dying ends the
// command with exit 1. Real child processes; every wait is bounded.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { freePort, runServe } from "../webdav/support/serve_process.ts";
import { PinnedConnection } from "./support/pinned_connection.ts";

const CRASHING = fileURLToPath(new URL("./support/crashing_workers.ts", import.meta.url));
const SLOW_OPEN = fileURLToPath(new URL("./support/slow_open_workers.ts", import.meta.url));
const PERMISSIONS = ["--allow-net=127.0.0.1", "--allow-read", "--allow-env"];
const WAIT_MS = 60_000;

Deno.test("serve --workers 2: an address in use fails the command (exit 1, no listening line), even one held with SO_REUSEPORT", async () => {
  // As another server with workers would hold it: bound with SO_REUSEPORT.
  const taken = createServer();
  await new Promise<void>((resolve) => {
    taken.listen({ host: "127.0.0.1", port: 0, reusePort: true }, resolve);
  });
  const port = (taken.address() as AddressInfo).port;
  const dir = await Deno.makeTempDir({ prefix: "workers_start_" });
  try {
    const { code, stdout, stderr } = await runServe([
      "--workers",
      "2",
      "--listen",
      `127.0.0.1:${port}`,
      "--data",
      `${dir}/data`,
    ]);
    assertEquals(code, 1, stderr);
    assertEquals(stdout, "");
    assertMatch(stderr, new RegExp(`webdav: cannot listen on http://127\\.0\\.0\\.1:${port}: `));
  } finally {
    await new Promise((resolve) => taken.close(resolve));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --workers 2: a data directory that cannot be opened fails the command with the worker's message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "workers_start_" });
  try {
    await Deno.writeTextFile(`${dir}/not-a-dir`, "x");
    const { code, stdout, stderr } = await runServe([
      "--workers",
      "2",
      "--listen",
      "127.0.0.1:0",
      "--data",
      `${dir}/not-a-dir`,
    ]);
    assertEquals(code, 1, stderr);
    assertEquals(stdout, "");
    assertMatch(stderr, /webdav: cannot open the store in .*not-a-dir: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The crashing-workers server as a child: its origin, its stderr so far, its end. */
async function startCrashing(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, CRASHING, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await out.read(); // the listening line, or the end
  const stdout = (async () => {
    let text = first.value ?? "";
    for (let i = 0; i < 100_000 && !first.done; i++) {
      const next = await out.read();
      if (next.done) break;
      text += next.value;
    }
    return text;
  })();
  const origin = /^listening on (\S+)/.exec(first.value ?? "")?.[1];
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), WAIT_MS);
  });
  /** Reads stderr until it matches `pattern` (bounded by WAIT_MS overall). */
  const waitFor = async (pattern: RegExp) => {
    for (let i = 0; i < 100_000 && !pattern.test(stderr); i++) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      stderr += next.value;
    }
    assertMatch(stderr, pattern);
  };
  const end = async () => {
    for (let i = 0; i < 100_000; i++) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      stderr += next.value;
    }
    clearTimeout(timer);
    const status = await child.status;
    return { code: status.code, stdout: await stdout, stderr };
  };
  return { child, origin, waitFor, end };
}

Deno.test("workers: a start-up failure of a later worker stops the started ones (exit 1, its message, no listening line)", async () => {
  const { waitFor, end } = await startCrashing(["3", "2", "2"]);
  await waitFor(/worker 2 cannot open its storage/);
  const { code, stdout, stderr } = await end();
  assertEquals(code, 1, stderr);
  assertEquals(stdout, "");
  assertEquals(stderr.match(/crashing: /g)?.length, 1, stderr);
});

Deno.test("workers: one that dies is reported and restarted; dying too often ends the command with exit 1", async () => {
  const { child, origin, waitFor, end } = await startCrashing(["2", "1"]);
  let killed = false;
  try {
    assert(origin, "no listening line");
    const crash = async () => {
      const connection = await PinnedConnection.open(origin);
      try {
        const response = await connection.fetch(`${origin}/crash`);
        return await response.text(); // the index of the worker that will die
      } finally {
        connection.close();
      }
    };
    const index = await crash();
    await waitFor(new RegExp(`crashing: worker ${index} died: .*boom in worker ${index}`));
    await waitFor(new RegExp(`crashing: worker ${index} restarted`));
    // Served again (by whichever worker), then a second death within the window: giving up.
    const connection = await PinnedConnection.open(origin);
    assertMatch(await (await connection.fetch(`${origin}/`)).text(), /^[01]$/);
    connection.close();
    await crash();
    await waitFor(/crashing: workers died 2 times within 60 s; giving up/);
  } catch (error) {
    killed = true;
    child.kill("SIGKILL");
    throw error;
  } finally {
    const { code, stderr } = await end();
    if (!killed) assertEquals(code, 1, stderr);
  }
});

Deno.test("workers: the port takes no connection before every worker has opened (the first answer comes from a server at full strength)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "workers_start_" });
  const port = freePort();
  const marker = `${dir}/worker-1-opened`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "--allow-write", SLOW_OPEN, String(port), marker, "1500"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output(); // the status and both streams, read to their end
  try {
    // Poll the port from the start: the first answer must not come before worker 1 opened.
    let first: string | undefined;
    for (let attempt = 0; attempt < 1_500 && first === undefined; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`);
        first = await response.text();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    assertEquals(first, "ready", "the first connection was served before worker 1 had opened");
  } finally {
    child.kill("SIGTERM");
    const { code, stdout, stderr } = await output;
    await Deno.remove(dir, { recursive: true });
    const text = new TextDecoder();
    assertEquals(code, 0, text.decode(stderr));
    assertMatch(
      text.decode(stdout),
      new RegExp(`^listening on http://127\\.0\\.0\\.1:${port}\\n$`),
    );
  }
});
