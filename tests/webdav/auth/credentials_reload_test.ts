// Reloading the credentials file on use (ReloadingCredentials), on a fake clock:
// at most one look per interval; an atomic replace (rename) and an in-place
// rewrite are both picked up; an invalid or missing file keeps the last good
// users and is reported once per version, without content; concurrent uses
// share one look at the file.

import { readCredentials, ReloadingCredentials } from "../../../webdav/auth/credentials_reload.ts";
import { assert, assertEquals, assertRejects } from "../../support/assert.ts";

async function withFile(
  text: string,
  run: (path: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-reload-" });
  try {
    const path = `${dir}/users`;
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    await run(path, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** ReloadingCredentials over `path` on a fake clock (`clock.ms`), collecting what it says. */
async function reloading(path: string, startMs: number) {
  const clock = { ms: startMs };
  const said: string[] = [];
  const credentials = new ReloadingCredentials(await readCredentials(path), {
    now: () => clock.ms,
    say: (message) => said.push(message),
  });
  return { credentials, clock, said };
}

async function replace(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, text, { mode: 0o600 });
  await Deno.rename(`${path}.tmp`, path);
}

Deno.test("credentials reload: replaced and rewritten files are picked up, at most once per interval", async () => {
  await withFile("alice:a\n", async (path) => {
    const { credentials, clock, said } = await reloading(path, 1_000_000);
    const names = async () => [...(await credentials.current()).keys()];
    assertEquals(await names(), ["alice"]);

    await replace(path, "alice:a\nbob:b\n");
    assertEquals(await names(), ["alice"], "not looked at within the interval");
    clock.ms += 999;
    assertEquals(await names(), ["alice"]);
    clock.ms += 1;
    assertEquals(await names(), ["alice", "bob"], "an atomic replace");
    assertEquals(said, [`reloaded ${path}: 2 users (1 before)`]);

    // Rewritten in place with the same size (the inode stays; times and content change).
    const before = (await Deno.stat(path)).ino;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Deno.writeTextFile(path, "carol:a\nbob:b\n");
    assertEquals((await Deno.stat(path)).ino, before);
    clock.ms += 1000;
    assertEquals(await names(), ["carol", "bob"], "an in-place rewrite");

    // Nothing changed: no reload, nothing said.
    clock.ms += 1000;
    assertEquals(await names(), ["carol", "bob"]);
    assertEquals(said.length, 2);
  });
});

Deno.test("credentials reload: an invalid or missing file keeps the last good users, reported once, no content", async () => {
  await withFile("alice:a\nbob:b\n", async (path) => {
    const { credentials, clock, said } = await reloading(path, 0);
    const names = async () => {
      clock.ms += 1000;
      return [...(await credentials.current()).keys()];
    };
    await replace(path, "alice:a\nbob-secret-line\n");
    assertEquals(await names(), ["alice", "bob"]);
    assertEquals(await names(), ["alice", "bob"]);
    assertEquals(await names(), ["alice", "bob"]);
    assertEquals(said, [
      `warning: cannot reload the credentials (${path}: line 2: expected user:password); ` +
      `the 2 users loaded before stay in force`,
    ]);
    assert(!said.join("\n").includes("secret"), "no content in the warning");

    await Deno.remove(path);
    assertEquals(await names(), ["alice", "bob"]);
    assertEquals(await names(), ["alice", "bob"]);
    assertEquals(said.length, 2);
    assertEquals(
      said[1],
      `warning: cannot reload the credentials (${path} is missing); ` +
        `the 2 users loaded before stay in force`,
    );

    // A hash of an unsupported scheme, then an empty file: one warning each.
    await replace(path, "alice:$argon2id$v=19$m=1$c2FsdA$aGFzaA\n");
    assertEquals(await names(), ["alice", "bob"]);
    await replace(path, "# nobody\n");
    assertEquals(await names(), ["alice", "bob"]);
    assertEquals(said.length, 4);
    assert(said[2].includes("line 1: unsupported password hash scheme"), said[2]);
    assert(said[3].includes("holds no user"), said[3]);

    // Valid again: the removed user is gone at once.
    await replace(path, "alice:a\n");
    assertEquals(await names(), ["alice"]);
    assertEquals(said[4], `reloaded ${path}: 1 users (2 before)`);
  });
});

Deno.test("credentials reload: concurrent uses share one look; a DES-like plain password warns", async () => {
  await withFile("alice:a\n", async (path) => {
    const { credentials, clock, said } = await reloading(path, 0);
    await replace(path, "alice:rqXexS6ZhobKA\n");
    clock.ms = 1000;
    const all = await Promise.all(Array.from({ length: 20 }, () => credentials.current()));
    assert(all.every((users) => users === all[0]), "one map for every use");
    assertEquals(all[0].get("alice"), { scheme: "plain", value: "rqXexS6ZhobKA" });
    assertEquals(said, [
      `warning: ${path}: line 1: taken as a plain password; crypt(3) DES hashes (htpasswd -d) ` +
      `are not supported`,
      `reloaded ${path}: 1 users (1 before)`,
    ]);
  });
  await assertRejects(() => readCredentials("/nonexistent/backupfs-users"), Deno.errors.NotFound);
});
