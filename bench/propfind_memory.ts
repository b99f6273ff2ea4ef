// Peak memory of `deno task serve` (webdav/main.ts) under concurrent PROPFINDs:
// the server runs as its own process on a temp data directory; this creates
// FILES files in one collection, then fires PARALLEL `PROPFIND Depth: 1` of it at
// once (each reply read in full, its members counted, its bytes hashed: every
// reply must list every file and all must be the same bytes), while the server's
// VmRSS and VmHWM are sampled from /proc/PID/status. Prints the peak next to the
// idle RSS after setup and the target.
//
//   deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run \
//     --allow-sys bench/propfind_memory.ts [--files 2000] [--parallel 200] [--rounds 1]
//     [--file-bytes 64] [--target-mib 300] [--dir DIR]

import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { sampleMemory, startServeChild } from "./support/serve_child.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "2000" },
    parallel: { type: "string", default: "200" },
    rounds: { type: "string", default: "1" },
    "file-bytes": { type: "string", default: "64" },
    "target-mib": { type: "string", default: "300" },
    dir: { type: "string" },
    // Diagnosis: V8 flags for the server (e.g. --trace-gc), its stderr printed after.
    "server-v8-flags": { type: "string" },
  },
  strict: true,
});

function positive(name: string, text: string | undefined, min = 1): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}`);
    Deno.exit(2);
  }
  return n;
}
const fileCount = positive("files", values.files);
const parallel = positive("parallel", values.parallel);
const rounds = positive("rounds", values.rounds);
const fileBytes = positive("file-bytes", values["file-bytes"], 0);
const targetMiB = positive("target-mib", values["target-mib"]);

const MIB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MIB).toFixed(1);

const root = await Deno.makeTempDir({
  prefix: "backupfs-propfind-memory-",
  ...(values.dir ? { dir: values.dir } : {}),
});
const dataDir = `${root}/data`;
const tmpDir = `${root}/tmp`;
await Deno.mkdir(dataDir);
await Deno.mkdir(tmpDir);
const server = await startServeChild({
  dataDir,
  tmpDir,
  ...(values["server-v8-flags"] ? { v8Flags: values["server-v8-flags"] } : {}),
});
const collection = `${server.origin}/listing/`;

/**
 * Counts `<D:response>` in a streamed reply and hashes its text (not kept whole),
 * the collection's free disk space (`quota-available-bytes`, which other writers on
 * the disk change) left out.
 */
async function readReply(response: Response): Promise<{ responses: number; digest: string }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const needle = "<D:response>";
  const hash = createHash("sha256");
  let head: string | undefined = "";
  let tail = "";
  let responses = 0;
  for (let i = 0; i < 10_000_000; i++) {
    const { value, done } = await reader.read();
    if (done) break;
    const text = tail + value;
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) responses++;
    tail = text.slice(Math.max(0, text.length - needle.length + 1));
    if (head === undefined) hash.update(value);
    else {
      head += value;
      if (head.includes("</D:response>") || head.length > 1024 * 1024) {
        hash.update(head.replace(/(quota-available-bytes[^>]*>)\d+/, "$1"));
        head = undefined;
      }
    }
  }
  if (head !== undefined) hash.update(head);
  return { responses, digest: hash.digest("hex") };
}

let failed = false;
try {
  const made = await fetch(collection, { method: "MKCOL" });
  await made.body?.cancel();
  if (made.status !== 201) throw new Error(`MKCOL answered ${made.status}`);
  const body = new Uint8Array(fileBytes).fill(0x61);
  let next = 0;
  const putStart = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = next++; i < fileCount; i = next++) {
      const name = `file-${String(i).padStart(5, "0")}.txt`;
      const put = await fetch(collection + name, { method: "PUT", body });
      await put.body?.cancel();
      if (put.status !== 201 && put.status !== 204) throw new Error(`PUT ${name}: ${put.status}`);
    }
  }));
  console.log(
    `setup: ${fileCount} files of ${fileBytes} B in ${
      ((performance.now() - putStart) / 1000).toFixed(1)
    } s`,
  );
  // One PROPFIND first (warms the code paths), then let the server settle.
  const warm = await readReply(
    await fetch(collection, { method: "PROPFIND", headers: { Depth: "1" } }),
  );
  if (warm.responses !== fileCount + 1) {
    throw new Error(`PROPFIND listed ${warm.responses - 1} members, expected ${fileCount}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idle = (await server.memory())!;
  console.log(
    `server pid ${server.pid}: idle after setup RSS ${mib(idle.rssBytes)} MiB (VmHWM so far ${
      mib(idle.peakBytes)
    } MiB)`,
  );

  const sampler = sampleMemory(server.pid, 25);
  const start = performance.now();
  let bytes = 0;
  const digests = new Set<string>([warm.digest]);
  for (let round = 0; round < rounds; round++) {
    const replies = await Promise.all(Array.from({ length: parallel }, async () => {
      const response = await fetch(collection, { method: "PROPFIND", headers: { Depth: "1" } });
      if (response.status !== 207) {
        await response.body?.cancel();
        throw new Error(`PROPFIND answered ${response.status}`);
      }
      const length = Number(response.headers.get("content-length") ?? NaN);
      const reply = await readReply(response);
      return { ...reply, length };
    }));
    for (const reply of replies) {
      if (reply.responses !== fileCount + 1) {
        throw new Error(`a PROPFIND listed ${reply.responses - 1} members, expected ${fileCount}`);
      }
      digests.add(reply.digest);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const peak = await sampler.stop();
  const after = (await server.memory())!;
  // Reply size from one more PROPFIND (the replies above were not kept).
  const sized = await fetch(collection, { method: "PROPFIND", headers: { Depth: "1" } });
  bytes = (await sized.arrayBuffer()).byteLength;
  if (digests.size !== 1) throw new Error(`replies differ: ${digests.size} distinct digests`);

  const peakBytes = Math.max(peak.peakRssBytes, peak.peakHwmBytes);
  console.log(
    `${rounds} × ${parallel} parallel PROPFIND Depth 1 of ${fileCount} members ` +
      `(${mib(bytes)} MiB each, sha256 ${[...digests][0].slice(0, 16)}…): ${seconds.toFixed(2)} s`,
  );
  console.log(`  idle RSS after setup   ${mib(idle.rssBytes).padStart(8)} MiB  (reference)`);
  console.log(
    `  peak RSS (VmHWM)       ${mib(peakBytes).padStart(8)} MiB  (sampled VmRSS peak ${
      mib(peak.peakRssBytes)
    } MiB, ${peak.samples} samples)`,
  );
  console.log(
    `  growth over idle       ${mib(peakBytes - idle.rssBytes).padStart(8)} MiB  (${
      ((peakBytes - idle.rssBytes) / parallel / 1024).toFixed(0)
    } KiB a request)`,
  );
  console.log(
    `  target                 ${String(targetMiB).padStart(8)} MiB  → ${
      peakBytes <= targetMiB * MIB ? "met" : "NOT met"
    }`,
  );
  console.log(`  RSS after the load     ${mib(after.rssBytes).padStart(8)} MiB`);
} catch (error) {
  failed = true;
  console.error(`propfind_memory: ${error instanceof Error ? error.message : error}`);
} finally {
  const { code, stderr } = await server.stop();
  if (values["server-v8-flags"]) console.error(stderr);
  if (code !== 0) {
    failed = true;
    console.error(`server exited ${code}:\n${stderr}`);
  }
  await Deno.remove(root, { recursive: true });
}
if (failed) Deno.exit(1);
