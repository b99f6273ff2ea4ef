// What a file manager does besides uploads and downloads, against the same peers as
// bench:webdav (BackupFS exactly as `deno task serve` runs it: default options,
// embedded store, durable; rclone serve webdav; Apache with mod_dav_fs), each
// started fresh, taking turns run after run, with the same curl client:
//
//   1. FILES (default 2,000) PUTs of 4 KiB into a new folder, 4 connections;
//   2. a GET of each of them, the first read since the PUTs, 4 connections;
//   3. COPY of the folder (Depth: infinity) to a new one;
//   4. MOVE of the copy to a new name;
//   5. DELETE of the moved folder;
//   6. a DELETE of each file of the first folder, 4 connections.
//
// Every answer's status is checked, and every GET's size. Figures: median of the runs
// (lowest–highest), ratios of the medians; the load average is printed before and
// after. No targets: this shows where BackupFS stands on these workloads.
//
//   deno task bench:webdav-tree-ops [--runs 3] [--files 2000] [--dir .]
//
// Everything lives in a temp directory under --dir, removed at the end, on failure and
// on Ctrl-C. Needs curl, rclone and apache2 (Debian's) on the machine.

import { parseArgs } from "node:util";
import { integerFlag } from "./support/integer_flag.ts";
import {
  curlMkcol,
  curlParallel,
  curlRequest,
  type CurlTransfer,
  downloadConfig,
  uploadConfig,
} from "./support/curl_dav.ts";
import {
  type DavServer,
  startApacheDav,
  startBackupFsDav,
  startRcloneDav,
} from "./support/dav_servers.ts";
import { openBenchDir } from "./support/bench_dir.ts";
import { fmt, loadAverage, printTable, ratio } from "./support/bench_report.ts";
import { formatSummary, median, summarize } from "./support/run_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: "." },
    runs: { type: "string", default: "3" },
    files: { type: "string", default: "2000" },
  },
  strict: true,
});

const runs = integerFlag(values, "runs");
const fileCount = integerFlag(values, "files");
const FILE_BYTES = 4096;
const PARALLEL = 4;

const SERVERS = {
  BackupFS: (dir: string) => startBackupFsDav(dir),
  rclone: startRcloneDav,
  Apache: startApacheDav,
} as const;
type ServerName = keyof typeof SERVERS;
const NAMES = Object.keys(SERVERS) as ServerName[];

/** The measures, in the table's order: a rate (higher is better) or seconds (lower is). */
const MEASURES = [
  { name: `PUT ${fileCount} × 4 KiB, files/s`, rate: true },
  { name: `GET ${fileCount} × 4 KiB (first read), files/s`, rate: true },
  { name: `COPY of a folder of ${fileCount}, s`, rate: false },
  { name: `MOVE of a folder of ${fileCount}, s`, rate: false },
  { name: `DELETE of a folder of ${fileCount}, s`, rate: false },
  { name: `DELETE ${fileCount} files one by one, files/s`, rate: true },
] as const;

await using dir = await openBenchDir(values.dir!, "backupfs-bench-tree-ops-");
// Apache's workers (www-data) must traverse it.
await Deno.chmod(dir.path, 0o755);
const files = `${dir.path}/files`;
await Deno.mkdir(files);
for (let i = 0; i < fileCount; i++) {
  await Deno.writeFile(`${files}/f${i}`, crypto.getRandomValues(new Uint8Array(FILE_BYTES)));
}

/** Writes a curl config file and returns its path. */
async function configFile(name: string, text: string): Promise<string> {
  const path = `${dir.path}/${name}.conf`;
  await Deno.writeTextFile(path, text);
  return path;
}

/** Runs a curl config; files per second, every answer checked by `ok`. */
async function many(
  server: DavServer,
  name: string,
  config: string,
  ok: (transfer: CurlTransfer) => boolean,
): Promise<number> {
  const start = performance.now();
  const transfers = await curlParallel(await configFile(name, config), { parallel: PARALLEL });
  const seconds = (performance.now() - start) / 1000;
  const bad = transfers.find((transfer) => !ok(transfer));
  if (transfers.length !== fileCount || bad !== undefined) {
    throw new Error(
      `${server.name}, ${name}: ${transfers.length} of ${fileCount} answered, e.g. ${bad?.status}`,
    );
  }
  return fileCount / seconds;
}

/**
 * One request; its seconds as curl measured them (connection to the end of the
 * answer, without starting the curl process), its status checked.
 */
async function one(
  server: DavServer,
  url: string,
  method: string,
  headers: Record<string, string>,
  status: number,
): Promise<number> {
  const answer = await curlRequest(url, method, headers);
  if (answer.status !== status) {
    throw new Error(`${server.name}: ${method} ${url} answered ${answer.status}, not ${status}`);
  }
  return answer.seconds;
}

async function measure(name: ServerName, run: number): Promise<number[]> {
  const serverDir = `${dir.path}/${name}-${run}`;
  const server = await SERVERS[name](serverDir);
  try {
    const base = server.url;
    const made = await curlMkcol(`${base}/w/`);
    if (made.status !== 201) throw new Error(`${name}: MKCOL /w/ answered ${made.status}`);
    const urls = Array.from({ length: fileCount }, (_, i) => `${base}/w/f${i}`);
    const put = await many(
      server,
      "put",
      uploadConfig(urls.map((url, i) => ({ url, file: `${files}/f${i}` }))),
      (t) => t.status === 201,
    );
    const get = await many(
      server,
      "get",
      downloadConfig(urls),
      (t) => t.status === 200 && t.downloaded === FILE_BYTES,
    );
    const copy = await one(server, `${base}/w/`, "COPY", { Destination: `${base}/c/` }, 201);
    const move = await one(server, `${base}/c/`, "MOVE", { Destination: `${base}/m/` }, 201);
    const remove = await one(server, `${base}/m/`, "DELETE", {}, 204);
    const deletes = await many(
      server,
      "delete",
      `request = "DELETE"\n${downloadConfig(urls)}`,
      (t) => t.status === 204,
    );
    return [put, get, copy, move, remove, deletes];
  } finally {
    await server.stop();
    await Deno.remove(serverDir, { recursive: true }).catch(() => {});
  }
}

const before = loadAverage();
console.log(
  `File-manager operations compared: ${navigator.hardwareConcurrency} cores, ` +
    `Deno ${Deno.version.deno}, ${runs} run(s), ${fileCount} files of 4 KiB; ` +
    `load average before ${before}`,
);
const figures = new Map(NAMES.map((name) => [name, MEASURES.map(() => [] as number[])]));
for (let run = 0; run < runs; run++) {
  const order = NAMES.map((_, i) => NAMES[(i + run) % NAMES.length]);
  for (const name of order) {
    const measured = await measure(name, run);
    measured.forEach((value, i) => figures.get(name)![i].push(value));
  }
  console.log(`run ${run + 1}/${runs} (${order.join(", ")}), load average ${loadAverage()}`);
}

const rows = MEASURES.map((measure, i) => {
  const of = (name: ServerName) => figures.get(name)![i];
  const digits = measure.rate ? 0 : 3;
  const backupFs = median(of("BackupFS"));
  // A ratio above 1 is BackupFS ahead, for rates and times alike.
  const ahead = (peer: ServerName) =>
    measure.rate ? ratio(backupFs, median(of(peer))) : ratio(median(of(peer)), backupFs);
  return [
    measure.name,
    ...NAMES.map((name) => formatSummary(summarize(of(name)), digits)),
    ahead("rclone"),
    ahead("Apache"),
  ];
});
console.log();
printTable(
  ["measure", ...NAMES, "BackupFS ahead of rclone", "of Apache"],
  rows,
);
console.log(
  `\nRatios above 1.00× are BackupFS ahead (its rate over the peer's; the peer's ` +
    `time over its). Load average before ${before}, after ${loadAverage()}.`,
);
console.log(`(${fmt(runs)} runs; every status and GET size checked.)`);
