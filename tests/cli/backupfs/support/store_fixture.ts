// A data directory for the backupfs CLI tests: files written through BackupFS in
// this process (the store closed before any child opens it), and the chunk file of
// some bytes located on disk (chunks/ab/abcd…, named by the bytes' SHA-256).

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { BackupFS } from "../../../../src/fs/mod.ts";
import { sha256 } from "../../../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../../../src/storage/mod.ts";
import { toHex } from "../../../../src/storage/store/chunk_files.ts";
import { prng } from "../../../support/prng.ts";

/** `length` deterministic pseudo-random bytes. */
export function randomBytes(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

/** Writes `files` (path → bytes; a path ending in "/" is a directory) into `job` of `dataDir`. */
export async function writeFiles(
  dataDir: string,
  files: Record<string, Uint8Array | null>,
  job = "default",
): Promise<void> {
  const store = await EmbeddedStore.open(dataDir, { gcIntervalMs: 0 });
  try {
    const fs = new BackupFS(store, { jobId: job });
    for (const [path, bytes] of Object.entries(files)) {
      if (bytes === null) {
        await fs.mkdir(path, { recursive: true });
        continue;
      }
      const parent = path.slice(0, path.lastIndexOf("/"));
      if (parent !== "") await fs.mkdir(parent, { recursive: true });
      await fs.writeFile(path, bytes);
    }
  } finally {
    await store.close();
  }
}

/** The chunk file holding exactly `bytes` (one chunk longer than the 64 KiB kept inline). */
export function chunkFileOf(dataDir: string, bytes: Uint8Array): string {
  const hex = toHex(sha256(bytes));
  return join(dataDir, "chunks", hex.slice(0, 2), hex);
}

/** Flips one bit of a file, in place. */
export async function flipBit(path: string, offset: number): Promise<void> {
  const bytes = await Deno.readFile(path);
  bytes[offset] ^= 0x10;
  await Deno.writeFile(path, bytes);
}

/** Overwrites the SUMMARY checksum recorded for an object's current version (damaged metadata). */
export function tamperSummary(dataDir: string, job: string, name: string, checksum: string): void {
  const db = new DatabaseSync(join(dataDir, "metadata.db"));
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    const changed = db.prepare(
      "UPDATE versions SET object_checksum = ? WHERE job = ? AND name = ? AND object_checksum IS NOT NULL",
    ).run(checksum, job, new TextEncoder().encode(name));
    if (Number(changed.changes) < 1) throw new Error(`no version of ${name} to tamper with`);
  } finally {
    db.close();
  }
}
