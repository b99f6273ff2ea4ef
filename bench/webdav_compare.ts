// BackupFS's WebDAV server against Apache 2 (mod_dav + mod_dav_fs) and
// `rclone serve webdav`, all three measured in the same run on 127.0.0.1 with their
// data on the same local disk, with the same client (curl):
//
//   1. PUT of a 1 GiB file (`curl -T file`) and GET of it (`curl -o /dev/null`);
//   2. 2,000 PUTs of distinct 4 KiB files from ONE curl process over 4 parallel
//      keep-alive connections (`curl --parallel --parallel-max 4 --config list`);
//   3. PROPFIND Depth 1 (allprop, no body) of that 2,000-file collection, 5 times.
//
// Targets (BackupFS against rclone, the same-run reference): PUT, GET and small-file
// rate each ≥ 1.0× rclone's; PROPFIND time ≤ 1.0× rclone's (median of the runs).
// Checked on the way: every status code, the uploaded and downloaded sizes, and the
// PROPFIND listing (2,000 distinct members).
//
// BackupFS runs as `bench/support/webdav_server.ts` (embedded store, durable: a PUT
// is acknowledged only once fsynced). Apache and rclone are run with their defaults
// and do not fsync; "PUT + sync" adds a sync(1) after the PUT as an informational
// durable figure. Servers run one at a time; each one's data is removed and synced
// before the next starts. Apache runs with its own minimal config file
// (`apache2 -DFOREGROUND -f <temp dir>/apache/httpd.conf`), workers as www-data when
// run as root.
//
//   deno task bench:webdav [--dir .] [--size-mib 1024] [--files 2000] [--file-kib 4]
//     [--parallel 4] [--propfind-runs 5] [--servers backupfs,rclone,apache]
//     [--profile-dir DIR]
//
// --profile-dir runs BackupFS's server with `--v8-flags=--prof`, its isolate-*.log in
// DIR (kept), for `node --prof-process`. Everything else lives in a temp directory
// under --dir, removed at the end, on failure and on Ctrl-C, after every server was
// stopped by its process id. Needs apache2, rclone, curl and sync on the PATH.

import { parseArgs } from "node:util";
import { MiB, PieceMaker } from "./support/bench_data.ts";
import { curlGet, curlMkcol, curlParallelPuts, curlPropfind, curlPut } from "./support/curl_dav.ts";
import { uploadConfig } from "./support/curl_dav.ts";
import {
  type DavServer,
  startApacheDav,
  startBackupFsDav,
  startRcloneDav,
} from "./support/dav_servers.ts";
import {
  fmt,
  loadAverage,
  mbPerSecond,
  printTable,
  ratio,
  verdict,
} from "./support/bench_report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: "." },
    "size-mib": { type: "string", default: "1024" },
    files: { type: "string", default: "2000" },
    "file-kib": { type: "string", default: "4" },
    parallel: { type: "string", default: "4" },
    "propfind-runs": { type: "string", default: "5" },
    servers: { type: "string", default: "backupfs,rclone,apache" },
    "profile-dir": { type: "string" },
  },
  strict: true,
});
const totalBytes = Number(values["size-mib"]) * MiB;
const fileCount = Number(values.files);
const fileBytes = Number(values["file-kib"]) * 1024;
const parallel = Number(values.parallel);
const propfindRuns = Number(values["propfind-runs"]);
const profileDir = values["profile-dir"];
type ServerKind = "backupfs" | "rclone" | "apache";
const serverKinds = values.servers!.split(",").map((s) => s.trim().toLowerCase());
for (const kind of serverKinds) {
  if (!["backupfs", "rclone", "apache"].includes(kind)) {
    console.error(`unknown server "${kind}" (backupfs, rclone, apache)`);
    Deno.exit(2);
  }
}
for (const [name, value] of Object.entries({ totalBytes, fileCount, fileBytes, parallel })) {
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`bad option: ${name} must be a positive integer`);
    Deno.exit(2);
  }
}
if (!Number.isSafeInteger(propfindRuns) || propfindRuns < 1) {
  console.error("--propfind-runs must be a positive integer");
  Deno.exit(2);
}

/** One measured operation on one server. */
interface Figure {
  seconds: number;
  /** Server CPU seconds (all its processes and threads) during the operation. */
  cpu: number;
}

/** Everything measured on one server. */
interface ServerResult {
  name: string;
  put: Figure;
  sync: Figure;
  get: Figure;
  small: Figure & { connects: number };
  propfindFirst: Figure;
  propfindMedian: Figure;
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

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
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

async function startServer(kind: ServerKind): Promise<DavServer> {
  const serverDir = `${dir}/${kind}`;
  const server = kind === "backupfs"
    ? await startBackupFsDav(serverDir, profileDir ? { profileDir } : {})
    : kind === "rclone"
    ? await startRcloneDav(serverDir)
    : await startApacheDav(serverDir);
  running.add(server);
  return server;
}

async function benchServer(kind: ServerKind, big: string, smallDir: string) {
  await run("sync");
  const server = await startServer(kind);
  try {
    const bigUrl = `${server.url}/big.bin`;
    const put = await measured(server, () => curlPut(bigUrl, big), (t) => t.seconds);
    expect(
      put.value.status === 201 || put.value.status === 204,
      `${server.name}: PUT answered ${put.value.status}`,
    );
    expect(put.value.uploaded === totalBytes, `${server.name}: PUT sent ${put.value.uploaded}`);
    const sync = await measured(server, () => run("sync"));

    const get = await measured(server, () => curlGet(bigUrl), (t) => t.seconds);
    expect(get.value.status === 200, `${server.name}: GET answered ${get.value.status}`);
    expect(
      get.value.downloaded === totalBytes,
      `${server.name}: GET returned ${get.value.downloaded} bytes, expected ${totalBytes}`,
    );

    const mkcol = await curlMkcol(`${server.url}/small/`);
    expect(mkcol.status === 201, `${server.name}: MKCOL answered ${mkcol.status}`);
    const config = `${dir}/${kind}-uploads.conf`;
    await Deno.writeTextFile(
      config,
      uploadConfig(
        Array.from({ length: fileCount }, (_, i) => ({
          url: `${server.url}/small/${fileName(i)}`,
          file: `${smallDir}/${fileName(i)}`,
        })),
      ),
    );
    const small = await measured(server, () => curlParallelPuts(config, { parallel }));
    expect(
      small.value.length === fileCount,
      `${server.name}: ${small.value.length} of ${fileCount} PUTs reported`,
    );
    const failed = small.value.filter((t) => t.status !== 201);
    expect(
      failed.length === 0,
      `${server.name}: ${failed.length} small PUTs failed (e.g. ${failed[0]?.status})`,
    );
    const connects = small.value.reduce((sum, t) => sum + t.connects, 0);

    const listing = `${dir}/${kind}-propfind.xml`;
    const propfinds: Figure[] = [];
    for (let i = 0; i < propfindRuns; i++) {
      const propfind = await measured(
        server,
        () => curlPropfind(`${server.url}/small/`, listing),
        (t) => t.seconds,
      );
      expect(
        propfind.value.status === 207,
        `${server.name}: PROPFIND answered ${propfind.value.status}`,
      );
      const members = memberNames(await Deno.readTextFile(listing)).size;
      expect(
        members === fileCount,
        `${server.name}: PROPFIND listed ${members} members, expected ${fileCount}`,
      );
      propfinds.push({ seconds: propfind.seconds, cpu: propfind.cpu });
    }
    const result: ServerResult = {
      name: server.name,
      put: { seconds: put.seconds, cpu: put.cpu },
      sync: { seconds: sync.seconds, cpu: sync.cpu },
      get: { seconds: get.seconds, cpu: get.cpu },
      small: { seconds: small.seconds, cpu: small.cpu, connects },
      propfindFirst: propfinds[0],
      propfindMedian: {
        seconds: median(propfinds.map((p) => p.seconds)),
        cpu: median(propfinds.map((p) => p.cpu)),
      },
    };
    return result;
  } finally {
    await server.stop();
    running.delete(server);
    await Deno.remove(server.dir, { recursive: true });
    await run("sync");
  }
}

try {
  console.log(
    `WebDAV servers compared: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ` +
      `load average ${loadAverage()}, data in ${dir}`,
  );
  console.log(
    `  ${await firstLine("apache2", ["-v"])}; ${await firstLine("rclone", ["version"])}; ` +
      `${(await firstLine("curl", ["--version"])).split(" ").slice(0, 2).join(" ")}`,
  );
  console.log(
    `  BackupFS: webdav/ over BackupFS over the embedded store (durable, fsync before ` +
      `acknowledging), default options; Apache: event MPM, mod_dav_fs, defaults; ` +
      `rclone: defaults\n`,
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
  for (let i = 0; i < fileCount; i++) {
    const bytes = new Uint8Array(fileBytes);
    for (let offset = 0; offset < fileBytes; offset += 65536) {
      crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, fileBytes)));
    }
    await Deno.writeFile(`${smallDir}/${fileName(i)}`, bytes);
  }

  const results = new Map<ServerKind, ServerResult>();
  for (const kind of serverKinds as ServerKind[]) {
    results.set(kind, await benchServer(kind, big, smallDir));
  }

  // ---- figures per server
  const sizeLabel = `${totalBytes / MiB} MiB`;
  const smallLabel = `${fileCount} × ${fileBytes / 1024} KiB PUTs, ${parallel} connections`;
  const rows: string[][] = [];
  for (const result of results.values()) {
    const line = (operation: string, figure: Figure, rate: string) =>
      rows.push([operation, result.name, fmt(figure.seconds, 3), rate, fmt(figure.cpu, 2)]);
    line(
      `PUT ${sizeLabel}`,
      result.put,
      `${fmt(mbPerSecond(totalBytes, result.put.seconds * 1000))} MB/s`,
    );
    line(
      `PUT ${sizeLabel} + sync(1)`,
      { seconds: result.put.seconds + result.sync.seconds, cpu: result.put.cpu + result.sync.cpu },
      `${fmt(mbPerSecond(totalBytes, (result.put.seconds + result.sync.seconds) * 1000))} MB/s`,
    );
    line(
      `GET ${sizeLabel}`,
      result.get,
      `${fmt(mbPerSecond(totalBytes, result.get.seconds * 1000))} MB/s`,
    );
    line(
      `${smallLabel} (${result.small.connects} opened)`,
      result.small,
      `${fmt(fileCount / result.small.seconds)} files/s`,
    );
    line(`PROPFIND Depth 1, ${fileCount} members, first`, result.propfindFirst, "");
    line(`PROPFIND Depth 1, median of ${propfindRuns}`, result.propfindMedian, "");
  }
  console.log("1. Figures (seconds: curl's time_total; the small PUTs: the curl process)\n");
  printTable(["operation", "server", "seconds", "rate", "server CPU s"], rows);

  // ---- BackupFS against the others
  const backupFs = results.get("backupfs");
  const rclone = results.get("rclone");
  const apache = results.get("apache");
  const measures: Array<{
    name: string;
    value: (r: ServerResult) => number;
    higherIsBetter: boolean;
    target?: string;
  }> = [
    {
      name: `PUT ${sizeLabel}, MB/s`,
      value: (r) => mbPerSecond(totalBytes, r.put.seconds * 1000),
      higherIsBetter: true,
      target: "≥ 1.00× rclone",
    },
    {
      name: `PUT ${sizeLabel} + sync(1), MB/s (info)`,
      value: (r) => mbPerSecond(totalBytes, (r.put.seconds + r.sync.seconds) * 1000),
      higherIsBetter: true,
    },
    {
      name: `GET ${sizeLabel}, MB/s`,
      value: (r) => mbPerSecond(totalBytes, r.get.seconds * 1000),
      higherIsBetter: true,
      target: "≥ 1.00× rclone",
    },
    {
      name: `${fileCount} × ${fileBytes / 1024} KiB PUTs, files/s`,
      value: (r) => fileCount / r.small.seconds,
      higherIsBetter: true,
      target: "≥ 1.00× rclone",
    },
    {
      name: `PROPFIND Depth 1, s (median of ${propfindRuns})`,
      value: (r) => r.propfindMedian.seconds,
      higherIsBetter: false,
      target: "≤ 1.00× rclone",
    },
    {
      name: "PROPFIND Depth 1, s (first, info)",
      value: (r) => r.propfindFirst.seconds,
      higherIsBetter: false,
    },
  ];
  const cell = (r: ServerResult | undefined, m: (typeof measures)[number]) =>
    r ? fmt(m.value(r), m.higherIsBetter ? 0 : 3) : "—";
  const against = (other: ServerResult | undefined, m: (typeof measures)[number]) =>
    backupFs && other ? ratio(m.value(backupFs), m.value(other)) : "—";
  console.log(
    `\n2. BackupFS against rclone and Apache (ratios of the figure itself: for rates higher ` +
      `is better, for PROPFIND seconds lower is better)\n`,
  );
  printTable(
    ["measure", "BackupFS", "rclone", "Apache", "BackupFS/rclone", "BackupFS/Apache", "target"],
    measures.map((m) => {
      let target = "";
      if (m.target && backupFs && rclone) {
        const r = m.value(backupFs) / m.value(rclone);
        target = verdict(m.higherIsBetter ? r >= 1 : r <= 1, m.target);
      }
      return [
        m.name,
        cell(backupFs, m),
        cell(rclone, m),
        cell(apache, m),
        against(rclone, m),
        against(apache, m),
        target,
      ];
    }),
  );
  console.log(`\nload average at the end: ${loadAverage()}`);
} finally {
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  await cleanup();
}
