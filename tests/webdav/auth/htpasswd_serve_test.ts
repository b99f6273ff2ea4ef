// `deno task serve --credentials FILE` over real HTTP with files written by
// Apache's `htpasswd` itself (apache2-utils): every scheme it writes (-B, -B -C 4,
// -2, -5, -m, -s, -p) lets the right password in and keeps wrong ones out; the
// file is reloaded without a restart (a user added with `htpasswd -b`, one deleted
// with `-D`, a password changed; a file made invalid keeps the last good users with
// one warning), in one process and with `--workers 2` (each worker reloads: both are
// seen answering the new way, by new connections through curl).

import { requireTool, runOk, runTool } from "../clients/support/client_tools.ts";
import { freePort, type RunningServe, startServe } from "../support/serve_process.ts";
import { serveArgs } from "../support/serve_args.ts";
import { assert, assertEquals, assertMatch } from "../../support/assert.ts";

/** [user, password, htpasswd flags]; `-B -C 4` keeps bcrypt fast. */
const USERS: [string, string, string[]][] = [
  ["bcrypt", "b-pw", ["-B", "-C", "4"]],
  ["bcrypt5", "b5 pw:with colon", ["-B"]],
  ["sha256", "s2-pw", ["-2"]],
  ["sha512", "s5-pw", ["-5"]],
  ["apr1", "m-pw", ["-m"]],
  ["sha1", "s-pw", ["-s"]],
  ["plain", "p-pw", ["-p"]],
  ["zoë", "pässwörd🔑", ["-B", "-C", "4"]],
];

async function htpasswd(args: string[]): Promise<void> {
  const tool = await requireTool(["/usr/bin/htpasswd", "/usr/sbin/htpasswd"], "apache2-utils");
  await runOk(tool, { args, timeoutMs: 60_000 });
}

function basic(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

async function propfind(origin: string, user: string, password: string): Promise<number> {
  const response = await fetch(`${origin}/`, {
    method: "PROPFIND",
    headers: { Depth: "0", Authorization: basic(user, password) },
  });
  await response.body?.cancel();
  return response.status;
}

async function withUsersFile(run: (file: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-htpasswd-" });
  try {
    const file = `${dir}/users`;
    for (const [i, [user, password, flags]] of USERS.entries()) {
      await htpasswd([i === 0 ? "-cb" : "-b", ...flags, file, user, password]);
    }
    await Deno.chmod(file, 0o600);
    await run(file, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function serveWith(file: string, dir: string, extra: string[] = []): Promise<RunningServe> {
  return await startServe(
    [
      ...serveArgs(`${dir}/data`, { listen: `127.0.0.1:${freePort()}` }),
      "--credentials",
      file,
      ...extra,
    ],
    { BACKUPFS_WORKER_HEADER: "1" },
  );
}

/** Polls `check` (bounded: 300 tries, ~100 ms apart) until it holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

Deno.test("htpasswd over HTTP: each scheme htpasswd writes lets the right password in, wrong ones not", async () => {
  await withUsersFile(async (file, dir) => {
    const text = await Deno.readTextFile(file);
    for (const prefix of ["$2y$04$", "$2y$05$", "$5$", "$6$", "$apr1$", "{SHA}", ":p-pw\n"]) {
      assert(text.includes(prefix), `htpasswd wrote ${prefix}`);
    }
    const serve = await serveWith(file, dir, ["--workers", "1"]);
    try {
      for (const [user, password] of USERS) {
        assertEquals(await propfind(serve.origin, user, password), 207, user);
        assertEquals(await propfind(serve.origin, user, password), 207, `${user}, again (cached)`);
        for (const wrong of [`${password}x`, password.slice(0, -1), "", "b-pw"]) {
          if (wrong === password) continue;
          assertEquals(await propfind(serve.origin, user, wrong), 401, `${user} / wrong`);
        }
      }
      // The hash itself is no password; an unknown user is refused.
      const sha1Hash = text.split("\n").find((line) => line.startsWith("sha1:"))!.slice(5);
      assertEquals(await propfind(serve.origin, "sha1", sha1Hash), 401);
      assertEquals(await propfind(serve.origin, "nobody", "b-pw"), 401);
      const anonymous = await fetch(`${serve.origin}/`, { method: "OPTIONS" });
      assertEquals(anonymous.status, 401);
      await anonymous.body?.cancel();
    } finally {
      const { code, stderr } = await serve.stop();
      assertEquals(code, 0);
      assertMatch(stderr, /HTTP Basic authentication on/);
      for (const [, password] of USERS) assert(!stderr.includes(password), "no password logged");
    }
  });
});

Deno.test("htpasswd over HTTP: users added with htpasswd -b and deleted with -D, without a restart", async () => {
  await withUsersFile(async (file, dir) => {
    const serve = await serveWith(file, dir, ["--workers", "1"]);
    let stderr = "";
    try {
      assertEquals(await propfind(serve.origin, "apr1", "m-pw"), 207);
      assertEquals(await propfind(serve.origin, "newcomer", "n-pw"), 401);
      await htpasswd(["-b", file, "newcomer", "n-pw"]);
      await eventually(
        async () => await propfind(serve.origin, "newcomer", "n-pw") === 207,
        "the added user gets in",
      );
      assertEquals(await propfind(serve.origin, "newcomer", "wrong"), 401);

      await htpasswd(["-D", file, "apr1"]);
      await eventually(
        async () => await propfind(serve.origin, "apr1", "m-pw") === 401,
        "the deleted user is refused",
      );
      for (let i = 0; i < 5; i++) assertEquals(await propfind(serve.origin, "apr1", "m-pw"), 401);
      // A password changed with htpasswd: the old one is refused (not served from the cache).
      assertEquals(await propfind(serve.origin, "bcrypt", "b-pw"), 207);
      await htpasswd(["-b", "-5", file, "bcrypt", "changed"]);
      await eventually(
        async () => await propfind(serve.origin, "bcrypt", "changed") === 207,
        "the changed password gets in",
      );
      assertEquals(await propfind(serve.origin, "bcrypt", "b-pw"), 401);

      // A file that becomes invalid keeps the last good users (and says so once).
      await Deno.writeTextFile(`${file}.tmp`, "newcomer:$2y$04$broken-secret\n", { mode: 0o600 });
      await Deno.rename(`${file}.tmp`, file);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      for (let i = 0; i < 3; i++) {
        assertEquals(await propfind(serve.origin, "newcomer", "n-pw"), 207);
        assertEquals(await propfind(serve.origin, "sha512", "s5-pw"), 207);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    } finally {
      const stopped = await serve.stop();
      assertEquals(stopped.code, 0);
      stderr = stopped.stderr;
    }
    assertMatch(stderr, /reloaded .*users: 9 users \(8 before\)/);
    assertMatch(stderr, /reloaded .*users: 8 users \(9 before\)/);
    const warnings = stderr.split("\n").filter((line) => line.includes("cannot reload"));
    assertEquals(warnings.length, 1, stderr);
    assertMatch(warnings[0], /line 1: malformed bcrypt hash\); the 8 users loaded before stay/);
    assert(!stderr.includes("broken-secret"), "no content in the warning");
  });
});

/** One request on a new connection (curl): the status and the worker that answered. */
async function curlPropfind(
  origin: string,
  user: string,
  password: string,
): Promise<{ status: number; worker: string }> {
  const curl = await requireTool(["/usr/bin/curl"], "curl");
  const result = await runTool(curl, {
    args: [
      "-s",
      "-o",
      "/dev/null",
      "-X",
      "PROPFIND",
      "-H",
      "Depth: 0",
      "-H",
      `Authorization: ${basic(user, password)}`,
      "-w",
      "%{http_code} %header{x-backupfs-worker}",
      `${origin}/`,
    ],
    timeoutMs: 30_000,
  });
  const [status, worker] = result.stdout.trim().split(" ");
  return { status: Number(status), worker: worker ?? "" };
}

/** Polls until both workers were seen answering `status` (new connections spread over them). */
async function bothWorkersAnswer(
  origin: string,
  credentials: [string, string],
  status: number,
): Promise<void> {
  const seen = new Set<string>();
  await eventually(async () => {
    const answer = await curlPropfind(origin, ...credentials);
    if (answer.status === status) seen.add(answer.worker);
    return seen.has("0") && seen.has("1");
  }, `both workers answer ${status} to ${credentials[0]}`);
}

Deno.test("htpasswd over HTTP with --workers 2: each worker checks hashes and picks up changes", async () => {
  await withUsersFile(async (file, dir) => {
    const serve = await serveWith(file, dir, ["--workers", "2"]);
    try {
      await bothWorkersAnswer(serve.origin, ["sha256", "s2-pw"], 207);
      await bothWorkersAnswer(serve.origin, ["sha256", "wrong"], 401);
      await htpasswd(["-b", "-B", "-C", "4", file, "late", "l-pw"]);
      await bothWorkersAnswer(serve.origin, ["late", "l-pw"], 207);
      await htpasswd(["-D", file, "sha256"]);
      await bothWorkersAnswer(serve.origin, ["sha256", "s2-pw"], 401);
      for (let i = 0; i < 6; i++) {
        assertEquals((await curlPropfind(serve.origin, "sha256", "s2-pw")).status, 401);
        assertEquals((await curlPropfind(serve.origin, "late", "l-pw")).status, 207);
      }
    } finally {
      const { code, stderr } = await serve.stop();
      assertEquals(code, 0, stderr);
      assertMatch(stderr, /2 workers/);
    }
  });
});
