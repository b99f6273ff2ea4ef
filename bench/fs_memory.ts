// Memory of a large streamed write: RSS while BackupFS writes a 4 GiB file with
// writeFile from a stream of 1 MiB pieces, over the embedded store in-process, its
// data on the local disk with durable writes on (the real configuration), default
// options (4 MiB chunks, 4 uploads in flight). RSS is sampled every 50 ms; the
// kernel's own high-water mark (VmHWM, read right after the BackupFS write) is printed
// too when /proc/self/status is readable (Deno grants /proc only with --allow-all:
// `deno run -A bench/fs_memory.ts`). The same stream written to a local file with
// Deno.* (then fdatasync) is measured afterwards, in the same process, as the
// reference. Target: peak RSS ≤ 200 MB.
//
// Its own script so that no other benchmark's memory counts:
//
//   deno task bench:fs-memory [--dir .] [--size-mib 4096] [--interval-ms 50]
//
// The data lives in a temp directory under --dir (default: the current directory),
// removed at the end, on failure and on Ctrl-C. Another --dir needs matching
// --allow-read/--allow-write.

import { parseArgs } from "node:util";
import { BackupFS } from "../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../src/storage/store/mod.ts";
import { openBenchDir } from "./support/bench_dir.ts";
import { MiB, PieceMaker } from "./support/bench_data.ts";
import {
  fmt,
  loadAverage,
  mbPerSecond,
  printTable,
  timed,
  verdict,
} from "./support/bench_report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: "." },
    "size-mib": { type: "string", default: "4096" },
    "interval-ms": { type: "string", default: "50" },
  },
});
const totalBytes = Number(values["size-mib"]) * MiB;
const intervalMs = Number(values["interval-ms"]);
const TARGET_PEAK = 200e6;

interface MemoryFigures {
  ms: number;
  baseline: number;
  peakRss: number;
  peakHeap: number;
  peakExternal: number;
  samples: number;
}

/** Runs `work` while sampling `Deno.memoryUsage()` every `intervalMs`. */
async function sampled(work: () => Promise<void>): Promise<MemoryFigures> {
  const baseline = Deno.memoryUsage().rss;
  let peakRss = baseline;
  let peakHeap = 0;
  let peakExternal = 0;
  let samples = 0;
  const sample = () => {
    const m = Deno.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external);
    samples++;
  };
  const timer = setInterval(sample, intervalMs);
  try {
    const { ms } = await timed(work);
    sample();
    return { ms, baseline, peakRss, peakHeap, peakExternal, samples };
  } finally {
    clearInterval(timer);
  }
}

/** The kernel's peak RSS of this process (VmHWM), or undefined without /proc access. */
function highWaterMark(): number | undefined {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

await using dir = await openBenchDir(values.dir!, "backupfs-bench-mem-");
const pieces = new PieceMaker(MiB);
console.log(
  `BackupFS memory: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ` +
    `load average ${loadAverage()}, data in ${dir.path}`,
);
console.log(
  `${totalBytes / MiB} MiB written from a stream of 1 MiB pieces; RSS sampled every ` +
    `${intervalMs} ms\n`,
);

const store = await EmbeddedStore.open(`${dir.path}/store`);
let backup: MemoryFigures;
try {
  const fs = new BackupFS(store, { jobId: "bench" });
  backup = await sampled(async () => {
    await fs.writeFile("/big.bin", pieces.stream(totalBytes));
  });
  const size = (await new BackupFS(store, { jobId: "bench" }).stat("/big.bin")).size;
  if (size !== totalBytes) throw new Error(`BackupFS file has ${size} bytes`);
} finally {
  await store.close();
}
const hwm = highWaterMark(); // before the reference: BackupFS's peak alone
const localPath = `${dir.path}/local.bin`;
const local = await sampled(async () => {
  using file = await Deno.open(localPath, { write: true, createNew: true });
  for await (const piece of pieces.stream(totalBytes)) {
    for (let w = 0; w < piece.length;) w += await file.write(piece.subarray(w));
  }
  await file.syncData();
});
await Deno.remove(localPath);

const mb = (bytes: number) => fmt(bytes / 1e6);
printTable(
  ["operation", "MB/s", "baseline MB", "peak RSS MB", "growth MB", "peak heap MB", "samples"],
  ([
    ["local disk: stream to Deno.FsFile + fdatasync", local],
    ["BackupFS writeFile(stream)", backup],
  ] as Array<[string, MemoryFigures]>).map(([name, m]) => [
    name,
    fmt(mbPerSecond(totalBytes, m.ms)),
    mb(m.baseline),
    mb(m.peakRss),
    mb(m.peakRss - m.baseline),
    mb(m.peakHeap),
    String(m.samples),
  ]),
);
console.log(
  `\nBackupFS peak RSS ${mb(backup.peakRss)} MB: ${
    verdict(backup.peakRss <= TARGET_PEAK, "≤ 200 MB")
  }`,
);
if (hwm !== undefined) {
  console.log(
    `process peak RSS from the kernel (VmHWM, start to end of the BackupFS write): ${
      mb(hwm)
    } MB: ` +
      verdict(hwm <= TARGET_PEAK, "≤ 200 MB"),
  );
}
console.log(`\nload average at the end: ${loadAverage()}`);
