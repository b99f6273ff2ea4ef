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
 * file offset and the length aligned to the block size: only whole blocks go
 * direct, and what is left of a chunk (less than a block) is written through the
 * cache; the fsync covers both. The writes run on a worker thread of the store's
 * (`_direct_write_worker.ts`), which copies each piece into its own aligned
 * memory: node's `write` blocks the thread that calls it for as long as the disk
 * takes. Pieces go to it in a few buffers of 4 MiB that go back and forth
 * (transferred, not copied; a memory shared with it would be copied into slowly).
 *
 * @module
 */

import type { DirectWriteAnswer, DirectWriteRequest } from "./_direct_write_worker.ts";

/** What direct writes align to: memory, file offsets and lengths (a page). */
export const DIRECT_BLOCK_BYTES = 4096;
/** One piece of a direct write. */
const PIECE_BYTES = 4 * 1024 * 1024;
/** Pieces in flight per store (32 MiB: eight 4 MiB chunks). */
const PIECES = 8;

/** Whether an error code says the file system refuses direct I/O (rather than failing it). */
function refused(code: string): boolean {
  return code === "EINVAL" || code === "EOPNOTSUPP" || code === "ENOTSUP";
}

/** A failed direct write, with the code the system gave. */
class DirectWriteError extends Error {
  override name = "DirectWriteError";
  readonly code: string;
  constructor(code: string, path: string) {
    super(`direct write to ${path} failed: ${code}`);
    this.code = code;
  }
}

/**
 * The direct writes of one chunk store: its writing thread, the buffers it takes
 * pieces in, and whether the file system takes direct writes at all
 * ({@link DirectIo.open} finds out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DirectIo } from "./_direct_io.ts";
 * const dir = await Deno.makeTempDir();
 * const direct = await DirectIo.open(dir);
 * try {
 *   if (direct) { // undefined where the file system has no direct I/O
 *     const path = `${dir}/chunk`;
 *     await Deno.writeFile(path, new Uint8Array());
 *     const bytes = new Uint8Array(3 * 4096 + 5).fill(7);
 *     // The whole blocks; the caller writes the 5 bytes left through the cache.
 *     assert.equal(await direct.write(path, bytes, 0), 3 * 4096);
 *     assert.deepEqual(await Deno.readFile(path), bytes.subarray(0, 3 * 4096));
 *   }
 * } finally {
 *   direct?.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class DirectIo {
  /** Buffers not in flight. */
  readonly #free: ArrayBuffer[] = [];
  /** Buffers not made yet (made on first use: a store that never writes big chunks has none). */
  #unmade: number;
  readonly #worker: Worker;
  readonly #pending = new Map<number, (answer: DirectWriteAnswer) => void>();
  #nextId = 0;
  #refused = false;
  #closed = false;
  #written = 0;

  private constructor(pieces: number) {
    this.#unmade = pieces;
    this.#worker = new Worker(new URL("./_direct_write_worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (event: MessageEvent<DirectWriteAnswer>) => {
      const answer = event.data;
      if (answer.buffer !== undefined) this.#free.push(answer.buffer);
      const settle = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      settle?.(answer);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#failAll(`the direct write thread failed: ${event.message}`);
    };
  }

  /**
   * The direct writes of a store staging in `directory`, or `undefined` when its
   * file system refuses them: a block is written direct to a probe file there.
   * {@link close} stops its thread.
   */
  static async open(directory: string): Promise<DirectIo | undefined> {
    let probe: string | undefined;
    let direct: DirectIo | undefined;
    try {
      // A new, empty file of a random name (mode 0600), as a staged chunk is.
      probe = await Deno.makeTempFile({ dir: directory, suffix: ".probe" });
      direct = new DirectIo(PIECES);
      if (await direct.write(probe, new Uint8Array(DIRECT_BLOCK_BYTES), 0) === DIRECT_BLOCK_BYTES) {
        direct.#written = 0; // the probe is not the store's
        return direct;
      }
    } catch {
      // refused, or the directory cannot take the probe: no direct writes
    } finally {
      if (probe !== undefined) await Deno.remove(probe).catch(() => {});
    }
    direct?.close();
    return undefined;
  }

  /** Whether direct writes are still on (a file system that refused one turns them off). */
  get enabled(): boolean {
    return !this.#refused && !this.#closed;
  }

  /** Bytes written direct so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Stops the writing thread; writes under way fail, later ones write nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate();
    this.#failAll("the store's direct writes were closed");
  }

  /**
   * Writes the whole blocks of `bytes` to the existing file `path` at `position`
   * (a multiple of {@link DIRECT_BLOCK_BYTES}), in pieces of up to 4 MiB; resolves
   * to how many bytes it wrote: from 0 (no buffer free, direct writes refused or
   * closed) to all of the whole blocks. The caller writes the rest through the
   * cache. The caller's bytes are copied: it may reuse them once this resolves.
   */
  async write(path: string, bytes: Uint8Array, position: number): Promise<number> {
    if (position % DIRECT_BLOCK_BYTES !== 0) return 0;
    const whole = bytes.byteLength - (bytes.byteLength % DIRECT_BLOCK_BYTES);
    let done = 0;
    // Bounded: each round writes at least one piece, or returns.
    while (done < whole && this.enabled) {
      const writes: Promise<DirectWriteAnswer>[] = [];
      let round = 0;
      for (let at = done; at < whole; at += PIECE_BYTES) {
        const buffer = this.#take();
        if (buffer === undefined) break;
        const length = Math.min(PIECE_BYTES, whole - at);
        new Uint8Array(buffer, 0, length).set(bytes.subarray(at, at + length));
        writes.push(this.#send({ buffer, length, path, position: position + at }));
        round += length;
      }
      if (writes.length === 0) break;
      const answers = await Promise.all(writes);
      const failure = answers.find((answer) => answer.error !== undefined);
      if (failure) {
        if (!refused(failure.error!)) throw new DirectWriteError(failure.error!, path);
        // Refused: nothing of this round counts; the cache takes it (and the rest).
        this.#refused = true;
        break;
      }
      done += round;
      this.#written += round;
    }
    return done;
  }

  /** A free buffer, made if none is and fewer than the store's count exist. */
  #take(): ArrayBuffer | undefined {
    const buffer = this.#free.pop();
    if (buffer !== undefined) return buffer;
    if (this.#unmade === 0) return undefined;
    this.#unmade--;
    return new ArrayBuffer(PIECE_BYTES);
  }

  /** Hands one piece to the thread (its buffer moves there); resolves to its answer. */
  #send(piece: Omit<DirectWriteRequest, "id">): Promise<DirectWriteAnswer> {
    const id = this.#nextId++;
    const answered = new Promise<DirectWriteAnswer>((resolve) => this.#pending.set(id, resolve));
    this.#worker.postMessage({ id, ...piece } satisfies DirectWriteRequest, [piece.buffer]);
    return answered;
  }

  #failAll(message: string): void {
    for (const [id, settle] of this.#pending) settle({ id, error: message });
    this.#pending.clear();
  }
}
