/**
 * PostgreSQL's own single-row commit rate: the raw figure a gateway keeping
 * its metadata there is compared with (each small PutObject commits at least
 * once).
 *
 * @module
 */

import { Client } from "../../deps/pg.ts";
import { timed } from "./bench_report.ts";

/** Options of {@link measurePostgresCommits}. */
export interface PostgresCommitOptions {
  /** Rows inserted in all (default 2 000). */
  rows?: number;
  /** Clients inserting at once, each on its own connection (default 4). */
  inFlight?: number;
  /**
   * Runs the timed phase (`"commits"`): e.g. to read the CPU time the processes
   * used around it. Default: runs it.
   */
  aroundPhase?: <T>(phase: string, work: () => Promise<T>) => Promise<T>;
}

/**
 * Inserts `rows` rows, one `INSERT` per transaction (autocommit), from
 * `inFlight` connections at once, and resolves to commits per second. The
 * statement is a named prepared one; a row is about what an object's record
 * holds (an id, a name, a 32-byte digest, a size). The table, made for the run
 * under a name of its own, is dropped afterwards; the count is checked.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { startPostgres } from "../../tests/support/engines/postgres_cluster.ts";
 * import { measurePostgresCommits } from "./postgres_commit_rate.ts";
 *
 * await using cluster = await startPostgres();
 * const perSecond = await measurePostgresCommits(cluster.url, { rows: 200, inFlight: 2 });
 * assert.ok(perSecond > 0);
 * ```
 *
 * (Not run by `--doc`, it needs PostgreSQL: `deno task bench:gateway-engines --quick` runs this code.)
 */
export async function measurePostgresCommits(
  url: string,
  options?: PostgresCommitOptions,
): Promise<number> {
  const rows = options?.rows ?? 2_000;
  const inFlight = options?.inFlight ?? 4;
  const around = options?.aroundPhase ?? ((_phase, work) => work());
  if (!Number.isSafeInteger(inFlight) || inFlight < 1) {
    throw new RangeError("inFlight must be an integer ≥ 1");
  }
  const table = `bench_commits_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const clients = Array.from(
    { length: inFlight },
    () => new Client({ connectionString: url, connectionTimeoutMillis: 10_000 }),
  );
  try {
    await Promise.all(clients.map((client) => client.connect()));
    await clients[0].query(
      `CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL, ` +
        `digest bytea NOT NULL, size bigint NOT NULL)`,
    );
    const insert = (client: Client, id: number) =>
      client.query({
        name: `insert_${table}`,
        text: `INSERT INTO ${table} (id, name, digest, size) VALUES ($1, $2, $3, $4)`,
        values: [id, `small/${String(id).padStart(6, "0")}`, digestOf(id), 4096],
      });
    // Each connection prepares the statement before the clock starts.
    for (const [i, client] of clients.entries()) await insert(client, rows + i);
    let next = 0;
    const { ms } = await around(
      "commits",
      () =>
        timed(() =>
          Promise.all(clients.map(async (client) => {
            while (next < rows) await insert(client, next++);
          }))
        ),
    );
    const { rows: counted } = await clients[0].query(
      `SELECT count(*)::int AS n FROM ${table} WHERE id < $1`,
      [rows],
    );
    if (counted[0].n !== rows) throw new Error(`counted ${counted[0].n} rows, expected ${rows}`);
    await clients[0].query(`DROP TABLE ${table}`);
    return rows / (ms / 1000);
  } finally {
    await Promise.allSettled(clients.map((client) => client.end()));
  }
}

function digestOf(id: number): Uint8Array {
  const digest = new Uint8Array(32);
  crypto.getRandomValues(digest);
  new DataView(digest.buffer).setUint32(0, id);
  return digest;
}
