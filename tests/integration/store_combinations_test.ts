// Every combination of the two seams works (issue #11): SQLite or PostgreSQL
// metadata, with chunk files or an S3 bucket. Each store, opened by `openStore`
// as the commands' flags would, keeps an object of a small (inline) and a large
// (chunk store) chunk, lists it, reads it back, deletes it and collects it.

import { sha256, summaryChecksum } from "../../src/storage/checksum.ts";
import { openStore, type StoreLocation } from "../../src/storage/store/store_backends.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { startCephRgw } from "../support/engines/ceph_rgw.ts";
import { startPostgres } from "../support/engines/postgres_cluster.ts";
import { chunkInput, readObject } from "../storage/store/support/store_fixtures.ts";

const JOB = "combinations";

Deno.test("SQLite or PostgreSQL metadata × chunk files or an S3 bucket: all four work", async () => {
  const [postgres, ceph] = await Promise.all([startPostgres(), startCephRgw()]);
  const env = {
    AWS_ACCESS_KEY_ID: ceph.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ceph.secretAccessKey,
    AWS_REGION: ceph.region,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  const root = await Deno.makeTempDir({ prefix: "store_combinations_" });
  try {
    await ceph.createBucket("combinations");
    const bucket = { bucket: "combinations", endpoint: ceph.endpoint, pathStyle: true };
    const combinations: [string, StoreLocation, RegExp][] = [
      ["sqlite+files", { dataDir: `${root}/a` }, /^SQLite .*, chunk files in /],
      [
        "sqlite+s3",
        { dataDir: `${root}/b`, chunks: { ...bucket, prefix: "b/" } },
        /^SQLite .*, chunks in s3:\/\/combinations\/b\//,
      ],
      [
        "postgres+files",
        { dataDir: `${root}/c`, metadata: `${postgres.url}?options=-c%20search_path%3Dc` },
        /^PostgreSQL .*, chunk files in /,
      ],
      [
        "postgres+s3",
        {
          dataDir: `${root}/d`,
          metadata: `${postgres.url}?options=-c%20search_path%3Dd`,
          chunks: { ...bucket, prefix: "d/" },
        },
        /^PostgreSQL .*, chunks in s3:/,
      ],
    ];
    const { Client } = await import("../../deps/pg.ts");
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query("CREATE SCHEMA c; CREATE SCHEMA d");
    await admin.end();

    const small = new TextEncoder().encode("a small chunk, kept in the metadata");
    const large = new Uint8Array(200 * 1024).map((_, i) => (i * 7) % 256);
    for (const [name, location, description] of combinations) {
      const opened = await openStore(location, { gcIntervalMs: 0, gracePeriodMs: 0 });
      try {
        assertMatch(opened.description, description, name);
        const store = opened.store;
        const { UploadId } = await store.startObject({ BackupJobId: JOB, ObjectName: "o" });
        for (const [index, data] of [small, large].entries()) {
          await store.putChunk(chunkInput(JOB, UploadId, index, data));
        }
        await store.notifyObjectComplete({
          BackupJobId: JOB,
          UploadId,
          ObjectChecksum: summaryChecksum([sha256(small), sha256(large)]),
          ObjectChecksumAlgorithm: "SUMMARY",
        });
        const [object] = (await store.listObjects({ StorageJobId: JOB })).ObjectList;
        assertEquals((await readObject(store, JOB, object.ObjectToken)).chunks, [small, large]);
        const stored = await store.storedChunks();
        assertEquals([stored.files, stored.inline], [1, 1], name);
        await store.deleteObject({ BackupJobId: JOB, ObjectName: "o" });
        const report = await store.collectGarbage();
        assertEquals(report.chunksDeleted, 2, name);
        assert((await store.storedChunks()).files === 0, `${name}: the large chunk is gone`);
      } finally {
        await opened.close();
      }
    }
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
    await Promise.allSettled([postgres.stop(), ceph.stop()]);
    await Deno.remove(root, { recursive: true });
  }
});
