// Wiring of the BackupFS fault tests: store → FaultyStorage (queued faults) →
// RandomFaults (random faults, off until enabled) → BackupFS, either in-process or
// with the faulty storage BEHIND the HTTP service, so faults travel over the wire
// as typed errors and corrupted bodies.

import { BackupFS, type BackupFSOptions } from "../../../src/fs/backup_fs.ts";
import { createStorageApp } from "../../../src/server/mod.ts";
import type { BackupStorage } from "../../../src/storage/backup_storage.ts";
import { BackupStorageClient } from "../../../src/storage/client/mod.ts";
import { ThrottlingException } from "../../../src/storage/errors.ts";
import { FaultyStorage } from "../../support/faulty_storage.ts";
import type { Backend } from "./backends.ts";
import { Rng } from "./model_rng.ts";
import { type RandomFaultOptions, RandomFaults } from "./random_faults.ts";
import { openTestStore } from "../../support/test_store.ts";

/** The job every fault test uses. */
export const FAULT_JOB = "fs-faults";

/** A BackupFS over faulty storage, and the handles that steer the faults. */
export interface FaultFixture {
  fs: BackupFS;
  /** Queued faults (`fail`, `corrupt`, `reset`, `calls`), nearest the store. */
  faulty: FaultyStorage;
  /** Random faults, off until `random.enabled = true`. */
  random: RandomFaults;
  /** Another BackupFS on the same storage (its own, empty caches). */
  fresh(options?: Partial<BackupFSOptions>): BackupFS;
  close(): Promise<void>;
}

/** Options of {@link openFaultyFs}. */
export interface FaultFixtureOptions {
  fs?: Partial<BackupFSOptions>;
  /** Seed of the random faults (default 1). */
  seed?: number;
  random?: Partial<RandomFaultOptions>;
}

/**
 * Opens a BackupFS (1 KiB chunks) over a fresh store with both fault wrappers.
 *
 * @example
 * ```ts ignore
 * const { fs, faulty, close } = await openFaultyFs("http");
 * faulty.corrupt(1);
 * await fs.readFile("/a");
 * await close();
 * ```
 */
export async function openFaultyFs(
  backend: Backend,
  options: FaultFixtureOptions = {},
): Promise<FaultFixture> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-faults-" });
  const store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
  const faulty = new FaultyStorage(store);
  const random = new RandomFaults(faulty, new Rng(options.seed ?? 1), {
    errors: () => new ThrottlingException(),
    ...options.random,
  });
  let storage: BackupStorage = random;
  let stop = async () => {};
  if (backend === "http") {
    const app = createStorageApp(random, {
      credentials: new Map([["FAULTKEY", { secretAccessKey: "fault-secret" }]]),
      onError: () => {},
    });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
    const client = new BackupStorageClient({
      endpoint: `http://127.0.0.1:${server.addr.port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "FAULTKEY", secretAccessKey: "fault-secret" },
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
    });
    storage = client;
    stop = async () => {
      await client.close();
      await server.shutdown();
    };
  }
  const make = (extra: Partial<BackupFSOptions> = {}) =>
    new BackupFS(storage, {
      jobId: FAULT_JOB,
      chunkSize: 1024,
      metadataTtlMs: 0,
      ...options.fs,
      ...extra,
    });
  return {
    fs: make(),
    faulty,
    random,
    fresh: make,
    async close() {
      await stop();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
