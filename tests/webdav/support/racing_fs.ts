// A BackupFS that lets a test run another client's change at one exact instant:
// right after a handler's stat of a path and before the handler acts on it (the
// window a check-then-act race needs), and a WebDAV app over it.

import { type BackupFileInfo, BackupFS } from "../../../src/fs/mod.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
import { createWebDavApp } from "../../../webdav/mod.ts";

/** A BackupFS whose next stat (or tryStat) of a path is followed, before it returns, by a change. */
export class RacingFS extends BackupFS {
  #races = new Map<string, () => Promise<void>>();

  /** Runs `change` once, right after the next stat of `path` ends (found or not). */
  afterNextStat(path: string, change: () => Promise<void>): void {
    this.#races.set(path, change);
  }

  /** Whether the change set for `path` is still waiting for its stat. */
  pending(path: string): boolean {
    return this.#races.has(path);
  }

  override async stat(path: string): Promise<BackupFileInfo> {
    try {
      return await super.stat(path);
    } finally {
      await this.#raceAfter(path);
    }
  }

  override async tryStat(path: string): Promise<BackupFileInfo | undefined> {
    try {
      return await super.tryStat(path);
    } finally {
      await this.#raceAfter(path);
    }
  }

  async #raceAfter(path: string): Promise<void> {
    const change = this.#races.get(path);
    if (change !== undefined) {
      this.#races.delete(path);
      await change();
    }
  }
}

/** Runs `body` with a RacingFS on a fresh embedded store and the WebDAV app over it. */
export async function withRacingDav(
  body: (fs: RacingFS, fetch: (request: Request) => Promise<Response>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-racing-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  try {
    const fs = new RacingFS(store, { jobId: "racing", chunkSize: 4096 });
    const app = createWebDavApp(fs, { onError: () => {} });
    await body(fs, async (request) => await app.fetch(request));
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}
