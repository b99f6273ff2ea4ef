// Another client's write at one exact instant of a BackupFS operation: a store, a
// BackupFS straight on it (the other client) and a BackupFS whose storage, once
// armed, runs the race right before its next PutChunk, PutObject or
// NotifyObjectComplete (the ones asked for), once.

import { BackupFS } from "../../../src/fs/mod.ts";
import type { BackupStorage } from "../../../src/storage/backup_storage.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { wrapStorage } from "./read_fixtures.ts";

/** The storage calls a race can run before. */
export type RaceCall = "putChunk" | "putObject" | "notifyObjectComplete";

/** What {@link withWriterRace} gives its body. */
export interface WriterRace {
  /** The store both file systems share. */
  store: EmbeddedStore;
  /** The other client: a BackupFS straight on the store. */
  other: BackupFS;
  /** The BackupFS under test (4 KiB chunks). */
  fs: BackupFS;
  /** Runs `race` once, right before the next of `calls` that `fs` makes. */
  arm(race: () => Promise<void>, calls: RaceCall[]): void;
  /** Whether the armed race ran. */
  readonly raced: boolean;
  /** A fresh BackupFS on the store: reads without either one's cached lookups. */
  fresh(): BackupFS;
}

/** Runs `body` with a {@link WriterRace} over a fresh embedded store of job `jobId`. */
export async function withWriterRace(
  jobId: string,
  body: (race: WriterRace) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-writer-race-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  let armed: { race: () => Promise<void>; calls: RaceCall[] } | undefined;
  let raced = false;
  const before = async (call: RaceCall) => {
    if (armed === undefined || !armed.calls.includes(call)) return;
    const { race } = armed;
    armed = undefined;
    raced = true;
    await race();
  };
  const storage: BackupStorage = wrapStorage(store, {
    putChunk: async (input, options) => (await before("putChunk"), store.putChunk(input, options)),
    putObject: async (
      input,
      options,
    ) => (await before("putObject"), store.putObject(input, options)),
    notifyObjectComplete: async (input, options) => (
      await before("notifyObjectComplete"), store.notifyObjectComplete(input, options)
    ),
  });
  try {
    await body({
      store,
      other: new BackupFS(store, { jobId }),
      fs: new BackupFS(storage, { jobId, chunkSize: 4096 }),
      arm(race, calls) {
        armed = { race, calls };
        raced = false;
      },
      get raced() {
        return raced;
      },
      fresh: () => new BackupFS(store, { jobId }),
    });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}
