// BackupFS metadata operations over the embedded store in-process, its data on the
// local disk with durable writes on (the real configuration), default options, next
// to the same operations on the local disk through `Deno.*` in the same run:
//
//   3. create 10,000 files of 1 KiB in one directory (files/s), one at a time;
//   4. readDir of that directory (time and ListObjects calls);
//   5. readDir of a directory with 10 children holding 10,000 descendants each
//      (100,000 objects, created straight through the store with parallel
//      PutObjects of empty objects): time and ListObjects calls, target ≤ 12.
//
//   deno task bench:fs-metadata [--dir .] [--files 10000] [--children 10]
//                               [--descendants 10000] [--parallel 32]
//
// The data lives in a temp directory under --dir (default: the current directory),
// removed at the end, on failure and on Ctrl-C. Another --dir needs matching
// --allow-read/--allow-write.

import { parseArgs } from "node:util";
import { BackupFS } from "../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../src/storage/store/mod.ts";
import { openBenchDir } from "./support/bench_dir.ts";
import { fmt, loadAverage, printTable, ratio, timed, verdict } from "./support/bench_report.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string", default: "." },
    files: { type: "string", default: "10000" },
    children: { type: "string", default: "10" },
    descendants: { type: "string", default: "10000" },
    parallel: { type: "string", default: "32" },
  },
});
const fileCount = Number(values.files);
const childCount = Number(values.children);
const descendantCount = Number(values.descendants);
const parallel = Number(values.parallel);
const FILE_BYTES = 1024;
const JOB = "bench";

/** Distinct content for file `i` (a content-addressed store must not dedupe them). */
const base = crypto.getRandomValues(new Uint8Array(FILE_BYTES));
function content(i: number): Uint8Array {
  const data = base.slice();
  new DataView(data.buffer).setFloat64(0, i);
  return data;
}
const fileName = (i: number) => `f${String(i).padStart(6, "0")}`;

async function runBounded(count: number, width: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function countLocalEntries(path: string): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir(path)) n++;
  return n;
}

async function listFs(
  fs: BackupFS,
  path: string,
): Promise<{ ms: number; calls: number; entries: number }> {
  const before = fs.listCalls;
  const { ms, value: entries } = await timed(async () => {
    let n = 0;
    for await (const _ of fs.readDir(path)) n++;
    return n;
  });
  return { ms, calls: fs.listCalls - before, entries };
}

await using dir = await openBenchDir(values.dir!, "backupfs-bench-meta-");
const localSmall = `${dir.path}/local-small`;
await Deno.mkdir(localSmall);
const localSynced = `${dir.path}/local-synced`;
await Deno.mkdir(localSynced);

console.log(
  `BackupFS metadata: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ` +
    `load average ${loadAverage()}, data in ${dir.path}`,
);
console.log(
  `BackupFS over the embedded store in-process (durable), default options; every operation ` +
    `one at a time unless stated\n`,
);

// ---- 3. create small files
const createLocal = await timed(async () => {
  for (let i = 0; i < fileCount; i++) {
    await Deno.writeFile(`${localSmall}/${fileName(i)}`, content(i), { createNew: true });
  }
});
const createLocalSynced = await timed(async () => {
  for (let i = 0; i < fileCount; i++) {
    using file = await Deno.open(`${localSynced}/${fileName(i)}`, {
      write: true,
      createNew: true,
    });
    const data = content(i);
    for (let w = 0; w < data.length;) w += await file.write(data.subarray(w));
    await file.syncData();
  }
});

const store = await EmbeddedStore.open(`${dir.path}/store`);
try {
  const writer = new BackupFS(store, { jobId: JOB });
  await writer.mkdir("/small");
  const createFs = await timed(async () => {
    for (let i = 0; i < fileCount; i++) {
      await writer.writeFile(`/small/${fileName(i)}`, content(i), { createNew: true });
    }
  });
  const createCalls = writer.listCalls;
  await writer.mkdir("/small-parallel");
  const createFsParallel = await timed(() =>
    runBounded(fileCount, 8, async (i) => {
      await writer.writeFile(`/small-parallel/${fileName(i)}`, content(i), { createNew: true });
    })
  );

  const perSecond = (ms: number) => fileCount / (ms / 1000);
  console.log(`3. Create ${fileCount} files of ${FILE_BYTES} bytes in one directory\n`);
  printTable(
    ["operation", "files/s", "total s", "vs Deno.writeFile", "vs + fdatasync"],
    ([
      ["local disk: Deno.writeFile", createLocal.ms],
      ["local disk: open + write + fdatasync each", createLocalSynced.ms],
      ["BackupFS writeFile (createNew)", createFs.ms],
      ["BackupFS writeFile, 8 in parallel", createFsParallel.ms],
    ] as Array<[string, number]>).map(([name, ms]) => [
      name,
      fmt(perSecond(ms)),
      fmt(ms / 1000, 1),
      ratio(perSecond(ms), perSecond(createLocal.ms)),
      ratio(perSecond(ms), perSecond(createLocalSynced.ms)),
    ]),
  );
  console.log(
    `(BackupFS made ${createCalls} ListObjects calls while creating the ${fileCount} files ` +
      `one at a time: ${fmt(createCalls / fileCount, 2)} per file)`,
  );

  // ---- 4. readDir of the 10,000 files
  const localList = await timed(() => countLocalEntries(localSmall));
  if (localList.value !== fileCount) throw new Error(`local readDir saw ${localList.value}`);
  const fsList = await listFs(new BackupFS(store, { jobId: JOB }), "/small");
  if (fsList.entries !== fileCount) throw new Error(`BackupFS readDir saw ${fsList.entries}`);
  console.log(`\n4. readDir of a directory with ${fileCount} files (fresh BackupFS)\n`);
  printTable(["operation", "ms", "ListObjects calls", "entries/s", "vs Deno.readDir"], [
    [
      "local disk: Deno.readDir",
      fmt(localList.ms, 1),
      "",
      fmt(fileCount / localList.ms * 1000),
      "",
    ],
    [
      "BackupFS readDir",
      fmt(fsList.ms, 1),
      String(fsList.calls),
      fmt(fileCount / fsList.ms * 1000),
      ratio(localList.ms, fsList.ms),
    ],
  ]);

  // ---- 5. readDir of a directory whose 10 children hold 100,000 descendants
  const total = childCount * descendantCount;
  const perSub = 100;
  const create = await timed(() =>
    runBounded(total, parallel, async (i) => {
      const child = Math.floor(i / descendantCount);
      const k = i % descendantCount;
      // Descendants two levels down: /tree/cN/dMMM/fKKKKKK (100 per subdirectory).
      const name = `tree/c${child}/d${String(Math.floor(k / perSub)).padStart(4, "0")}/` +
        fileName(k);
      await store.putObject({ BackupJobId: JOB, ObjectName: name });
    })
  );
  const treeFs = new BackupFS(store, { jobId: JOB });
  const treeList = await listFs(treeFs, "/tree");
  if (treeList.entries !== childCount) throw new Error(`readDir /tree saw ${treeList.entries}`);
  const again = await listFs(treeFs, "/tree");
  console.log(
    `\n5. readDir of a directory with ${childCount} children holding ${descendantCount} ` +
      `descendants each (${total} objects)\n`,
  );
  printTable(["operation", "ms", "ListObjects calls", "target"], [
    [
      `create: PutObject of empty objects, ${parallel} in parallel`,
      fmt(create.ms, 0),
      "",
      `${fmt(total / create.ms * 1000)} objects/s`,
    ],
    [
      "BackupFS readDir (fresh BackupFS)",
      fmt(treeList.ms, 1),
      String(treeList.calls),
      verdict(treeList.calls <= 12, "≤ 12 calls"),
    ],
    [
      "BackupFS readDir again (same BackupFS)",
      fmt(again.ms, 1),
      String(again.calls),
      verdict(again.calls <= 12, "≤ 12 calls"),
    ],
  ]);
} finally {
  await store.close();
}
console.log(`\nload average at the end: ${loadAverage()}`);
