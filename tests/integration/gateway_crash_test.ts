// Crashes across processes (issue #11): boto3 writers spread their requests over
// three `deno task storage` gateways sharing one store, while gateways are killed
// with SIGKILL at random instants and started again (and, on PostgreSQL + Ceph,
// PostgreSQL is restarted with an immediate shutdown mid-run). Afterwards every
// acknowledged object reads back byte-exact through a fresh gateway, and
// everything listed is whole.

import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { BackupStorageClient } from "../../src/storage/client/mod.ts";
import type { StoreLocation } from "../../src/storage/store/store_backends.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { freePort } from "../support/engines/_process.ts";
import { startCephRgw } from "../support/engines/ceph_rgw.ts";
import { type PostgresCluster, startPostgres } from "../support/engines/postgres_cluster.ts";
import {
  type Gateway,
  GATEWAY_KEYS,
  startGateway,
  writeGatewayCredentials,
} from "../support/gateway_process.ts";
import { prng } from "../support/prng.ts";

const PYTHON = "/usr/bin/python3";
const WRITER = fileURLToPath(new URL("./support/boto3_writer.py", import.meta.url));
const JOB = "gateway-crash";
const WRITERS = 3;
const DURATION_S = 10;

/** The chunks of an object, derived from its name as boto3_writer.py derives them. */
function contentFor(name: string): Uint8Array[] {
  const seed = createHash("sha256").update(name).digest();
  const count = seed[0] % 2 === 0 ? 1 : 2 + (seed[1] % 2);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const size = count === 1 ? 1024 + seed[2 + i] * 240 : 70 * 1024 + seed[2 + i] * 512;
    const block = new Uint8Array(size + 32);
    for (let counter = 0, at = 0; at < size; counter++, at += 32) {
      const prefix = new Uint8Array([...seed, i, 0, 0, 0, 0]);
      new DataView(prefix.buffer).setUint32(33, counter);
      block.set(createHash("sha256").update(prefix).digest(), at);
    }
    chunks.push(block.subarray(0, size));
  }
  return chunks;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function crashRun(
  location: StoreLocation,
  options: { gatewayEnv?: Record<string, string>; postgres?: PostgresCluster },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gateway_crash_" });
  const credentialsFile = await writeGatewayCredentials(dir);
  const ports = Array.from({ length: 3 }, () => freePort());
  const start = (port: number) =>
    startGateway(location, { port, credentialsFile, env: options.gatewayEnv ?? {} });
  const gateways: Gateway[] = [];
  const random = prng(20261202);
  try {
    for (const port of ports) gateways.push(await start(port));
    const writers = Array.from({ length: WRITERS }, (_, i) =>
      new Deno.Command(PYTHON, {
        args: [WRITER],
        clearEnv: true,
        env: {
          ENDPOINTS: ports.map((port) => `http://127.0.0.1:${port}`).join(","),
          JOB,
          WRITER: `w${i}`,
          DURATION: String(DURATION_S),
          AWS_ACCESS_KEY_ID: GATEWAY_KEYS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: GATEWAY_KEYS.secretAccessKey,
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
          AWS_EC2_METADATA_DISABLED: "true",
          LANG: "C.UTF-8",
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn());
    const outputs = writers.map((w) => w.output());
    let running = true;
    void Promise.allSettled(outputs).then(() => running = false);

    // Chaos while the writers run: kill -9 a gateway, start it again on its port.
    let kills = 0;
    let restartedPostgres = false;
    const stopAt = Date.now() + DURATION_S * 1000 + 120_000;
    for (let round = 0; running && round < 1000 && Date.now() < stopAt; round++) {
      await sleep(700 + random() * 1500);
      if (!running) break;
      const victim = Math.floor(random() * gateways.length);
      await gateways[victim].kill();
      kills++;
      await sleep(100 + random() * 600);
      gateways[victim] = await start(ports[victim]);
      if (options.postgres && !restartedPostgres && kills === 3) {
        await options.postgres.stopServer({ mode: "immediate" });
        await sleep(300);
        await options.postgres.startServer();
        restartedPostgres = true;
      }
    }
    const acked = new Set<string>();
    let failed = 0;
    for (const [i, output] of (await Promise.all(outputs)).entries()) {
      const stdout = new TextDecoder().decode(output.stdout);
      assert(output.success, `writer ${i}: ${new TextDecoder().decode(output.stderr)}`);
      for (const line of stdout.split("\n")) {
        const [verb, name] = line.split(" ");
        if (verb === "ACK") acked.add(name);
        if (verb === "FAIL") failed++;
      }
    }
    assert(kills >= 3, `only ${kills} gateways were killed`);
    assert(acked.size >= 30, `only ${acked.size} objects were acknowledged (${failed} failed)`);
    if (options.postgres) assert(restartedPostgres, "PostgreSQL was not restarted mid-run");

    // Every acknowledged object is listed and whole; everything listed is whole.
    const client = new BackupStorageClient({
      endpoint: `http://127.0.0.1:${ports[0]}`,
      region: "us-east-1",
      credentials: GATEWAY_KEYS,
    });
    try {
      const listed = new Map<string, string>();
      let token: string | undefined;
      for (let page = 0; page < 10_000; page++) {
        const out = await client.listObjects({ StorageJobId: JOB, NextToken: token });
        for (const object of out.ObjectList) listed.set(object.Name, object.ObjectToken);
        token = out.NextToken;
        if (!token) break;
      }
      for (const name of acked) assert(listed.has(name), `${name} was acknowledged, not listed`);
      for (const [name, objectToken] of listed) {
        const expected = contentFor(name);
        const chunks = await client.listChunks({ StorageJobId: JOB, ObjectToken: objectToken });
        assertEquals(chunks.ChunkList.length, expected.length, `${name}: chunk count`);
        for (const chunk of chunks.ChunkList) {
          const got = await client.getChunk({ StorageJobId: JOB, ChunkToken: chunk.ChunkToken });
          const bytes = new Uint8Array(await new Response(got.Data).arrayBuffer());
          assertEquals(bytes, expected[chunk.Index], `${name}: chunk ${chunk.Index}`);
        }
      }
    } finally {
      await client.close();
    }
  } finally {
    for (const gateway of gateways) await gateway.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("kill -9 gateways at random under boto3 writers: one data directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gateway_crash_data_" });
  try {
    await crashRun({ dataDir: dir }, {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kill -9 gateways at random and restart PostgreSQL (immediate) under boto3 writers: PostgreSQL + Ceph RGW", async () => {
  const [postgres, ceph] = await Promise.all([startPostgres(), startCephRgw()]);
  const dir = await Deno.makeTempDir({ prefix: "gateway_crash_data_" });
  try {
    await ceph.createBucket("crash");
    await crashRun({
      dataDir: dir,
      metadata: postgres.url,
      chunks: { bucket: "crash", prefix: "chunks/", endpoint: ceph.endpoint, pathStyle: true },
    }, {
      postgres,
      gatewayEnv: {
        AWS_ACCESS_KEY_ID: ceph.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ceph.secretAccessKey,
        AWS_REGION: ceph.region,
      },
    });
  } finally {
    await Promise.allSettled([postgres.stop(), ceph.stop()]);
    await Deno.remove(dir, { recursive: true });
  }
});
