// The `backupfs` entry point: --help lists the subcommands; serve and storage are
// exactly `deno task serve` / `deno task storage` (the same --help, the same exit 2
// on a bad flag); `backupfs serve --workers 2` runs its workers (each answering
// requests, tagged by BACKUPFS_WORKER_HEADER); an unknown subcommand exits 2.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import {
  childEnv,
  runServe,
  STORAGE_MAIN,
  STORAGE_PERMISSIONS,
} from "../../webdav/support/serve_process.ts";
import { runBackupfs, startBackupfs } from "./support/backupfs_process.ts";

Deno.test("backupfs: --help lists every subcommand; unknown ones exit 2", async () => {
  const help = await runBackupfs(["--help"]);
  assertEquals(help.code, 0);
  for (const name of ["serve", "storage", "ls", "cat", "put", "get", "du", "rm", "scrub"]) {
    assertMatch(help.stdout, new RegExp(`\\n {2}${name} +\\S`));
  }
  const unknown = await runBackupfs(["frobnicate"]);
  assertEquals(unknown.code, 2);
  assertEquals(unknown.stderr, 'backupfs: unknown subcommand "frobnicate" (try --help)\n');
  const none = await runBackupfs([]);
  assertEquals(none.code, 2);
  for (const name of ["ls", "cat", "put", "get", "du", "rm", "scrub"]) {
    const sub = await runBackupfs([name, "--help"]);
    assertEquals(sub.code, 0, sub.stderr);
    assertMatch(sub.stdout, new RegExp(`^Usage: backupfs ${name} `));
  }
});

Deno.test("backupfs serve and storage: the tasks' own --help and bad-flag exit", async () => {
  const serveHelp = await runBackupfs(["serve", "--help"]);
  assertEquals(serveHelp.code, 0);
  assertEquals(serveHelp.stdout, (await runServe(["--help"])).stdout);
  const storageTask = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...STORAGE_PERMISSIONS, STORAGE_MAIN, "--help"],
    env: childEnv({}),
    stdin: "null",
  }).output();
  const storageHelp = await runBackupfs(["storage", "--help"]);
  assertEquals(storageHelp.code, 0);
  assertEquals(storageHelp.stdout, new TextDecoder().decode(storageTask.stdout));
  const bad = await runBackupfs(["serve", "--workers", "0"]);
  assertEquals(bad.code, 2);
  assertEquals(bad.stderr, (await runServe(["--workers", "0"])).stderr);
});

Deno.test("backupfs serve --workers 2: both workers serve", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "backupfs-entry-" });
  const serve = await startBackupfs(
    ["serve", "--data", dataDir, "--listen", "127.0.0.1:0", "--workers", "2"],
    { BACKUPFS_WORKER_HEADER: "1" },
  );
  try {
    const put = await fetch(`${serve.origin}/hello.txt`, { method: "PUT", body: "hello" });
    assertEquals(put.status, 201);
    const workers = new Set<string>();
    // Each connection goes to one worker; the kernel spreads new ones (bounded tries).
    for (let i = 0; i < 200 && workers.size < 2; i++) {
      const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      try {
        const response = await fetch(`${serve.origin}/hello.txt`, { client });
        assertEquals(await response.text(), "hello");
        workers.add(response.headers.get("x-backupfs-worker") ?? "none");
      } finally {
        client.close();
      }
    }
    assertEquals([...workers].sort(), ["0", "1"]);
  } finally {
    const { code, stderr } = await serve.stop();
    await Deno.remove(dataDir, { recursive: true });
    assertEquals(code, 0);
    assert(stderr.includes(", 2 workers"), stderr);
  }
});
