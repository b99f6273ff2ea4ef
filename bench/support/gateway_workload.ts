/**
 * The gateway side of the gateway-versus-engines benchmark: a
 * {@link WorkloadPayload} sent through storage gateways with
 * `BackupStorageClient` — the large object uploaded (StartObject, PutChunk of
 * each chunk, NotifyObjectComplete) and read back (ListChunks, GetChunk), then
 * the small objects put one PutObject each — requests spread round-robin over
 * the gateways given.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { chunkChecksum } from "../../src/storage/checksum.ts";
import type { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { listAllObjects, paginateListChunks } from "../../src/storage/paginate.ts";
import type { Chunk } from "../../src/storage/types.ts";
import { mbPerSecond, timed } from "./bench_report.ts";
import { runBounded } from "./run_bounded.ts";
import type { WorkloadPayload } from "./workload_payload.ts";

/** Options of {@link measureGatewayWorkload}. */
export interface GatewayWorkloadOptions {
  /** Requests in flight at once, over all the gateways (default 4). */
  inFlight?: number;
  /** The backup job the objects go in (default `"bench"`); a fresh store is expected. */
  job?: string;
  /**
   * Runs each timed phase (`"put"`, `"get"`, `"small"`): e.g. to read the CPU
   * time the processes used around it. Default: runs it.
   */
  aroundPhase?: <T>(phase: string, work: () => Promise<T>) => Promise<T>;
}

/** What the gateways did, per second. */
export interface GatewayWorkloadFigures {
  /** MB/s of the large object's upload, StartObject to NotifyObjectComplete. */
  putMBps: number;
  /** MB/s of reading it back, ListChunks and every GetChunk (bodies read whole). */
  getMBps: number;
  /** Small PutObjects (one inline chunk each) per second. */
  smallPerSecond: number;
}

/**
 * Runs the workload through `clients` (one per gateway; request `i` of a phase
 * goes through `clients[i % clients.length]`), `inFlight` requests at a time,
 * and checks what it stored (after each clock stops): the listed chunks' count,
 * lengths and checksums, the first and last chunk byte for byte, and every small
 * object listed. A few small PutObjects (`warm-up/…`) first warm the gateways'
 * connections up, off the clock.
 *
 * @example One gateway on a fresh data directory, a small payload
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageClient } from "../../src/storage/client/mod.ts";
 * import { freePort } from "../../tests/support/engines/_process.ts";
 * import {
 *   GATEWAY_KEYS,
 *   startGateway,
 *   writeGatewayCredentials,
 * } from "../../tests/support/gateway_process.ts";
 * import { measureGatewayWorkload } from "./gateway_workload.ts";
 * import { WorkloadPayload } from "./workload_payload.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const gateway = await startGateway({ dataDir: `${dir}/data` }, {
 *   port: freePort(),
 *   credentialsFile: await writeGatewayCredentials(dir),
 * });
 * const client = new BackupStorageClient({
 *   endpoint: gateway.endpoint,
 *   region: "us-east-1",
 *   credentials: GATEWAY_KEYS,
 * });
 * try {
 *   const payload = new WorkloadPayload({ chunks: 4, chunkBytes: 65536, smallObjects: 10, smallBytes: 512 });
 *   const figures = await measureGatewayWorkload([client], payload, { inFlight: 2 });
 *   assert.ok(figures.putMBps > 0 && figures.getMBps > 0 && figures.smallPerSecond > 0);
 * } finally {
 *   await client.close();
 *   assert.equal((await gateway.stop()).code, 0);
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function measureGatewayWorkload(
  clients: BackupStorageClient[],
  payload: WorkloadPayload,
  options?: GatewayWorkloadOptions,
): Promise<GatewayWorkloadFigures> {
  if (clients.length === 0) throw new RangeError("at least one client is needed");
  const inFlight = options?.inFlight ?? 4;
  const job = options?.job ?? "bench";
  const around = options?.aroundPhase ?? ((_phase, work) => work());
  const { chunks, chunkBytes, smallObjects } = payload.options;
  const through = (i: number) => clients[i % clients.length];
  const name = (prefix: string, i: number) => `${prefix}${String(i).padStart(6, "0")}`;

  // ---- warm-up, off the clock: each gateway's connections and lazily loaded parts
  const warmUps = Math.max(inFlight, clients.length);
  await runBounded(warmUps, inFlight, async (i) => {
    const data = crypto.getRandomValues(new Uint8Array(64));
    await through(i).putObject({
      BackupJobId: job,
      ObjectName: name("warm-up/", i),
      InlineChunk: data,
      InlineChunkLength: data.length,
      InlineChunkChecksum: chunkChecksum(data),
    });
  });

  // ---- the large object: StartObject, PutChunk × chunks, NotifyObjectComplete
  const put = await around("put", () =>
    timed(async () => {
      const { UploadId } = await through(0).startObject({ BackupJobId: job, ObjectName: "large" });
      await runBounded(chunks, inFlight, async (i) => {
        await through(i).putChunk({
          BackupJobId: job,
          UploadId,
          ChunkIndex: i,
          Data: payload.chunk(i),
          Length: chunkBytes,
          Checksum: payload.chunkChecksums[i],
          ChecksumAlgorithm: "SHA256",
        });
      });
      await through(chunks).notifyObjectComplete({
        BackupJobId: job,
        UploadId,
        ObjectChecksum: payload.objectChecksum,
        ObjectChecksumAlgorithm: "SUMMARY",
      });
    }));

  // ---- read it back: ListChunks (every page), GetChunk × chunks
  const { ObjectList } = await through(0).listObjects({
    StorageJobId: job,
    StartingObjectName: "large",
    MaxResults: 1,
  });
  if (ObjectList[0]?.Name !== "large") throw new Error("the large object is not listed");
  const objectToken = ObjectList[0].ObjectToken;
  const listed: Chunk[] = [];
  let bytesRead = 0;
  const get = await around("get", () =>
    timed(async () => {
      for await (
        const page of paginateListChunks(through(0), {
          StorageJobId: job,
          ObjectToken: objectToken,
        })
      ) listed.push(...page.ChunkList);
      if (listed.length !== chunks) throw new Error(`listed ${listed.length} chunks of ${chunks}`);
      await runBounded(chunks, inFlight, async (i) => {
        const out = await through(i).getChunk({
          StorageJobId: job,
          ChunkToken: listed[i].ChunkToken,
        });
        for await (const piece of out.Data) bytesRead += piece.byteLength;
      });
    }));
  if (bytesRead !== payload.largeObjectBytes) {
    throw new Error(`read ${bytesRead} bytes, expected ${payload.largeObjectBytes}`);
  }
  for (const [i, chunk] of listed.entries()) {
    if (chunk.Length !== chunkBytes || chunk.Checksum !== payload.chunkChecksums[i]) {
      throw new Error(`chunk ${i} is listed as ${chunk.Length} bytes, ${chunk.Checksum}`);
    }
  }
  for (const i of new Set([0, chunks - 1].filter((i) => i >= 0))) {
    const out = await through(i + 1).getChunk({
      StorageJobId: job,
      ChunkToken: listed[i].ChunkToken,
    });
    const bytes = new Uint8Array(await new Response(out.Data).arrayBuffer());
    if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(payload.chunk(i))) {
      throw new Error(`chunk ${i} read back differs from the one put`);
    }
  }

  // ---- small objects: one PutObject each, the bytes inline
  const small = await around(
    "small",
    () =>
      timed(() =>
        runBounded(smallObjects, inFlight, async (i) => {
          const data = payload.smallObject(i);
          await through(i).putObject({
            BackupJobId: job,
            ObjectName: name("small/", i),
            InlineChunk: data,
            InlineChunkLength: data.length,
            InlineChunkChecksum: payload.smallChecksums[i],
            InlineChunkChecksumAlgorithm: "SHA256",
          });
        })
      ),
  );
  let smallListed = 0;
  for await (
    const object of listAllObjects(through(0), {
      StorageJobId: job,
      StartingObjectPrefix: "small/",
    })
  ) {
    if (object.Name.startsWith("small/")) smallListed++;
  }
  if (smallListed !== smallObjects) {
    throw new Error(`listed ${smallListed} small objects of ${smallObjects}`);
  }

  return {
    putMBps: mbPerSecond(payload.largeObjectBytes, put.ms),
    getMBps: mbPerSecond(payload.largeObjectBytes, get.ms),
    smallPerSecond: smallObjects / (small.ms / 1000),
  };
}
