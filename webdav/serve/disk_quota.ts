/**
 * RFC 4331 quota of the embedded store: bytes the job uses, and the free space
 * of the file system holding the data directory.
 *
 * @module
 */

import { statfs } from "node:fs/promises";
import type { QuotaInfo } from "../properties/live_properties.ts";

export type { QuotaInfo } from "../properties/live_properties.ts";

/** What {@link storeQuota} needs of the store. */
export interface UsageSource {
  /** Object count and bytes of a job's current versions. */
  usage(jobId: string): Promise<{ objects: number; bytes: number }>;
}

/**
 * Free bytes for an unprivileged user on the file system holding `path`
 * (`statvfs` f_bavail × fragment size). Needs read access to `path` and
 * `--allow-sys=statfs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { availableDiskBytes } from "./disk_quota.ts";
 * const free = await availableDiskBytes(".");
 * assert.ok(Number.isSafeInteger(free) && free >= 0);
 * ```
 */
export async function availableDiskBytes(path: string): Promise<number> {
  const stats = await statfs(path);
  // statvfs counts blocks in fragment-size units (glibc: f_frsize, else f_bsize).
  const fragment = Number((stats as { frsize?: number | bigint }).frsize ?? 0);
  const blockSize = fragment > 0 ? fragment : Number(stats.bsize) || 0;
  return Math.max(0, Number(stats.bavail) * blockSize);
}

/**
 * The `quota` option of `createWebDavApp` for a job of an embedded store whose
 * data directory is `directory`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { storeQuota } from "./disk_quota.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const quota = storeQuota(store, { jobId: "default", directory: dir });
 *   assert.equal((await quota()).usedBytes, 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function storeQuota(
  store: UsageSource,
  options: { jobId: string; directory: string },
): () => Promise<QuotaInfo> {
  return async () => {
    const [usage, availableBytes] = await Promise.all([
      store.usage(options.jobId),
      availableDiskBytes(options.directory),
    ]);
    return { usedBytes: usage.bytes, availableBytes };
  };
}
