// Serves the WebDAV app on 127.0.0.1 over a fresh in-process store, for litmus.
// Usage: deno run -A tests/webdav/support/serve_for_litmus.ts [port]
// Prints "listening on http://127.0.0.1:PORT/" when ready; SIGTERM/SIGINT stop it.

import { BackupFS } from "../../../src/fs/backup_fs.ts";
import { createWebDavApp } from "../../../webdav/mod.ts";
import { serveHttp } from "../../../src/http/mod.ts";
import { openTestStore } from "../../support/test_store.ts";

const port = Number(Deno.args[0] ?? "0");
const dir = await Deno.makeTempDir({ prefix: "backupfs-litmus-" });
const store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
const fs = new BackupFS(store, { jobId: "litmus", chunkSize: 64 * 1024 });
const dav = createWebDavApp(fs, {
  quota: () => Promise.resolve({ usedBytes: 0, availableBytes: 1024 ** 4 }),
});
// The production HTTP layer (node's server with the connection limits), as `deno task serve`.
const server = await serveHttp(dav.fetch, {
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}/`),
});
const stop = async () => {
  await server.shutdown();
  await store.close();
  await Deno.remove(dir, { recursive: true });
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
