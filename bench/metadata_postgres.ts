// PostgresMetadataStore's write rate next to PostgreSQL's own: TASKS concurrent
// tasks commit, for SECONDS each, (1) raw single-row INSERTs (one statement, one
// commit each), then (2) store transactions shaped like a gateway's small
// PutObject (ensureJob + currentVersion + insertVersion + putInlineChunk +
// putChunk + addUsage, all of one job), durable, then (3) the same with
// durable: false (synchronous_commit off). Same server, same run; commits are
// durable (fsync and synchronous_commit on) except in (3). Prints commits per
// second and latency percentiles of each, and (2)'s share of (1).
//
// A throwaway PostgreSQL 15 cluster (tests/support/engines/postgres_cluster.ts,
// Debian's postgresql) unless --url names a server (its password from PGPASSWORD
// or the password file; the bench works in a schema of its own and drops it).
//
//   deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run \
//     --allow-sys bench/metadata_postgres.ts [--tasks 4] [--seconds 5] [--url postgres://…]

import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { Pool } from "../deps/pg.ts";
import { VersionState } from "../src/storage/store/metadata/metadata_store.ts";
import { PostgresMetadataStore } from "../src/storage/store/metadata/postgres_metadata_store.ts";
import { startPostgres } from "../tests/support/engines/postgres_cluster.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tasks: { type: "string", default: "4" },
    seconds: { type: "string", default: "5" },
    url: { type: "string" },
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
const tasks = Math.floor(positive("tasks", values.tasks));
const durationMs = positive("seconds", values.seconds) * 1000;
const SCHEMA = `bench_${Date.now().toString(36)}`;

/** Commits per second and latency percentiles of one phase. */
interface PhaseResult {
  commits: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `commit` in `tasks` concurrent loops until the phase's time is up. */
async function phase(commit: (task: number, n: number) => Promise<void>): Promise<PhaseResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: tasks }, async (_, task) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const t0 = performance.now();
        await commit(task, n);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    commits: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
  };
}

function digestOf(text: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(text).digest());
}

const cluster = values.url ? undefined : await startPostgres({ database: "bench" });
const url = values.url ?? cluster!.url;
const raw = new Pool({ connectionString: url, max: tasks });
raw.on("error", () => {});
let store: PostgresMetadataStore | undefined;
try {
  await raw.query(`CREATE SCHEMA ${SCHEMA}`);
  await raw.query(`CREATE TABLE ${SCHEMA}.raw_inserts (id bigserial PRIMARY KEY, task int, n int)`);
  store = await PostgresMetadataStore.open(url, { schema: SCHEMA, maxConnections: tasks });
  const settings = await raw.query(
    "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync, version() AS version",
  );
  console.log(
    `${store.description}: ${settings.rows[0].version.split(",")[0]}, fsync ${
      settings.rows[0].fsync
    }, synchronous_commit ${settings.rows[0].sync}; ${tasks} tasks, ${durationMs / 1000} s a phase`,
  );

  const inserts = await phase(async (task, n) => {
    await raw.query({
      name: "raw_insert",
      text: `INSERT INTO ${SCHEMA}.raw_inserts (task, n) VALUES ($1, $2)`,
      values: [task, n],
    });
  });

  const inline = new Uint8Array(1024).map((_, i) => i % 251);
  const putObject = (durable: boolean, label: string) => async (task: number, n: number) => {
    const name = new TextEncoder().encode(`${label}/${task}/${n}`);
    const digest = digestOf(`${label}/${task}/${n}`);
    const metadata = store!;
    await metadata.transaction(async (tx) => {
      const now = Date.now();
      await tx.ensureJob("bench-job", now);
      const current = await tx.currentVersion("bench-job", name);
      const versionId = await tx.insertVersion({
        job: "bench-job",
        name,
        state: VersionState.Current,
        chunks_count: 1,
        size: inline.length,
        object_checksum: "checksum",
        metadata_string: null,
        meta_digest: null,
        meta_length: null,
        completed_at: now,
        retired_at: null,
      });
      await tx.putInlineChunk(digest, inline);
      await tx.putChunk(versionId, 0, digest, inline.length);
      await tx.addUsage("bench-job", current ? 0 : 1, inline.length);
    }, { durable });
  };
  const transactions = await phase(putObject(true, "durable"));
  const relaxed = await phase(putObject(false, "relaxed"));

  const line = (label: string, result: PhaseResult) =>
    `${label.padEnd(58)} ${result.perSecond.toFixed(0).padStart(7)}/s  ` +
    `(${result.commits} commits; p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms)`;
  console.log(line("raw single-row INSERT commits", inserts));
  console.log(line("PutObject-shaped store transactions (6 statements)", transactions));
  console.log(line("  the same, durable: false (synchronous_commit off)", relaxed));
  console.log(
    `store transactions / raw commits: ${
      (transactions.perSecond / inserts.perSecond * 100).toFixed(0)
    } %`,
  );
  const usage = await store.usage("bench-job");
  if (usage.objects !== transactions.commits + relaxed.commits) {
    throw new Error(
      `usage says ${usage.objects} objects, ${transactions.commits + relaxed.commits} were put`,
    );
  }
} finally {
  await store?.close();
  await raw.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
  await raw.end();
  await cluster?.stop();
}
