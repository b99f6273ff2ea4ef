/**
 * `PostgresMetadataStore.putObjectVersion`: a small PutObject's transaction as
 * one call of the PL/pgSQL function of schema migration 4, on a throwaway
 * cluster (one schema per step). What it writes for a new name, a replaced
 * version, an empty object; ThrowOnDuplicate and a lost claim refused with
 * nothing written; races between two stores made to interleave inside the
 * function (a session holding the digest's advisory lock stops the first call
 * midway, the second is seen waiting behind it): exactly one current version;
 * `durable: false`; a database of schema 3 brought to 4; the server restarted.
 *
 * The store suites run the same calls through `EmbeddedStore.putObject` under
 * `deno task test:engines` (tests/support/engines/with_engines.ts).
 *
 * Needs Debian's `postgresql`; without it the test is ignored, unless CI=true,
 * where it fails naming the package.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Client } from "../../../../deps/pg.ts";
import {
  type PutObjectVersionInput,
  type PutObjectVersionOutcome,
  VersionState,
} from "../../../../src/storage/store/metadata/metadata_store.ts";
import { PostgresMetadataStore } from "../../../../src/storage/store/metadata/postgres_metadata_store.ts";
import { binariesExist, waitFor } from "../../../support/engines/_process.ts";
import {
  POSTGRES_BIN_DIR,
  type PostgresCluster,
  startPostgres,
} from "../../../support/engines/postgres_cluster.ts";

/** Whether Debian's PostgreSQL 15 is installed. */
const HAS_POSTGRES = binariesExist(
  ["initdb", "pg_ctl", "postgres"].map((name) => `${POSTGRES_BIN_DIR}/${name}`),
);
/** Ignored without PostgreSQL, except on CI, where startPostgres() fails naming it. */
const IGNORE_POSTGRES = !HAS_POSTGRES && Deno.env.get("CI") !== "true";

const JOB = "job-1";
const encoder = new TextEncoder();

/** A SHA-256 digest of some bytes. */
function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** The key `lockDigest` takes for a digest: its first 8 bytes as a signed bigint. */
function lockKey(digest: Uint8Array): string {
  return new DataView(digest.buffer, digest.byteOffset, 8).getBigInt64(0).toString();
}

/** A PutObject of `body` (inline) under `name`, at `now`. */
function put(
  name: string,
  body: Uint8Array | undefined,
  more?: Partial<PutObjectVersionInput>,
): PutObjectVersionInput {
  return {
    job: JOB,
    name: encoder.encode(name),
    now: 1_000,
    objectChecksum: `summary of ${name}`,
    metadataString: null,
    throwOnDuplicate: false,
    ...(body ? { chunk: { digest: sha256(body), length: body.byteLength, inline: body } } : {}),
    ...more,
  };
}

function stored(
  outcome: PutObjectVersionOutcome,
): { versionId: number; replacedId: number | null } {
  assert.equal(outcome.status, "stored", `outcome ${JSON.stringify(outcome)}`);
  return outcome as { versionId: number; replacedId: number | null };
}

async function withAdmin<T>(url: string, fn: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Row counts of the tables a PutObject writes, in `schema`. */
async function counts(url: string, schema: string): Promise<Record<string, number>> {
  return await withAdmin(url, async (admin) => {
    const tables = ["jobs", "job_usage", "versions", "chunks", "inline_chunks", "chunk_claims"];
    const result: Record<string, number> = {};
    for (const table of tables) {
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.${table}`);
      result[table] = rows[0].n;
    }
    return result;
  });
}

let schemas = 0;

/** Opens a store over a fresh schema (or `schema`), runs `fn`, closes it. */
async function withStore(
  cluster: PostgresCluster,
  fn: (store: PostgresMetadataStore, schema: string) => Promise<void>,
  options?: { schema?: string; applicationName?: string },
): Promise<void> {
  const schema = options?.schema ?? `p${schemas++}`;
  const store = await openStore(cluster, schema, options?.applicationName);
  try {
    await fn(store, schema);
  } finally {
    await store.close();
  }
}

function openStore(
  cluster: PostgresCluster,
  schema: string,
  applicationName?: string,
): Promise<PostgresMetadataStore> {
  return PostgresMetadataStore.open(cluster.url, {
    schema,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 15_000,
    ...(applicationName ? { applicationName } : {}),
  });
}

/**
 * A session holding a digest's advisory lock in an open transaction: a
 * putObjectVersion of that digest stops there, midway, until `release()`.
 */
async function holdDigest(url: string, digest: Uint8Array): Promise<{ release(): Promise<void> }> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query("BEGIN");
  await admin.query("SELECT pg_advisory_xact_lock($1::bigint)", [lockKey(digest)]);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        await admin.query("COMMIT");
      } finally {
        await admin.end();
      }
    },
  };
}

/** Waits (bounded) until a session of `applicationName` waits for a lock of `locktype`. */
async function waitingFor(url: string, applicationName: string, locktype: string): Promise<void> {
  await withAdmin(url, (admin) =>
    waitFor(
      `a session of ${applicationName} waiting for a ${locktype} lock`,
      async () => {
        const { rows } = await admin.query(
          `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
           WHERE a.application_name = $1 AND l.locktype = $2 AND NOT l.granted`,
          [applicationName, locktype],
        );
        return rows.length > 0 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    ));
}

Deno.test({
  name: "PostgresMetadataStore.putObjectVersion: one call, the transaction's semantics",
  ignore: IGNORE_POSTGRES,
  async fn(t) {
    await using cluster = await startPostgres({ database: "putobject" });

    await t.step(
      "a new name: current, its chunk and inline bytes kept, the job created, usage counted",
      async () => {
        await withStore(cluster, async (store, schema) => {
          const body = encoder.encode("hello, small object");
          const input = put("a/b", body, { metadataString: "meta", now: 5_000 });
          const { versionId, replacedId } = stored(await store.putObjectVersion(input));
          assert.equal(replacedId, null);
          const version = await store.currentVersion(JOB, encoder.encode("a/b"));
          assert.deepEqual({ ...version }, {
            id: versionId,
            job: JOB,
            name: encoder.encode("a/b"),
            state: VersionState.Current,
            chunks_count: 1,
            size: body.byteLength,
            object_checksum: "summary of a/b",
            metadata_string: "meta",
            meta_digest: null,
            meta_length: null,
            completed_at: 5_000,
            retired_at: null,
          });
          assert.deepEqual(
            (await store.listChunks(versionId, 0, 10)).map((row) => ({ ...row })),
            [{ idx: 0, digest: sha256(body), length: body.byteLength, crc32: null }],
          );
          assert.deepEqual(await store.inlineChunk(sha256(body)), body);
          assert.equal(await store.isReferenced(sha256(body)), true);
          assert.deepEqual(await store.usage(JOB), { objects: 1, bytes: body.byteLength });
          await withAdmin(cluster.url, async (admin) => {
            const { rows } = await admin.query(`SELECT job, created_at FROM ${schema}.jobs`);
            assert.deepEqual(rows, [{ job: JOB, created_at: "5000" }]);
          });

          // The same bytes under another name: one inline copy, two references.
          const other = stored(await store.putObjectVersion(put("c", body)));
          assert.deepEqual((await store.chunk(other.versionId, 0))?.digest, sha256(body));
          assert.deepEqual(await store.inlineChunkStats(), {
            inline: 1,
            inlineBytes: body.byteLength,
          });
          assert.deepEqual(await store.usage(JOB), { objects: 2, bytes: 2 * body.byteLength });
        });
      },
    );

    await t.step(
      "replacing: the old version retired at now, usage one object of the new size",
      async () => {
        await withStore(cluster, async (store) => {
          const first = stored(await store.putObjectVersion(put("x", encoder.encode("12345"))));
          const second = stored(
            await store.putObjectVersion(put("x", encoder.encode("123"), { now: 2_000 })),
          );
          assert.equal(second.replacedId, first.versionId);
          const old = await store.version(first.versionId);
          assert.equal(old?.state, VersionState.Retired);
          assert.equal(old?.retired_at, 2_000);
          assert.equal(
            (await store.currentVersion(JOB, encoder.encode("x")))?.id,
            second.versionId,
          );
          assert.deepEqual(await store.usage(JOB), { objects: 1, bytes: 3 });
          assert.deepEqual(
            (await store.retiredBefore(2_000, 10)).map((row) => row.id),
            [first.versionId],
          );

          // An empty object (no chunk) replacing it.
          const empty = stored(await store.putObjectVersion(put("x", undefined, { now: 3_000 })));
          assert.equal(empty.replacedId, second.versionId);
          const version = await store.version(empty.versionId);
          assert.equal(version?.chunks_count, 0);
          assert.equal(version?.size, 0);
          assert.deepEqual(await store.listChunks(empty.versionId, 0, 10), []);
          assert.deepEqual(await store.usage(JOB), { objects: 1, bytes: 0 });
        });
      },
    );

    await t.step(
      "ThrowOnDuplicate: refused with the current checksum, nothing written",
      async () => {
        await withStore(cluster, async (store, schema) => {
          const first = stored(await store.putObjectVersion(put("d", encoder.encode("one"))));
          const before = await counts(cluster.url, schema);
          const refused = await store.putObjectVersion(
            put("d", encoder.encode("two"), { throwOnDuplicate: true, objectChecksum: "new" }),
          );
          assert.deepEqual(refused, { status: "duplicate", checksum: "summary of d" });
          assert.deepEqual(await counts(cluster.url, schema), before);
          assert.equal((await store.currentVersion(JOB, encoder.encode("d")))?.id, first.versionId);
          assert.equal(await store.inlineChunk(sha256("two")), undefined);
          // A new name is stored with ThrowOnDuplicate.
          stored(await store.putObjectVersion(put("e", undefined, { throwOnDuplicate: true })));
        });
      },
    );

    await t.step(
      "a lost claim: refused, nothing written; a live claim: swapped for the reference",
      async () => {
        await withStore(cluster, async (store, schema) => {
          const digest = sha256("in the chunk store");
          // The CRC-32 of the bytes goes into the chunk's row (0xFFFFFFFF: all 32 bits kept).
          const chunk = { digest, length: 70_000, claimId: "gone", crc32: 0xffff_ffff };
          const lost = await store.putObjectVersion(put("big", undefined, { chunk }));
          assert.deepEqual(lost, { status: "claim-lost" });
          assert.deepEqual(await counts(cluster.url, schema), {
            jobs: 0,
            job_usage: 0,
            versions: 0,
            chunks: 0,
            inline_chunks: 0,
            chunk_claims: 0,
          });

          // Over an existing version: it stays current.
          const first = stored(await store.putObjectVersion(put("big", encoder.encode("small"))));
          const again = await store.putObjectVersion(put("big", undefined, { chunk }));
          assert.deepEqual(again, { status: "claim-lost" });
          assert.equal(
            (await store.currentVersion(JOB, encoder.encode("big")))?.id,
            first.versionId,
          );
          assert.deepEqual(await store.usage(JOB), { objects: 1, bytes: 5 });

          await store.transaction((tx) => tx.addClaim("live", digest, Date.now() + 60_000));
          const { versionId, replacedId } = stored(
            await store.putObjectVersion(
              put("big", undefined, { chunk: { ...chunk, claimId: "live" } }),
            ),
          );
          assert.equal(replacedId, first.versionId);
          assert.equal(await store.transaction((tx) => tx.isClaimed(digest, Date.now())), false);
          assert.deepEqual({ ...(await store.chunk(versionId, 0)) }, {
            idx: 0,
            digest,
            length: 70_000,
            crc32: 0xffff_ffff,
          });
          assert.equal(await store.inlineChunk(digest), undefined, "bytes in the chunk store");
          assert.deepEqual(await store.usage(JOB), { objects: 1, bytes: 70_000 });
        });
      },
    );

    for (const throwOnDuplicate of [false, true]) {
      await t.step(
        `race: two stores, one new name, ThrowOnDuplicate ${throwOnDuplicate}: the second ` +
          "waits on the unique index, is refused by it, runs again; exactly one current",
        async () => {
          const schema = `p${schemas++}`;
          const a = await openStore(cluster, schema, `race-a-${schema}`);
          const b = await openStore(cluster, schema, `race-b-${schema}`);
          try {
            const bodyA = encoder.encode("by a");
            const held = await holdDigest(cluster.url, sha256(bodyA));
            let first: Promise<PutObjectVersionOutcome>;
            let second: Promise<PutObjectVersionOutcome>;
            try {
              // a inserts its version, then waits for the digest's lock, uncommitted.
              first = a.putObjectVersion(put("n", bodyA, { objectChecksum: "by a" }));
              await waitingFor(cluster.url, `race-a-${schema}`, "advisory");
              // b saw no current version either; its insert waits for a's transaction.
              second = b.putObjectVersion(
                put("n", encoder.encode("by b"), { objectChecksum: "by b", throwOnDuplicate }),
              );
              await waitingFor(cluster.url, `race-b-${schema}`, "transactionid");
            } finally {
              await held.release();
            }
            const winner = stored(await first);
            assert.equal(winner.replacedId, null);
            const loser = await second;
            if (throwOnDuplicate) {
              assert.deepEqual(loser, { status: "duplicate", checksum: "by a" });
              assert.equal(
                (await a.currentVersion(JOB, encoder.encode("n")))?.id,
                winner.versionId,
              );
              assert.deepEqual(await b.usage(JOB), { objects: 1, bytes: 4 });
            } else {
              // Its second run saw a's version and replaced it.
              const { versionId, replacedId } = stored(loser);
              assert.equal(replacedId, winner.versionId);
              const current = await a.listCurrent(JOB, {
                lower: new Uint8Array(),
                inclusive: true,
                upper: new Uint8Array([0xff]),
              }, 10);
              assert.deepEqual(current.map((row) => row.id), [versionId]);
              assert.equal((await a.version(winner.versionId))?.state, VersionState.Retired);
              assert.deepEqual(await b.usage(JOB), { objects: 1, bytes: 4 });
            }
          } finally {
            await a.close();
            await b.close();
          }
        },
      );
    }

    await t.step(
      "race: two stores replace one version; the second's retirement finds it retired, runs again",
      async () => {
        const schema = `p${schemas++}`;
        const a = await openStore(cluster, schema, `replace-a-${schema}`);
        const b = await openStore(cluster, schema, `replace-b-${schema}`);
        try {
          const original = stored(await a.putObjectVersion(put("r", encoder.encode("0"))));
          const bodyA = encoder.encode("by a!");
          const held = await holdDigest(cluster.url, sha256(bodyA));
          let first: Promise<PutObjectVersionOutcome>;
          let second: Promise<PutObjectVersionOutcome>;
          try {
            first = a.putObjectVersion(put("r", bodyA));
            await waitingFor(cluster.url, `replace-a-${schema}`, "advisory");
            // b read the original as current; retiring it waits for a's transaction.
            second = b.putObjectVersion(put("r", encoder.encode("by b")));
            await waitingFor(cluster.url, `replace-b-${schema}`, "transactionid");
          } finally {
            await held.release();
          }
          const winner = stored(await first);
          assert.equal(winner.replacedId, original.versionId);
          const loser = stored(await second);
          assert.equal(loser.replacedId, winner.versionId, "its second run replaced a's");
          assert.equal((await a.currentVersion(JOB, encoder.encode("r")))?.id, loser.versionId);
          assert.equal((await a.version(original.versionId))?.state, VersionState.Retired);
          assert.equal((await a.version(winner.versionId))?.state, VersionState.Retired);
          assert.deepEqual(await a.usage(JOB), { objects: 1, bytes: 4 });
        } finally {
          await a.close();
          await b.close();
        }
      },
    );

    await t.step(
      "many concurrent writers of a few names: one current each, usage right",
      async () => {
        const schema = `p${schemas++}`;
        const a = await openStore(cluster, schema);
        const b = await openStore(cluster, schema);
        try {
          const outcomes = await Promise.all(
            Array.from({ length: 24 }, (_, i) =>
              (i % 2 ? a : b).putObjectVersion(
                put(`name-${i % 3}`, encoder.encode(`body ${i}`.padEnd(10 + (i % 3), ".")), {
                  now: i,
                }),
              )),
          );
          const ids = outcomes.map((outcome) => stored(outcome).versionId);
          const replaced = outcomes.map((outcome) => stored(outcome).replacedId);
          // Each version but the three current ones was replaced exactly once.
          assert.equal(replaced.filter((id) => id === null).length, 3);
          assert.equal(new Set(replaced.filter((id) => id !== null)).size, 21);
          const current = await a.listCurrent(JOB, {
            lower: new Uint8Array(),
            inclusive: true,
            upper: new Uint8Array([0xff]),
          }, 10);
          assert.equal(current.length, 3);
          for (const row of current) assert.ok(ids.includes(row.id));
          assert.deepEqual(await a.usage(JOB), { objects: 3, bytes: 10 + 11 + 12 });
        } finally {
          await a.close();
          await b.close();
        }
      },
    );

    await t.step(
      "durable: false commits too; it turns synchronous_commit off for itself",
      async () => {
        await withStore(cluster, async (store, schema) => {
          const { versionId } = stored(
            await store.putObjectVersion(put("nd", encoder.encode("x")), { durable: false }),
          );
          assert.equal((await store.currentVersion(JOB, encoder.encode("nd")))?.id, versionId);
          // In the function: synchronous_commit off for its own transaction alone.
          await withAdmin(cluster.url, async (admin) => {
            const setting = async () =>
              (await admin.query("SHOW synchronous_commit")).rows[0].synchronous_commit;
            await admin.query(`SET search_path = ${schema}`);
            for (const durable of [true, false]) {
              await admin.query("BEGIN");
              const { rows } = await admin.query(
                `SELECT status FROM backupfs_put_object_version($1, $2, 1, 'c', NULL, false,
                 NULL, NULL, NULL, NULL, NULL, 0::smallint, $3)`,
                [JOB, encoder.encode(`nd-${durable}`), durable],
              );
              assert.equal(rows[0].status, "stored");
              assert.equal(await setting(), durable ? "on" : "off");
              await admin.query("COMMIT");
              assert.equal(await setting(), "on");
            }
          });
        });
      },
    );

    await t.step(
      "a database of schema 3 (no function, no CRC) is migrated to 5; its objects are replaced",
      async () => {
        const schema = `p${schemas++}`;
        // Schema 3 is schema 5 without the functions (of 4 and 5) and the chunks' crc32
        // column (of 5): make one, with an object written by the transaction path, as
        // the previous code wrote it.
        await withStore(cluster, async (store) => {
          await store.transaction(async (tx) => {
            await tx.ensureJob(JOB, 1);
            const id = await tx.insertVersion({
              job: JOB,
              name: encoder.encode("old"),
              state: VersionState.Current,
              chunks_count: 0,
              size: 0,
              object_checksum: "old",
              metadata_string: null,
              meta_digest: null,
              meta_length: null,
              completed_at: 1,
              retired_at: null,
            });
            await tx.addUsage(JOB, 1, 0);
            return id;
          });
        }, { schema });
        await withAdmin(cluster.url, async (admin) => {
          await admin.query(
            `DO $$ DECLARE f regprocedure; BEGIN
               FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                 JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE p.proname = 'backupfs_put_object_version' AND n.nspname = '${schema}'
               LOOP EXECUTE 'DROP FUNCTION ' || f; END LOOP;
             END $$`,
          );
          await admin.query(`ALTER TABLE ${schema}.chunks DROP COLUMN crc32`);
          await admin.query(`UPDATE ${schema}.schema_version SET version = 3`);
        });
        await withStore(cluster, async (store) => {
          const old = await store.currentVersion(JOB, encoder.encode("old"));
          const { replacedId } = stored(await store.putObjectVersion(put("old", undefined)));
          assert.equal(replacedId, old?.id);
          assert.deepEqual(await store.usage(JOB), { objects: 1, bytes: 0 });
        }, { schema });
        await withAdmin(cluster.url, async (admin) => {
          const { rows } = await admin.query(`SELECT version FROM ${schema}.schema_version`);
          assert.deepEqual(rows, [{ version: 5 }]);
        });
      },
    );

    await t.step(
      "the server restarted (immediate): pooled connections went stale, the next call works",
      async () => {
        await withStore(cluster, async (store) => {
          await Promise.all(
            Array.from({ length: 4 }, (_, i) => store.putObjectVersion(put(`s${i}`, undefined))),
          );
          await cluster.stopServer({ mode: "immediate" });
          await cluster.startServer();
          const { replacedId } = stored(await store.putObjectVersion(put("s0", undefined)));
          assert.notEqual(replacedId, null);
          assert.deepEqual(await store.usage(JOB), { objects: 4, bytes: 0 });
        });
      },
    );
  },
});
