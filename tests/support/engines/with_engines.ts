/**
 * Runs a command with a throwaway PostgreSQL cluster and Ceph RGW started for
 * it, and the environment that makes the store suites run on them
 * (`tests/support/test_store.ts`): metadata in PostgreSQL, chunks in a bucket.
 *
 * ```
 * deno run --allow-… tests/support/engines/with_engines.ts deno test … tests/storage/store/
 * ```
 *
 * Exits with the command's code; the engines are stopped and their files
 * removed whatever happens. Without the engines' Debian packages it fails,
 * naming them.
 *
 * @module
 */

import { startCephRgw } from "./ceph_rgw.ts";
import { startPostgres } from "./postgres_cluster.ts";
import { ENGINES_ENV } from "../test_store.ts";

/** The bucket every store of the run keeps its chunks in, each under a prefix of its own. */
const BUCKET = "backupfs-tests";

if (import.meta.main) {
  const [command, ...args] = Deno.args;
  if (!command) {
    console.error("usage: with_engines.ts COMMAND [ARGS...]");
    Deno.exit(2);
  }
  const started = Date.now();
  const [postgres, ceph] = await Promise.all([
    startPostgres({ settings: { max_connections: "400" } }),
    startCephRgw({ memstoreBytes: 6 * 1024 ** 3 }),
  ]);
  let code = 1;
  try {
    await ceph.createBucket(BUCKET);
    console.error(
      `with_engines: PostgreSQL at ${postgres.host}:${postgres.port} and Ceph RGW at ` +
        `${ceph.endpoint} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    // `deno` is this very executable (a fresh machine may run it through npx).
    const child = new Deno.Command(command === "deno" ? Deno.execPath() : command, {
      args,
      env: {
        [ENGINES_ENV]: "postgres-s3",
        BACKUPFS_TEST_PG_URL: postgres.url,
        BACKUPFS_TEST_S3_ENDPOINT: ceph.endpoint,
        BACKUPFS_TEST_S3_BUCKET: BUCKET,
        AWS_ACCESS_KEY_ID: ceph.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ceph.secretAccessKey,
        AWS_REGION: ceph.region,
      },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    code = (await child.status).code;
  } finally {
    await Promise.allSettled([postgres.stop(), ceph.stop()]);
  }
  Deno.exit(code);
}
