// One store, many gateways (issue #11): a storage gateway (`deno task storage`, its
// own process) with its metadata in PostgreSQL and its chunks in Ceph RGW, next to
// the engines' own figures measured in the same run, with the same bytes and the
// same number of requests in flight:
//   - 1 GiB PUT and GET: the gateway's one object of 256 chunks of 4 MiB (StartObject,
//     PutChunk…, NotifyObjectComplete; ListChunks, GetChunk…) next to Ceph's own S3
//     PUT and GET of the same 256 chunks as objects (@aws-sdk/client-s3);
//   - 2,000 small PutObjects of 4 KiB next to PostgreSQL's own single-row commits
//     (one INSERT per transaction, fsync and synchronous_commit on), measured before
//     and again after the gateway (the disk is shared: fsync latency swings).
// Target: the gateway at ≥ 0.8× the engines' figures. Then the same workload over one
// SQLite data directory (durable) with one gateway process, then two (requests spread
// round-robin over them). Every engine and gateway is started for the run, stopped
// and removed whatever happens. The machine may be shared: the load average is
// printed before and after, the CPU seconds each process used in each phase too, and
// figures are only meaningful as ratios within one run.
//
//   deno task bench:gateway-engines [--quick] [--size-mib 1024] [--chunk-mib 4]
//     [--small-objects 2000] [--small-kib 4] [--in-flight 4] [--dir DIR]
//
// --quick: 128 MiB and 500 small objects (flags given explicitly still win).

import { parseArgs } from "node:util";
import { BackupStorageClient } from "../src/storage/client/mod.ts";
import type { StoreLocation } from "../src/storage/store/store_backends.ts";
import { type CephRgw, startCephRgw } from "../tests/support/engines/ceph_rgw.ts";
import { freePort } from "../tests/support/engines/_process.ts";
import { type PostgresCluster, startPostgres } from "../tests/support/engines/postgres_cluster.ts";
import {
  type Gateway,
  GATEWAY_KEYS,
  startGateway,
  writeGatewayCredentials,
} from "../tests/support/gateway_process.ts";
import { MiB } from "./support/bench_data.ts";
import { fmt, loadAverage, printTable, ratio, verdict } from "./support/bench_report.ts";
import { type GatewayWorkloadFigures, measureGatewayWorkload } from "./support/gateway_workload.ts";
import { PhaseCpuLedger } from "./support/phase_cpu.ts";
import { measurePostgresCommits } from "./support/postgres_commit_rate.ts";
import { measureS3PutGet } from "./support/s3_object_throughput.ts";
import { WorkloadPayload } from "./support/workload_payload.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    "size-mib": { type: "string" },
    "chunk-mib": { type: "string" },
    "small-objects": { type: "string" },
    "small-kib": { type: "string" },
    "in-flight": { type: "string", default: "4" },
    dir: { type: "string" },
  },
  strict: true,
});

function positiveInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer`);
    Deno.exit(2);
  }
  return n;
}
const quick = values.quick!;
const sizeMiB = positiveInteger("size-mib", values["size-mib"] ?? (quick ? "128" : "1024"));
const chunkMiB = positiveInteger("chunk-mib", values["chunk-mib"] ?? "4");
const smallObjects = positiveInteger(
  "small-objects",
  values["small-objects"] ?? (quick ? "500" : "2000"),
);
const smallKiB = positiveInteger("small-kib", values["small-kib"] ?? "4");
const inFlight = positiveInteger("in-flight", values["in-flight"]!);
const TARGET = 0.8;
const BUCKET = "bench";

// ---- everything started is stopped, last first, whatever happens (SIGINT/SIGTERM too):
// the running gateways first, then what `cleanups` holds (engines, temp dirs)
const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
let gateways: Gateway[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  return cleaning ??= (async () => {
    const running = gateways;
    gateways = [];
    await Promise.allSettled(running.map((gateway) => gateway.stop()));
    for (let guard = 0; cleanups.length > 0 && guard < 1000; guard++) {
      const { what, run } = cleanups.pop()!;
      try {
        await run();
      } catch (error) {
        console.error(`cleaning up ${what}: ${(error as Error).message}`);
      }
    }
  })();
}
// What is being started: a signal waits for it (each start is bounded) so as to stop it too.
const starting = new Set<Promise<unknown>>();
function started<T>(start: Promise<T>, register: (value: T) => void): Promise<T> {
  const registered = start.then((value) => {
    register(value);
    return value;
  });
  starting.add(registered);
  registered.then(() => starting.delete(registered), () => starting.delete(registered));
  return registered;
}
let interrupted = false;
const onSignal = () => {
  if (interrupted) return;
  interrupted = true;
  console.error("\ninterrupted: stopping the gateways and engines, removing temp dirs");
  Promise.allSettled([...starting]).then(cleanUp).finally(() => Deno.exit(130));
};
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, onSignal);

async function benchDir(prefix: string): Promise<string> {
  const path = await Deno.makeTempDir({ prefix, ...(values.dir ? { dir: values.dir } : {}) });
  cleanups.push({ what: path, run: () => Deno.remove(path, { recursive: true }) });
  return path;
}

// ---- the CPU the gateways and the engines use per phase
let postgres: PostgresCluster | undefined;
let ceph: CephRgw | undefined;
const ledger = new PhaseCpuLedger({
  "gateway(s)": () => gateways.map((g) => g.pid),
  radosgw: () => ceph ? [ceph.pids[2]] : [],
  "ceph-osd": () => ceph ? [ceph.pids[1]] : [],
  postgres: () => postgres ? [postgres.pid] : [],
});

/** Starts `count` gateways over `location` (one after the other: the first sets the store up). */
async function runGateways(
  label: string,
  location: StoreLocation,
  options: { count: number; env?: Record<string, string> },
): Promise<GatewayWorkloadFigures> {
  const dir = await benchDir("backupfs-bench-gw-");
  const credentialsFile = await writeGatewayCredentials(dir);
  const clients: BackupStorageClient[] = [];
  try {
    for (let i = 0; i < options.count; i++) {
      if (interrupted) throw new Error("interrupted");
      const gateway = await started(
        startGateway(location, {
          port: freePort(),
          credentialsFile,
          ...(options.env ? { env: options.env } : {}),
        }),
        (gateway) => gateways.push(gateway),
      );
      clients.push(
        new BackupStorageClient({
          endpoint: gateway.endpoint,
          region: "us-east-1",
          credentials: GATEWAY_KEYS,
        }),
      );
    }
    ledger.prefix = `${label}: `;
    return await measureGatewayWorkload(clients, payload, {
      inFlight,
      aroundPhase: (phase, work) => ledger.around(phase, work),
    });
  } finally {
    for (const client of clients) await client.close();
    const running = gateways;
    gateways = [];
    for (const gateway of running) {
      const { code, stderr } = await gateway.stop();
      if (code !== 0 && !interrupted) {
        console.error(`a gateway (${label}) exited with ${code}:\n${stderr.slice(-2000)}`);
      }
    }
  }
}

console.log(
  `gateway vs engines, ${new Date().toISOString()}, ${navigator.hardwareConcurrency} CPUs, ` +
    `Deno ${Deno.version.deno}`,
);
console.log(`load average before: ${loadAverage()}`);

const chunkBytes = chunkMiB * MiB;
const madeAt = performance.now();
const payload = new WorkloadPayload({
  chunks: Math.ceil(sizeMiB * MiB / chunkBytes),
  chunkBytes,
  smallObjects,
  smallBytes: smallKiB * 1024,
});
console.log(
  `payload: ${payload.largeObjectBytes / MiB} MiB as ${payload.options.chunks} chunks of ` +
    `${chunkMiB} MiB, ${smallObjects} small objects of ${smallKiB} KiB, ${inFlight} in flight ` +
    `(made and hashed in ${fmt((performance.now() - madeAt) / 1000, 1)} s)`,
);

let exitCode = 0;
try {
  // ---- the engines: PostgreSQL (fsync, synchronous_commit on) and Ceph RGW (memstore)
  // Room for both copies of the data (raw and through the gateway) and RGW's own, in GiB.
  const memstoreBytes = 1024 * MiB * Math.max(
    3,
    Math.ceil((2 * (payload.largeObjectBytes + payload.smallObjectsBytes)) / (1024 * MiB)) + 1,
  );
  const startedAt = performance.now();
  const [pg, rgw] = await Promise.allSettled([
    started(startPostgres(), (cluster) => {
      postgres = cluster;
      cleanups.push({ what: "PostgreSQL", run: () => cluster.stop() });
    }),
    started(startCephRgw({ memstoreBytes }), (gateway) => {
      ceph = gateway;
      cleanups.push({ what: "Ceph RGW", run: () => gateway.stop() });
    }),
  ]);
  if (pg.status === "rejected") throw pg.reason;
  if (rgw.status === "rejected") throw rgw.reason;
  const engines = { postgres: postgres!, ceph: ceph! };
  await engines.ceph.createBucket(BUCKET);
  console.log(
    `engines: PostgreSQL at ${engines.postgres.host}:${engines.postgres.port}, Ceph RGW at ` +
      `${engines.ceph.endpoint} (memstore ${memstoreBytes / MiB} MiB), ready in ` +
      `${fmt((performance.now() - startedAt) / 1000, 1)} s`,
  );

  // ---- the engines' own figures
  ledger.prefix = "Ceph S3 (raw): ";
  const raw = await measureS3PutGet(
    { ...engines.ceph, bucket: BUCKET, prefix: "raw/" },
    payload,
    { inFlight, aroundPhase: (phase, work) => ledger.around(phase, work) },
  );
  // PostgreSQL's commit rate swings with the disk's fsync latency (a shared disk): it is
  // measured before the gateway and again right after it, the ratio taken to their mean.
  const measureCommits = (when: string) => {
    ledger.prefix = `PostgreSQL (raw, ${when}): `;
    return measurePostgresCommits(engines.postgres.url, {
      rows: smallObjects,
      inFlight,
      aroundPhase: (phase, work) => ledger.around(phase, work),
    });
  };
  const commitsBefore = await measureCommits("before");

  // ---- one gateway on PostgreSQL + Ceph
  const onEngines = await runGateways("gateway on PostgreSQL + Ceph", {
    dataDir: `${await benchDir("backupfs-bench-data-")}/data`,
    metadata: engines.postgres.url,
    chunks: { bucket: BUCKET, prefix: "gw/", endpoint: engines.ceph.endpoint, pathStyle: true },
  }, {
    count: 1,
    env: {
      AWS_ACCESS_KEY_ID: engines.ceph.accessKeyId,
      AWS_SECRET_ACCESS_KEY: engines.ceph.secretAccessKey,
      AWS_REGION: engines.ceph.region,
    },
  });
  const commitsAfter = await measureCommits("after");
  const commitsPerSecond = (commitsBefore + commitsAfter) / 2;

  // ---- one SQLite data directory: one gateway process, then two (each a fresh directory)
  const sqliteOne = await runGateways("SQLite, 1 gateway", {
    dataDir: `${await benchDir("backupfs-bench-data-")}/data`,
  }, { count: 1 });
  const sqliteTwo = await runGateways("SQLite, 2 gateways", {
    dataDir: `${await benchDir("backupfs-bench-data-")}/data`,
  }, { count: 2 });

  // ---- figures
  const size = `${payload.largeObjectBytes / MiB} MiB`;
  console.log(`\nA gateway on PostgreSQL + Ceph RGW next to the engines' own figures:\n`);
  printTable(["", "engine", "gateway", "ratio", ""], [
    [
      `PUT ${size} (MB/s): Ceph S3 PUT vs StartObject+PutChunk…`,
      fmt(raw.putMBps),
      fmt(onEngines.putMBps),
      ratio(onEngines.putMBps, raw.putMBps),
      verdict(onEngines.putMBps >= TARGET * raw.putMBps, `≥ ${TARGET.toFixed(2)}×`),
    ],
    [
      `GET ${size} (MB/s): Ceph S3 GET vs ListChunks+GetChunk…`,
      fmt(raw.getMBps),
      fmt(onEngines.getMBps),
      ratio(onEngines.getMBps, raw.getMBps),
      verdict(onEngines.getMBps >= TARGET * raw.getMBps, `≥ ${TARGET.toFixed(2)}×`),
    ],
    [
      `${smallObjects} × ${smallKiB} KiB (/s): PG commits vs PutObjects`,
      fmt(commitsPerSecond),
      fmt(onEngines.smallPerSecond),
      ratio(onEngines.smallPerSecond, commitsPerSecond),
      verdict(onEngines.smallPerSecond >= TARGET * commitsPerSecond, `≥ ${TARGET.toFixed(2)}×`),
    ],
  ]);
  console.log(
    `(PostgreSQL commits/s: ${fmt(commitsBefore)} before the gateway, ${
      fmt(commitsAfter)
    } after it; the ratio is to their mean)`,
  );

  console.log(`\nThe same workload over one SQLite data directory (durable):\n`);
  const row = (name: string, f: GatewayWorkloadFigures) => [
    name,
    fmt(f.putMBps),
    fmt(f.getMBps),
    fmt(f.smallPerSecond),
  ];
  printTable(["", "PUT MB/s", "GET MB/s", "PutObject/s"], [
    row("gateway on PostgreSQL + Ceph (above)", onEngines),
    row("SQLite, 1 gateway process", sqliteOne),
    row("SQLite, 2 gateway processes", sqliteTwo),
  ]);

  console.log(`\nWhere the time went: CPU seconds per phase (wall seconds for scale):\n`);
  printTable(
    ["phase", "wall s", ...ledger.groupNames],
    ledger.phases.map((p) => [
      p.phase,
      fmt(p.wallSeconds, 2),
      ...ledger.groupNames.map((name) => fmt(p.cpuSeconds[name], 2)),
    ]),
  );
} catch (error) {
  if (!interrupted) console.error(`\nbench failed: ${(error as Error).stack ?? error}`);
  exitCode = 1;
} finally {
  await cleanUp();
  console.log(`\nload average after: ${loadAverage()}`);
}
Deno.exit(interrupted ? 130 : exitCode);
