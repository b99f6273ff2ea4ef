// BackupFS's WebDAV server against Apache 2 (mod_dav + mod_dav_fs) and
// `rclone serve webdav`, all three measured in the same run on 127.0.0.1 with their
// data on the same local disk, with the same clients:
//
//   1. PUT of a 1 GiB file (`curl -T file`) and GET of it (`curl -o /dev/null`);
//   2. 2,000 PUTs of distinct 4 KiB files from ONE curl process over 4 parallel
//      keep-alive connections (`curl --parallel --parallel-max 4 --config list`);
//   3. PROPFIND Depth 1 (allprop, no body) of that 2,000-file collection, 5 times:
//      the first (right after the PUTs) and the median of the 4 repeated ones;
//   4. concurrency: on a fixed tree (200 files of 64 KiB in 4 folders, 4 of 1 MiB, 50
//      to overwrite), 8 then 32 clients, each on its own keep-alive connection, for
//      20 s, a seeded mix of 60 % GET, 20 % PUT of 64 KiB (new or over an existing
//      file), 20 % PROPFIND Depth 1 of a folder: requests/s, p50/p99 latency, errors
//      (bench/support/dav_load_mix.ts, bench/support/dav_load_client.ts).
//
// A fourth server, "Deno, minimal" (bench/support/minimal_file_server.ts), is what this
// runtime reaches when it does the least a file server can: node's HTTP server, as
// BackupFS's, writing each PUT's body to a file of its own (nothing hashed, nothing
// synced) and reading a GET's file back (nothing verified). It runs the PUTs and the GET
// only. A missed target whose peer was faster than even that in the same run says so
// ("Apache beyond a minimal Deno file server here").
//
// --runs N (default 3) repeats everything; in each run every server starts fresh (empty
// data) and runs every workload; the servers take turns (run 1: BackupFS, rclone,
// Apache, minimal; run 2: rclone, Apache, minimal, BackupFS; …) so noise spreads evenly. Each figure is
// the median of the runs with their spread (lowest–highest); ratios are of medians.
//
// Targets (issue #12): PUT and GET 1 GiB ≥ 1.0× rclone and ≥ 1.0× Apache; the small
// PUTs ≥ 1.0× the better of the two; PROPFIND (first and repeated) ≤ 1.0× the better
// of the two's time; concurrency (8 and 32 clients): requests/s ≥ 1.0× rclone and p99
// ≤ rclone's. Checked on the way: every status, the uploaded and downloaded sizes,
// the SHA-256 of the 1 GiB file read back (a second, untimed GET), the PROPFIND
// listing (2,000 distinct members), every answer of the concurrency phase (any other
// than the expected one is an error: counted, and the figure flagged).
//
// BackupFS runs exactly as `deno task serve` runs it: webdav/main.ts with the serve
// task's Deno flags, default options, `--listen 127.0.0.1:PORT --data DIR` (durable:
// a PUT is acknowledged only once fsynced), plus --backupfs-args. Apache and rclone
// run with their defaults and do not fsync; "PUT + sync(1)" adds a sync after the PUT
// as an informational durable figure; after each run, `dd` of the big file into the
// data directory (page cache only, one fdatasync at the end, each 4 MiB piece
// durable before the next) gives the disk's own ceiling for that PUT. One server runs at a time; its data is removed
// and synced before the next starts. Apache runs with its own minimal config file
// (`apache2 -DFOREGROUND -f <temp dir>/apache/httpd.conf`), workers as www-data when
// run as root.
//
//   deno task bench:webdav [--runs 3] [--size-mib 1024] [--files 2000] [--file-kib 4]
//     [--parallel 4] [--propfind-runs 5] [--load-seconds 20] [--clients 8,32]
//     [--servers backupfs,rclone,apache,minimal] [--backupfs-args "--workers 1"] [--seed 1]
//     [--dir .] [--profile-dir DIR]
//
// --clients none skips the concurrency phase. --profile-dir runs BackupFS with
// `--cpu-prof --cpu-prof-dir=DIR`: a .cpuprofile per server process in DIR (kept).
// Everything else lives in a temp directory under --dir, removed at the end, on
// failure and on Ctrl-C, after every server was stopped by its process id. Needs
// apache2, rclone, curl, openssl, dd and sync on the PATH.

import { parseArgs } from "node:util";
import { integerFlag } from "./support/integer_flag.ts";
import process from "node:process";
import { MiB, PieceMaker } from "./support/bench_data.ts";
import { curlGet, curlMkcol, curlParallel, curlPropfind, curlPut } from "./support/curl_dav.ts";
import { uploadConfig } from "./support/curl_dav.ts";
import {
  type DavServer,
  startApacheDav,
  startBackupFsDav,
  startMinimalFileServer,
  startRcloneDav,
} from "./support/dav_servers.ts";
import { DEFAULT_LOAD_TREE } from "./support/dav_load_mix.ts";
import { type LoadResult, prepareLoadTree, runLoadPhase } from "./support/dav_load_client.ts";
import { fmt, loadAverage, mbPerSecond, printTable } from "./support/bench_report.ts";
import { formatSummary, median, summarize, type Summary } from "./support/run_stats.ts";

// `--backupfs-args "--workers 1"`: its value starts with a dash, which parseArgs takes
// for an option unless it is joined with "=".
const args = Deno.args.flatMap((arg, i, all) =>
  arg === "--backupfs-args" && i + 1 < all.length
    ? [`${arg}=${all[i + 1]}`]
    : all[i - 1] === "--backupfs-args"
    ? []
    : [arg]
);
const { values } = parseArgs({
  args,
  options: {
    dir: { type: "string", default: "." },
    runs: { type: "string", default: "3" },
    "size-mib": { type: "string", default: "1024" },
    files: { type: "string", default: "2000" },
    "file-kib": { type: "string", default: "4" },
    parallel: { type: "string", default: "4" },
    "propfind-runs": { type: "string", default: "5" },
    "load-seconds": { type: "string", default: "20" },
    clients: { type: "string", default: "8,32" },
    servers: { type: "string", default: "backupfs,rclone,apache,minimal" },
    "backupfs-args": { type: "string", default: "" },
    seed: { type: "string", default: "1" },
    "profile-dir": { type: "string" },
  },
  strict: true,
});

const positive = (name: string, min = 1) => integerFlag(values, name, min);
const runs = positive("runs");
const totalBytes = positive("size-mib") * MiB;
const fileCount = positive("files");
const fileBytes = positive("file-kib") * 1024;
const parallel = positive("parallel");
const propfindRuns = positive("propfind-runs", 2);
const loadSeconds = positive("load-seconds");
const seed = positive("seed", 0);
const clientCounts = values.clients === "none" ? [] : values.clients!.split(",").map((c) => {
  const n = Number(c.trim());
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--clients: "${c}" is not a positive integer (or say --clients none)`);
    Deno.exit(2);
  }
  return n;
});
const backupFsArgs = values["backupfs-args"]!.trim() === ""
  ? []
  : values["backupfs-args"]!.trim().split(/\s+/);
const profileDir = values["profile-dir"];
type ServerKind = "backupfs" | "rclone" | "apache" | "minimal";
const ALL_KINDS: ServerKind[] = ["backupfs", "rclone", "apache", "minimal"];
const serverKinds = values.servers!.split(",").map((s) => s.trim().toLowerCase()) as ServerKind[];
for (const kind of serverKinds) {
  if (!ALL_KINDS.includes(kind)) {
    console.error(`unknown server "${kind}" (backupfs, rclone, apache, minimal)`);
    Deno.exit(2);
  }
}
const NAMES: Record<ServerKind, string> = {
  backupfs: "BackupFS",
  rclone: "rclone",
  apache: "Apache",
  minimal: "Deno, minimal",
};
/** The minimal Deno file server runs the PUTs and the GET only (no PROPFIND, no load). */
const FILES_ONLY: ReadonlySet<ServerKind> = new Set(["minimal"]);
/** A figure a server did not measure. */
const NOT_RUN: Figure = { seconds: NaN, cpu: NaN };

/** One measured operation on one server: wall seconds and the server's CPU seconds. */
interface Figure {
  seconds: number;
  cpu: number;
}

/** One concurrency phase on one server. */
interface LoadFigure extends LoadResult {
  /** The server's CPU seconds during the phase. */
  serverCpu: number;
}

/** Everything measured on one server in one run. */
interface RunResult {
  put: Figure;
  sync: Figure;
  get: Figure;
  small: Figure & { connects: number };
  propfindFirst: Figure;
  propfindRepeated: Figure;
  load: Map<number, LoadFigure>;
}

async function run(command: string, args: string[] = []): Promise<string> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr).trim()}`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

/** What the disk alone does with the big file, in seconds (see {@link diskCeiling}). */
interface DiskFigures {
  /** Into the page cache only. */
  cached: number;
  /** With one fdatasync at the end (`conv=fdatasync`). */
  durable: number;
  /** Each 4 MiB piece durable before the next is written (`oflag=dsync`). */
  eachPiece: number;
}

/**
 * What this disk itself does with the big file, in the same run: `dd` of it into
 * the data directory in 4 MiB pieces, into the page cache only, with one
 * fdatasync at the end, and with each piece durable before the next; the input
 * read once first (so every copy finds it cached), `sync` before each copy, the
 * copy removed after. The ceiling of a PUT that is acknowledged only once durable.
 */
async function diskCeiling(big: string): Promise<DiskFigures> {
  const target = `${dir}/dd-ceiling.bin`;
  await run("dd", [`if=${big}`, "of=/dev/null", "bs=4M"]);
  const timed = async (extra: string[]) => {
    await run("sync");
    const start = performance.now();
    await run("dd", [`if=${big}`, `of=${target}`, "bs=4M", ...extra]);
    const seconds = (performance.now() - start) / 1000;
    await Deno.remove(target);
    return seconds;
  };
  const durable = await timed(["conv=fdatasync"]);
  const eachPiece = await timed(["oflag=dsync"]);
  const cached = await timed([]);
  await run("sync");
  return { cached, durable, eachPiece };
}

async function firstLine(command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args)).split("\n")[0].trim();
  } catch (error) {
    return `unavailable (${(error as Error).message.split("\n")[0]})`;
  }
}

/** Runs `work` on `server`, returning its wall seconds (or curl's) and the server's CPU. */
async function measured<T>(
  server: DavServer,
  work: () => Promise<T>,
  seconds?: (value: T) => number,
): Promise<Figure & { value: T }> {
  const cpu0 = await server.cpuSeconds();
  const start = performance.now();
  const value = await work();
  const wall = (performance.now() - start) / 1000;
  const cpu = await server.cpuSeconds() - cpu0;
  return { seconds: seconds ? seconds(value) : wall, cpu, value };
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

const fileName = (i: number) => `f${String(i).padStart(5, "0")}.bin`;

/** Distinct member names of the collection in a PROPFIND multistatus. */
function memberNames(xml: string): Set<string> {
  const names = new Set<string>();
  const href = /<(?:[A-Za-z_][\w.-]*:)?href>([^<]*)<\/(?:[A-Za-z_][\w.-]*:)?href>/g;
  for (const match of xml.matchAll(href)) {
    const name = /\/small\/(f\d{5}\.bin)$/.exec(decodeURIComponent(match[1]));
    if (name) names.add(name[1]);
  }
  return names;
}

/** SHA-256 (hex) of what a GET of `url` returns, computed by curl | openssl (bash, pipefail). */
async function sha256OfGet(url: string): Promise<string> {
  const out = await run("bash", [
    "-c",
    'set -o pipefail; curl --silent --show-error --fail "$0" | openssl dgst -sha256 -r',
    url,
  ]);
  return out.trim().split(/\s+/)[0];
}

// ---- temp dir and cleanup (servers first, by pid; then the directory)
const running = new Set<DavServer>();
const dir = await Deno.realPath(
  await Deno.makeTempDir({ dir: values.dir, prefix: "backupfs-bench-webdav-" }),
);
// Apache's workers (www-data) must traverse it.
await Deno.chmod(dir, 0o755);
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  cleaning ??= (async () => {
    await Promise.allSettled([...running].map((server) => server.stop()));
    await Deno.remove(dir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  })();
const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
const onSignal = async () => {
  console.error(`\ninterrupted; stopping the servers and removing ${dir}`);
  try {
    await cleanup();
  } finally {
    Deno.exit(130);
  }
};
for (const signal of signals) Deno.addSignalListener(signal, onSignal);

async function startServer(kind: ServerKind, runIndex: number): Promise<DavServer> {
  const serverDir = `${dir}/${kind}-${runIndex}`;
  const server = kind === "backupfs"
    ? await startBackupFsDav(serverDir, {
      args: backupFsArgs,
      ...(profileDir ? { profileDir } : {}),
    })
    : kind === "rclone"
    ? await startRcloneDav(serverDir)
    : kind === "apache"
    ? await startApacheDav(serverDir)
    : await startMinimalFileServer(serverDir);
  running.add(server);
  return server;
}

interface Inputs {
  big: string;
  bigSha256: string;
  smallDir: string;
}

async function benchServer(kind: ServerKind, runIndex: number, inputs: Inputs) {
  await run("sync");
  const server = await startServer(kind, runIndex);
  const name = server.name;
  try {
    const bigUrl = `${server.url}/big.bin`;
    const put = await measured(server, () => curlPut(bigUrl, inputs.big), (t) => t.seconds);
    expect(
      put.value.status === 201 || put.value.status === 204,
      `${name}: PUT answered ${put.value.status}`,
    );
    expect(put.value.uploaded === totalBytes, `${name}: PUT sent ${put.value.uploaded}`);
    const sync = await measured(server, () => run("sync"));

    const get = await measured(server, () => curlGet(bigUrl), (t) => t.seconds);
    expect(get.value.status === 200, `${name}: GET answered ${get.value.status}`);
    expect(
      get.value.downloaded === totalBytes,
      `${name}: GET returned ${get.value.downloaded} bytes, expected ${totalBytes}`,
    );
    // The bytes themselves, from a second GET (untimed).
    const sha256 = await sha256OfGet(bigUrl);
    expect(
      sha256 === inputs.bigSha256,
      `${name}: the file read back has SHA-256 ${sha256}, the input ${inputs.bigSha256}`,
    );

    const mkcol = await curlMkcol(`${server.url}/small/`);
    expect(mkcol.status === 201, `${name}: MKCOL answered ${mkcol.status}`);
    const config = `${dir}/${kind}-${runIndex}-uploads.conf`;
    await Deno.writeTextFile(
      config,
      uploadConfig(
        Array.from({ length: fileCount }, (_, i) => ({
          url: `${server.url}/small/${fileName(i)}`,
          file: `${inputs.smallDir}/${fileName(i)}`,
        })),
      ),
    );
    const small = await measured(server, () => curlParallel(config, { parallel }));
    expect(
      small.value.length === fileCount,
      `${name}: ${small.value.length} of ${fileCount} PUTs reported`,
    );
    const failed = small.value.filter((t) => t.status !== 201);
    expect(
      failed.length === 0,
      `${name}: ${failed.length} small PUTs failed (e.g. ${failed[0]?.status})`,
    );
    expect(
      small.value.every((t) => t.uploaded === fileBytes),
      `${name}: a small PUT did not send ${fileBytes} bytes`,
    );
    const connects = small.value.reduce((sum, t) => sum + t.connects, 0);
    if (FILES_ONLY.has(kind)) {
      return {
        put: { seconds: put.seconds, cpu: put.cpu },
        sync: { seconds: sync.seconds, cpu: sync.cpu },
        get: { seconds: get.seconds, cpu: get.cpu },
        small: { seconds: small.seconds, cpu: small.cpu, connects },
        propfindFirst: NOT_RUN,
        propfindRepeated: NOT_RUN,
        load: new Map(),
      };
    }

    const listing = `${dir}/${kind}-${runIndex}-propfind.xml`;
    const propfinds: Figure[] = [];
    for (let i = 0; i < propfindRuns; i++) {
      const propfind = await measured(
        server,
        () => curlPropfind(`${server.url}/small/`, listing),
        (t) => t.seconds,
      );
      expect(propfind.value.status === 207, `${name}: PROPFIND answered ${propfind.value.status}`);
      const members = memberNames(await Deno.readTextFile(listing)).size;
      expect(
        members === fileCount,
        `${name}: PROPFIND listed ${members} members, expected ${fileCount}`,
      );
      propfinds.push({ seconds: propfind.seconds, cpu: propfind.cpu });
    }
    const repeated = propfinds.slice(1);

    const load = new Map<number, LoadFigure>();
    if (clientCounts.length > 0) {
      const treeOptions = { tree: DEFAULT_LOAD_TREE, workDir: dir };
      await prepareLoadTree(server.url, treeOptions);
      for (const [phase, clients] of clientCounts.entries()) {
        const phaseResult = await measured(
          server,
          () =>
            runLoadPhase(server.url, {
              ...treeOptions,
              clients,
              seconds: loadSeconds,
              seed,
              phase,
            }),
        );
        load.set(clients, { ...phaseResult.value, serverCpu: phaseResult.cpu });
        const r = phaseResult.value;
        if (r.all.errors > 0) {
          console.log(
            `  ${name}, run ${runIndex}, ${clients} clients: ${r.all.errors} ` +
              `error${r.all.errors > 1 ? "s" : ""}, e.g. ` +
              r.errorSamples.join("; "),
          );
        }
      }
    }
    const result: RunResult = {
      put: { seconds: put.seconds, cpu: put.cpu },
      sync: { seconds: sync.seconds, cpu: sync.cpu },
      get: { seconds: get.seconds, cpu: get.cpu },
      small: { seconds: small.seconds, cpu: small.cpu, connects },
      propfindFirst: propfinds[0],
      propfindRepeated: {
        seconds: median(repeated.map((p) => p.seconds)),
        cpu: median(repeated.map((p) => p.cpu)),
      },
      load,
    };
    return result;
  } finally {
    await server.stop();
    running.delete(server);
    await Deno.remove(server.dir, { recursive: true });
    await run("sync");
  }
}

/** How a measure's target is judged. */
interface Measure {
  name: string;
  /** The figure of one run. */
  value: (r: RunResult) => number;
  digits: number;
  higherIsBetter: boolean;
  /** The target: against rclone and Apache each, the better of them, or rclone; none: info. */
  target?: "both" | "best" | "rclone";
  /** Flag a server's cell (e.g. errors in the runs). */
  flag?: (r: RunResult) => boolean;
}

const wallStart = performance.now();
try {
  const loadBefore = loadAverage();
  console.log(
    `WebDAV servers compared: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ` +
      `${runs} run${runs > 1 ? "s" : ""}, load average before ${loadBefore}, data in ${dir}`,
  );
  console.log(
    `  ${await firstLine("apache2", ["-v"])}; ${await firstLine("rclone", ["version"])}; ` +
      `${(await firstLine("curl", ["--version"])).split(" ").slice(0, 2).join(" ")}`,
  );
  console.log(
    `  BackupFS: deno task serve (webdav/main.ts), default options${
      backupFsArgs.length ? ` + ${backupFsArgs.join(" ")}` : ""
    }, embedded store, durable (fsync before acknowledging); Apache: event MPM, mod_dav_fs, ` +
      `defaults; rclone: defaults\n`,
  );

  // ---- inputs: one big file of distinct 1 MiB pieces, distinct random small files
  const big = `${dir}/input/big.bin`;
  const smallDir = `${dir}/input/small`;
  await Deno.mkdir(smallDir, { recursive: true });
  {
    using file = await Deno.open(big, { write: true, createNew: true });
    for await (const piece of new PieceMaker(MiB).stream(totalBytes)) {
      for (let written = 0; written < piece.byteLength;) {
        written += await file.write(piece.subarray(written));
      }
    }
  }
  const bigSha256 = (await run("openssl", ["dgst", "-sha256", "-r", big])).trim().split(/\s+/)[0];
  for (let i = 0; i < fileCount; i++) {
    const bytes = new Uint8Array(fileBytes);
    for (let offset = 0; offset < fileBytes; offset += 65536) {
      crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, fileBytes)));
    }
    await Deno.writeFile(`${smallDir}/${fileName(i)}`, bytes);
  }
  const inputs = { big, bigSha256, smallDir };

  const results = new Map<ServerKind, RunResult[]>(serverKinds.map((kind) => [kind, []]));
  const disk: DiskFigures[] = [];
  for (let r = 0; r < runs; r++) {
    const order = serverKinds.map((_, i) => serverKinds[(i + r) % serverKinds.length]);
    const runStart = performance.now();
    for (const kind of order) results.get(kind)!.push(await benchServer(kind, r + 1, inputs));
    disk.push(await diskCeiling(big));
    console.log(
      `run ${r + 1}/${runs} (${order.map((k) => NAMES[k]).join(", ")}): ${
        fmt((performance.now() - runStart) / 1000)
      } s, load average ${loadAverage()}`,
    );
  }

  // ---- the measures
  const sizeLabel = `${totalBytes / MiB} MiB`;
  const rate = (seconds: number) => mbPerSecond(totalBytes, seconds * 1000);
  const measures: Measure[] = [
    {
      name: `PUT ${sizeLabel}, MB/s`,
      value: (r) => rate(r.put.seconds),
      digits: 0,
      higherIsBetter: true,
      target: "both",
    },
    {
      name: `PUT ${sizeLabel} + sync(1), MB/s (info)`,
      value: (r) => rate(r.put.seconds + r.sync.seconds),
      digits: 0,
      higherIsBetter: true,
    },
    {
      name: `GET ${sizeLabel}, MB/s`,
      value: (r) => rate(r.get.seconds),
      digits: 0,
      higherIsBetter: true,
      target: "both",
    },
    {
      name: `${fileCount} × ${fileBytes / 1024} KiB PUTs (${parallel} conn.), files/s`,
      value: (r) => fileCount / r.small.seconds,
      digits: 0,
      higherIsBetter: true,
      target: "best",
    },
    {
      name: `PROPFIND Depth 1 of ${fileCount}, first, s`,
      value: (r) => r.propfindFirst.seconds,
      digits: 3,
      higherIsBetter: false,
      target: "best",
    },
    {
      name: `PROPFIND Depth 1 of ${fileCount}, repeated (median of ${propfindRuns - 1}), s`,
      value: (r) => r.propfindRepeated.seconds,
      digits: 3,
      higherIsBetter: false,
      target: "best",
    },
  ];
  for (const clients of clientCounts) {
    const flag = (r: RunResult) => (r.load.get(clients)?.all.errors ?? 0) > 0;
    measures.push(
      {
        name: `${clients} clients, mixed, requests/s`,
        value: (r) => r.load.get(clients)?.requestsPerSecond ?? NaN,
        digits: 0,
        higherIsBetter: true,
        target: "rclone",
        flag,
      },
      {
        name: `${clients} clients, mixed, p99 ms`,
        value: (r) => r.load.get(clients)?.all.p99Ms ?? NaN,
        digits: 1,
        higherIsBetter: false,
        target: "rclone",
        flag,
      },
      {
        name: `${clients} clients, mixed, p50 ms (info)`,
        value: (r) => r.load.get(clients)?.all.p50Ms ?? NaN,
        digits: 1,
        higherIsBetter: false,
        flag,
      },
    );
  }

  const summaryOf = (kind: ServerKind, m: Measure): Summary | undefined => {
    const list = results.get(kind);
    return list ? summarize(list.map(m.value)) : undefined;
  };
  const flagged = (kind: ServerKind, m: Measure) =>
    m.flag !== undefined && (results.get(kind) ?? []).some(m.flag);
  const cell = (kind: ServerKind, m: Measure) => {
    const summary = summaryOf(kind, m);
    if (!summary) return "—";
    return formatSummary(summary, m.digits) + (flagged(kind, m) ? " !" : "");
  };
  const ratioCell = (kind: ServerKind, m: Measure) => {
    const mine = summaryOf("backupfs", m)?.median;
    const theirs = summaryOf(kind, m)?.median;
    return mine !== undefined && theirs !== undefined ? `${fmt(mine / theirs, 2)}×` : "—";
  };
  const verdictOf = (m: Measure): string => {
    if (!m.target) return "info";
    const mine = summaryOf("backupfs", m)?.median;
    if (mine === undefined) return "—";
    const better = (a: number, b: number) => m.higherIsBetter ? a >= b : a <= b;
    const peers = (m.target === "rclone" ? ["rclone"] : ["rclone", "apache"]) as ServerKind[];
    const theirs = peers.flatMap((kind) => {
      const value = summaryOf(kind, m)?.median;
      return value === undefined ? [] : [{ kind, value }];
    });
    if (theirs.length < peers.length) return "— (a peer was not run)";
    // Against both peers or the better of them: the same test, better than each.
    const pass = theirs.every(({ value }) => better(mine, value));
    const relation = m.higherIsBetter ? "≥" : "≤";
    const against = m.target === "rclone"
      ? "rclone"
      : m.target === "both"
      ? "rclone and Apache"
      : "the better of the two";
    const errors = serverKinds.some((kind) => flagged(kind, m)) ? ", errors!" : "";
    // A peer faster than a Deno file server that does the least it can, in this run.
    const minimal = summaryOf("minimal", m);
    const beyond = pass || minimal === undefined || minimal.runs === 0
      ? []
      : theirs.filter(({ value }) => !better(minimal.median, value));
    const beyondNote = beyond.length === 0
      ? ""
      : `; ${
        beyond.map(({ kind }) => NAMES[kind]).join(" and ")
      } beyond a minimal Deno file server here`;
    return `${pass ? "PASS" : "MISS"} (${relation} 1.00× ${against}${errors}${beyondNote})`;
  };

  console.log(
    `\n1. BackupFS against rclone and Apache: median of ${runs} run${runs > 1 ? "s" : ""} ` +
      `(lowest–highest); ratios of the medians. Rates: higher is better; seconds and ` +
      `latencies: lower is better. "!": a run had errors (see above). "Deno, minimal": the ` +
      `least a file server in this runtime does (each PUT to a file of its own, nothing hashed ` +
      `or synced; a GET read back, nothing verified).\n`,
  );
  printTable(
    [
      "measure",
      "BackupFS",
      "rclone",
      "Apache",
      "Deno, minimal",
      "BackupFS/rclone",
      "BackupFS/Apache",
      "target",
    ],
    measures.map((m) => [
      m.name,
      cell("backupfs", m),
      cell("rclone", m),
      cell("apache", m),
      cell("minimal", m),
      ratioCell("rclone", m),
      ratioCell("apache", m),
      verdictOf(m),
    ]),
  );

  // ---- the disk's own ceiling for the big PUT, measured in the same runs
  const diskRate = (pick: (d: DiskFigures) => number) =>
    formatSummary(summarize(disk.map((d) => rate(pick(d)))), 0);
  console.log(
    `\nThe disk alone (dd of the ${sizeLabel} file into the data directory, bs=4M, after each ` +
      `run), MB/s: page cache only ${diskRate((d) => d.cached)}; one fdatasync at the end ` +
      `(conv=fdatasync) ${diskRate((d) => d.durable)}; each 4 MiB piece durable before the ` +
      `next (oflag=dsync) ${diskRate((d) => d.eachPiece)}.`,
  );

  // ---- where the time went: server CPU seconds per operation (medians)
  const cpuRows: string[][] = [];
  for (const kind of serverKinds) {
    const list = results.get(kind)!;
    const cpu = (f: (r: RunResult) => Figure) => fmt(median(list.map((r) => f(r).cpu)), 2);
    cpuRows.push([
      NAMES[kind],
      cpu((r) => r.put),
      cpu((r) => r.get),
      cpu((r) => r.small),
      fmt(median(list.map((r) => r.small.connects))),
      cpu((r) => r.propfindFirst),
      cpu((r) => r.propfindRepeated),
    ]);
  }
  console.log(`\n2. Server CPU seconds (all its processes and threads), medians\n`);
  printTable(
    ["server", "PUT", "GET", "small PUTs", "connections", "PROPFIND first", "PROPFIND rep."],
    cpuRows,
  );

  if (clientCounts.length > 0) {
    const loadRows: string[][] = [];
    for (const clients of clientCounts) {
      for (const kind of serverKinds.filter((k) => !FILES_ONLY.has(k))) {
        const list = results.get(kind)!.map((r) => r.load.get(clients)!);
        const med = (f: (l: LoadFigure) => number, digits = 0) => fmt(median(list.map(f)), digits);
        const method = (name: string) =>
          med((l) => l.methods[name]?.p99Ms ?? NaN, 1) + " / " +
          med((l) => l.methods[name]?.p50Ms ?? NaN, 1);
        loadRows.push([
          `${clients}`,
          NAMES[kind],
          med((l) => l.all.count),
          med((l) => l.requestsPerSecond),
          method("GET"),
          method("PUT"),
          method("PROPFIND"),
          String(list.reduce((n, l) => n + l.all.errors, 0)),
          med((l) => l.serverCpu / l.seconds, 2),
          med((l) => l.clientCpuSeconds / l.seconds, 2),
          med((l) => l.clientCpuSeconds / l.all.count * 1e6),
        ]);
      }
    }
    console.log(
      `\n3. Concurrency, ${loadSeconds} s per phase, medians of the runs: p99 / p50 ms per ` +
        `method; errors summed over the runs; CPU in cores (CPU seconds / wall seconds; the ` +
        `machine has ${navigator.hardwareConcurrency}); requests and req/s count every answer, ` +
        `errors included; the client runs in this process\n`,
    );
    printTable(
      [
        "clients",
        "server",
        "requests",
        "req/s",
        "GET p99/p50",
        "PUT p99/p50",
        "PROPFIND p99/p50",
        "errors",
        "server cores",
        "client cores",
        "client µs/req",
      ],
      loadRows,
    );
  }
  const wall = (performance.now() - wallStart) / 1000;
  const { user, system } = process.cpuUsage();
  console.log(
    `\nload average before ${loadBefore}, after ${loadAverage()}; wall time ${fmt(wall)} s ` +
      `(this process's CPU ${fmt((user + system) / 1e6, 1)} s)`,
  );
} finally {
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  await cleanup();
}
