// A LOCK that races a DELETE or MOVE and wins keeps its lock: the request drops only
// the locks it checked (granted before it began), never one granted while it ran.
// Found by the load test (UNLOCK answered 409 for a lock taken moments before).

import { BackupFS } from "../../../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import type { OperationName, OperationOptions } from "../../../src/storage/types.ts";
import { createWebDavApp } from "../../../webdav/mod.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { StorageInterceptor } from "../../support/storage_interceptor.ts";

/** Holds DeleteObject calls while the gate is armed. */
class GatedDeletes extends StorageInterceptor {
  gate: PromiseWithResolvers<void> | undefined;
  reached = Promise.withResolvers<void>();
  protected override async intercept<O>(
    operation: OperationName,
    _input: unknown,
    _options: OperationOptions | undefined,
    forward: () => Promise<O>,
  ): Promise<O> {
    if (operation === "DeleteObject" && this.gate) {
      this.reached.resolve();
      await this.gate.promise;
    }
    return forward();
  }
}

const LOCK_BODY = `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>` +
  `</D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`;

for (const method of ["DELETE", "MOVE"] as const) {
  Deno.test(`locks: a LOCK granted while a ${method} runs survives it`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "backupfs-lock-race-" });
    const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    const storage = new GatedDeletes(store);
    try {
      const fs = new BackupFS(storage, { jobId: "race" });
      const dav = createWebDavApp(fs, { onError: () => {} });
      const call = (verb: string, path: string, init: RequestInit = {}) =>
        dav.fetch(new Request(`http://localhost${path}`, { method: verb, ...init }));
      await fs.writeTextFile("/a.txt", "a");
      await fs.writeTextFile("/b.txt", "b");
      storage.gate = Promise.withResolvers<void>();
      // DELETE /a.txt, or MOVE /a.txt → /b.txt: both delete /a.txt's object last.
      const running = call(method, "/a.txt", {
        headers: method === "MOVE" ? { Destination: "http://localhost/b.txt" } : {},
      });
      await storage.reached.promise; // checked its locks (none), now deleting
      const locked = await call("LOCK", "/a.txt", {
        headers: { "Content-Type": "application/xml", Timeout: "Second-60" },
        body: LOCK_BODY,
      });
      assert(locked.status === 200 || locked.status === 201, `LOCK: ${locked.status}`);
      const token = locked.headers.get("lock-token")!;
      await locked.body?.cancel();
      storage.gate.resolve();
      storage.gate = undefined;
      const done = await running;
      assert(done.status === 204 || done.status === 201, `${method}: ${done.status}`);
      // The lock granted meanwhile is still there: its holder can release it.
      const unlocked = await call("UNLOCK", "/a.txt", { headers: { "Lock-Token": token } });
      assertEquals(unlocked.status, 204);
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("locks: DELETE and MOVE still drop the locks they checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-lock-race-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  try {
    const fs = new BackupFS(store, { jobId: "race" });
    const dav = createWebDavApp(fs, { onError: () => {} });
    const call = (verb: string, path: string, init: RequestInit = {}) =>
      dav.fetch(new Request(`http://localhost${path}`, { method: verb, ...init }));
    await fs.writeTextFile("/a.txt", "a");
    const locked = await call("LOCK", "/a.txt", {
      headers: { "Content-Type": "application/xml" },
      body: LOCK_BODY,
    });
    const token = locked.headers.get("lock-token")!;
    await locked.body?.cancel();
    const moved = await call("MOVE", "/a.txt", {
      headers: { Destination: "http://localhost/c.txt", If: `(${token})` },
    });
    assertEquals(moved.status, 201);
    // The lock stayed behind with the old name, so it is gone.
    const unlocked = await call("UNLOCK", "/a.txt", { headers: { "Lock-Token": token } });
    assertEquals(unlocked.status, 409);
    await unlocked.body?.cancel();
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
