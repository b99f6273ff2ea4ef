/**
 * {@link LocalChunkStore}: chunk bytes as files in a local directory,
 * `chunks/ab/abcd…` holding the bytes whose SHA-256 is `abcd…`. New content is
 * staged in `tmp/`, fsynced, then renamed into place and its directory fsynced.
 *
 * @module
 */

import { join } from "node:path";
import { fileStream, fromHex, syncDirectory, toHex } from "../chunk_files.ts";
import type { ChunkStore, StagedChunk } from "./chunk_store.ts";
import { StagedFile } from "./_staged_file.ts";
import { StagingPool } from "./_staging_pool.ts";
import { DirectIo } from "./_direct_io.ts";

/** Age after which a staged file nobody writes is a crashed process's leftover (1 h). */
const STALE_STAGING_MS = 60 * 60_000;

/**
 * Removes the staged files a crashed process left in a staging directory:
 * those untouched for an hour only, since other processes sharing the
 * directory may be staging right now. A missing directory is nothing to do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeStaleStaging } from "./local_chunk_store.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeFile(`${dir}/fresh.part`, new Uint8Array(1));
 *   await Deno.writeFile(`${dir}/old.part`, new Uint8Array(1));
 *   const longAgo = new Date(Date.now() - 2 * 60 * 60_000);
 *   await Deno.utime(`${dir}/old.part`, longAgo, longAgo);
 *   await removeStaleStaging(dir);
 *   assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["fresh.part"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function removeStaleStaging(directory: string): Promise<void> {
  const staleBefore = Date.now() - STALE_STAGING_MS;
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(directory));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    const modified = (await Deno.lstat(path).catch(() => undefined))?.mtime?.getTime();
    if (modified !== undefined && modified >= staleBefore) continue;
    await Deno.remove(path, { recursive: true }).catch(() => {});
  }
}

/** Options of {@link LocalChunkStore.open}. */
export interface LocalChunkStoreOptions {
  /** Fsync files and directories before reporting them stored (default true). */
  durable?: boolean;
  /**
   * Staged files kept ready in `tmp/` once the first chunk was staged, so that a
   * chunk's write does not wait for its file's creation (default 4; 0: none).
   * {@link LocalChunkStore.close} removes them.
   */
  stagedAhead?: number;
  /**
   * Write the whole blocks of chunks past the page cache (`O_DIRECT`), where the
   * file system allows it (default false). A chunk is fsynced before it counts as
   * stored either way; written direct, its bytes skip the copy into cache pages
   * that the fsync then writes out: less CPU per byte written, but the first read
   * of a chunk comes from the disk, not the cache (see `_direct_io.ts`).
   */
  directWrites?: boolean;
}

const HEX = /^[0-9a-f]{64}$/;

/**
 * The chunk file tree of one data directory: `chunks/` with 256 fan-out
 * directories (`00`…`ff`, by the digest's first byte, so no directory grows too
 * big) and `tmp/` for staging (on the same file system, so the rename that
 * installs a file is atomic).
 *
 * Deleting is synchronous under its promise (the file is unlinked when
 * {@link delete} is called), as the store always did.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalChunkStore } from "./local_chunk_store.ts";
 * import { sha256 } from "../../checksum.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const chunks = await LocalChunkStore.open(dir, { durable: false });
 *   const bytes = new TextEncoder().encode("abc");
 *   const staged = await chunks.stage();
 *   await staged.write(bytes);
 *   await chunks.put(sha256(bytes), staged);
 *   const hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // SHA-256 of "abc"
 *   assert.equal(await Deno.readTextFile(`${dir}/chunks/ba/${hex}`), "abc");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class LocalChunkStore implements ChunkStore {
  /** Root of the chunk tree (`chunks/` of the directory). */
  readonly root: string;
  /** Directory of staged files (`tmp/` of the directory). */
  readonly tempDir: string;
  /** Whether files and directories are fsynced. */
  readonly durable: boolean;

  readonly #staging: StagingPool;
  readonly #direct: DirectIo | undefined;

  private constructor(
    directory: string,
    options: { durable: boolean; stagedAhead?: number; direct?: DirectIo },
  ) {
    this.root = join(directory, "chunks");
    this.tempDir = join(directory, "tmp");
    this.durable = options.durable;
    this.#direct = options.direct;
    this.#staging = new StagingPool(this.tempDir, {
      size: options.stagedAhead,
      direct: options.direct,
    });
  }

  /**
   * Prepares the tree under a directory: creates the 256 fan-out directories
   * and removes staged files a crashed process left behind (untouched for an
   * hour: other processes may share the directory).
   */
  static async open(directory: string, options?: LocalChunkStoreOptions): Promise<LocalChunkStore> {
    const durable = options?.durable ?? true;
    const tempDir = join(directory, "tmp");
    await Deno.mkdir(join(directory, "chunks"), { recursive: true, mode: 0o700 });
    await Deno.mkdir(tempDir, { recursive: true, mode: 0o700 });
    const direct = options?.directWrites ? await DirectIo.open(tempDir) : undefined;
    const store = new LocalChunkStore(directory, {
      durable,
      stagedAhead: options?.stagedAhead,
      direct,
    });
    try {
      for (let i = 0; i < 256; i++) {
        await Deno.mkdir(join(store.root, shardName(i)), { recursive: true, mode: 0o700 });
      }
      await removeStaleStaging(store.tempDir);
      if (store.durable) {
        await syncDirectory(store.root);
        await syncDirectory(store.tempDir);
        await syncDirectory(directory);
      }
    } catch (error) {
      direct?.close(); // its thread would outlive the store that failed to open
      throw error;
    }
    return store;
  }

  /**
   * Bytes of chunks written past the page cache so far (0 unless `directWrites`,
   * and where the file system refused direct writes).
   */
  get directBytesWritten(): number {
    return this.#direct?.bytesWritten ?? 0;
  }

  /** Path of the file holding the content of a digest. */
  path(digest: Uint8Array): string {
    const hex = toHex(digest);
    return join(this.root, hex.slice(0, 2), hex);
  }

  /** A new, empty file in `tmp/` (one of those kept ready, when there is one). */
  async stage(): Promise<StagedChunk> {
    return await this.#staging.take();
  }

  /**
   * Removes the staged files kept ready (see `stagedAhead`) and stops the thread of
   * direct writes; the store stays usable (through the cache).
   */
  async close(): Promise<void> {
    await this.#staging.close();
    this.#direct?.close();
  }

  /**
   * Fsyncs the staged file (when durable), closes it and renames it to the
   * digest's content address (replacing any file there, whose content is the
   * same by construction), then fsyncs that directory, so the entry is on disk
   * when this resolves.
   */
  async put(digest: Uint8Array, staged: StagedChunk): Promise<void> {
    if (!(staged instanceof StagedFile)) {
      await staged.discard();
      throw new TypeError("LocalChunkStore.put takes a chunk staged by this store");
    }
    try {
      try {
        if (this.durable) await staged.file.syncData();
      } finally {
        staged.close();
      }
      const target = this.path(digest);
      await Deno.rename(staged.path, target);
      if (this.durable) await syncDirectory(join(target, ".."));
    } catch (error) {
      await staged.discard();
      throw error;
    }
  }

  /** The file of a digest opened for reading, or `undefined` when there is none. */
  async #open(digest: Uint8Array): Promise<Deno.FsFile | undefined> {
    try {
      return await Deno.open(this.path(digest), { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  }

  /** A stream of the file's `length` bytes (read in pieces of up to 16 MiB). */
  async get(digest: Uint8Array, length: number): Promise<ReadableStream<Uint8Array> | undefined> {
    const file = await this.#open(digest);
    if (file === undefined) return undefined;
    return fileStream(file, length);
  }

  /**
   * Reads the whole file of a digest into `into` (from its start) when the file
   * holds exactly `into.byteLength` bytes: resolves `true`; `false` when it holds
   * another number of bytes (a damaged store), `undefined` when there is none.
   * One `read` per 16 MiB into the caller's buffer: no allocation of its own.
   */
  async readInto(digest: Uint8Array, into: Uint8Array): Promise<boolean | undefined> {
    const file = await this.#open(digest);
    if (file === undefined) return undefined;
    try {
      if ((await file.stat()).size !== into.byteLength) return false;
      return await readFull(file, into);
    } finally {
      file.close();
    }
  }

  /** Unlinks the file of a digest now, synchronously; the bytes freed or -1. */
  delete(digest: Uint8Array): Promise<number> {
    const path = this.path(digest);
    try {
      const size = Deno.statSync(path).size;
      Deno.removeSync(path);
      return Promise.resolve(size);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return Promise.resolve(-1);
      return Promise.reject(error);
    }
  }

  /** The digests of the files in one fan-out directory (`00`…`ff`). */
  async list(shard: number): Promise<Uint8Array[]> {
    const digests: Uint8Array[] = [];
    for await (const entry of Deno.readDir(join(this.root, shardName(shard)))) {
      if (entry.isFile && HEX.test(entry.name)) digests.push(fromHex(entry.name));
    }
    return digests;
  }
}

/** Fills `into` from `file`; `false` when the file ends first. */
async function readFull(file: Deno.FsFile, into: Uint8Array): Promise<boolean> {
  let filled = 0;
  // Bounded by the buffer's length: every read moves at least one byte or ends.
  while (filled < into.byteLength) {
    const n = await file.read(into.subarray(filled, filled + READ_PIECE_BYTES));
    if (n === null) return false;
    filled += n;
  }
  return true;
}

/** Largest single read of {@link LocalChunkStore.readInto}. */
const READ_PIECE_BYTES = 16 * 1024 * 1024;

function shardName(index: number): string {
  return index.toString(16).padStart(2, "0");
}
