// BackupFS's WebDAV server for the WebDAV benchmark, started as a child process:
// `createWebDavApp` over a BackupFS over the embedded store (durable writes on, the
// real configuration), its data in DIR, no authentication, on 127.0.0.1:PORT
// (0 lets the OS pick). Prints one line `listening on http://127.0.0.1:PORT` on stdout
// once ready; SIGINT or SIGTERM shuts the server down, closes the store and exits 0.
//
//   deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env \
//     --allow-sys bench/support/webdav_server.ts --data DIR [--port 0] [--no-fsync] [--deno-serve]

import { parseArgs } from "node:util";
import { BackupFS } from "../../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { createWebDavApp } from "../../webdav/mod.ts";
import { serveHttp } from "../../src/http/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    data: { type: "string" },
    port: { type: "string", default: "0" },
    // Diagnosis only (the benchmark keeps the default, durable): acknowledge writes
    // without fsync, to see what durability costs.
    "no-fsync": { type: "boolean", default: false },
    "deno-serve": { type: "boolean", default: false },
  },
  strict: true,
});
if (!values.data) {
  console.error("webdav_server: --data DIR is required");
  Deno.exit(2);
}

const store = await EmbeddedStore.open(`${values.data}/store`, { durable: !values["no-fsync"] });
const fs = new BackupFS(store, { jobId: "dav", spoolDirectory: values.data });
const dav = createWebDavApp(fs);
const stopped = Promise.withResolvers<void>();
const onListen = (addr: { port: number }) =>
  console.log(`listening on http://127.0.0.1:${addr.port}`);
// The production HTTP layer (as `deno task serve`); `--deno-serve` runs the app on
// Deno.serve instead, to compare the two.
const server = values["deno-serve"]
  ? Deno.serve({ hostname: "127.0.0.1", port: Number(values.port), onListen }, dav.fetch)
  : await serveHttp(dav.fetch, { hostname: "127.0.0.1", port: Number(values.port), onListen });
const stop = () => stopped.resolve();
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
await stopped.promise;
await server.shutdown();
await store.close();
Deno.exit(0);
