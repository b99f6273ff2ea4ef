/**
 * A throwaway PostgreSQL 15 cluster for the tests: `initdb` in a temporary
 * directory, the server on a free 127.0.0.1 port (its Unix socket in that
 * directory), one database, and `stop()` that stops the server and removes the
 * directory. Needs Debian's `postgresql` package; as root, the cluster's
 * commands run as the `postgres` user (initdb refuses root).
 *
 * @example Start a cluster, query it over npm:pg, stop it
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { Client } from "../../../deps/pg.ts";
 * import { startPostgres } from "./postgres_cluster.ts";
 *
 * await using cluster = await startPostgres();
 * const client = new Client({ connectionString: cluster.url });
 * await client.connect();
 * const { rows } = await client.query("SELECT 1 AS one");
 * assert.equal(rows[0].one, 1);
 * await client.end();
 * ```
 *
 * (The example is not run by `--doc`: tests/engines/engines_test.ts runs it.)
 *
 * @module
 */

import { binariesExist, freePort, run, waitFor, waitForExit } from "./_process.ts";

/** Where Debian's `postgresql` package puts the PostgreSQL 15 binaries. */
export const POSTGRES_BIN_DIR = "/usr/lib/postgresql/15/bin";

/** Options of {@linkcode startPostgres}. */
export interface PostgresOptions {
  /** Name of the database created in the cluster (default `"test"`). */
  database?: string;
  /** Directory holding `initdb`, `pg_ctl` and `postgres` (default {@linkcode POSTGRES_BIN_DIR}). */
  binDir?: string;
  /** Extra `postgresql.conf` settings, e.g. `{ max_connections: "20" }`. */
  settings?: Record<string, string>;
  /** Bound on each step (initdb, start, stop) in milliseconds (default 60 000). */
  timeoutMs?: number;
}

/** A running throwaway cluster; `stop()` (or `await using`) stops it and removes its files. */
export interface PostgresCluster extends AsyncDisposable {
  /** `postgres://user@127.0.0.1:port/database`, for npm:pg's `connectionString`. */
  url: string;
  /** Always `"127.0.0.1"`. */
  host: string;
  /** The TCP port the server listens on. */
  port: number;
  /** The database created for the test. */
  database: string;
  /** The superuser, `postgres` (trust authentication, no password). */
  user: string;
  /** The temporary directory holding the data directory, socket and log. */
  dir: string;
  /** The server's process id (the postmaster). */
  pid: number;
  /** Stops the server (`pg_ctl stop -m fast`, bounded, then SIGKILL) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the server but keeps its data directory and port, to test what clients
   * do while it is down; mode `immediate` (the default) is a crash: no checkpoint,
   * every connection dropped at once.
   */
  stopServer(options?: StopServerOptions): Promise<void>;
  /** Starts the server again on the same port and data directory (after `stopServer`); updates `pid`. */
  startServer(): Promise<void>;
}

/** Options of {@linkcode PostgresCluster.stopServer}. */
export interface StopServerOptions {
  /** `pg_ctl stop --mode` (default `"immediate"`). */
  mode?: "smart" | "fast" | "immediate";
}

const USER = "postgres";

/**
 * Creates, starts and returns a throwaway PostgreSQL cluster (fsync and
 * synchronous_commit on) listening on a free 127.0.0.1 port.
 *
 * Throws an Error naming the Debian package `postgresql` when its binaries are missing.
 */
export async function startPostgres(options?: PostgresOptions): Promise<PostgresCluster> {
  const {
    database = "test",
    binDir = POSTGRES_BIN_DIR,
    settings = {},
    timeoutMs = 60_000,
  } = options ?? {};
  const bin = (name: string) => `${binDir}/${name}`;
  if (!binariesExist([bin("initdb"), bin("pg_ctl"), bin("postgres")])) {
    throw new Error(
      `PostgreSQL 15 not found in ${binDir}: install the Debian package "postgresql" ` +
        `(apt-get install -y --no-install-recommends postgresql)`,
    );
  }
  const asRoot = Deno.uid() === 0;
  // As root, run the cluster's commands as the postgres user (initdb and postgres refuse root).
  const runAsOwner = (command: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", USER, "--", command, ...args], { timeoutMs })
      : run(command, args, { timeoutMs });

  const dir = await Deno.makeTempDir({ prefix: "backupfs_pg_" });
  const data = `${dir}/data`;
  const log = `${dir}/postgres.log`;
  let started = false;
  const cleanup = async () => {
    if (started) await stopServer(bin("pg_ctl"), data, runAsOwner, timeoutMs);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    if (asRoot) await run("chown", [`${USER}:`, dir]);
    await runAsOwner(bin("initdb"), [
      "--pgdata",
      data,
      "--username",
      USER,
      "--auth",
      "trust",
      "--encoding",
      "UTF8",
      "--locale",
      "C",
    ]);
    // A fresh port for each try: another process may take the one picked in between.
    let port = 0;
    for (let attempt = 1;; attempt++) {
      port = freePort();
      const conf = {
        listen_addresses: "'127.0.0.1'",
        port: String(port),
        unix_socket_directories: `'${dir}'`,
        fsync: "on",
        synchronous_commit: "on",
        ...settings,
      };
      await Deno.writeTextFile(
        `${data}/postgresql.auto.conf`,
        Object.entries(conf).map(([key, value]) => `${key} = ${value}\n`).join(""),
      );
      try {
        started = true;
        await runAsOwner(bin("pg_ctl"), [
          "start",
          "--wait",
          "--timeout",
          String(Math.ceil(timeoutMs / 1000)),
          "--pgdata",
          data,
          "--log",
          log,
        ]);
        break;
      } catch (error) {
        started = false;
        const text = await Deno.readTextFile(log).catch(() => "");
        if (attempt >= 3 || !/could not bind|address already in use/i.test(text)) {
          throw new Error(`${(error as Error).message}\n--- ${log}:\n${text}`);
        }
      }
    }
    const pid = Number((await Deno.readTextFile(`${data}/postmaster.pid`)).split("\n")[0]);
    await runAsOwner(bin("createdb"), [
      "--host",
      dir,
      "--port",
      String(port),
      "--username",
      USER,
      database,
    ]);
    await waitFor("PostgreSQL TCP listener", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    }, { timeoutMs });
    let stopped: Promise<void> | undefined;
    const stop = () => stopped ??= cleanup();
    const cluster: PostgresCluster = {
      url: `postgres://${USER}@127.0.0.1:${port}/${database}`,
      host: "127.0.0.1",
      port,
      database,
      user: USER,
      dir,
      pid,
      stop,
      [Symbol.asyncDispose]: stop,
      async stopServer(options?: StopServerOptions) {
        if (stopped) throw new Error("The cluster is stopped and removed");
        started = false;
        await stopServer(bin("pg_ctl"), data, runAsOwner, timeoutMs, options?.mode ?? "immediate");
      },
      async startServer() {
        if (stopped) throw new Error("The cluster is stopped and removed");
        started = true;
        await runAsOwner(bin("pg_ctl"), [
          "start",
          "--wait",
          "--timeout",
          String(Math.ceil(timeoutMs / 1000)),
          "--pgdata",
          data,
          "--log",
          log,
        ]);
        cluster.pid = Number((await Deno.readTextFile(`${data}/postmaster.pid`)).split("\n")[0]);
      },
    };
    return cluster;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** `pg_ctl stop -m <mode>` (bounded, `fast` unless told), waits for the postmaster to exit, else SIGKILLs it. */
async function stopServer(
  pgCtl: string,
  data: string,
  runAsOwner: (command: string, args: string[]) => Promise<string>,
  timeoutMs: number,
  mode?: "smart" | "fast" | "immediate",
): Promise<void> {
  let pid: number | undefined;
  try {
    pid = Number((await Deno.readTextFile(`${data}/postmaster.pid`)).split("\n")[0]);
  } catch { /* not running */ }
  await runAsOwner(pgCtl, [
    "stop",
    "--pgdata",
    data,
    "--mode",
    mode ?? "fast",
    "--wait",
    "--timeout",
    String(Math.ceil(timeoutMs / 1000)),
  ]).catch(() => {});
  if (pid && !await waitForExit(pid, 10_000)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
    await waitForExit(pid, 10_000);
  }
}
