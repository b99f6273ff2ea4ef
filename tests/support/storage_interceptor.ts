// A base for test wrappers around a BackupStorage: every one of the nine calls
// goes through `intercept(operation, input, options, forward)`, where `forward()`
// runs the call on the wrapped storage. Subclasses count, fail or alter calls.

import { type BackupStorage, OPERATION_METHODS } from "../../src/storage/backup_storage.ts";
import type { OperationName, OperationOptions } from "../../src/storage/types.ts";

/** Wraps a BackupStorage; subclasses decide what happens to each call. */
export abstract class StorageInterceptor implements BackupStorage {
  constructor(readonly inner: BackupStorage) {}

  /** Handles one call; `forward()` runs it on the wrapped storage. */
  protected abstract intercept<O>(
    operation: OperationName,
    input: unknown,
    options: OperationOptions | undefined,
    forward: () => Promise<O>,
  ): Promise<O>;

  #call<I, O>(operation: OperationName, input: I, options?: OperationOptions): Promise<O> {
    // deno-lint-ignore no-explicit-any
    const method = (this.inner as any)[OPERATION_METHODS[operation]] as (
      i: I,
      o?: OperationOptions,
    ) => Promise<O>;
    return this.intercept(operation, input, options, () => method.call(this.inner, input, options));
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
export async function drainBodies(input: unknown): Promise<void> {
  for (const value of Object.values(input as Record<string, unknown>)) {
    if (value instanceof ReadableStream) await value.cancel().catch(() => {});
  }
}
