// BackupFS data throughput over the embedded store in-process, its data on the local
// disk with durable writes on (the real configuration), default options (4 MiB
// chunks), each figure printed next to the same operation on the local disk through
// `Deno.*` measured in the same run:
//
//   1. sequential write of 1 GiB (writeFile from a stream of 1 MiB pieces) and
//      sequential read of it, against the local disk plain and with a SHA-256 of
//      every 4 MiB chunk (the least a verifying writer or reader must do);
//      targets: write ≥ 0.5× and read ≥ 0.7× the local disk with SHA-256;
//   2. random 4 KiB reads at 2,000 offsets, cold (fresh BackupFS) and warm (the same
//      offsets again), against Deno.open + seek + read of the local file.
//
// Reads use a fresh BackupFS, so its chunk cache is cold; the OS page cache is warm
// for both sides alike (nothing is dropped; every file read was written in this run).
//
//   deno task bench:fs [--dir .] [--size-mib 1024] [--random-reads 2000]
//
// The data lives in a temp directory under --dir (default: the current directory),
// removed at the end, on failure and on Ctrl-C. Another --dir needs matching
// --allow-read/--allow-write.

import { parseArgs } from "node:util";
import { cpuUsage } from "node:process";
import { BackupFS } from "../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../src/storage/store/mod.ts";
import { openBenchDir } from "./support/bench_dir.ts";
import { MiB, PieceMaker, randomOffsets } from "./support/bench_data.ts";
import { ChunkDigests } from "./support/chunk_digests.ts";
import {
  fmt,
  loadAverage,
  mbPerSecond,
  printTable,
  ratio,
  verdict,
} from "./support/bench_report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: "." },
    "size-mib": { type: "string", default: "1024" },
    "random-reads": { type: "string", default: "2000" },
  },
});
const totalBytes = Number(values["size-mib"]) * MiB;
const randomReads = Number(values["random-reads"]);
const CHUNK = 4 * MiB;
const BLOCK = 4096;
const JOB = "bench";
const FILE = "/big.bin";

interface Measured {
  ms: number;
  /** CPU seconds (user + system, all threads) spent during the measurement. */
  cpu: number;
}

async function measure(work: () => Promise<void>): Promise<Measured> {
  const cpu0 = cpuUsage();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const cpu = cpuUsage(cpu0);
  return { ms, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.byteLength;) {
    written += await file.write(bytes.subarray(written));
  }
}

async function readFull(
  file: { read(buffer: Uint8Array): Promise<number | null> },
  buffer: Uint8Array,
): Promise<number> {
  let filled = 0;
  while (filled < buffer.byteLength) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}

/** Streams to a new local file (hashing every 4 MiB when asked), then fdatasync. */
async function writeLocal(path: string, stream: ReadableStream<Uint8Array>, hash: boolean) {
  const file = await Deno.open(path, { write: true, createNew: true });
  const digests = hash ? new ChunkDigests(CHUNK) : undefined;
  try {
    for await (const piece of stream) {
      digests?.update(piece);
      await writeAll(file, piece);
    }
    digests?.finish();
    await file.syncData();
  } finally {
    file.close();
  }
}

/** Reads a local file with a 1 MiB buffer (hashing every 4 MiB when asked). */
async function readLocal(path: string, hash: boolean): Promise<void> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(MiB);
  const digests = hash ? new ChunkDigests(CHUNK) : undefined;
  let total = 0;
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    digests?.update(buffer.subarray(0, n));
    total += n;
  }
  digests?.finish();
  if (total !== totalBytes) throw new Error(`read ${total} bytes of ${path}`);
}

function checkSize(what: string, total: number): void {
  if (total !== totalBytes) throw new Error(`${what}: read ${total} bytes, expected ${totalBytes}`);
}

await using dir = await openBenchDir(values.dir!, "backupfs-bench-fs-");
const pieces = new PieceMaker(MiB);
const plainPath = `${dir.path}/plain.bin`;
const hashedPath = `${dir.path}/hashed.bin`;

console.log(
  `BackupFS throughput: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ` +
    `load average ${loadAverage()}, data in ${dir.path}`,
);
console.log(
  `${totalBytes / MiB} MiB file from a stream of 1 MiB pieces; BackupFS over the embedded store ` +
    `in-process (durable), default options (4 MiB chunks, 4 uploads in flight, prefetch 4, ` +
    `256 MiB chunk cache)\n`,
);

// ---- 1. sequential write
const writePlain = await measure(() => writeLocal(plainPath, pieces.stream(totalBytes), false));
const writeHashed = await measure(() => writeLocal(hashedPath, pieces.stream(totalBytes), true));

const store = await EmbeddedStore.open(`${dir.path}/store`);
try {
  const writer = new BackupFS(store, { jobId: JOB });
  const writeFs = await measure(async () => {
    await writer.writeFile(FILE, pieces.stream(totalBytes));
  });
  if ((await new BackupFS(store, { jobId: JOB }).stat(FILE)).size !== totalBytes) {
    throw new Error("BackupFS file has the wrong size");
  }

  // ---- 1. sequential read (fresh BackupFS each: cold chunk cache)
  const readPlain = await measure(() => readLocal(plainPath, false));
  const readHashed = await measure(() => readLocal(hashedPath, true));
  const readStreamFs = await measure(async () => {
    const fs = new BackupFS(store, { jobId: JOB });
    let total = 0;
    for await (const piece of await fs.readStream(FILE)) total += piece.byteLength;
    checkSize("readStream", total);
  });
  const readHandleFs = await measure(async () => {
    const fs = new BackupFS(store, { jobId: JOB });
    await using file = await fs.open(FILE);
    const buffer = new Uint8Array(MiB);
    let total = 0;
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) break;
      total += n;
    }
    checkSize("open+read", total);
  });

  const seqRows: Array<[string, Measured, string]> = [
    ["local disk: write + fdatasync at end", writePlain, ""],
    ["local disk: write + SHA-256 per 4 MiB + fdatasync", writeHashed, ""],
    [
      "BackupFS writeFile(stream)",
      writeFs,
      verdict(writeHashed.ms / writeFs.ms >= 0.5, "≥ 0.50× disk+SHA"),
    ],
    ["local disk: read, 1 MiB buffer", readPlain, ""],
    ["local disk: read + SHA-256 per 4 MiB", readHashed, ""],
    [
      "BackupFS readStream, fresh instance",
      readStreamFs,
      verdict(readHashed.ms / readStreamFs.ms >= 0.7, "≥ 0.70× disk+SHA"),
    ],
    [
      "BackupFS open+read 1 MiB, fresh instance",
      readHandleFs,
      verdict(readHashed.ms / readHandleFs.ms >= 0.7, "≥ 0.70× disk+SHA"),
    ],
  ];
  const reference = (name: string) =>
    name.includes("write") ? [writePlain, writeHashed] : [
      readPlain,
      readHashed,
    ];
  console.log("1. Sequential write and read\n");
  printTable(
    ["operation", "MB/s", "CPU s", "vs disk", "vs disk+SHA", "target"],
    seqRows.map(([name, m, target]) => {
      const [plain, hashed] = reference(name);
      return [
        name,
        fmt(mbPerSecond(totalBytes, m.ms)),
        fmt(m.cpu, 1),
        ratio(plain.ms, m.ms),
        ratio(hashed.ms, m.ms),
        target,
      ];
    }),
  );

  // ---- 2. random 4 KiB reads
  const offsets = randomOffsets(randomReads, totalBytes, { align: BLOCK, seed: 42 });
  const expected = new Uint8Array(randomReads * BLOCK);
  const readLocalRandom = await measure(async () => {
    using file = await Deno.open(plainPath);
    for (let i = 0; i < offsets.length; i++) {
      await file.seek(offsets[i], Deno.SeekMode.Start);
      const n = await readFull(file, expected.subarray(i * BLOCK, (i + 1) * BLOCK));
      if (n !== BLOCK) throw new Error(`short local read at ${offsets[i]}`);
    }
  });

  const got = new Uint8Array(randomReads * BLOCK);
  const pass = async (
    randomFs: BackupFS,
  ): Promise<Measured & { hits: number; misses: number }> => {
    const cache = randomFs.chunkCache;
    const hits = cache.hits;
    const misses = cache.misses;
    got.fill(0);
    const m = await measure(async () => {
      await using file = await randomFs.open(FILE);
      for (let i = 0; i < offsets.length; i++) {
        await file.seek(offsets[i], Deno.SeekMode.Start);
        const n = await readFull(file, got.subarray(i * BLOCK, (i + 1) * BLOCK));
        if (n !== BLOCK) throw new Error(`short BackupFS read at ${offsets[i]}`);
      }
    });
    for (let i = 0; i < got.length; i += BLOCK) {
      if (got[i] !== expected[i] || got[i + BLOCK - 1] !== expected[i + BLOCK - 1]) {
        throw new Error(
          `BackupFS random read at ${offsets[i / BLOCK]} differs from the local file`,
        );
      }
    }
    return { ...m, hits: cache.hits - hits, misses: cache.misses - misses };
  };
  const randomFs = new BackupFS(store, { jobId: JOB });
  const cold = await pass(randomFs);
  const warm = await pass(randomFs);
  // Not the default: a chunk cache that holds the whole file, to show the warm case
  // once nothing is evicted.
  const bigCacheBytes = totalBytes + 64 * MiB;
  const bigFs = new BackupFS(store, { jobId: JOB, cacheBytes: bigCacheBytes });
  const bigCold = await pass(bigFs);
  const bigWarm = await pass(bigFs);

  const perSecond = (m: Measured) => randomReads / (m.ms / 1000);
  console.log(
    `\n2. Random ${BLOCK / 1024} KiB reads: ${randomReads} aligned offsets in the ` +
      `${totalBytes / MiB} MiB file (same offsets everywhere; BackupFS data checked against ` +
      `the local file)\n`,
  );
  printTable(
    ["operation", "reads/s", "MB/s", "CPU s", "vs disk", "cache hits/misses"],
    ([
      ["local disk: Deno.open + seek + read", readLocalRandom, ""],
      ["BackupFS open + seek + read, cold (fresh instance)", cold, `${cold.hits}/${cold.misses}`],
      ["BackupFS, warm (same offsets again)", warm, `${warm.hits}/${warm.misses}`],
      [
        `BackupFS, cacheBytes ${bigCacheBytes / MiB} MiB (not default), cold`,
        bigCold,
        `${bigCold.hits}/${bigCold.misses}`,
      ],
      [
        `BackupFS, cacheBytes ${bigCacheBytes / MiB} MiB (not default), warm`,
        bigWarm,
        `${bigWarm.hits}/${bigWarm.misses}`,
      ],
    ] as Array<[string, Measured, string]>).map(([name, m, cache]) => [
      name,
      fmt(perSecond(m)),
      fmt(mbPerSecond(randomReads * BLOCK, m.ms), 1),
      fmt(m.cpu, 1),
      ratio(perSecond(m), perSecond(readLocalRandom)),
      cache,
    ]),
  );
  console.log(
    `\n(The default chunk cache holds ${randomFs.chunkCache.maxBytes / MiB} MiB = ` +
      `${randomFs.chunkCache.maxBytes / CHUNK} chunks of the file's ${totalBytes / CHUNK}; ` +
      `a miss fetches and verifies a whole ${CHUNK / MiB} MiB chunk.)`,
  );
} finally {
  await store.close();
}
console.log(`\nload average at the end: ${loadAverage()}`);
