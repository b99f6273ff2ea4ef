// PutChunk then GetChunk of 1 GiB in 4 MiB chunks over HTTP on loopback, against
// the storage service started as its own process (`src/server/main.ts`, durable
// writes on), printed next to references measured in the same run:
//   - this machine's single-core SHA-256 speed (the target: PutChunk and GetChunk
//     each ≥ 50% of it);
//   - the local disk's durable write speed: the same 1 GiB written as 4 MiB files,
//     each fdatasynced, as many in flight — the least a durable store must do.
// The service runs with its data directory on the disk (the real case) and, with
// --tmpfs-dir, a second time on tmpfs, which shows what the software does when the
// disk is not the limit. Deno grants paths under /dev only with --allow-all, so:
//
//   deno task bench:storage [--size-mib 1024] [--chunk-mib 4] [--in-flight 4]
//   deno run -A bench/storage_throughput.ts --tmpfs-dir /dev/shm

import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { BackupStorageClient } from "../src/storage/client/mod.ts";
import { chunkChecksum, ChunkHasher, sha256, summaryChecksum } from "../src/storage/checksum.ts";
import { paginateListChunks } from "../src/storage/paginate.ts";
import type { Chunk } from "../src/storage/types.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "size-mib": { type: "string", default: "1024" },
    "chunk-mib": { type: "string", default: "4" },
    "in-flight": { type: "string", default: "4" },
    "disk-dir": { type: "string", default: Deno.cwd() },
    "tmpfs-dir": { type: "string" },
  },
});
const MiB = 1024 * 1024;
const chunkSize = Number(values["chunk-mib"]) * MiB;
const chunkCount = Math.ceil((Number(values["size-mib"]) * MiB) / chunkSize);
const inFlight = Number(values["in-flight"]);
const totalBytes = chunkCount * chunkSize;

// Distinct chunks (no two alike, so content addressing cannot skip a write): a random
// base block with the chunk's index stamped into its first bytes.
const base = new Uint8Array(chunkSize);
for (let i = 0; i < base.length; i += 65536) crypto.getRandomValues(base.subarray(i, i + 65536));
function chunkData(index: number): Uint8Array {
  const data = base.slice();
  new DataView(data.buffer).setFloat64(0, index);
  new DataView(data.buffer).setFloat64(chunkSize - 8, index);
  return data;
}

function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

async function runBounded(count: number, parallel: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

// ---- reference: single-core SHA-256 over the same amount of data, same run
const shaStart = performance.now();
for (let i = 0; i < chunkCount; i++) createHash("sha256").update(base).digest();
const shaMBps = mbps(totalBytes, performance.now() - shaStart);

// ---- reference: durable writes of the same data to the local disk, same shape
async function diskWriteMBps(parent: string): Promise<number> {
  const dir = await Deno.makeTempDir({ dir: parent, prefix: "backupfs-bench-disk-" });
  try {
    const start = performance.now();
    await runBounded(chunkCount, inFlight, async (i) => {
      const file = await Deno.open(`${dir}/${i}`, { write: true, createNew: true });
      const data = chunkData(i);
      for (let written = 0; written < data.length;) {
        written += await file.write(data.subarray(written));
      }
      await file.syncData();
      file.close();
    });
    return mbps(totalBytes, performance.now() - start);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface ServiceFigures {
  put: number;
  get: number;
  getVerified: number;
}

// ---- the service, as its own process, with its data under `parent`; or, when
// `parent` is undefined, the discard service (same HTTP path, nothing stored:
// PutChunk only)
async function measureService(parent: string | undefined): Promise<ServiceFigures> {
  const dataDir = await Deno.makeTempDir({ dir: parent ?? Deno.cwd(), prefix: "backupfs-bench-" });
  const accessKeyId = "BENCHKEY";
  const secretAccessKey = crypto.randomUUID();
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const server = new Deno.Command(Deno.execPath(), {
    args: parent === undefined
      ? [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-env",
        new URL("./support/discard_service.ts", import.meta.url).pathname,
        String(port),
      ]
      : [
        "run",
        ...(dataDir.startsWith("/dev/")
          ? ["--allow-all"] // Deno grants /dev paths (tmpfs at /dev/shm) only this way
          : [
            "--allow-net=127.0.0.1",
            `--allow-read=${dataDir}`,
            `--allow-write=${dataDir}`,
            "--allow-env",
          ]),
        new URL("../src/server/main.ts", import.meta.url).pathname,
        "--listen",
        `127.0.0.1:${port}`,
        "--data",
        dataDir,
      ],
    env: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let banner = "";
  for (let i = 0; i < 100 && !banner.includes("listening on"); i++) {
    const { value, done } = await lines.read();
    if (done) throw new Error("storage service exited before listening");
    banner += value;
  }
  const rest = (async () => {
    while (!(await lines.read()).done) { /* drain */ }
  })();

  const client = new BackupStorageClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId, secretAccessKey },
  });
  const job = "bench";

  try {
    // ---- PutChunk (checksums computed beforehand: the caller hashes while producing data)
    const checksums = new Array<string>(chunkCount);
    const digests = new Array<Uint8Array>(chunkCount);
    for (let i = 0; i < chunkCount; i++) {
      digests[i] = sha256(chunkData(i));
      checksums[i] = chunkChecksum(chunkData(i));
    }
    const { UploadId } = await client.startObject({ BackupJobId: job, ObjectName: "one-gib" });
    const putStart = performance.now();
    await runBounded(chunkCount, inFlight, async (i) => {
      await client.putChunk({
        BackupJobId: job,
        UploadId,
        ChunkIndex: i,
        Data: chunkData(i),
        Length: chunkSize,
        Checksum: checksums[i],
        ChecksumAlgorithm: "SHA256",
      });
    });
    const putMs = performance.now() - putStart;
    if (parent === undefined) return { put: mbps(totalBytes, putMs), get: NaN, getVerified: NaN };
    await client.notifyObjectComplete({
      BackupJobId: job,
      UploadId,
      ObjectChecksum: summaryChecksum(digests),
      ObjectChecksumAlgorithm: "SUMMARY",
    });

    // ---- GetChunk, bytes only, then with the reader's SHA-256 verification
    const { ObjectList } = await client.listObjects({ StorageJobId: job });
    const chunks: Chunk[] = [];
    for await (
      const page of paginateListChunks(client, {
        StorageJobId: job,
        ObjectToken: ObjectList[0].ObjectToken,
      })
    ) chunks.push(...page.ChunkList);
    if (chunks.length !== chunkCount) throw new Error(`listed ${chunks.length} chunks`);

    const getAll = async (verify: boolean): Promise<number> => {
      const start = performance.now();
      let bytes = 0;
      await runBounded(chunkCount, inFlight, async (i) => {
        const out = await client.getChunk({ StorageJobId: job, ChunkToken: chunks[i].ChunkToken });
        const hasher = verify ? new ChunkHasher() : undefined;
        for await (const piece of out.Data) {
          bytes += piece.byteLength;
          hasher?.update(piece);
        }
        if (hasher && hasher.checksum() !== chunks[i].Checksum) {
          throw new Error(`chunk ${i} differs`);
        }
      });
      if (bytes !== totalBytes) throw new Error(`read ${bytes} bytes, expected ${totalBytes}`);
      return performance.now() - start;
    };
    const getMs = await getAll(false);
    const getVerifiedMs = await getAll(true);

    return {
      put: mbps(totalBytes, putMs),
      get: mbps(totalBytes, getMs),
      getVerified: mbps(totalBytes, getVerifiedMs),
    };
  } finally {
    await client.close();
    server.kill("SIGTERM");
    await server.status;
    await rest.catch(() => {});
    await Deno.remove(dataDir, { recursive: true });
  }
}

const diskDurable = await diskWriteMBps(values["disk-dir"]!);
const transportOnly = await measureService(undefined);
const onDisk = await measureService(values["disk-dir"]!);
const onTmpfs = values["tmpfs-dir"] ? await measureService(values["tmpfs-dir"]) : undefined;

const rows: Array<[string, number]> = [
  ["SHA-256, one core (reference)", shaMBps],
  [`local disk: 4 MiB files + fdatasync, ${inFlight} in flight`, diskDurable],
  [`PutChunk over HTTP, verified then discarded`, transportOnly.put],
  [`PutChunk over HTTP, data on disk (durable)`, onDisk.put],
  [`GetChunk over HTTP, data on disk`, onDisk.get],
  [`GetChunk + client SHA-256 verify, on disk`, onDisk.getVerified],
];
if (onTmpfs) {
  rows.push(
    [`PutChunk over HTTP, data on tmpfs`, onTmpfs.put],
    [`GetChunk over HTTP, data on tmpfs`, onTmpfs.get],
    [`GetChunk + client SHA-256 verify, on tmpfs`, onTmpfs.getVerified],
  );
}
console.log(
  `\n${(totalBytes / MiB).toFixed(0)} MiB in ${chunkCount} chunks of ${
    chunkSize / MiB
  } MiB, ${inFlight} in flight, loopback; storage service in its own process\n`,
);
console.log(
  `${"".padEnd(50)} ${"MB/s".padStart(6)}  ${"vs SHA-256".padStart(10)}  ${"vs disk".padStart(8)}`,
);
for (const [name, value] of rows) {
  console.log(
    `${name.padEnd(50)} ${value.toFixed(0).padStart(6)}  ${
      `${(100 * value / shaMBps).toFixed(0)}%`.padStart(10)
    }  ${`${(100 * value / diskDurable).toFixed(0)}%`.padStart(8)}`,
  );
}
