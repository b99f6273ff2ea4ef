// `backupfs scrub` as a child process: a clean store exits 0; one flipped bit in a
// chunk file shared by two files exits 1 naming both BackupFS paths (on the data
// directory, through a `backupfs storage` endpoint, and while `backupfs serve` runs
// on the same directory); a missing chunk file and a tampered SUMMARY are reported;
// --all-jobs and --job pick the jobs; --rate still checks everything.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { runBackupfs, storageClientEnv, whileServing } from "./support/backupfs_process.ts";
import {
  chunkFileOf,
  flipBit,
  randomBytes,
  tamperSummary,
  writeFiles,
} from "./support/store_fixture.ts";

const SHARED = randomBytes(200_000, 1); // one chunk, kept in a chunk file (over 64 KiB)
const OTHER = randomBytes(150_000, 2);
// Objects: these 4 files and 4 directory markers (docs/, backup/2026/, notes/, empty/).
const SMALL = new TextEncoder().encode("small, kept in the database");

async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "backupfs-scrub-" });
  try {
    await writeFiles(dataDir, {
      "/docs/one.bin": SHARED,
      "/backup/2026/two.bin": SHARED, // the same bytes: the same chunk, stored once
      "/other.bin": OTHER,
      "/notes/small.txt": SMALL,
      "/empty/": null,
    });
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

function assertNamesBoth(stdout: string): void {
  assertMatch(stdout, /^DAMAGED chunk \S+ \(200000 bytes\): its bytes do not match its SHA-256$/m);
  assertMatch(stdout, /^ {2}used by 2 files:$/m);
  assertMatch(stdout, /^ {2}job "default" \/docs\/one\.bin \(chunk 0\)$/m);
  assertMatch(stdout, /^ {2}job "default" \/backup\/2026\/two\.bin \(chunk 0\)$/m);
  assert(!stdout.includes("/other.bin"), stdout);
  assertMatch(stdout, /1 damaged chunks, 0 damaged objects, 2 damaged files/);
}

Deno.test("scrub: a clean store exits 0 with its totals", async () => {
  await withDataDir(async (dataDir) => {
    const result = await runBackupfs(["scrub", "--data", dataDir]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(
      result.stdout,
      "scrub: 1 job, 8 objects, 4 chunks (3 read), 350027 bytes (341.8 KiB) checked; " +
        "0 damaged chunks, 0 damaged objects, 0 damaged files\n",
    );
    assertEquals(result.stderr, "");
    // Rate-limited, it still reads everything.
    const limited = await runBackupfs(["scrub", "--data", dataDir, "--rate", "50"]);
    assertEquals(limited.code, 0, limited.stderr);
    assertEquals(limited.stdout, result.stdout);
  });
});

Deno.test("scrub: one flipped bit in a shared chunk file exits 1 naming both files", async () => {
  await withDataDir(async (dataDir) => {
    await flipBit(chunkFileOf(dataDir, SHARED), 12_345);
    const result = await runBackupfs(["scrub", "--data", dataDir]);
    assertEquals(result.code, 1, result.stderr);
    assertNamesBoth(result.stdout);
    assertMatch(result.stderr, /^backupfs scrub: damaged chunk .* in \/backup\/2026\/two\.bin/m);
  });
});

Deno.test("scrub: through a BackupStorage endpoint (backupfs storage) finds it too", async () => {
  await withDataDir(async (dataDir) => {
    await whileServing("storage", dataDir, async (storage) => {
      const env = storageClientEnv(dataDir);
      const clean = await runBackupfs(["scrub", "--endpoint", storage.origin], { env });
      assertEquals(clean.code, 0, clean.stderr);
      assertMatch(clean.stdout, /8 objects, 4 chunks \(3 read\), 350027 bytes/);
      await flipBit(chunkFileOf(dataDir, SHARED), 7);
      const damaged = await runBackupfs(["scrub", "--endpoint", storage.origin], { env });
      assertEquals(damaged.code, 1, damaged.stderr);
      assertNamesBoth(damaged.stdout);
    });
  });
});

Deno.test("scrub: beside a running backupfs serve on the same data directory", async () => {
  await withDataDir(async (dataDir) => {
    await whileServing("serve", dataDir, async (serve) => {
      // The server reads the file once (its chunk cache holds it), then the file is damaged.
      const before = await fetch(`${serve.origin}/docs/one.bin`);
      assertEquals(new Uint8Array(await before.arrayBuffer()), SHARED);
      const put = await fetch(`${serve.origin}/notes/new.txt`, { method: "PUT", body: "new" });
      assertEquals(put.status, 201);
      const clean = await runBackupfs(["scrub", "--data", dataDir]);
      assertEquals(clean.code, 0, clean.stderr);
      assertMatch(clean.stdout, /9 objects/); // the new file too
      await flipBit(chunkFileOf(dataDir, SHARED), 199_999);
      const damaged = await runBackupfs(["scrub", "--data", dataDir]);
      assertEquals(damaged.code, 1, damaged.stderr);
      assertNamesBoth(damaged.stdout);
    });
  });
});

Deno.test("scrub: a missing chunk file and a tampered SUMMARY are damage", async () => {
  await withDataDir(async (dataDir) => {
    await Deno.remove(chunkFileOf(dataDir, OTHER));
    tamperSummary(
      dataDir,
      "default",
      "notes/small.txt",
      "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    );
    const result = await runBackupfs(["scrub", "--data", dataDir]);
    assertEquals(result.code, 1, result.stderr);
    assertMatch(
      result.stdout,
      /^DAMAGED chunk \S+ \(150000 bytes\): missing: the store has no bytes for it$/m,
    );
    assertMatch(result.stdout, /^ {2}job "default" \/other\.bin \(chunk 0\)$/m);
    assertMatch(
      result.stdout,
      /^DAMAGED object job "default" \/notes\/small\.txt: its SUMMARY checksum does not match its chunks' digests$/m,
    );
    assertMatch(result.stdout, /1 damaged chunks, 1 damaged objects, 2 damaged files/);
  });
});

Deno.test("scrub: --all-jobs scrubs every job, --job only the ones named", async () => {
  await withDataDir(async (dataDir) => {
    const photo = randomBytes(100_000, 3);
    await writeFiles(dataDir, { "/2026/cat.jpg": photo }, "photos");
    await flipBit(chunkFileOf(dataDir, photo), 0);
    const all = await runBackupfs(["scrub", "--data", dataDir, "--all-jobs"]);
    assertEquals(all.code, 1, all.stderr);
    assertMatch(all.stdout, /^ {2}job "photos" \/2026\/cat\.jpg \(chunk 0\)$/m);
    assertMatch(all.stdout, /^scrub: 2 jobs, 10 objects/m);
    const one = await runBackupfs(["scrub", "--data", dataDir, "--job", "default"]);
    assertEquals(one.code, 0, one.stderr);
    const both = await runBackupfs([
      "scrub",
      "--data",
      dataDir,
      "--job",
      "default",
      "--job",
      "photos",
    ]);
    assertEquals(both.code, 1, both.stderr);
    const bad = await runBackupfs(["scrub", "--data", dataDir, "--all-jobs", "--job", "x"]);
    assertEquals(bad.code, 2);
    assertEquals(
      bad.stderr,
      "backupfs scrub: --all-jobs and --job exclude each other (try --help)\n",
    );
  });
});
