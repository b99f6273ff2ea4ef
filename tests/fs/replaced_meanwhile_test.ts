// Operations that copy a file's chunks and then act on its name must not lose a
// version another writer commits while they copy. A metadata rewrite (utime,
// setExtendedAttributes, a PROPPATCH) committed the older bytes over it, silently
// reverting an acknowledged write; a rename deleted it from the source after copying
// the older one. Now both stop with Busy ("changed meanwhile") and the newer version
// stays (a rename leaves the version it moved at the destination).

import { BackupFS } from "../../src/fs/mod.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { wrapStorage } from "./support/read_fixtures.ts";

const JOB = "rewrite-race";
const OLD = new Uint8Array(20_000).fill(1); // 5 chunks of 4 KiB: the copy takes PutChunks

Deno.test("a metadata rewrite never commits over a version written while it copied", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-rewrite-race-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  try {
    const other = new BackupFS(store, { jobId: JOB });
    let armed = false;
    let raced = false;
    const storage: BackupStorage = wrapStorage(store, {
      putChunk: async (input, options) => {
        if (armed && !raced) {
          raced = true; // another client replaces the file while the copy runs
          await other.writeTextFile("/f.bin", "the other writer's");
        }
        return await store.putChunk(input, options);
      },
    });
    const fs = new BackupFS(storage, { jobId: JOB, chunkSize: 4096 });
    await fs.writeFile("/f.bin", OLD);
    armed = true;
    let error: unknown;
    await fs.utime("/f.bin", new Date(1000)).catch((e) => error = e);
    assert(raced, "the other writer ran");
    assert(error instanceof Deno.errors.Busy, `Busy, got ${error}`);
    assertEquals(await other.readTextFile("/f.bin"), "the other writer's");

    // Without a race: the rewrite goes through, the bytes unchanged.
    await fs.writeFile("/g.bin", OLD);
    await fs.setExtendedAttributes("/g.bin", (current) => ({ ...current, "user.tag": "blue" }));
    await fs.utime("/g.bin", new Date(2000));
    assertEquals(await other.readFile("/g.bin"), OLD);
    assertEquals((await other.stat("/g.bin")).mtime?.getTime(), 2000);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a rename never deletes a version written at its source while it copied", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-rename-race-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  try {
    const other = new BackupFS(store, { jobId: JOB });
    let armed = false;
    let raced = false;
    const storage: BackupStorage = wrapStorage(store, {
      putChunk: async (input, options) => {
        if (armed && !raced) {
          raced = true; // another client replaces the source while the move copies it
          await other.writeTextFile("/src.bin", "the other writer's");
        }
        return await store.putChunk(input, options);
      },
    });
    const fs = new BackupFS(storage, { jobId: JOB, chunkSize: 4096 });
    await fs.writeFile("/src.bin", OLD);
    armed = true;
    let error: unknown;
    await fs.rename("/src.bin", "/dst.bin").catch((e) => error = e);
    assert(raced, "the other writer ran");
    assert(error instanceof Deno.errors.Busy, `Busy, got ${error}`);
    assertEquals(await other.readTextFile("/src.bin"), "the other writer's");
    assertEquals(await other.readFile("/dst.bin"), OLD);

    // Without a race: moved.
    await fs.writeFile("/a.bin", OLD);
    await fs.rename("/a.bin", "/b.bin");
    assertEquals(await other.exists("/a.bin"), false);
    assertEquals(await other.readFile("/b.bin"), OLD);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFile precondition sees a version written during the upload and can cancel the write", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-precondition-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  try {
    const other = new BackupFS(store, { jobId: JOB });
    let armed = false;
    let raced = false;
    const storage: BackupStorage = wrapStorage(store, {
      putChunk: async (input, options) => {
        if (armed && !raced) {
          raced = true; // another client replaces the file during this upload
          await other.writeTextFile("/f.bin", "the other writer's");
        }
        return await store.putChunk(input, options);
      },
    });
    const fs = new BackupFS(storage, { jobId: JOB, chunkSize: 4096 });
    await fs.writeFile("/f.bin", OLD);
    const expected = (await fs.stat("/f.bin")).etag;
    armed = true;
    const seen: (string | undefined)[] = [];
    const unless = (current: { etag?: string } | undefined) => {
      seen.push(current?.etag);
      if (current?.etag !== expected) throw new Error("precondition failed");
    };
    let error: unknown;
    await fs.writeFile("/f.bin", new Uint8Array(20_000).fill(3), { precondition: unless })
      .catch((e) => error = e);
    assert(raced, "the other writer ran");
    assertEquals((error as Error)?.message, "precondition failed");
    assertEquals(seen.length, 1);
    assert(seen[0] !== expected, "the precondition saw the other writer's version");
    assertEquals(await other.readTextFile("/f.bin"), "the other writer's");

    // Holding: the write goes through (read back without the other's cached lookup).
    const now = (await other.stat("/f.bin")).etag;
    await fs.writeFile("/f.bin", OLD, {
      precondition: (current) => assertEquals(current?.etag, now),
    });
    assertEquals(await new BackupFS(store, { jobId: JOB }).readFile("/f.bin"), OLD);
    let refused = false;
    await fs.writeFile("/f.bin", OLD, { append: true, precondition: () => {} })
      .catch((e) => refused = e instanceof TypeError);
    assert(refused, "precondition with append is a TypeError");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
