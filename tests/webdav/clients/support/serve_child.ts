// The WebDAV app over a BackupFS on an embedded store in DIR, served on 127.0.0.1
// (port chosen by the OS) by a process of its own, for clients that must not share
// the test's process (a FUSE mount: the test's file operations wait on
// mount.davfs, which waits on the server).
//
// Usage: deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-sys \
//   tests/webdav/clients/support/serve_child.ts DIR PORT_FILE [JOB_ID] [CHUNK_SIZE]
// Writes the port to PORT_FILE when listening; stops (closing the server and the
// store) when its standard input ends, so it never outlives the test.

import { BackupFS } from "../../../../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../../../../src/storage/store/mod.ts";
import { createWebDavApp } from "../../../../webdav/mod.ts";
import { serveHttp } from "../../../../src/http/mod.ts";

const [dir, portFile, jobId = "clients", chunkSize = String(1024 * 1024)] = Deno.args;
if (!dir || !portFile) {
  console.error("usage: serve_child.ts DIR PORT_FILE [JOB_ID] [CHUNK_SIZE]");
  Deno.exit(2);
}
const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
const fs = new BackupFS(store, { jobId, chunkSize: Number(chunkSize) });
const dav = createWebDavApp(fs, {
  quota: () => Promise.resolve({ usedBytes: 0, availableBytes: 1024 ** 4 }),
});
// The production HTTP layer (node's server with the connection limits), as `deno task serve`.
const server = await serveHttp(dav.fetch, { hostname: "127.0.0.1", port: 0 });
await Deno.writeTextFile(`${portFile}.tmp`, String(server.addr.port));
await Deno.rename(`${portFile}.tmp`, portFile);
// Until the parent closes our standard input (or dies).
for await (const _ of Deno.stdin.readable) {
  // ignore input
}
const giveUp = setTimeout(() => Deno.exit(1), 15_000); // a connection that never ends
await server.shutdown();
await store.close();
clearTimeout(giveUp);
