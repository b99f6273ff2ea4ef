// A BackupStorage wrapper that fails on purpose: tests queue faults per
// operation (throw a given error, or corrupt the bytes GetChunk returns) and
// read back how often each operation was called.

import { type BackupStorage, OPERATION_METHODS } from "../../src/storage/backup_storage.ts";
import type { GetChunkOutput, OperationName, OperationOptions } from "../../src/storage/types.ts";
import { drainBodies, StorageInterceptor } from "./storage_interceptor.ts";

/** What a queued fault does to one call. */
export type Fault =
  | { kind: "throw"; error: () => Error }
  | { kind: "corrupt" }; // GetChunk only: flips one byte of the returned data

/** Wraps a BackupStorage; faults queued with `fail`/`corrupt` apply to the next calls of an operation. */
export class FaultyStorage extends StorageInterceptor {
  readonly calls: Record<OperationName, number> = Object.fromEntries(
    Object.keys(OPERATION_METHODS).map((k) => [k, 0]),
  ) as Record<OperationName, number>;
  #faults = new Map<OperationName, Fault[]>();

  constructor(inner: BackupStorage) {
    super(inner);
  }

  /** The next `times` calls of `operation` throw a fresh error from `error()`. */
  fail(operation: OperationName, error: () => Error, times = 1): this {
    const queue = this.#faults.get(operation) ?? [];
    for (let i = 0; i < times; i++) queue.push({ kind: "throw", error });
    this.#faults.set(operation, queue);
    return this;
  }

  /** The next `times` GetChunk calls return data with one byte flipped (length and checksum unchanged). */
  corrupt(times = 1): this {
    const queue = this.#faults.get("GetChunk") ?? [];
    for (let i = 0; i < times; i++) queue.push({ kind: "corrupt" });
    this.#faults.set("GetChunk", queue);
    return this;
  }

  /** Drops every queued fault and zeroes the call counts. */
  reset(): void {
    this.#faults.clear();
    for (const k of Object.keys(this.calls) as OperationName[]) this.calls[k] = 0;
  }

  /** Faults still queued for an operation. */
  pending(operation: OperationName): number {
    return this.#faults.get(operation)?.length ?? 0;
  }

  protected async intercept<O>(
    operation: OperationName,
    input: unknown,
    _options: OperationOptions | undefined,
    forward: () => Promise<O>,
  ): Promise<O> {
    this.calls[operation]++;
    const fault = this.#faults.get(operation)?.shift();
    if (fault?.kind === "throw") {
      await drainBodies(input);
      throw fault.error();
    }
    const output = await forward();
    if (fault?.kind === "corrupt") return corruptChunk(output as GetChunkOutput) as O;
    return output;
  }
}

/** The same chunk with the middle byte of its first non-empty piece flipped (length and checksum unchanged). */
export function corruptChunk(output: GetChunkOutput): GetChunkOutput {
  let flipped = false;
  const data = output.Data.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(piece, controller) {
        if (!flipped && piece.byteLength > 0) {
          const copy = piece.slice();
          copy[copy.byteLength >> 1] ^= 0x01;
          flipped = true;
          controller.enqueue(copy);
        } else {
          controller.enqueue(piece);
        }
      },
    }),
  );
  return { ...output, Data: data };
}
