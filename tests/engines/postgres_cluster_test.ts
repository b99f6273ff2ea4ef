// The throwaway PostgreSQL 15 cluster of tests/support/engines/: it starts, answers
// over npm:pg with synchronous_commit on, and stop() leaves no process and no files.

import assert from "node:assert/strict";
import { Client } from "../../deps/pg.ts";
import { startPostgres } from "../support/engines/postgres_cluster.ts";
import { processAlive, processesMatching } from "../support/engines/_process.ts";

Deno.test("PostgreSQL: a throwaway cluster answers SELECT 1 with synchronous_commit on, and stop() removes it", async () => {
  const cluster = await startPostgres({ database: "engines" });
  try {
    assert.equal(cluster.host, "127.0.0.1");
    assert.equal(cluster.url, `postgres://postgres@127.0.0.1:${cluster.port}/engines`);
    assert.ok(await processAlive(cluster.pid));
    assert.ok((await processesMatching(cluster.dir)).includes(cluster.pid));
    const client = new Client({ connectionString: cluster.url });
    await client.connect();
    try {
      const one = await client.query("SELECT 1 AS one");
      assert.deepEqual(one.rows, [{ one: 1 }]);
      const sync = await client.query("SHOW synchronous_commit");
      assert.equal(sync.rows[0].synchronous_commit, "on");
      const fsync = await client.query("SHOW fsync");
      assert.equal(fsync.rows[0].fsync, "on");
      const db = await client.query("SELECT current_database() AS name");
      assert.equal(db.rows[0].name, "engines");
    } finally {
      await client.end();
    }
  } finally {
    await cluster.stop();
  }
  assert.deepEqual(await processesMatching(cluster.dir), []);
  assert.equal(await processAlive(cluster.pid), false);
  await assert.rejects(Deno.stat(cluster.dir), Deno.errors.NotFound);
  await cluster.stop(); // idempotent
});

Deno.test("PostgreSQL: await using stops the cluster at the end of the scope", async () => {
  let pid = 0;
  let dir = "";
  {
    await using cluster = await startPostgres();
    pid = cluster.pid;
    dir = cluster.dir;
    const client = new Client({ connectionString: cluster.url });
    await client.connect();
    await client.query("CREATE TABLE t (id int PRIMARY KEY)");
    await client.query("INSERT INTO t VALUES (1)");
    const { rows } = await client.query("SELECT count(*)::int AS n FROM t");
    assert.equal(rows[0].n, 1);
    await client.end();
  }
  assert.equal(await processAlive(pid), false);
  assert.deepEqual(await processesMatching(dir), []);
  await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
});

Deno.test("PostgreSQL: missing binaries name the Debian package", async () => {
  await assert.rejects(
    startPostgres({ binDir: "/nonexistent/postgresql/bin" }),
    /install the Debian package "postgresql"/,
  );
});
