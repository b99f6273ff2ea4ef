// A tree's removal and copy (and so a directory's rename) run several objects at
// once, so that their durable commits share the store's syncs: removals up to 32
// at once, copies up to 16 within a memory budget, an object of several chunks
// copied alone. The first failure stops them: it is what the caller sees, and no
// storage call starts after the operation settled.

import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { BackupFS } from "../../src/fs/backup_fs.ts";
import { IllegalArgumentException } from "../../src/storage/errors.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";

/** Storage calls in flight, by method, with the most seen at once. */
class CallLog {
  inFlight = new Map<string, number>();
  most = new Map<string, number>();
  calls = 0;
  /** When each PutObject ran: [name, start, end]. */
  puts: [string, number, number][] = [];
  /** When each upload of several chunks ran, StartObject to NotifyObjectComplete: [name, start, end]. */
  uploads: [string, number, number][] = [];
  #uploadStarts = new Map<string, [string, number]>();

  started(uploadId: string, name: string, at: number): void {
    this.#uploadStarts.set(uploadId, [name, at]);
  }

  completed(uploadId: string, at: number): void {
    const [name, start] = this.#uploadStarts.get(uploadId)!;
    this.uploads.push([name, start, at]);
  }

  /** PutObjects that ran while an upload of several chunks ran. */
  overlaps(): string[] {
    return this.puts.flatMap(([put, a, b]) =>
      this.uploads.filter(([, c, d]) => a < d && c < b).map(([upload]) => `${put} with ${upload}`)
    );
  }

  enter(method: string): void {
    this.calls++;
    const now = (this.inFlight.get(method) ?? 0) + 1;
    this.inFlight.set(method, now);
    this.most.set(method, Math.max(now, this.most.get(method) ?? 0));
  }

  leave(method: string): void {
    this.inFlight.set(method, this.inFlight.get(method)! - 1);
  }
}

interface Faults {
  /** Milliseconds each call of these methods waits before it runs. */
  delays?: Record<string, number>;
  /** A call that fails (not retryable): this method, for this object name. */
  failing?: { method: string; name: string };
}

/** The store's methods the proxy logs (all asynchronous). */
const LOGGED = new Set([
  "deleteObject",
  "putObject",
  "putObjectHashed",
  "startObject",
  "putChunk",
  "putChunkHashed",
  "notifyObjectComplete",
]);

/**
 * The store behind a proxy that logs every call, delays some and fails some: its
 * capabilities stay (every method is the store's own, bound to it).
 */
function logged(store: EmbeddedStore, log: CallLog, faults: Faults): EmbeddedStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (typeof property !== "string" || !LOGGED.has(property)) return value.bind(target);
      return async (...args: unknown[]) => {
        const input = args[0] as { ObjectName?: string; UploadId?: string } | undefined;
        log.enter(property);
        const start = performance.now();
        try {
          const delay = faults.delays?.[property];
          if (delay !== undefined) await new Promise((resolve) => setTimeout(resolve, delay));
          const failing = faults.failing;
          if (failing?.method === property && failing.name === input?.ObjectName) {
            throw new IllegalArgumentException(`refused for the test: ${input.ObjectName}`);
          }
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          const end = performance.now();
          if (property === "putObject") log.puts.push([input!.ObjectName!, start, end]);
          if (property === "startObject") {
            log.started((result as { UploadId: string }).UploadId, input!.ObjectName!, start);
          }
          if (property === "notifyObjectComplete") log.completed(input!.UploadId!, end);
          return result;
        } finally {
          log.leave(property);
        }
      };
    },
  });
}

async function withFs(
  faults: Faults,
  fn: (fs: BackupFS, log: CallLog) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  const log = new CallLog();
  try {
    // Chunks of 64 KiB: a file of 200 KiB has several.
    const fs = new BackupFS(logged(store, log, faults), { jobId: "j", chunkSize: 64 * 1024 });
    await fn(fs, log);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function bytesOf(i: number, length: number): Uint8Array {
  return new Uint8Array(length).map((_, k) => (i * 131 + k * 7) % 251);
}

/** `/t/f<i>.bin` for i < n (1 KiB each, distinct) and `/t/sub/g<i>.bin` for i < 5. */
async function smallTree(fs: BackupFS, n: number): Promise<void> {
  await fs.mkdir("/t/sub", { recursive: true });
  for (let i = 0; i < n; i++) await fs.writeFile(`/t/f${i}.bin`, bytesOf(i, 1024));
  for (let i = 0; i < 5; i++) await fs.writeFile(`/t/sub/g${i}.bin`, bytesOf(1000 + i, 1024));
}

/**
 * `operation` rejects with the failure injected for `name`; when it does, no
 * storage call is in flight, and none starts in the next 30 ms.
 */
async function failsAndStops(log: CallLog, operation: Promise<void>, name: string) {
  const error = await assertRejects(() => operation, Error);
  const said = `${error} ${(error as Error).cause}`;
  assert(said.includes(`refused for the test: ${name}`), said);
  const busy = [...log.inFlight.values()].reduce((a, b) => a + b, 0);
  assertEquals(busy, 0, "a storage call still ran after the operation settled");
  const calls = log.calls;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assertEquals(log.calls, calls, "a storage call started after the operation settled");
}

Deno.test("tree removal: a folder's objects are deleted several at once, at most 32, every one", async () => {
  await withFs({ delays: { deleteObject: 5 } }, async (fs, log) => {
    await smallTree(fs, 100);
    await fs.writeTextFile("/keep.txt", "stays");
    await fs.remove("/t", { recursive: true });
    const most = log.most.get("deleteObject")!;
    assert(most > 1, `one delete at a time (${most})`);
    assert(most <= 32, `${most} deletes at once`);
    assertEquals(await fs.exists("/t"), false);
    assertEquals(await fs.readTextFile("/keep.txt"), "stays");
    assertEquals((await Array.fromAsync(fs.readDir("/"))).map((e) => e.name), ["keep.txt"]);
  });
});

Deno.test("tree removal: the first delete that fails stops it; its error is the answer and nothing runs after", async () => {
  await withFs(
    { delays: { deleteObject: 2 }, failing: { method: "deleteObject", name: "t/f40.bin" } },
    async (fs, log) => {
      await smallTree(fs, 100);
      await failsAndStops(log, fs.remove("/t", { recursive: true }), "t/f40.bin");
      // It stopped: what was not reached is still there, the failed file too.
      assertEquals(await fs.readFile("/t/f40.bin"), bytesOf(40, 1024));
      assert(await fs.exists("/t/sub/g4.bin"), "the removal went on past the failure");
    },
  );
});

Deno.test("tree copy: small files are copied several at once (at most 16), every byte intact; a file of several chunks is copied alone", async () => {
  await withFs({ delays: { putObjectHashed: 3, putObject: 3 } }, async (fs, log) => {
    await smallTree(fs, 60);
    await fs.writeFile("/t/big1.bin", bytesOf(7, 200 * 1024));
    await fs.mkdir("/t/m");
    await fs.writeFile("/t/m/big2.bin", bytesOf(8, 150 * 1024));
    log.most.clear();
    log.puts.length = 0;
    log.uploads.length = 0;
    await fs.copy("/t", "/c", { recursive: true });
    const most = Math.max(log.most.get("putObjectHashed") ?? 0, log.most.get("putObject") ?? 0);
    assert(most > 1, `one copy at a time (${most})`);
    assert(most <= 16, `${most} copies at once`);
    assertEquals(log.uploads.length, 2, "the two files of several chunks were not uploaded");
    assertEquals(log.overlaps(), [], "a small copy ran while a file of several chunks was copied");
    for (let i = 0; i < 60; i++) assertEquals(await fs.readFile(`/c/f${i}.bin`), bytesOf(i, 1024));
    for (let i = 0; i < 5; i++) {
      assertEquals(await fs.readFile(`/c/sub/g${i}.bin`), bytesOf(1000 + i, 1024));
    }
    assertEquals(await fs.readFile("/c/big1.bin"), bytesOf(7, 200 * 1024));
    assertEquals(await fs.readFile("/c/m/big2.bin"), bytesOf(8, 150 * 1024));
    // A rename of the tree copies it the same way, then removes the source.
    await fs.rename("/c", "/r");
    assertEquals(await fs.exists("/c"), false);
    assertEquals(await fs.readFile("/r/f59.bin"), bytesOf(59, 1024));
    assertEquals(await fs.readFile("/r/big1.bin"), bytesOf(7, 200 * 1024));
  });
});

Deno.test("tree copy: the first copy that fails stops it; its error is the answer and nothing runs after", async () => {
  await withFs(
    { delays: { putObject: 2 }, failing: { method: "putObject", name: "c/f30.bin" } },
    async (fs, log) => {
      await smallTree(fs, 80);
      await failsAndStops(log, fs.copy("/t", "/c", { recursive: true }), "c/f30.bin");
      assertEquals(await fs.exists("/c/f30.bin"), false);
      assertEquals(await fs.exists("/c/sub/g4.bin"), false, "the copy went on past the failure");
      // The source is untouched.
      assertEquals(await fs.readFile("/t/f30.bin"), bytesOf(30, 1024));
    },
  );
});
