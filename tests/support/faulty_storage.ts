// A BackupStorage wrapper that fails on purpose: tests queue faults per
// operation (throw a given error, or corrupt the bytes GetChunk returns) and
// read back how often each operation was called.

import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import type { GetChunkOutput, OperationName, OperationOptions } from "../../src/storage/types.ts";

/** What a queued fault does to one call. */
export type Fault =
  | { kind: "throw"; error: () => Error }
  | { kind: "corrupt" }; // GetChunk only: flips one byte of the returned data

const METHODS: Record<OperationName, keyof BackupStorage> = {
  DeleteObject: "deleteObject",
  GetChunk: "getChunk",
  GetObjectMetadata: "getObjectMetadata",
  ListChunks: "listChunks",
  ListObjects: "listObjects",
  NotifyObjectComplete: "notifyObjectComplete",
  PutChunk: "putChunk",
  PutObject: "putObject",
  StartObject: "startObject",
};

/** Wraps a BackupStorage; faults queued with `fail`/`corrupt` apply to the next calls of an operation. */
export class FaultyStorage implements BackupStorage {
  readonly calls: Record<OperationName, number> = Object.fromEntries(
    Object.keys(METHODS).map((k) => [k, 0]),
  ) as Record<OperationName, number>;
  #faults = new Map<OperationName, Fault[]>();

  constructor(readonly inner: BackupStorage) {}

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

  async #call<I, O>(operation: OperationName, input: I, options?: OperationOptions): Promise<O> {
    this.calls[operation]++;
    const fault = this.#faults.get(operation)?.shift();
    if (fault?.kind === "throw") {
      await drainBodies(input);
      throw fault.error();
    }
    // deno-lint-ignore no-explicit-any
    const method = (this.inner as any)[METHODS[operation]] as (
      i: I,
      o?: OperationOptions,
    ) => Promise<O>;
    const output = await method.call(this.inner, input, options);
    if (fault?.kind === "corrupt") return corruptChunk(output as GetChunkOutput) as O;
    return output;
  }

  deleteObject: BackupStorage["deleteObject"] = (i, o) => this.#call("DeleteObject", i, o);
  getChunk: BackupStorage["getChunk"] = (i, o) => this.#call("GetChunk", i, o);
  getObjectMetadata: BackupStorage["getObjectMetadata"] = (i, o) =>
    this.#call("GetObjectMetadata", i, o);
  listChunks: BackupStorage["listChunks"] = (i, o) => this.#call("ListChunks", i, o);
  listObjects: BackupStorage["listObjects"] = (i, o) => this.#call("ListObjects", i, o);
  notifyObjectComplete: BackupStorage["notifyObjectComplete"] = (i, o) =>
    this.#call("NotifyObjectComplete", i, o);
  putChunk: BackupStorage["putChunk"] = (i, o) => this.#call("PutChunk", i, o);
  putObject: BackupStorage["putObject"] = (i, o) => this.#call("PutObject", i, o);
  startObject: BackupStorage["startObject"] = (i, o) => this.#call("StartObject", i, o);
}

/** A failing call still consumes its request body, as a real service would discard it. */
async function drainBodies(input: unknown): Promise<void> {
  for (const value of Object.values(input as Record<string, unknown>)) {
    if (value instanceof ReadableStream) await value.cancel().catch(() => {});
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
