// What a second worker gives and costs on this machine, in one run: BackupFS's WebDAV
// server exactly as `deno task serve` runs it (webdav/main.ts, default options,
// durable) with `--workers 1` and with `--workers 2`, each started fresh, taking
// turns run after run (run 1: 1 then 2; run 2: 2 then 1; …):
//
//   1. GET only: GETS (default 16,000) GETs of 50 files of 64 KiB, from ONE curl
//      process over 8 keep-alive connections (`curl --parallel --parallel-max 8`);
//   2. PUT only: PUTS (default 2,000) PUTs of new 4 KiB files over 4 connections (the
//      small-file workload of bench:webdav).
//
// Each gives requests/s, the server's CPU per request (all its processes and
// threads, in µs) and the machine's: every core busy during the load, divided by
// the requests (the server, curl, and the kernel's work for both;
// bench/support/machine_cpu.ts). The reference, measured in the same runs with the
// same GETs, is a server that does nothing (bench/support/reference_http_server.ts: node:http, 64 KiB
// for every GET) in 1 and in 2 Web Workers sharing the port as BackupFS's workers do:
// its "2 workers / 1 worker" ratio of CPU per GET is what the machine charges a second
// busy thread (two vCPUs are not always two cores, and curl runs on them too); the
// same ratio for BackupFS, next to it, is the machine's part plus BackupFS's own (on
// PUTs: each worker's SQLite connection drops its page cache at every commit of the
// other's). Every status and GET size is checked. Figures: median of the runs (lowest–
// highest); the load average is printed before and after.
//
//   deno task bench:webdav-workers [--runs 3] [--gets 16000] [--puts 2000] [--dir .]
//
// Everything lives in a temp directory under --dir, removed at the end, on failure and
// on Ctrl-C. Needs curl on the PATH.

import { parseArgs } from "node:util";
import { integerFlag } from "./support/integer_flag.ts";
import { curlMkcol, curlParallel, downloadConfig, uploadConfig } from "./support/curl_dav.ts";
import { type DavServer, startBackupFsDav, startReferenceHttp } from "./support/dav_servers.ts";
import { REFERENCE_BODY_BYTES } from "./support/reference_http_server.ts";
import { openBenchDir } from "./support/bench_dir.ts";
import { machineBusySeconds } from "./support/machine_cpu.ts";
import { fmt, loadAverage, printTable, ratio } from "./support/bench_report.ts";
import { formatSummary, median, summarize } from "./support/run_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: "." },
    runs: { type: "string", default: "3" },
    gets: { type: "string", default: "16000" },
    puts: { type: "string", default: "2000" },
  },
  strict: true,
});

const runs = integerFlag(values, "runs");
const getCount = integerFlag(values, "gets");
const putCount = integerFlag(values, "puts");
const GET_FILES = 50;
const GET_PARALLEL = 8;
const PUT_PARALLEL = 4;
const PUT_BYTES = 4096;
const WORKER_COUNTS = [1, 2];
const GET_BYTES = 64 * 1024;

/** One load on one server: requests/s, the server's and the machine's CPU µs per request. */
interface Load {
  perSecond: number;
  cpuMicros: number;
  /** NaN where the machine's busy time is not known (no `/proc/stat`). */
  machineMicros: number;
}

/** Runs a curl config against a server; checks every answer with `ok`. */
async function load(
  server: DavServer,
  config: string,
  parallel: number,
  ok: (status: number, downloaded: number) => boolean,
): Promise<Load> {
  const cpu0 = await server.cpuSeconds();
  const machine0 = await machineBusySeconds();
  const start = performance.now();
  const transfers = await curlParallel(config, { parallel });
  const seconds = (performance.now() - start) / 1000;
  const machine1 = await machineBusySeconds();
  const cpu = await server.cpuSeconds() - cpu0;
  const machine = machine0 === undefined || machine1 === undefined ? NaN : machine1 - machine0;
  const bad = transfers.find((t) => !ok(t.status, t.downloaded));
  if (bad !== undefined) {
    throw new Error(`${server.name}: an answer ${bad.status} of ${bad.downloaded} bytes`);
  }
  return {
    perSecond: transfers.length / seconds,
    cpuMicros: cpu / transfers.length * 1e6,
    machineMicros: machine / transfers.length * 1e6,
  };
}

const getOk = (size: number) => (status: number, downloaded: number) =>
  status === 200 && downloaded === size;
const putOk = (status: number) => status === 201;

await using dir = await openBenchDir(values.dir!, "backupfs-bench-workers-");
const files = `${dir.path}/files`;
await Deno.mkdir(files);
for (let i = 0; i < GET_FILES; i++) {
  await Deno.writeFile(`${files}/g${i}`, crypto.getRandomValues(new Uint8Array(GET_BYTES)));
}
for (let i = 0; i < putCount; i++) {
  await Deno.writeFile(`${files}/p${i}`, crypto.getRandomValues(new Uint8Array(PUT_BYTES)));
}

/** Writes a curl config file and returns its path. */
async function configFile(name: string, text: string): Promise<string> {
  const path = `${dir.path}/${name}.conf`;
  await Deno.writeTextFile(path, text);
  return path;
}

async function backupFsRun(workers: number, run: number): Promise<{ get: Load; put: Load }> {
  const serverDir = `${dir.path}/backupfs-${workers}-${run}`;
  const server = await startBackupFsDav(serverDir, { args: ["--workers", String(workers)] });
  try {
    const base = server.url;
    for (const folder of ["g", "p"]) {
      const made = await curlMkcol(`${base}/${folder}/`);
      if (made.status !== 201) throw new Error(`MKCOL /${folder}/: ${made.status}`);
    }
    const seed = uploadConfig(Array.from({ length: GET_FILES }, (_, i) => ({
      url: `${base}/g/f${i}`,
      file: `${files}/g${i}`,
    })));
    await load(server, await configFile("seed", seed), PUT_PARALLEL, putOk);
    const gets = downloadConfig(
      Array.from({ length: getCount }, (_, i) => `${base}/g/f${i % GET_FILES}`),
    );
    const get = await load(server, await configFile("gets", gets), GET_PARALLEL, getOk(GET_BYTES));
    const puts = uploadConfig(Array.from({ length: putCount }, (_, i) => ({
      url: `${base}/p/f${i}`,
      file: `${files}/p${i}`,
    })));
    const put = await load(server, await configFile("puts", puts), PUT_PARALLEL, putOk);
    return { get, put };
  } finally {
    await server.stop();
    await Deno.remove(serverDir, { recursive: true }).catch(() => {});
  }
}

async function referenceRun(workers: number): Promise<Load> {
  const server = await startReferenceHttp(dir.path, { workers });
  try {
    const gets = downloadConfig(
      Array.from({ length: getCount }, (_, i) => `${server.url}/g/f${i % GET_FILES}`),
    );
    return await load(
      server,
      await configFile("reference", gets),
      GET_PARALLEL,
      getOk(REFERENCE_BODY_BYTES),
    );
  } finally {
    await server.stop();
  }
}

const before = loadAverage();
console.log(
  `Workers compared: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ` +
    `${runs} run(s), ${getCount} GETs (64 KiB, ${GET_PARALLEL} connections), ` +
    `${putCount} PUTs (4 KiB, ${PUT_PARALLEL} connections); load average before ${before}`,
);
const backupFs = new Map(WORKER_COUNTS.map((w) => [w, { get: [] as Load[], put: [] as Load[] }]));
const reference = new Map(WORKER_COUNTS.map((w) => [w, [] as Load[]]));
for (let run = 0; run < runs; run++) {
  const order = run % 2 === 0 ? WORKER_COUNTS : [...WORKER_COUNTS].reverse();
  for (const workers of order) {
    const figures = await backupFsRun(workers, run);
    backupFs.get(workers)!.get.push(figures.get);
    backupFs.get(workers)!.put.push(figures.put);
    reference.get(workers)!.push(await referenceRun(workers));
  }
  console.log(`run ${run + 1}/${runs} done, load average ${loadAverage()}`);
}

type Pick = (load: Load) => number;
const perSecond: Pick = (l) => l.perSecond;
const cpuMicros: Pick = (l) => l.cpuMicros;
const machineMicros: Pick = (l) => l.machineMicros;
const cell = (loads: Load[], pick: Pick) =>
  loads.some((l) => Number.isNaN(pick(l))) ? "—" : formatSummary(summarize(loads.map(pick)));
const plural = (workers: number) => `${workers} worker${workers > 1 ? "s" : ""}`;
const HEADER = [
  "server",
  "GET req/s",
  "µs CPU / GET",
  "µs machine / GET",
  "PUT files/s",
  "µs CPU / PUT",
  "µs machine / PUT",
];
const PICKS = [perSecond, cpuMicros, machineMicros];

const rows: string[][] = [];
for (const workers of WORKER_COUNTS) {
  const { get, put } = backupFs.get(workers)!;
  rows.push([
    `BackupFS, ${plural(workers)}`,
    ...[get, put].flatMap((loads) => PICKS.map((pick) => cell(loads, pick))),
  ]);
}
for (const workers of WORKER_COUNTS) {
  const get = reference.get(workers)!;
  rows.push([
    `reference, ${plural(workers)}`,
    ...PICKS.map((pick) => cell(get, pick)),
    "—",
    "—",
    "—",
  ]);
}
console.log(
  "\nMedians of the runs (lowest–highest), per request: CPU, the server's (all threads); " +
    "machine, every core busy during the load (server, curl and the kernel's work for " +
    "them).\n",
);
printTable(HEADER, rows);

/** The median of `pick` with two workers over its median with one. */
const twoOverOne = (loads: (workers: number) => Load[], pick: Pick) => {
  const [two, one] = [median(loads(2).map(pick)), median(loads(1).map(pick))];
  return Number.isNaN(two) || Number.isNaN(one) ? "—" : ratio(two, one);
};
const backupFsGets = (workers: number) => backupFs.get(workers)!.get;
const backupFsPuts = (workers: number) => backupFs.get(workers)!.put;
const referenceGets = (workers: number) => reference.get(workers)!;
console.log("\n2 workers against 1 (medians):\n");
printTable(HEADER, [
  [
    "BackupFS",
    ...[backupFsGets, backupFsPuts].flatMap((loads) =>
      PICKS.map((pick) => twoOverOne(loads, pick))
    ),
  ],
  [
    "reference",
    ...PICKS.map((pick) => twoOverOne(referenceGets, pick)),
    "—",
    "—",
    "—",
  ],
]);
console.log(`\nload average before ${before}, after ${loadAverage()}; ${fmt(runs)} run(s)`);
