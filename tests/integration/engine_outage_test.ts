// Engines going away under a gateway (issue #11): while PostgreSQL or the bucket
// is unreachable, requests get ServiceUnavailableException (503); a client's
// retries ride out a short outage; the gateway recovers by itself when the
// engine returns, without a restart.

import { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { ServiceUnavailableException } from "../../src/storage/errors.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { freePort } from "../support/engines/_process.ts";
import { startCephRgw } from "../support/engines/ceph_rgw.ts";
import { startPostgres } from "../support/engines/postgres_cluster.ts";
import { GATEWAY_KEYS, startGateway, writeGatewayCredentials } from "../support/gateway_process.ts";
import { putSmall } from "../storage/store/support/store_fixtures.ts";

const JOB = "outage";

Deno.test("PostgreSQL and the bucket going away: 503s, retries ride it out, the gateway recovers by itself", async () => {
  const [postgres, ceph] = await Promise.all([startPostgres(), startCephRgw()]);
  const dir = await Deno.makeTempDir({ prefix: "engine_outage_" });
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    await ceph.createBucket("outage");
    gateway = await startGateway({
      dataDir: `${dir}/data`,
      metadata: postgres.url,
      chunks: { bucket: "outage", prefix: "c/", endpoint: ceph.endpoint, pathStyle: true },
    }, {
      port: freePort(),
      credentialsFile: await writeGatewayCredentials(dir),
      env: {
        AWS_ACCESS_KEY_ID: ceph.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ceph.secretAccessKey,
        AWS_REGION: ceph.region,
      },
    });
    const client = (maxAttempts: number) =>
      new BackupStorageClient({
        endpoint: gateway!.endpoint,
        region: "us-east-1",
        credentials: GATEWAY_KEYS,
        maxAttempts,
        retryBaseDelayMs: 200,
        retryMaxDelayMs: 1000,
      });
    await using once = client(1);
    await using patient = client(10);
    const small = new TextEncoder().encode("kept in the database");
    // Bytes in the bucket; distinct each time, or content addressing would skip the bucket.
    const large = (seed: number) => new Uint8Array(300 * 1024).map((_, i) => (i * seed) % 251);
    await putSmall(once, JOB, "before", large(1));

    // PostgreSQL down: a 503, not a hang and not a 500.
    await postgres.stopServer({ mode: "immediate" });
    const failed = await assertRejects(
      () => putSmall(once, JOB, "during-postgres", small),
      ServiceUnavailableException,
    );
    assertEquals(failed.statusCode, 503);
    await assertRejects(
      () => once.listObjects({ StorageJobId: JOB }),
      ServiceUnavailableException,
    );
    // A client that retries rides out an outage of about a second.
    const riding = putSmall(patient, JOB, "across-postgres", small);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await postgres.startServer();
    await riding;

    // The bucket down: large chunks are 503; listings and small objects work on.
    await ceph.stopRadosgw();
    await assertRejects(
      () => putSmall(once, JOB, "during-bucket", large(2)),
      ServiceUnavailableException,
    );
    await putSmall(once, JOB, "small-during-bucket", small);
    const riding2 = putSmall(patient, JOB, "across-bucket", large(3));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await ceph.startRadosgw();
    await riding2;

    // Recovered by itself: everything acknowledged is there and whole.
    const names = (await once.listObjects({ StorageJobId: JOB })).ObjectList.map((o) => o.Name);
    assertEquals(names, ["across-bucket", "across-postgres", "before", "small-during-bucket"]);
    for (const object of (await once.listObjects({ StorageJobId: JOB })).ObjectList) {
      const [chunk] = (await once.listChunks({
        StorageJobId: JOB,
        ObjectToken: object.ObjectToken,
      })).ChunkList;
      const got = await once.getChunk({ StorageJobId: JOB, ChunkToken: chunk.ChunkToken });
      const bytes = new Uint8Array(await new Response(got.Data).arrayBuffer());
      assert(
        bytes.length ===
          (object.Name.startsWith("small") || object.Name === "across-postgres"
            ? small.length
            : 300 * 1024),
        object.Name,
      );
    }
  } finally {
    const stopped = gateway ? await gateway.stop() : undefined;
    await Promise.allSettled([postgres.stop(), ceph.stop()]);
    await Deno.remove(dir, { recursive: true });
    if (stopped) assertEquals(stopped.code, 0, stopped.stderr);
  }
});
