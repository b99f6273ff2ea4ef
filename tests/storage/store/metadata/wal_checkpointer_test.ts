import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  CHECKPOINTER_AFTER_COMMITS,
  MetadataDb,
} from "../../../../src/storage/store/metadata/sqlite_db.ts";
import { WalCheckpointer } from "../../../../src/storage/store/metadata/wal_checkpointer.ts";
import { EmbeddedStore } from "../../../../src/storage/store/embedded_store.ts";
import { SqliteMetadataStore } from "../../../../src/storage/store/metadata/sqlite_metadata_store.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wal-checkpointer-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function commit(db: MetadataDb, i: number): void {
  db.transaction(() => {
    db.ensureJob(`job-${i}`, 1);
    db.addUsage(`job-${i}`, 1, i);
  });
}

/** Waits (bounded) until `ready()` holds. */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ready(), `timed out waiting for ${what}`);
}

Deno.test("a busy connection hands its WAL checkpoints to a worker, which copies the WAL into the database", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/metadata.db`;
    const db = MetadataDb.open(path, { durable: false });
    try {
      for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS - 1; i++) commit(db, i);
      assert.equal(db.checkpointer, undefined, "a short-lived store starts no worker");
      commit(db, CHECKPOINTER_AFTER_COMMITS);
      await until(() => db.checkpointer !== undefined, "the checkpointer to start");
      const checkpointer = db.checkpointer!;
      const next = checkpointer.nextCheckpoint();
      for (let i = 0; i < 50; i++) commit(db, 1000 + i);
      const { log, checkpointed } = await next;
      assert.ok(log > 0 && checkpointed > 0, `the worker checkpointed ${checkpointed} of ${log}`);
      // What the worker copied is in the database file: a reader that ignores the WAL sees it.
      const copy = new DatabaseSync(path, { readOnly: true });
      try {
        const row = copy.prepare("SELECT count(*) AS n FROM jobs").get() as { n: number };
        assert.ok(row.n >= CHECKPOINTER_AFTER_COMMITS);
      } finally {
        copy.close();
      }
      assert.deepEqual(db.usage("job-1049"), { objects: 1, bytes: 1049 });
    } finally {
      await db.stopCheckpointer();
      db.close();
    }
  });
});

Deno.test("the WAL stays bounded while the worker checkpoints: it is reused from its start", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/metadata.db`;
    const db = MetadataDb.open(path, { durable: false });
    try {
      for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS; i++) commit(db, i);
      await until(() => db.checkpointer !== undefined, "the checkpointer to start");
      // 40 rounds of 100 commits of ~8 KiB each (~32 MB of WAL frames in all, twice the
      // backstop threshold): without checkpoints the WAL would hold them all.
      const blob = "x".repeat(8192);
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 100; i++) {
          db.transaction(() => db.putSecret(`s-${round}-${i}`, new TextEncoder().encode(blob)));
        }
        await db.checkpointer!.nextCheckpoint();
      }
      const walBytes = (await Deno.stat(`${path}-wal`)).size;
      assert.ok(walBytes < 16 * 1024 * 1024, `WAL of ${walBytes} bytes`);
      assert.ok(db.checkpointer!.checkpoints >= 40);
    } finally {
      await db.stopCheckpointer();
      db.close();
    }
  });
});

Deno.test("backgroundCheckpoint: false keeps SQLite's own checkpoints, and close stops the worker", async () => {
  await withDir(async (dir) => {
    const off = MetadataDb.open(`${dir}/off.db`, { durable: false, backgroundCheckpoint: false });
    try {
      for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS + 10; i++) commit(off, i);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(off.checkpointer, undefined);
    } finally {
      off.close();
    }
    const on = MetadataDb.open(`${dir}/on.db`, { durable: false });
    for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS; i++) commit(on, i);
    await until(() => on.checkpointer !== undefined, "the checkpointer to start");
    const checkpointer = on.checkpointer!;
    await on.stopCheckpointer();
    assert.equal(checkpointer.stopped, true);
    assert.equal(on.checkpointer, undefined);
    commit(on, 99_999); // SQLite checkpoints again by itself
    on.close();
    // A store closed while its worker is starting: the worker is stopped once up.
    const quick = MetadataDb.open(`${dir}/quick.db`, { durable: false });
    for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS; i++) commit(quick, i);
    await quick.stopCheckpointer();
    assert.equal(quick.checkpointer, undefined);
    quick.close();
  });
});

Deno.test("checkpointerAfterCommits: Infinity waits for startCheckpointer; bad values are RangeErrors", async () => {
  await withDir(async (dir) => {
    const db = MetadataDb.open(`${dir}/asked.db`, {
      durable: false,
      checkpointerAfterCommits: Infinity,
    });
    try {
      for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS + 10; i++) commit(db, i);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(db.checkpointer, undefined, "no worker by itself");
      await db.startCheckpointer();
      assert.notEqual(db.checkpointer, undefined, "one once asked");
    } finally {
      db.close();
    }
    const soon = MetadataDb.open(`${dir}/soon.db`, { durable: false, checkpointerAfterCommits: 3 });
    try {
      for (let i = 0; i < 3; i++) commit(soon, i);
      await until(() => soon.checkpointer !== undefined, "the checkpointer after 3 commits");
    } finally {
      soon.close();
    }
    for (const bad of [-1, NaN]) {
      assert.throws(
        () => MetadataDb.open(`${dir}/bad.db`, { checkpointerAfterCommits: bad }),
        RangeError,
      );
    }
  });
});

Deno.test("EmbeddedStore: in-process, SQLite checkpoints by itself; backgroundCheckpoints starts the worker at open", async () => {
  await withDir(async (dir) => {
    const database = (store: EmbeddedStore) => {
      assert.ok(store.metadataStore instanceof SqliteMetadataStore);
      return store.metadataStore.database;
    };
    {
      await using store = await EmbeddedStore.open(`${dir}/plain`, {
        gcIntervalMs: 0,
        durable: false,
      });
      for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS + 10; i++) {
        await store.putObject({ BackupJobId: "job", ObjectName: `o${i}` });
      }
      assert.ok(database(store).commitCount > CHECKPOINTER_AFTER_COMMITS);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(database(store).checkpointer, undefined, "no worker, however many commits");
    }
    await using served = await EmbeddedStore.open(`${dir}/served`, {
      gcIntervalMs: 0,
      durable: false,
      backgroundCheckpoints: true,
    });
    await until(() => database(served).checkpointer !== undefined, "the worker");
    assert.ok(database(served).commitCount < CHECKPOINTER_AFTER_COMMITS, "before the commits");
    await served.putObject({ BackupJobId: "job", ObjectName: "o" });
    const { checkpointed } = await database(served).checkpointer!.nextCheckpoint();
    assert.ok(checkpointed > 0, "it checkpoints the store's commits");
  });
});

Deno.test("startCheckpointer starts the worker before any commit, once, and not where background checkpoints are off", async () => {
  await withDir(async (dir) => {
    const db = MetadataDb.open(`${dir}/now.db`, { durable: false });
    try {
      assert.equal(db.checkpointer, undefined);
      await db.startCheckpointer();
      const checkpointer = (db as MetadataDb).checkpointer;
      assert.ok(checkpointer !== undefined, "running without a single commit");
      await db.startCheckpointer();
      assert.equal(db.checkpointer, checkpointer, "a second call starts no second worker");
      commit(db, 1);
      const { checkpointed } = await checkpointer.nextCheckpoint();
      assert.ok(checkpointed > 0, "the worker checkpoints the first commit");
    } finally {
      db.close();
    }
    const off = MetadataDb.open(`${dir}/off.db`, { durable: false, backgroundCheckpoint: false });
    try {
      await off.startCheckpointer();
      assert.equal(off.checkpointer, undefined);
    } finally {
      off.close();
    }
  });
});

Deno.test("WalCheckpointer.start rejects a path that is not a database it can open", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      WalCheckpointer.start(`${dir}/missing-folder/metadata.db`),
      /WAL checkpointer: .*unable to open/i,
    );
  });
});

/**
 * Runs `_busy_store_child.ts` on `dir`, with read access to `dir` only or to all,
 * killed after 30 s (a process that does not exit by itself).
 */
async function busyStoreChild(
  dir: string,
  options: { read: "data only" | "all"; end: "close" | "leave-open" },
): Promise<{ code: number; stdout: unknown; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      options.read === "all" ? "--allow-read" : `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      new URL("./_busy_store_child.ts", import.meta.url).pathname,
      dir,
      options.end,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const output = await child.output();
    const stdout = new TextDecoder().decode(output.stdout);
    return {
      code: output.code,
      stdout: stdout === "" ? undefined : JSON.parse(stdout),
      stderr: new TextDecoder().decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("without read access to the worker's module: no worker, no permission prompt, nothing on stderr", async () => {
  await withDir(async (dir) => {
    const { code, stdout, stderr } = await busyStoreChild(dir, { read: "data only", end: "close" });
    assert.equal(code, 0, stderr);
    // Before the check, the worker's failed import printed "Requires read access" here
    // (and, in a terminal, stopped the process at a permission prompt).
    assert.equal(stderr, "");
    assert.deepEqual(stdout, { checkpointer: false, jobs: { objects: 1, bytes: 300 } });
  });
});

Deno.test("a store left open does not keep the process alive: its checkpointer never does", async () => {
  await withDir(async (dir) => {
    const { code, stdout, stderr } = await busyStoreChild(dir, { read: "all", end: "leave-open" });
    // A worker that kept the process alive would be killed after 30 s (SIGKILL, no code 0).
    assert.equal(code, 0, stderr);
    assert.deepEqual(stdout, { checkpointer: true, jobs: { objects: 1, bytes: 300 } });
  });
});

Deno.test("killed while its worker checkpoints: every acknowledged commit is there, the database intact", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/metadata.db`;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read", // the checkpointer worker loads its module from the repository
        `--allow-write=${dir}`,
        new URL("./_checkpoint_crash_child.ts", import.meta.url).pathname,
        path,
        "100000",
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let acknowledged = -1;
    let withWorker = 0;
    const lines = child.stdout.pipeThrough(new TextDecoderStream());
    let rest = "";
    const deadline = Date.now() + 60_000;
    for await (const text of lines) {
      rest += text;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        acknowledged = Number(line.split(" ")[0]);
        if (line.endsWith(" c")) withWorker++;
      }
      // Well after the worker took over, with checkpoints under way: kill.
      if (withWorker >= 400 || Date.now() > deadline) {
        child.kill("SIGKILL");
        break;
      }
    }
    await lines.cancel().catch(() => {});
    await child.status;
    assert.ok(withWorker >= 400, `only ${withWorker} commits after the worker started`);
    const db = MetadataDb.open(path, { durable: false, backgroundCheckpoint: false });
    try {
      for (let i = 0; i <= acknowledged; i++) {
        assert.deepEqual(db.usage(`job-${i}`), { objects: 1, bytes: i }, `job-${i}`);
      }
    } finally {
      db.close();
    }
    const check = new DatabaseSync(path);
    try {
      const rows = check.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
      assert.deepEqual(rows.map((row) => row.integrity_check), ["ok"]);
    } finally {
      check.close();
    }
  });
});
