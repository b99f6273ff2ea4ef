// `serve` and `storage` warn about an existing data directory other users can read,
// naming the fix; a directory they create is 0700.

import { join } from "node:path";
import { assert, assertEquals } from "../support/assert.ts";
import {
  freePort,
  startServe,
  STORAGE_MAIN,
  STORAGE_PERMISSIONS,
} from "./support/serve_process.ts";

const posix = Deno.build.os !== "windows";

/** Starts `storage`, waits for its `listening on` line (bounded), stops it with SIGTERM. */
async function runStorage(dataDir: string): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...STORAGE_PERMISSIONS,
      STORAGE_MAIN,
      "--listen",
      `127.0.0.1:${freePort()}`,
      "--data",
      dataDir,
    ],
    env: { NO_COLOR: "1", AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    for (let i = 0; i < 10_000 && !stdout.includes("listening on"); i++) {
      const next = await reader.read();
      if (next.done) break;
      stdout += next.value;
    }
    try {
      child.kill("SIGTERM");
    } catch { /* exited */ }
    for (let i = 0; i < 1_000_000; i++) if ((await reader.read()).done) break;
    return { code: (await child.status).code, stderr: await stderr };
  } finally {
    clearTimeout(killer);
  }
}

Deno.test({
  name: "serve: warns about a 0755 data directory, not about 0700",
  ignore: !posix,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "data_dir_warning_test_" });
    try {
      await Deno.chmod(dir, 0o755);
      const open = await startServe(["--listen", "127.0.0.1:0", "--data", dir]);
      const first = await open.stop("SIGTERM");
      assertEquals(first.code, 0, first.stderr);
      assert(
        first.stderr.includes(
          `webdav: warning: ${dir} is readable by other users (mode 755); chmod 700 ${dir}`,
        ),
        first.stderr,
      );
      await Deno.chmod(dir, 0o700);
      const closed = await startServe(["--listen", "127.0.0.1:0", "--data", dir]);
      const second = await closed.stop("SIGTERM");
      assert(!second.stderr.includes("readable by other users"), second.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "storage: creates its data directory 0700; warns about a 0755 one",
  ignore: !posix,
  async fn() {
    const parent = await Deno.makeTempDir({ prefix: "data_dir_warning_test_" });
    try {
      const fresh = join(parent, "fresh");
      const created = await runStorage(fresh);
      assertEquals(created.code, 0, created.stderr);
      assert(!created.stderr.includes("readable by other users"), created.stderr);
      assertEquals(((await Deno.stat(fresh)).mode! & 0o777).toString(8), "700");
      const shared = join(parent, "shared");
      await Deno.mkdir(shared, { mode: 0o755 });
      await Deno.chmod(shared, 0o755);
      const warned = await runStorage(shared);
      assertEquals(warned.code, 0, warned.stderr);
      assert(
        warned.stderr.includes(
          `storage: warning: ${shared} is readable by other users (mode 755); chmod 700 ${shared}`,
        ),
        warned.stderr,
      );
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  },
});
