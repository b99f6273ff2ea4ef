import assert from "node:assert/strict";
import { SqliteMetadataStore } from "../../../../src/storage/store/metadata/sqlite_metadata_store.ts";
import { SharedWriteTurn } from "../../../../src/storage/store/metadata/shared_write_turn.ts";
import type { WriteTurnAnswer, WriteTurnJob, WriteTurnResult } from "./_write_turn_worker.ts";

/** A worker of `_write_turn_worker.ts` that opened its store. */
interface Opened {
  /** Starts its transactions; resolves to what it did. */
  go(): Promise<WriteTurnResult>;
}

/** Starts a worker on `job`; resolves once its store is open (every wait bounded at 60 s). */
async function openWorker(job: WriteTurnJob): Promise<Opened> {
  const worker = new Worker(new URL("./_write_turn_worker.ts", import.meta.url).href, {
    type: "module",
  });
  let answer = Promise.withResolvers<WriteTurnAnswer>();
  worker.onmessage = (event: MessageEvent<WriteTurnAnswer>) => answer.resolve(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    answer.reject(new Error(event.message));
  };
  const next = async (message: WriteTurnJob | "go"): Promise<WriteTurnAnswer> => {
    answer = Promise.withResolvers<WriteTurnAnswer>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the worker did not answer in 60 s")), 60_000);
    });
    worker.postMessage(message);
    try {
      return await Promise.race([answer.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    await next(job);
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return {
    go: async () => {
      try {
        const answered = await next("go");
        if (answered.type !== "result") throw new Error(`unexpected answer ${answered.type}`);
        return answered.result;
      } finally {
        worker.terminate();
      }
    },
  };
}

/** Two workers over the file at `path`, opened one after the other, then writing together. */
async function writeTogether(
  path: string,
  options: { turn?: SharedWriteTurn; transactions: number },
): Promise<WriteTurnResult[]> {
  const opened: Opened[] = [];
  for (const holder of [1, 2]) {
    opened.push(
      await openWorker({
        path,
        holder,
        transactions: options.transactions,
        ...(options.turn ? { turn: options.turn.buffer } : {}),
      }),
    );
  }
  return await Promise.all(opened.map((worker) => worker.go()));
}

/** Runs `fn` with the path of a new database holding the job "job"; removes it after. */
async function withDatabase(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/metadata.db`;
    const setup = SqliteMetadataStore.open(path, { durable: false });
    await setup.transaction((tx) => tx.ensureJob("job", Date.now()));
    await setup.close();
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("shared write turn: two workers writing one SQLite file never wait inside SQLite", async () => {
  await withDatabase(async (path) => {
    const turn = SharedWriteTurn.create();
    const transactions = 60;
    // Busy timeout 0: a BEGIN IMMEDIATE that met the sibling's open transaction
    // would fail at once. With the turn shared, each worker waits its turn instead.
    const results = await writeTogether(path, { turn, transactions });
    for (const result of results) {
      assert.deepEqual(result.failures, []);
      assert.equal(result.committed, transactions);
    }
    const check = SqliteMetadataStore.open(path, { durable: false });
    try {
      assert.deepEqual(await check.usage("job"), {
        objects: 2 * transactions,
        bytes: 2 * transactions,
      });
    } finally {
      await check.close();
    }
    assert.equal(turn.holder, 0);
  });
});

Deno.test("shared write turn: without it, the same workers collide in SQLite (the case it removes)", async () => {
  await withDatabase(async (path) => {
    const results = await writeTogether(path, { transactions: 60 });
    const failures = results.flatMap((result) => result.failures);
    assert.ok(failures.length > 0, "two workers holding SQLite's lock in turn never collided");
    assert.match(failures[0], /locked by another process/);
  });
});

Deno.test("shared write turn: a waiter is woken by the release, in another view of the memory", async () => {
  const turn = SharedWriteTurn.create();
  const first = new SharedWriteTurn(turn.buffer, { holder: 1 });
  const second = new SharedWriteTurn(turn.buffer, { holder: 2 });
  const release = await first.acquire();
  let second_has_it = false;
  const waiting = second.acquire().then((give_back) => {
    second_has_it = true;
    return give_back;
  });
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(second_has_it, false);
  release();
  const give_back = await waiting;
  assert.equal(turn.holder, 2);
  give_back();
  give_back(); // a second release of a turn no longer held changes nothing
  assert.equal(turn.holder, 0);
});

Deno.test("shared write turn: a holder that never gives it back is waited out after maxWaitMs", async () => {
  const turn = SharedWriteTurn.create();
  await new SharedWriteTurn(turn.buffer, { holder: 5 }).acquire(); // never released
  const patient = new SharedWriteTurn(turn.buffer, { holder: 6, maxWaitMs: 50 });
  const started = performance.now();
  const release = await patient.acquire();
  assert.ok(performance.now() - started >= 45);
  release(); // goes ahead without the turn: releasing does not free the other's
  assert.equal(turn.holder, 5);
  assert.equal(turn.releaseHeldBy(5), true);
  const next = await patient.acquire();
  assert.equal(turn.holder, 6);
  next();
});

Deno.test("shared write turn: bad arguments are refused", () => {
  assert.throws(
    () => new SharedWriteTurn(new ArrayBuffer(4) as unknown as SharedArrayBuffer),
    TypeError,
  );
  assert.throws(() => new SharedWriteTurn(new SharedArrayBuffer(4), { holder: 0 }), RangeError);
  assert.throws(
    () => new SharedWriteTurn(new SharedArrayBuffer(4), { maxWaitMs: Number.NaN }),
    RangeError,
  );
});
