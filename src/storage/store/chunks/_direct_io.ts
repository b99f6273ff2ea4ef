/**
 * Chunk bytes written past the page cache (`O_DIRECT`), through a few aligned
 * buffers of the store's own.
 *
 * A chunk file is written once and rarely read soon after: a backup. Written
 * through the page cache, every byte is first copied into cache pages the kernel
 * must find (measured on these machines: 1.3–2.4 s of kernel CPU per GiB, the
 * largest cost of a big upload), then written to disk by the fsync that makes the
 * chunk durable anyway. A direct write hands the disk the bytes as they are: the
 * same GiB took 0.1 s of CPU (`dd oflag=direct`). Direct I/O wants the memory, the
 * file offset and the length aligned to the block size: the bytes are copied into
 * buffers carved from a `WebAssembly.Memory` (whose memory starts on a page
 * boundary), and only whole blocks go direct; what is left of a chunk (less than a
 * block) is written through the cache, and the fsync covers both.
 *
 * @module
 */

import { close, constants, open, write } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";

/** What direct writes align to: memory, file offsets and lengths (a page). */
export const DIRECT_BLOCK_BYTES = 4096;
/** One aligned buffer. */
const SLOT_BYTES = 4 * 1024 * 1024;
/** Aligned buffers per store by default (32 MiB: eight 4 MiB chunks in flight). */
const DEFAULT_SLOTS = 8;
/** Bytes of a WebAssembly page. */
const WASM_PAGE_BYTES = 65536;

function openFile(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, flags, 0o600, (error, fd) => error ? reject(error) : resolve(fd));
  });
}

function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    close(fd, (error) => error ? reject(error) : resolve());
  });
}

/** Writes all of `bytes` at `position`; a short write (a full disk) is an error. */
function writeAt(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    write(fd, bytes, 0, bytes.byteLength, position, (error, written) => {
      if (error) reject(error);
      else if (written !== bytes.byteLength) {
        reject(new Error(`direct write of ${bytes.byteLength} bytes wrote ${written}`));
      } else resolve();
    });
  });
}

/** Whether an error says the file system refuses direct I/O (rather than failing it). */
function refused(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === "EINVAL" || code === "EOPNOTSUPP" || code === "ENOTSUP";
}

/**
 * The direct writes of one chunk store: its aligned buffers, and whether its
 * file system takes direct writes at all ({@link DirectIo.open} finds out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DirectIo } from "./_direct_io.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const direct = await DirectIo.open(dir);
 *   if (direct) { // undefined where the file system has no direct I/O (tmpfs)
 *     const path = `${dir}/chunk`;
 *     await Deno.writeFile(path, new Uint8Array());
 *     const fd = await direct.openFile(path);
 *     const bytes = new Uint8Array(3 * 4096).fill(7);
 *     assert.equal(await direct.write(fd, bytes, 0), bytes.byteLength);
 *     await direct.closeFile(fd);
 *     assert.deepEqual(await Deno.readFile(path), bytes);
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class DirectIo {
  readonly #free: Uint8Array[];
  #refused = false;
  #written = 0;

  private constructor(slots: Uint8Array[]) {
    this.#free = slots;
  }

  /**
   * The direct writes of a store staging in `directory`, or `undefined` when its
   * file system refuses them: a block is written direct to a probe file there.
   */
  static async open(
    directory: string,
    options?: { slots?: number },
  ): Promise<DirectIo | undefined> {
    const count = options?.slots ?? DEFAULT_SLOTS;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError("DirectIo: slots must be an integer >= 1");
    }
    const pages = (count * SLOT_BYTES) / WASM_PAGE_BYTES;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const slots: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      slots.push(new Uint8Array(memory.buffer, i * SLOT_BYTES, SLOT_BYTES));
    }
    const probe = join(directory, `${Buffer.from(randomBytes(12)).toString("hex")}.probe`);
    let fd: number | undefined;
    try {
      fd = await openFile(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT);
      await writeAt(fd, slots[0].subarray(0, DIRECT_BLOCK_BYTES), 0);
      return new DirectIo(slots);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) await closeFile(fd).catch(() => {});
      await Deno.remove(probe).catch(() => {});
    }
  }

  /** Bytes written direct so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Whether direct writes are still on (a file system that refused one turns them off). */
  get enabled(): boolean {
    return !this.#refused;
  }

  /** Opens an existing file for direct writes; resolves to its descriptor. */
  openFile(path: string): Promise<number> {
    return openFile(path, constants.O_WRONLY | constants.O_DIRECT);
  }

  /** Closes a descriptor of {@link openFile}. */
  closeFile(fd: number): Promise<void> {
    return closeFile(fd);
  }

  /**
   * Writes the whole blocks of `bytes` at `position` (a multiple of
   * {@link DIRECT_BLOCK_BYTES}) through the aligned buffers, several at once;
   * resolves to how many bytes it wrote: from 0 (no buffer free, or direct writes
   * refused) to all of the whole blocks. The caller writes the rest through the
   * cache. The caller's bytes are copied: it may reuse them once this resolves.
   */
  async write(fd: number, bytes: Uint8Array, position: number): Promise<number> {
    if (position % DIRECT_BLOCK_BYTES !== 0) return 0;
    const whole = bytes.byteLength - (bytes.byteLength % DIRECT_BLOCK_BYTES);
    let done = 0;
    // Bounded: each round writes at least one buffer's worth, or returns.
    while (done < whole && !this.#refused) {
      const taken: Uint8Array[] = [];
      const writes: Promise<void>[] = [];
      let round = 0;
      for (let at = done; at < whole && this.#free.length > 0; at += SLOT_BYTES) {
        const slot = this.#free.pop()!;
        taken.push(slot);
        const n = Math.min(SLOT_BYTES, whole - at);
        slot.set(bytes.subarray(at, at + n));
        writes.push(writeAt(fd, slot.subarray(0, n), position + at));
        round += n;
      }
      if (taken.length === 0) break;
      const results = await Promise.allSettled(writes);
      this.#free.push(...taken);
      const failure = results.find((r) => r.status === "rejected");
      if (failure) {
        const error = (failure as PromiseRejectedResult).reason;
        if (!refused(error)) throw error;
        // Refused: nothing of this round counts; the cache takes it (and the rest).
        this.#refused = true;
        break;
      }
      done += round;
      this.#written += round;
    }
    return done;
  }
}
