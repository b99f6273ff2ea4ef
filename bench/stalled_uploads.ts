// Memory of `deno task serve` (webdav/main.ts) under stalled uploads: the server runs
// as its own process on a temp data directory; this writes one small file per client,
// then opens CLIENTS raw connections that each PUT over their file, declaring
// DECLARED MiB and sending SENT MiB of it before going silent. It samples the
// server's VmRSS and VmHWM while they hang, after they are abandoned (the body
// timeout) and after the clients close, then checks that every file still holds its
// old version and that a new PUT and GET still work. Prints the figures next to the
// idle RSS (the reference) and the upload memory budget.
//
//   deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run \
//     --allow-sys bench/stalled_uploads.ts [--clients 100] [--declared-mib 100]
//     [--sent-mib 3] [--hold-seconds 5] [--body-timeout 60s] [--dir DIR]

import { parseArgs } from "node:util";
import { processMemory, sampleMemory, startServeChild } from "./support/serve_child.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "100" },
    "declared-mib": { type: "string", default: "100" },
    "sent-mib": { type: "string", default: "3" },
    "hold-seconds": { type: "string", default: "5" },
    "body-timeout": { type: "string", default: "8s" },
    dir: { type: "string" },
  },
  strict: true,
});

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number`);
    Deno.exit(2);
  }
  return n;
}
const clients = Math.floor(positive("clients", values.clients));
const declared = Math.floor(positive("declared-mib", values["declared-mib"]) * 1024 * 1024);
const sent = Math.floor(positive("sent-mib", values["sent-mib"]) * 1024 * 1024);
const holdMs = positive("hold-seconds", values["hold-seconds"]) * 1000;

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const root = await Deno.makeTempDir({
  prefix: "backupfs-stalled-uploads-",
  ...(values.dir ? { dir: values.dir } : {}),
});
await Deno.mkdir(`${root}/data`);
await Deno.mkdir(`${root}/tmp`);
const server = await startServeChild({
  dataDir: `${root}/data`,
  tmpDir: `${root}/tmp`,
  args: ["--body-timeout", values["body-timeout"]!],
});
const port = Number(new URL(server.origin).port);
const conns: Deno.Conn[] = [];
let failures = 0;
try {
  for (let i = 0; i < clients; i++) {
    const put = await fetch(`${server.origin}/f${i}.txt`, { method: "PUT", body: `old ${i}` });
    await put.body?.cancel();
    if (put.status !== 201) throw new Error(`setup PUT answered ${put.status}`);
  }
  await sleep(1000);
  const idle = (await processMemory(server.pid))!;
  console.log(`server pid ${server.pid}: idle RSS ${mib(idle.rssBytes)} (reference)`);
  const sampler = sampleMemory(server.pid, 100);
  const piece = new Uint8Array(64 * 1024).fill(0x78);
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(conn);
    await conn.write(new TextEncoder().encode(
      `PUT /f${i}.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${declared}\r\n\r\n`,
    ));
    // Writes block once the server stops reading (uploads beyond the memory budget
    // wait unread): send what the socket takes within the hold time.
    const until = started + holdMs;
    for (let at = 0; at < sent && performance.now() < until; at += piece.byteLength) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wrote = await Promise.race([
        conn.write(piece.subarray(0, Math.min(piece.byteLength, sent - at))).catch(() => -1),
        new Promise<"late">((r) => timer = setTimeout(() => r("late"), until - performance.now())),
      ]);
      clearTimeout(timer);
      if (wrote === -1 || wrote === "late") break;
    }
  }));
  await sleep(Math.max(0, started + holdMs - performance.now()));
  const hanging = (await processMemory(server.pid))!;
  for (const conn of conns) {
    try {
      conn.close();
    } catch { /* already closed by the server */ }
  }
  await sleep(3000);
  const { peakHwmBytes } = await sampler.stop();
  const after = (await processMemory(server.pid))!;
  // Every old version whole; the server still takes and serves a new file.
  for (let i = 0; i < clients; i++) {
    const got = await fetch(`${server.origin}/f${i}.txt`);
    if (await got.text() !== `old ${i}`) failures++;
  }
  const body = new Uint8Array(5 * MIB).map((_, i) => i % 251);
  const put = await fetch(`${server.origin}/fresh.bin`, { method: "PUT", body });
  await put.body?.cancel();
  const back = new Uint8Array(await (await fetch(`${server.origin}/fresh.bin`)).arrayBuffer());
  const fresh = put.status === 201 && back.length === body.length &&
    back.every((b, i) => b === body[i]);
  console.log(
    `${clients} PUTs declaring ${mib(declared)}, each sending up to ${mib(sent)}, then silent:`,
  );
  console.log(`  idle RSS                  ${mib(idle.rssBytes)}  (reference)`);
  console.log(`  RSS while they hang       ${mib(hanging.rssBytes)}`);
  console.log(
    `  peak RSS (VmHWM)          ${mib(peakHwmBytes)}  (growth ${
      mib(peakHwmBytes - idle.rssBytes)
    }, ${((peakHwmBytes - idle.rssBytes) / clients / 1024).toFixed(0)} KiB an upload)`,
  );
  console.log(`  RSS after they closed     ${mib(after.rssBytes)}`);
  console.log(`  upload memory budget      256.0 MiB (default --upload-memory)`);
  console.log(`  old versions intact       ${clients - failures} of ${clients}`);
  console.log(`  new PUT and GET after     ${fresh ? "ok" : "FAILED"}`);
  if (failures > 0 || !fresh) Deno.exitCode = 1;
} finally {
  for (const conn of conns) {
    try {
      conn.close();
    } catch { /* closed */ }
  }
  await server.stop();
  await Deno.remove(root, { recursive: true });
}
