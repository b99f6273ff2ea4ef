/**
 * One conformance suite over the metadata seam (`MetadataStore`), run against
 * SQLite (a file in a temporary directory) and PostgreSQL (one throwaway cluster
 * for the file, a fresh schema for each step): every method, transactions
 * (conflicts run again, errors roll back, `durable: false`), reads outside a
 * transaction, close; then the races between two stores over one database, the
 * second in a worker standing for another process. Then what PostgreSQL adds:
 * concurrent migrations, a newer schema refused, sharded usage counters, a
 * deadlock run again, connection settings (password file, `PG*` variables, no
 * password ever shown), and the engine going down and coming back.
 *
 * PostgreSQL's tests need Debian's `postgresql`; without it they are ignored,
 * unless CI=true, where they fail naming the package.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Client } from "../../../../deps/pg.ts";
import { ServiceUnavailableException } from "../../../../src/storage/errors.ts";
import {
  type MetadataStore,
  type MetadataTransaction,
  type NameRange,
  TransactionConflict,
  type VersionRow,
  VersionState,
} from "../../../../src/storage/store/metadata/metadata_store.ts";
import { PostgresMetadataStore } from "../../../../src/storage/store/metadata/postgres_metadata_store.ts";
import { binariesExist } from "../../../support/engines/_process.ts";
import {
  POSTGRES_BIN_DIR,
  type PostgresCluster,
  startPostgres,
} from "../../../support/engines/postgres_cluster.ts";
import { OtherProcess } from "./_other_process.ts";
import {
  completeUpload,
  type CompleteUploadResult,
  lockDigestFor,
  type LockDigestResult,
  makeCurrent,
  type MakeCurrentArgs,
  type MakeCurrentResult,
  openSpec,
  type StoreSpec,
} from "./_race_scenarios.ts";

// ------------------------------------------------------------------ engines

/** A fresh, empty database of an engine, and how to open stores over it. */
interface Database {
  /** Where it is (also for the worker). */
  spec: StoreSpec;
  /** Forgets it. */
  dispose(): Promise<void>;
}

/** An engine under test. */
interface Engine {
  name: string;
  /** Whether write transactions run one at a time (SQLite): no two can be made to interleave. */
  serializesWriters: boolean;
  /** A fresh, empty database. */
  fresh(): Promise<Database>;
}

const sqliteEngine: Engine = {
  name: "SQLite",
  serializesWriters: true,
  async fresh() {
    const dir = await Deno.makeTempDir({ prefix: "metadata_store_test_" });
    return {
      spec: { engine: "sqlite", path: `${dir}/metadata.db` },
      dispose: () => Deno.remove(dir, { recursive: true }),
    };
  },
};

let schemas = 0;

function postgresEngine(cluster: PostgresCluster): Engine {
  return {
    name: "PostgreSQL",
    serializesWriters: false,
    fresh() {
      // A schema per database: created by the store when it opens.
      const schema = `t${schemas++}`;
      return Promise.resolve({
        spec: { engine: "postgres", url: cluster.url, schema },
        dispose: () => Promise.resolve(),
      });
    },
  };
}

/** Whether Debian's PostgreSQL 15 is installed. */
const HAS_POSTGRES = binariesExist(
  ["initdb", "pg_ctl", "postgres"].map((name) => `${POSTGRES_BIN_DIR}/${name}`),
);
/** PostgreSQL's tests are ignored without it, except on CI, where startPostgres() fails naming it. */
const IGNORE_POSTGRES = !HAS_POSTGRES && Deno.env.get("CI") !== "true";

/** Opens a store over a fresh database, runs `fn`, closes the store and forgets the database. */
async function withDatabase(
  engine: Engine,
  fn: (store: MetadataStore, database: Database) => Promise<void>,
): Promise<void> {
  const database = await engine.fresh();
  try {
    const store = await openSpec(database.spec);
    try {
      await fn(store, database);
    } finally {
      await store.close();
    }
  } finally {
    await database.dispose();
  }
}

// ------------------------------------------------------------------ helpers

const JOB = "job-1";
const EVERYTHING: NameRange = { lower: new Uint8Array(), inclusive: true, upper: bytes(0xff) };

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

/** A SHA-256 digest of a label. */
function digestOf(label: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(label).digest());
}

/** A row as a plain object (SQLite's rows have no prototype). */
function plain<T extends object>(row: T | undefined): T | undefined {
  return row === undefined ? undefined : { ...row };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

function versionRow(
  name: Uint8Array,
  state: number,
  more?: Partial<Omit<VersionRow, "id">>,
): Omit<VersionRow, "id"> {
  return {
    job: JOB,
    name,
    state,
    chunks_count: null,
    size: null,
    object_checksum: null,
    metadata_string: null,
    meta_digest: null,
    meta_length: null,
    completed_at: null,
    retired_at: null,
    ...more,
  };
}

function insert(store: MetadataStore, row: Omit<VersionRow, "id">): Promise<number> {
  return store.transaction(async (tx) => {
    await tx.ensureJob(row.job, 1);
    return await tx.insertVersion(row);
  });
}

async function rejectsWith(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return error instanceof type;
  });
  return caught as Error;
}

// ------------------------------------------------------------------ the suite

async function conformance(t: Deno.TestContext, engine: Engine): Promise<void> {
  await t.step("versions: insert, version, complete, current, retire, retiredBefore", async () => {
    await withDatabase(engine, async (store) => {
      const name = bytes(0x61, 0x00, 0xfe);
      const id = await insert(store, versionRow(name, VersionState.Pending));
      assert.deepEqual(plain(await store.version(id)), { id, ...versionRow(name, 0) });
      assert.equal(
        await store.currentVersion(JOB, name),
        undefined,
        "a pending version is not current",
      );
      const facts = {
        chunks_count: 2,
        size: 5_000_000_000,
        object_checksum: "sum",
        metadata_string: "meta",
        meta_digest: digestOf("meta"),
        meta_length: 42,
        completed_at: 1_700_000_000_123,
      };
      await store.transaction(async (tx) => {
        await tx.completeVersion(id, facts);
        // Not pending any more: completing again is a conflict.
        await assert.rejects(tx.completeVersion(id, facts), TransactionConflict);
      });
      const current = { id, ...versionRow(name, VersionState.Current, facts) };
      assert.deepEqual(plain(await store.currentVersion(JOB, name)), current);
      assert.deepEqual(plain(await store.version(id)), current);
      assert.equal(await store.currentVersion("job-2", name), undefined, "names are per job");
      assert.equal(await store.currentVersion(JOB, bytes(0x61, 0x00)), undefined);

      await store.transaction(async (tx) => {
        await tx.retireVersion(id, 1_700_000_001_000);
        await assert.rejects(tx.retireVersion(id, 1_700_000_002_000), TransactionConflict);
      });
      assert.equal(await store.currentVersion(JOB, name), undefined);
      const retired = { ...current, state: VersionState.Retired, retired_at: 1_700_000_001_000 };
      assert.deepEqual(plain(await store.version(id)), retired);
      assert.deepEqual((await store.retiredBefore(1_700_000_001_000, 10)).map(plain), [retired]);
      assert.deepEqual(await store.retiredBefore(1_700_000_000_999, 10), []);
      // Retired versions come oldest first, up to the limit.
      const later = await insert(
        store,
        versionRow(bytes(1), VersionState.Retired, { retired_at: 1_700_000_000_500 }),
      );
      assert.ok(later > id, "ids grow");
      assert.deepEqual(
        (await store.retiredBefore(1_700_000_005_000, 10)).map((row) => row.id),
        [later, id],
      );
      assert.deepEqual((await store.retiredBefore(1_700_000_005_000, 1)).map((r) => r.id), [later]);
      assert.equal(await store.version(9_999_999), undefined);
    });
  });

  await t.step("listCurrent: byte order over 0x00..0xfe, bounds, limit, pages", async () => {
    await withDatabase(engine, async (store) => {
      const names = [
        bytes(0x61),
        bytes(0x00),
        bytes(0xfe),
        bytes(0x61, 0x00, 0x62),
        bytes(0x00, 0x00),
        bytes(0x7f),
        bytes(0x80),
        bytes(0xc3, 0xa9),
        bytes(0x61, 0x62),
        bytes(0xfe, 0x00),
        bytes(0x01),
        bytes(0x61, 0xff),
      ];
      const ids = new Map<string, number>();
      await store.transaction(async (tx) => {
        await tx.ensureJob(JOB, 1);
        for (const [i, name] of names.entries()) {
          ids.set(
            String(name),
            await tx.insertVersion(
              versionRow(name, VersionState.Current, {
                chunks_count: i,
                object_checksum: `c${i}`,
                metadata_string: `m${i}`,
                completed_at: 1000 + i,
                size: 7,
              }),
            ),
          );
        }
        // Not listed: another job's, a pending and a retired version.
        await tx.insertVersion({ ...versionRow(bytes(0x62), 1), job: "job-2" });
        await tx.insertVersion(versionRow(bytes(0x63), VersionState.Pending));
        await tx.insertVersion(versionRow(bytes(0x64), VersionState.Retired, { retired_at: 1 }));
      });
      const sorted = [...names].sort(compareBytes);
      const listed = await store.listCurrent(JOB, EVERYTHING, 100);
      assert.deepEqual(listed.map((row) => row.name), sorted);
      assert.deepEqual(plain(listed[0]), {
        id: ids.get(String(bytes(0x00))),
        name: bytes(0x00),
        chunks_count: 1,
        object_checksum: "c1",
        metadata_string: "m1",
        completed_at: 1001,
      });
      // Inclusive and exclusive lower bounds; the upper bound is exclusive.
      const from = (lower: Uint8Array, inclusive: boolean, upper: Uint8Array) =>
        store.listCurrent(JOB, { lower, inclusive, upper }, 100).then((rows) =>
          rows.map((row) => Array.from(row.name))
        );
      assert.deepEqual(await from(bytes(0x61), true, bytes(0x62)), [
        [0x61],
        [0x61, 0x00, 0x62],
        [0x61, 0x62],
        [0x61, 0xff],
      ]);
      assert.deepEqual(await from(bytes(0x61), false, bytes(0x61, 0x62)), [[0x61, 0x00, 0x62]]);
      assert.deepEqual(await from(bytes(0x00), false, bytes(0x7f)), [
        [0x00, 0x00],
        [0x01],
        [
          0x61,
        ],
        [0x61, 0x00, 0x62],
        [0x61, 0x62],
        [0x61, 0xff],
      ]);
      assert.deepEqual(await from(bytes(0x80), true, bytes(0xfe)), [[0x80], [0xc3, 0xa9]]);
      assert.deepEqual(await from(bytes(0xfe), true, bytes(0xfe, 0x00)), [[0xfe]]);
      assert.deepEqual(await from(bytes(0x62), true, bytes(0x63)), [], "other job not listed");
      // A limit, and pages that resume after the last name.
      assert.deepEqual(
        (await store.listCurrent(JOB, EVERYTHING, 3)).map((row) => row.name),
        sorted.slice(0, 3),
      );
      const paged: Uint8Array[] = [];
      let range = EVERYTHING;
      for (let page = 0; page < 20; page++) {
        const rows = await store.listCurrent(JOB, range, 5);
        paged.push(...rows.map((row) => row.name));
        if (rows.length < 5) break;
        range = { lower: rows.at(-1)!.name, inclusive: false, upper: EVERYTHING.upper };
      }
      assert.deepEqual(paged, sorted);
    });
  });

  await t.step(
    "listCurrentText: the rows of listCurrent with names as text; NUL and U+FFFD kept, bytes that are not UTF-8 rejected",
    async () => {
      await withDatabase(engine, async (store) => {
        const utf8 = new TextEncoder();
        const texts = ["a", "a\u0000b", "\u0000", "dir/é.txt", "x\uFFFDy", "\u{1F600}", "ab/c"];
        await store.transaction(async (tx) => {
          await tx.ensureJob(JOB, 1);
          for (const [i, text] of texts.entries()) {
            await tx.insertVersion(
              versionRow(utf8.encode(text), VersionState.Current, {
                chunks_count: i,
                object_checksum: `c${i}`,
                metadata_string: i % 2 === 0 ? null : `m${i}`,
                completed_at: 1000 + i,
              }),
            );
          }
        });
        const decoder = new TextDecoder();
        for (
          const range of [EVERYTHING, { lower: bytes(0x61), inclusive: false, upper: bytes(0x62) }]
        ) {
          const listed = await store.listCurrent(JOB, range, 100);
          const text = await store.listCurrentText(JOB, range, 100);
          assert.deepEqual(
            text.map(plain),
            listed.map((row) => ({ ...plain(row), name: decoder.decode(row.name) })),
          );
        }
        assert.deepEqual(
          (await store.listCurrentText(JOB, EVERYTHING, 100)).map((row) => row.name),
          [...texts].sort((a, b) => compareBytes(utf8.encode(a), utf8.encode(b))),
        );
        assert.deepEqual((await store.listCurrentText(JOB, EVERYTHING, 2)).length, 2);
        // A name that is not UTF-8 (written by bytes, not by a BackupStorage call).
        await store.transaction(async (tx) => {
          await tx.insertVersion(versionRow(bytes(0x61, 0xff), VersionState.Current));
        });
        await assert.rejects(() => store.listCurrentText(JOB, EVERYTHING, 100), TypeError);
      });
    },
  );

  await t.step(
    "chunks: putChunk, chunk, listChunks pages; a replaced digest is a candidate",
    async () => {
      await withDatabase(engine, async (store) => {
        const id = await insert(store, versionRow(bytes(1), VersionState.Pending));
        const digests = [0, 1, 2, 3, 4].map((i) => digestOf(`chunk ${i}`));
        await store.transaction(async (tx) => {
          for (const [i, digest] of digests.entries()) {
            await tx.putChunk(id, i, digest, 1000 + i);
          }
        });
        assert.deepEqual(plain(await store.chunk(id, 2)), {
          idx: 2,
          digest: digests[2],
          length: 1002,
          crc32: null, // none given
        });
        assert.equal(await store.chunk(id, 5), undefined);
        const page = async (from: number) =>
          (await store.listChunks(id, from, 2)).map((row) => [row.idx, row.length]);
        assert.deepEqual(await page(0), [[0, 1000], [1, 1001]]);
        assert.deepEqual(await page(2), [[2, 1002], [3, 1003]]);
        assert.deepEqual(await page(4), [[4, 1004]]);
        assert.deepEqual(await page(5), []);
        assert.deepEqual(await store.candidates(new Uint8Array(), 10), []);

        const replacement = digestOf("replacement");
        // With the CRC-32 of its bytes (all 32 bits kept), which replaces none.
        await store.transaction((tx) => tx.putChunk(id, 1, replacement, 77, 0xffff_fffe));
        assert.deepEqual(plain(await store.chunk(id, 1)), {
          idx: 1,
          digest: replacement,
          length: 77,
          crc32: 0xffff_fffe,
        });
        assert.equal((await store.listChunks(id, 1, 1))[0].crc32, 0xffff_fffe);
        assert.deepEqual(await store.candidates(new Uint8Array(), 10), [digests[1]]);
        assert.equal((await store.listChunks(id, 0, 10)).length, 5);
      });
    },
  );

  await t.step(
    "dropVersion: the version and its chunks go, every digest becomes a candidate",
    async () => {
      await withDatabase(engine, async (store) => {
        const meta = digestOf("metadata blob");
        const shared = digestOf("shared");
        const id = await insert(
          store,
          versionRow(bytes(2), VersionState.Retired, { meta_digest: meta, retired_at: 5 }),
        );
        const keep = await insert(store, versionRow(bytes(3), VersionState.Current));
        const own = digestOf("own");
        await store.transaction(async (tx) => {
          await tx.putChunk(id, 0, own, 10);
          await tx.putChunk(id, 1, shared, 10);
          await tx.putChunk(id, 2, own, 10);
          await tx.putChunk(keep, 0, shared, 10);
        });
        assert.equal(await store.isReferenced(own), true);
        assert.equal(await store.isReferenced(meta), true, "a version's metadata blob references");
        await store.transaction((tx) => tx.dropVersion(id));
        assert.equal(await store.version(id), undefined);
        assert.deepEqual(await store.listChunks(id, 0, 10), []);
        assert.deepEqual(
          await store.candidates(new Uint8Array(), 10),
          [meta, shared, own].sort(compareBytes),
        );
        assert.equal(await store.isReferenced(own), false);
        assert.equal(await store.isReferenced(meta), false);
        assert.equal(await store.isReferenced(shared), true, "still a chunk of another version");
        assert.equal(await store.isReferenced(digestOf("never")), false);
        assert.equal((await store.version(keep))?.state, VersionState.Current);
        // Dropping a version that is gone changes nothing.
        await store.transaction((tx) => tx.dropVersion(id));
      });
    },
  );

  await t.step(
    "uploads: insert, upload, lockUpload, markUploadCompleted, expiredUploads, deleteUpload",
    async () => {
      await withDatabase(engine, async (store) => {
        const versionId = await insert(store, versionRow(bytes(4), VersionState.Pending));
        await store.transaction(async (tx) => {
          for (const [i, id] of ["u1", "u2", "u3"].entries()) {
            await tx.insertUpload({
              upload_id: id,
              job: JOB,
              version_id: versionId,
              throw_on_duplicate: i % 2,
              expires_at: 3000 - i * 1000,
            });
          }
        });
        const u1 = {
          upload_id: "u1",
          job: JOB,
          version_id: versionId,
          throw_on_duplicate: 0,
          completed: 0,
          object_checksum: null,
          expires_at: 3000,
        };
        assert.deepEqual(plain(await store.upload("u1")), u1);
        assert.equal(await store.upload("nope"), undefined);
        await store.transaction(async (tx) => {
          assert.deepEqual(plain(await tx.lockUpload("u1")), u1);
          assert.equal(await tx.lockUpload("nope"), undefined);
          await tx.markUploadCompleted("u1", "checksum-1");
        });
        assert.deepEqual(plain(await store.upload("u1")), {
          ...u1,
          completed: 1,
          object_checksum: "checksum-1",
        });
        assert.deepEqual((await store.expiredUploads(2000, 10)).map((row) => row.upload_id), [
          "u3",
          "u2",
        ]);
        assert.deepEqual((await store.expiredUploads(2000, 1)).map((row) => row.upload_id), ["u3"]);
        assert.deepEqual(await store.expiredUploads(999, 10), []);
        assert.equal((await store.expiredUploads(3000, 10))[2].throw_on_duplicate, 0);
        await store.transaction((tx) => tx.deleteUpload("u2"));
        assert.equal(await store.upload("u2"), undefined);
        assert.ok(await store.version(versionId), "the upload's version stays");
      });
    },
  );

  await t.step(
    "inline chunks: put twice keeps the first, stats, delete frees bytes or says -1",
    async () => {
      await withDatabase(engine, async (store) => {
        const small = digestOf("small");
        const every = digestOf("every byte");
        const everyByte = new Uint8Array(5000).map((_, i) => i % 256);
        assert.deepEqual(await store.inlineChunkStats(), { inline: 0, inlineBytes: 0 });
        await store.transaction(async (tx) => {
          await tx.putInlineChunk(small, bytes(1, 2, 3));
          await tx.putInlineChunk(small, bytes(9, 9, 9, 9));
          await tx.putInlineChunk(every, everyByte);
        });
        assert.deepEqual(await store.inlineChunk(small), bytes(1, 2, 3));
        const read = await store.inlineChunk(every);
        assert.deepEqual(read, everyByte);
        assert.equal(read!.constructor, Uint8Array);
        assert.equal(await store.inlineChunk(digestOf("absent")), undefined);
        assert.deepEqual(await store.inlineChunkStats(), { inline: 2, inlineBytes: 5003 });
        const freed = await store.transaction(async (tx) => [
          await tx.deleteInlineChunk(small),
          await tx.deleteInlineChunk(small),
        ]);
        assert.deepEqual(freed, [3, -1]);
        assert.equal(await store.inlineChunk(small), undefined);
        assert.deepEqual(await store.inlineChunkStats(), { inline: 1, inlineBytes: 5000 });
      });
    },
  );

  await t.step(
    "usage: zeros for an unknown job, ensureJob is idempotent, addUsage adds up",
    async () => {
      await withDatabase(engine, async (store) => {
        assert.deepEqual(await store.usage("unknown"), { objects: 0, bytes: 0 });
        await store.transaction(async (tx) => {
          await tx.ensureJob(JOB, 1);
          await tx.ensureJob(JOB, 2);
          await tx.addUsage(JOB, 1, 100);
          await tx.addUsage(JOB, 2, 50);
        });
        await store.transaction((tx) => tx.addUsage(JOB, -1, -20));
        assert.deepEqual(await store.usage(JOB), { objects: 2, bytes: 130 });
        // Many writers of one job at once: every addition counts.
        await Promise.all(
          Array.from({ length: 24 }, () =>
            store.transaction(async (tx) => {
              await tx.ensureJob(JOB, 3);
              await tx.addUsage(JOB, 1, 4_000_000_000);
            })),
        );
        assert.deepEqual(await store.usage(JOB), { objects: 26, bytes: 130 + 24 * 4_000_000_000 });
        assert.deepEqual(await store.usage("job-2"), { objects: 0, bytes: 0 });
      });
    },
  );

  await t.step(
    "candidates: unique, in digest order, after a digest (exclusive), deleted",
    async () => {
      await withDatabase(engine, async (store) => {
        const high = new Uint8Array(32).fill(0xfe);
        const low = new Uint8Array(32);
        const mid = new Uint8Array(32).fill(0x80);
        await store.transaction(async (tx) => {
          await tx.addCandidate(high);
          await tx.addCandidate(low);
          await tx.addCandidate(mid);
          await tx.addCandidate(mid);
        });
        assert.deepEqual(await store.candidates(new Uint8Array(), 10), [low, mid, high]);
        assert.deepEqual(await store.candidates(low, 10), [mid, high]);
        assert.deepEqual(await store.candidates(low, 1), [mid]);
        assert.deepEqual(await store.candidates(high, 10), []);
        await store.transaction((tx) => tx.deleteCandidate(mid));
        assert.deepEqual(await store.candidates(new Uint8Array(), 10), [low, high]);
      });
    },
  );

  await t.step(
    "claims: live until they expire, dropClaim says whether it was there, dropExpiredClaims",
    async () => {
      await withDatabase(engine, async (store) => {
        const digest = digestOf("claimed");
        await store.transaction(async (tx) => {
          await tx.addClaim("c1", digest, 2000);
          assert.equal(await tx.isClaimed(digest, 1999), true);
          assert.equal(await tx.isClaimed(digest, 2000), false, "expired at its expiry");
          assert.equal(await tx.isClaimed(digestOf("other"), 0), false);
          assert.equal(await tx.dropClaim("c1"), true);
          assert.equal(await tx.dropClaim("c1"), false);
          assert.equal(await tx.isClaimed(digest, 0), false);
          await tx.addClaim("c2", digest, 100);
          await tx.addClaim("c3", digest, 200);
          await tx.addClaim("c4", digest, 5000);
        });
        assert.equal(await store.transaction((tx) => tx.dropExpiredClaims(200)), 2);
        await store.transaction(async (tx) => {
          assert.equal(await tx.isClaimed(digest, 300), true, "c4 stays");
          assert.equal(await tx.dropClaim("c2"), false);
          assert.equal(await tx.dropClaim("c4"), true);
        });
      });
    },
  );

  await t.step("deletions: recorded, replaced, dropped", async () => {
    await withDatabase(engine, async (store) => {
      const digest = digestOf("deleted");
      await store.transaction(async (tx) => {
        assert.equal(await tx.deletion(digest), undefined);
        await tx.addDeletion(digest, 5);
        assert.deepEqual(plain(await tx.deletion(digest)), { started_at: 5 });
        await tx.addDeletion(digest, 7);
        assert.deepEqual(plain(await tx.deletion(digest)), { started_at: 7 });
      });
      await store.transaction(async (tx) => {
        assert.deepEqual(plain(await tx.deletion(digest)), { started_at: 7 });
        await tx.dropDeletion(digest);
        assert.equal(await tx.deletion(digest), undefined);
      });
    });
  });

  await t.step(
    "leases: free is taken, another holder waits for expiry, the holder renews, drop",
    async () => {
      await withDatabase(engine, async (store) => {
        const take = (holder: string, now: number) =>
          store.transaction((tx) => tx.takeLease("gc", holder, now, 100));
        assert.equal(await take("a", 1000), true);
        assert.equal(await take("b", 1050), false);
        assert.equal(await take("a", 1080), true, "renewed until 1180");
        assert.equal(await take("b", 1179), false);
        assert.equal(await take("b", 1180), true, "expired");
        await store.transaction((tx) => tx.dropLease("gc", "a")); // not a's: no effect
        assert.equal(await take("a", 1190), false);
        await store.transaction((tx) => tx.dropLease("gc", "b"));
        assert.equal(await take("a", 1191), true);
        assert.equal(await store.transaction((tx) => tx.takeLease("other", "b", 1191, 100)), true);
      });
    },
  );

  await t.step("secrets: the first stored wins, for every store over the database", async () => {
    await withDatabase(engine, async (store, database) => {
      const first = new Uint8Array(32).map((_, i) => 255 - i);
      await store.transaction(async (tx) => assert.equal(await tx.secret("token"), undefined));
      assert.deepEqual(await store.transaction((tx) => tx.putSecret("token", first)), first);
      assert.deepEqual(
        await store.transaction((tx) => tx.putSecret("token", new Uint8Array(32))),
        first,
      );
      const second = await openSpec(database.spec);
      try {
        assert.deepEqual(
          await second.transaction((tx) => tx.putSecret("token", new Uint8Array(32).fill(1))),
          first,
        );
        assert.deepEqual(await second.transaction((tx) => tx.secret("token")), first);
      } finally {
        await second.close();
      }
    });
  });

  await t.step("documents: versions from 1, compare-and-set", async () => {
    await withDatabase(engine, async (store) => {
      assert.equal(await store.documentVersion("locks/job-1"), 0);
      assert.equal(await store.document("locks/job-1"), undefined);
      const put = (body: string, expected: number) =>
        store.transaction((tx) => tx.putDocument("locks/job-1", body, expected));
      assert.equal(await put("one", 0), true);
      assert.equal(await put("again", 0), false, "exists already");
      assert.equal(await put("two", 1), true);
      assert.equal(await put("stale", 1), false);
      assert.equal(await store.documentVersion("locks/job-1"), 2);
      assert.deepEqual(plain(await store.document("locks/job-1")), { version: 2, body: "two" });
    });
  });

  await t.step("a TransactionConflict rolls back the run and runs the function again", async () => {
    await withDatabase(engine, async (store) => {
      let attempts = 0;
      const result = await store.transaction(async (tx) => {
        attempts++;
        await tx.addCandidate(digestOf(`attempt ${attempts}`));
        await tx.ensureJob(`job-of-attempt-${attempts}`, 1);
        await tx.addUsage(`job-of-attempt-${attempts}`, 1, 1);
        if (attempts === 1) throw new TransactionConflict("lost a race");
        return "committed";
      });
      assert.equal(result, "committed");
      assert.equal(attempts, 2);
      assert.deepEqual(await store.candidates(new Uint8Array(), 10), [digestOf("attempt 2")]);
      assert.deepEqual(await store.usage("job-of-attempt-1"), { objects: 0, bytes: 0 });
      assert.deepEqual(await store.usage("job-of-attempt-2"), { objects: 1, bytes: 1 });
    });
  });

  await t.step(
    "a conflict every time: given up, bounded, as ServiceUnavailableException",
    async () => {
      await withDatabase(engine, async (store) => {
        let attempts = 0;
        const started = Date.now();
        await rejectsWith(
          store.transaction(async (tx) => {
            attempts++;
            await tx.addCandidate(digestOf("never"));
            throw new TransactionConflict("always");
          }),
          ServiceUnavailableException,
        );
        assert.ok(attempts >= 2 && attempts <= 10, `${attempts} runs`);
        assert.ok(Date.now() - started < 5000, "the backoff is short");
        assert.deepEqual(await store.candidates(new Uint8Array(), 10), []);
      });
    },
  );

  await t.step("an application error rolls back every write and is thrown as it is", async () => {
    await withDatabase(engine, async (store) => {
      let attempts = 0;
      let id = 0;
      const boom = new RangeError("boom");
      const thrown = await rejectsWith(
        store.transaction(async (tx) => {
          attempts++;
          await tx.ensureJob(JOB, 1);
          await tx.addUsage(JOB, 1, 10);
          id = await tx.insertVersion(versionRow(bytes(5), VersionState.Current));
          await tx.addCandidate(digestOf("x"));
          await tx.putSecret("s", bytes(1));
          throw boom;
        }),
        RangeError,
      );
      assert.equal(thrown, boom);
      assert.equal(attempts, 1);
      assert.equal(await store.version(id), undefined);
      assert.equal(await store.currentVersion(JOB, bytes(5)), undefined);
      assert.deepEqual(await store.usage(JOB), { objects: 0, bytes: 0 });
      assert.deepEqual(await store.candidates(new Uint8Array(), 10), []);
      assert.equal(await store.transaction((tx) => tx.secret("s")), undefined);
    });
  });

  for (const then of ["an awaited read", "the commit"]) {
    await t.step(
      `a failing write's error is thrown by ${then}; nothing commits; the store goes on`,
      async () => {
        await withDatabase(engine, async (store) => {
          const versionId = await insert(store, versionRow(bytes(8), VersionState.Pending));
          let attempts = 0;
          const thrown = await rejectsWith(
            store.transaction(async (tx) => {
              attempts++;
              await tx.addCandidate(digestOf("before"));
              // NOT NULL violated: job.
              await tx.insertUpload({
                upload_id: "bad",
                job: null as unknown as string,
                version_id: versionId,
                throw_on_duplicate: 0,
                expires_at: 1,
              });
              await tx.addCandidate(digestOf("after"));
              if (then === "an awaited read") await tx.upload("bad");
            }),
            Error,
          );
          assert.ok(!(thrown instanceof ServiceUnavailableException), String(thrown));
          assert.match(thrown.message, /null/i);
          assert.equal(attempts, 1, "not a conflict: not run again");
          assert.deepEqual(await store.candidates(new Uint8Array(), 10), []);
          assert.equal(await store.upload("bad"), undefined);
          // Every connection is still good.
          await Promise.all(
            Array.from(
              { length: 12 },
              (_, i) => store.transaction((tx) => tx.addCandidate(digestOf(`ok ${i}`))),
            ),
          );
          assert.equal((await store.candidates(new Uint8Array(), 100)).length, 12);
        });
      },
    );
  }

  await t.step("durable: false commits too", async () => {
    await withDatabase(engine, async (store) => {
      const id = await store.transaction(async (tx) => {
        await tx.ensureJob(JOB, 1);
        return await tx.insertVersion(versionRow(bytes(6), VersionState.Current));
      }, { durable: false });
      assert.equal((await store.currentVersion(JOB, bytes(6)))?.id, id);
      // And a durable one after it.
      await store.transaction((tx) => tx.addUsage(JOB, 1, 1));
      assert.deepEqual(await store.usage(JOB), { objects: 1, bytes: 1 });
    });
  });

  await t.step("reads outside a transaction see commits; writes need a transaction", async () => {
    await withDatabase(engine, async (store) => {
      const id = await insert(store, versionRow(bytes(7), VersionState.Current));
      assert.equal((await store.currentVersion(JOB, bytes(7)))?.id, id);
      const asWriter = store as unknown as MetadataTransaction;
      // Refused either way: no such method, or one that needs a transaction.
      await assert.rejects(async () => await asWriter.ensureJob("j", 1), TypeError);
      await assert.rejects(async () => await asWriter.addCandidate(digestOf("w")), TypeError);
      assert.deepEqual(await store.candidates(new Uint8Array(), 10), []);
    });
  });

  await t.step(
    "close waits for a running transaction; then transactions and reads are refused",
    async () => {
      const database = await engine.fresh();
      try {
        const store = await openSpec(database.spec);
        const running = store.transaction(async (tx) => {
          await tx.ensureJob(JOB, 1);
          await tx.addUsage(JOB, 1, 1);
          await tx.addUsage(JOB, 1, 1);
          return "done";
        });
        const closing = store.close();
        assert.equal(await running, "done");
        await closing;
        await store.close(); // again: a no-op
        await rejectsWith(
          store.transaction((tx) => tx.addUsage(JOB, 1, 1)),
          ServiceUnavailableException,
        );
        await rejectsWith(store.usage(JOB), ServiceUnavailableException);
        const reopened = await openSpec(database.spec);
        try {
          assert.deepEqual(await reopened.usage(JOB), { objects: 2, bytes: 2 }, "it committed");
        } finally {
          await reopened.close();
        }
      } finally {
        await database.dispose();
      }
    },
  );

  // -------------------------------------------------------------- races

  /** Both sides of a race to make a version of `name` current; returns them first-committed first. */
  async function raceToCurrent(
    store: MetadataStore,
    other: OtherProcess,
    name: number[],
    direct = false,
  ): Promise<[MakeCurrentResult, MakeCurrentResult]> {
    const args = (side: string, otherSide: string): MakeCurrentArgs => ({
      job: JOB,
      name,
      side,
      other: otherSide,
      rendezvous: !engine.serializesWriters,
      direct,
    });
    const sides = await Promise.all([
      makeCurrent(store, other.peer, args("a", "b")),
      other.run<MakeCurrentResult>("makeCurrent", args("b", "a")),
    ]);
    // The winner committed first: the other one's last run saw its version.
    const [a, b] = sides;
    return b.saw.at(-1) === a.id ? [a, b] : [b, a];
  }

  for (const direct of [false, true]) {
    const how = direct
      ? "inserted as current (a PutObject)"
      : "pending, then completed (an upload)";
    await t.step(
      `race: two processes make a current version of one new name, ${how}; exactly one is current`,
      async () => {
        await withDatabase(engine, async (store, database) => {
          const other = await OtherProcess.start(database.spec);
          try {
            await store.transaction((tx) => tx.ensureJob(JOB, 1));
            const [winner, loser] = await raceToCurrent(store, other, [0x6e, 0x00], direct);
            assert.deepEqual(winner.saw, [null]);
            assert.equal(winner.attempts, 1);
            assert.equal(
              loser.saw.at(-1),
              winner.id,
              "the loser's last run saw the winner's version",
            );
            if (!engine.serializesWriters) {
              // Both read "no current version" first; the loser's second current
              // version hit the unique index, and it ran again.
              assert.deepEqual(loser.saw, [null, winner.id]);
              assert.equal(loser.attempts, 2);
            }
            const listed = await store.listCurrent(JOB, EVERYTHING, 10);
            assert.deepEqual(listed.map((row) => row.id), [loser.id]);
            assert.equal((await store.version(winner.id))?.state, VersionState.Retired);
          } finally {
            await other.close();
          }
        });
      },
    );
  }

  await t.step(
    "race: two processes replace the current version of one name; exactly one is current",
    async () => {
      await withDatabase(engine, async (store, database) => {
        const other = await OtherProcess.start(database.spec);
        try {
          const first = await insert(store, versionRow(bytes(0x6f), VersionState.Current));
          const [winner, loser] = await raceToCurrent(store, other, [0x6f]);
          assert.deepEqual(winner.saw, [first]);
          assert.equal(loser.saw.at(-1), winner.id);
          if (!engine.serializesWriters) {
            // Both read the first version; the loser's retirement of it changed no
            // row (a TransactionConflict), and it ran again.
            assert.deepEqual(loser.saw, [first, winner.id]);
            assert.equal(loser.attempts, 2);
          }
          assert.deepEqual((await store.listCurrent(JOB, EVERYTHING, 10)).map((r) => r.id), [
            loser.id,
          ]);
          assert.equal((await store.version(first))?.state, VersionState.Retired);
          assert.equal((await store.version(winner.id))?.state, VersionState.Retired);
        } finally {
          await other.close();
        }
      });
    },
  );

  await t.step(
    "race: two processes complete one upload under lockUpload; the second sees it completed",
    async () => {
      await withDatabase(engine, async (store, database) => {
        const other = await OtherProcess.start(database.spec);
        try {
          const versionId = await insert(store, versionRow(bytes(0x70), VersionState.Pending));
          await store.transaction((tx) =>
            tx.insertUpload({
              upload_id: "race",
              job: JOB,
              version_id: versionId,
              throw_on_duplicate: 0,
              expires_at: Date.now() + 60_000,
            })
          );
          const [first, second] = await Promise.all([
            completeUpload(store, other.peer, { uploadId: "race", side: "a", holdMs: 300 }),
            other.run<CompleteUploadResult>("completeUpload", {
              uploadId: "race",
              side: "b",
              after: "locked:a",
              holdMs: 0,
            }),
          ]);
          assert.equal(first.sawCompleted, false);
          assert.equal(second.sawCompleted, true);
          assert.equal(second.sawChecksum, "by a");
          assert.ok(
            second.lockedAt >= first.endedAt,
            `the second locked at ${second.lockedAt}, after the first ended at ${first.endedAt}`,
          );
          const upload = await store.upload("race");
          assert.equal(upload?.completed, 1);
          assert.equal(upload?.object_checksum, "by a");
          const version = await store.version(versionId);
          assert.equal(version?.state, VersionState.Current);
          assert.equal(version?.object_checksum, "by a");
        } finally {
          await other.close();
        }
      });
    },
  );

  await t.step(
    "race: lockDigest serializes two processes' transactions on one digest",
    async () => {
      await withDatabase(engine, async (store, database) => {
        const other = await OtherProcess.start(database.spec);
        try {
          const digest = Array.from(digestOf("contended"));
          const [first, second] = await Promise.all([
            lockDigestFor(store, other.peer, { digest, side: "a", holdMs: 300 }),
            other.run<LockDigestResult>("lockDigestFor", {
              digest,
              side: "b",
              after: "digest:a",
              holdMs: 0,
            }),
          ]);
          assert.ok(second.requestedAt < first.endedAt, "the second asked while the first held it");
          assert.ok(
            second.lockedAt >= first.endedAt,
            `the second's body started at ${second.lockedAt}, after the first's ended at ${first.endedAt}`,
          );
          if (!engine.serializesWriters) {
            // Another digest is not held up (its first 8 bytes differ).
            const [held, free] = await Promise.all([
              lockDigestFor(store, other.peer, { digest, side: "c", holdMs: 300 }),
              other.run<LockDigestResult>("lockDigestFor", {
                digest: Array.from(digestOf("unrelated")),
                side: "d",
                after: "digest:c",
                holdMs: 0,
              }),
            ]);
            assert.ok(free.lockedAt < held.endedAt, "another digest's lock is granted at once");
          }
        } finally {
          await other.close();
        }
      });
    },
  );
}

Deno.test("MetadataStore conformance: SQLite", async (t) => {
  await conformance(t, sqliteEngine);
});

Deno.test({
  name: "MetadataStore conformance: PostgreSQL",
  ignore: IGNORE_POSTGRES,
  async fn(t) {
    // A short deadlock_timeout: the deadlock step need not wait a second for detection.
    await using cluster = await startPostgres({
      database: "metadata",
      settings: { deadlock_timeout: "'100ms'" },
    });
    await conformance(t, postgresEngine(cluster));
    await postgresOnly(t, cluster);
  },
});

// ------------------------------------------------------------------ PostgreSQL only

async function withAdmin<T>(url: string, fn: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function postgresOnly(t: Deno.TestContext, cluster: PostgresCluster): Promise<void> {
  const databaseUrl = (name: string) => cluster.url.replace(/\/[^/]+$/, `/${name}`);

  await t.step(
    "schema: gateways opening a fresh database together migrate it once; newer is refused",
    async () => {
      await withAdmin(cluster.url, (admin) => admin.query("CREATE DATABASE fresh"));
      const url = databaseUrl("fresh");
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => PostgresMetadataStore.open(url, { maxConnections: 2 })),
      );
      try {
        assert.equal(stores[0].description, `PostgreSQL postgres@127.0.0.1:${cluster.port}/fresh`);
        const id = await insert(stores[0], versionRow(bytes(1), VersionState.Current));
        assert.equal((await stores[3].currentVersion(JOB, bytes(1)))?.id, id);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
      await withAdmin(url, async (admin) => {
        const { rows } = await admin.query("SELECT version FROM public.schema_version");
        assert.deepEqual(rows, [{ version: 5 }]);
        const tables = await admin.query(
          "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
        );
        // schema_version, jobs, job_usage, versions, chunks, uploads, gc_candidates,
        // inline_chunks, chunk_claims, chunk_deletions, leases, secrets, documents
        assert.equal(tables.rows[0].n, 13);
        await admin.query("UPDATE schema_version SET version = 99");
      });
      await assert.rejects(
        PostgresMetadataStore.open(url),
        /schema version 99; this code knows up to 5/,
      );
    },
  );

  await t.step(
    "usage counters are sharded: concurrent writers of one job from two stores",
    async () => {
      await withDatabase(postgresEngine(cluster), async (store, database) => {
        const second = await openSpec(database.spec);
        try {
          await store.transaction((tx) => tx.ensureJob(JOB, 1));
          await Promise.all(
            Array.from(
              { length: 40 },
              (_, i) =>
                (i % 2 ? store : second).transaction(async (tx) => {
                  await tx.ensureJob(JOB, 1);
                  await tx.addUsage(JOB, 1, 10);
                  // Twice in one transaction: the same shard row, never a deadlock with ours.
                  await tx.addUsage(JOB, 1, 10);
                }),
            ),
          );
          assert.deepEqual(await second.usage(JOB), { objects: 80, bytes: 800 });
        } finally {
          await second.close();
        }
        const spec = database.spec as { schema: string };
        const shards = await withAdmin(cluster.url, (admin) =>
          admin.query(
            `SELECT count(*)::int AS n, sum(objects)::int AS objects FROM ${spec.schema}.job_usage
           WHERE job = $1`,
            [JOB],
          ));
        assert.ok(shards.rows[0].n > 1, `${shards.rows[0].n} shard rows`);
        assert.equal(shards.rows[0].objects, 80);
      });
    },
  );

  await t.step("a deadlock between two transactions is rolled back and run again", async () => {
    await withDatabase(postgresEngine(cluster), async (store, database) => {
      const second = await openSpec(database.spec);
      try {
        const one = digestOf("one");
        const two = digestOf("two");
        const attempts = { a: 0, b: 0 };
        let arrived = 0;
        const bothLocked = Promise.withResolvers<void>();
        const lockBoth = (side: "a" | "b", first: Uint8Array, then: Uint8Array) =>
          (side === "a" ? store : second).transaction(async (tx) => {
            attempts[side]++;
            await tx.lockDigest(first);
            if (attempts[side] === 1 && ++arrived === 2) bothLocked.resolve();
            if (attempts[side] === 1) await bothLocked.promise;
            await tx.lockDigest(then);
            await tx.addCandidate(first);
          });
        await Promise.all([lockBoth("a", one, two), lockBoth("b", two, one)]);
        assert.deepEqual([attempts.a, attempts.b].sort(), [1, 2], "one of them ran again");
        assert.deepEqual(
          await store.candidates(new Uint8Array(), 10),
          [one, two].sort(compareBytes),
        );
      } finally {
        await second.close();
      }
    });
  });
}

// ------------------------------------------------------------------ connections

const PASSWORD = "hunter2-do-not-show";

Deno.test({
  name: "PostgresMetadataStore: no password shown; password file and PG* variables; down then up",
  ignore: IGNORE_POSTGRES,
  async fn(t) {
    await using cluster = await startPostgres({ database: "gateways" });
    const at = `127.0.0.1:${cluster.port}`;
    await withAdmin(cluster.url, async (admin) => {
      await admin.query(`CREATE ROLE gw LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
      await admin.query(`CREATE ROLE scram LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
    });
    // The role "scram" must give its password (SCRAM-SHA-256); the others are trusted.
    const hba = `${cluster.dir}/data/pg_hba.conf`;
    await Deno.writeTextFile(
      hba,
      `host all scram 127.0.0.1/32 scram-sha-256\n${await Deno.readTextFile(hba)}`,
    );
    await withAdmin(cluster.url, (admin) => admin.query("SELECT pg_reload_conf()"));

    await t.step(
      "the password file is read (PGPASSFILE or passwordFile) when the URL has none",
      async () => {
        const dir = await Deno.makeTempDir({ prefix: "pgpass_test_" });
        const saved = Deno.env.get("PGPASSFILE");
        try {
          const file = `${dir}/pgpass`;
          await Deno.writeTextFile(
            file,
            `# test\n127.0.0.1:${cluster.port}:gateways:scram:${PASSWORD}\n`,
          );
          await Deno.chmod(file, 0o600);
          const url = `postgres://scram@${at}/gateways`;
          const store = await PostgresMetadataStore.open(url, { passwordFile: file });
          try {
            assert.equal(store.description, `PostgreSQL scram@${at}/gateways`);
            await store.transaction((tx) => tx.ensureJob(JOB, 1));
          } finally {
            await store.close();
          }
          Deno.env.set("PGPASSFILE", file);
          const fromEnv = await PostgresMetadataStore.open(url);
          await fromEnv.close();
          // No matching line: the server refuses, and says nothing of the password.
          await Deno.writeTextFile(file, `127.0.0.1:1:gateways:scram:${PASSWORD}\n`);
          await assert.rejects(PostgresMetadataStore.open(url), (error: Error) => {
            assert.ok(!(error instanceof ServiceUnavailableException), String(error));
            assert.ok(!error.message.includes(PASSWORD));
            return true;
          });
        } finally {
          if (saved === undefined) Deno.env.delete("PGPASSFILE");
          else Deno.env.set("PGPASSFILE", saved);
          await Deno.remove(dir, { recursive: true });
        }
      },
    );

    await t.step(
      "the URL's parameters apply: options=-c search_path=… puts the tables in that schema",
      async () => {
        await withAdmin(cluster.url, (admin) => admin.query("CREATE SCHEMA via_url"));
        const options = encodeURIComponent("-c search_path=via_url");
        const store = await PostgresMetadataStore.open(`${cluster.url}?options=${options}`);
        try {
          await store.transaction((tx) => tx.putSecret("k", bytes(2)));
        } finally {
          await store.close();
        }
        const { rows } = await withAdmin(
          cluster.url,
          (admin) =>
            admin.query(
              "SELECT encode(value, 'hex') AS value FROM via_url.secrets WHERE name = 'k'",
            ),
        );
        assert.deepEqual(rows, [{ value: "02" }]);
      },
    );

    await t.step("an empty URL takes PGHOST, PGPORT, PGUSER, PGDATABASE", async () => {
      const names = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"];
      const saved = names.map((name) => Deno.env.get(name));
      try {
        Deno.env.set("PGHOST", "127.0.0.1");
        Deno.env.set("PGPORT", String(cluster.port));
        Deno.env.set("PGUSER", "gw");
        Deno.env.set("PGDATABASE", "gateways");
        const store = await PostgresMetadataStore.open("", { schema: "from_env" });
        try {
          assert.equal(store.description, `PostgreSQL gw@${at}/gateways schema from_env`);
          await store.transaction((tx) => tx.putSecret("k", bytes(1)));
        } finally {
          await store.close();
        }
      } finally {
        names.forEach((name, i) =>
          saved[i] === undefined ? Deno.env.delete(name) : Deno.env.set(name, saved[i]!)
        );
      }
    });

    await t.step(
      "a connection killed inside a transaction: run again on a fresh one, committed once",
      async () => {
        const store = await PostgresMetadataStore.open(cluster.url, {
          schema: "killed",
          maxConnections: 1,
          applicationName: "backupfs-killed",
        });
        try {
          await store.transaction((tx) => tx.ensureJob(JOB, 1));
          let attempts = 0;
          await store.transaction(async (tx) => {
            attempts++;
            await tx.addUsage(JOB, 1, 10);
            assert.deepEqual(await tx.usage(JOB), { objects: 1, bytes: 10 });
            if (attempts === 1) {
              await withAdmin(cluster.url, (admin) =>
                admin.query(
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                  ["backupfs-killed"],
                ));
            }
            await tx.addUsage(JOB, 1, 10);
          });
          assert.equal(attempts, 2);
          assert.deepEqual(await store.usage(JOB), { objects: 2, bytes: 20 });
        } finally {
          await store.close();
        }
      },
    );

    await t.step(
      "engine down: ServiceUnavailableException without the password; back up: answers again, not reopened",
      async () => {
        const url = `postgres://gw:${PASSWORD}@${at}/gateways`;
        const store = await PostgresMetadataStore.open(url, {
          connectTimeoutMs: 2000,
          maxConnections: 4,
        });
        try {
          assert.equal(store.description, `PostgreSQL gw@${at}/gateways`);
          // Fill the pool with idle connections, which the crash will break.
          await Promise.all(
            Array.from({ length: 4 }, () =>
              store.transaction(async (tx) => {
                await tx.ensureJob(JOB, 1);
                await tx.addUsage(JOB, 1, 1);
              })),
          );
          await cluster.stopServer({ mode: "immediate" });
          const down = await rejectsWith(
            store.transaction((tx) => tx.addUsage(JOB, 1, 1)),
            ServiceUnavailableException,
          );
          assert.match(down.message, new RegExp(`^PostgreSQL gw@${at}/gateways is unavailable`));
          assert.ok(!down.message.includes(PASSWORD));
          const read = await rejectsWith(store.usage(JOB), ServiceUnavailableException);
          assert.ok(!read.message.includes(PASSWORD));
          const opening = await rejectsWith(
            PostgresMetadataStore.open(url, { connectTimeoutMs: 2000 }),
            ServiceUnavailableException,
          );
          assert.ok(!opening.message.includes(PASSWORD));

          await cluster.startServer();
          assert.deepEqual(await store.usage(JOB), { objects: 4, bytes: 4 });
          await store.transaction((tx) => tx.addUsage(JOB, 1, 1));
          assert.deepEqual(await store.usage(JOB), { objects: 5, bytes: 5 });
        } finally {
          await store.close();
        }
      },
    );
  },
});
