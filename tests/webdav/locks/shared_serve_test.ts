// Two real `deno task serve` processes over one --data directory share their
// WebDAV locks: a LOCK through one refuses a PUT through the other without the
// token, and the token works through either. The lock file of an older version
// (webdav-locks-JOB.json) is taken in when the store has no locks document yet.

import { assert, assertEquals } from "../../support/assert.ts";
import { type RunningServe, startServe } from "../support/serve_process.ts";

const LOCKINFO = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">` +
  `<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`;

async function send(
  serve: RunningServe,
  method: string,
  path: string,
  init?: { headers?: Record<string, string>; body?: string },
): Promise<Response> {
  const response = await fetch(`${serve.origin}${path}`, { method, ...init });
  await response.body?.cancel();
  return response;
}

Deno.test("serve: two processes over one --data directory share WebDAV locks (and take in an old lock file)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-serve-locks-" });
  const servers: RunningServe[] = [];
  try {
    // A lock taken before the upgrade, in the old lock file of job "default".
    const expiresAt = Date.now() + 600_000;
    await Deno.writeTextFile(
      `${dir}/webdav-locks-default.json`,
      JSON.stringify({
        version: 1,
        locks: [{
          token: "urn:uuid:0b5e0d3c-0000-4000-8000-000000000001",
          root: "/legacy.txt",
          scope: "exclusive",
          depth: 0,
          timeoutSeconds: 600,
          expiresAt,
        }],
      }),
    );
    const args = ["--listen", "127.0.0.1:0", "--data", dir];
    servers.push(await startServe(args));
    servers.push(await startServe(args));
    const [one, two] = servers as [RunningServe, RunningServe];

    // The old file's lock holds on both.
    assertEquals((await send(two, "PUT", "/legacy.txt", { body: "x" })).status, 423);
    assertEquals((await send(one, "PUT", "/legacy.txt", { body: "x" })).status, 423);

    assertEquals((await send(one, "PUT", "/a.txt", { body: "v1" })).status, 201);
    const locked = await send(one, "LOCK", "/a.txt", {
      headers: { "Content-Type": "application/xml", Timeout: "Second-600" },
      body: LOCKINFO,
    });
    assertEquals(locked.status, 200);
    const token = locked.headers.get("Lock-Token");
    assert(token);
    assertEquals((await send(two, "PUT", "/a.txt", { body: "by two" })).status, 423);
    assertEquals((await send(two, "LOCK", "/a.txt", { body: LOCKINFO })).status, 423);
    assertEquals(
      (await send(two, "PUT", "/a.txt", { body: "by two", headers: { If: `(${token})` } })).status,
      204,
    );
    assertEquals(
      (await send(two, "UNLOCK", "/a.txt", { headers: { "Lock-Token": token } })).status,
      204,
    );
    assertEquals((await send(one, "PUT", "/a.txt", { body: "by one" })).status, 204);
  } finally {
    const stopped = await Promise.all(servers.map((serve) => serve.stop()));
    await Deno.remove(dir, { recursive: true });
    for (const { code, stderr } of stopped) assertEquals(code, 0, stderr);
  }
});
