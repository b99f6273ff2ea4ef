// The two backends every BackupFS suite runs against: the embedded store
// in-process, and the HTTP client talking to the storage service over loopback.

import { BackupFS, type BackupFSOptions } from "../../../src/fs/backup_fs.ts";
import { createStorageApp } from "../../../src/server/mod.ts";
import type { BackupStorage } from "../../../src/storage/backup_storage.ts";
import { BackupStorageClient } from "../../../src/storage/client/mod.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { openTestStore } from "../../support/test_store.ts";

/** A BackupFS over one backend, with what the test needs to reach underneath. */
export interface FsFixture {
  fs: BackupFS;
  storage: BackupStorage;
  store: EmbeddedStore;
  /** A second BackupFS on the same job (another "client"). */
  other(options?: Partial<BackupFSOptions>): BackupFS;
  close(): Promise<void>;
}

export type Backend = "in-process" | "http";
export const BACKENDS: Backend[] = ["in-process", "http"];

export async function openFs(
  backend: Backend,
  options: Partial<BackupFSOptions> = {},
  wrap: (storage: BackupStorage) => BackupStorage = (s) => s,
): Promise<FsFixture> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-fs-" });
  const store = await openTestStore(dir, { gcIntervalMs: 0, durable: false });
  let storage: BackupStorage = store;
  let stop = async () => {};
  if (backend === "http") {
    const app = createStorageApp(store, {
      credentials: new Map([["FSKEY", { secretAccessKey: "fs-secret" }]]),
    });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
    const client = new BackupStorageClient({
      endpoint: `http://127.0.0.1:${server.addr.port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "FSKEY", secretAccessKey: "fs-secret" },
    });
    storage = client;
    stop = async () => {
      await client.close();
      await server.shutdown();
    };
  }
  const wrapped = wrap(storage);
  const make = (extra: Partial<BackupFSOptions> = {}) =>
    new BackupFS(wrapped, {
      jobId: "fs-test",
      chunkSize: 4096,
      metadataTtlMs: 0,
      ...options,
      ...extra,
    });
  return {
    fs: make(),
    storage: wrapped,
    store,
    other: make,
    async close() {
      await stop();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Registers a test once per backend. */
export function fsTest(
  name: string,
  fn: (fixture: FsFixture) => Promise<void>,
  options: Partial<BackupFSOptions> = {},
): void {
  for (const backend of BACKENDS) {
    Deno.test(`${name} [${backend}]`, async () => {
      const fixture = await openFs(backend, options);
      try {
        await fn(fixture);
      } finally {
        await fixture.close();
      }
    });
  }
}

/** Deterministic bytes for a size and seed. */
export function bytesOf(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 255;
  }
  return out;
}
