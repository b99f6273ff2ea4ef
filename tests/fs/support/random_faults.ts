// A BackupStorage wrapper that fails at random: while enabled, each call throws
// (with probability `failProbability`) an error drawn from `errors`, and each
// GetChunk that gets through returns data with one byte flipped (with
// probability `corruptProbability`). Seeded, so a run replays exactly.

import type { BackupStorage } from "../../../src/storage/backup_storage.ts";
import type {
  GetChunkOutput,
  OperationName,
  OperationOptions,
} from "../../../src/storage/types.ts";
import type { Rng } from "./model_rng.ts";
import { corruptChunk } from "../../support/faulty_storage.ts";

/** Options of {@link RandomFaults}. */
export interface RandomFaultOptions {
  /** Chance that a call throws (default 0.1). */
  failProbability?: number;
  /** Chance that a GetChunk's data comes back with one byte flipped (default 0). */
  corruptProbability?: number;
  /** Makes the error a failing call throws (drawn per call). */
  errors: (rng: Rng) => Error;
  /** Operations never failed (still counted). */
  spare?: OperationName[];
}

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

/**
 * Random faults around a BackupStorage; `enabled` turns them on and off.
 *
 * @example
 * ```ts ignore
 * const faults = new RandomFaults(store, new Rng(1), {
 *   failProbability: 0.1,
 *   errors: () => new ThrottlingException(),
 * });
 * faults.enabled = true;
 * ```
 */
export class RandomFaults implements BackupStorage {
  /** Whether faults are injected now. */
  enabled = false;
  /** Calls per operation. */
  readonly calls: Partial<Record<OperationName, number>> = {};
  /** Faults injected so far: thrown errors and corrupted chunks. */
  readonly injected = { thrown: 0, corrupted: 0 };
  #failProbability: number;
  #corruptProbability: number;
  #scheduled = new Map<OperationName, { countdown: number; error: () => Error }>();

  constructor(
    readonly inner: BackupStorage,
    readonly rng: Rng,
    readonly options: RandomFaultOptions,
  ) {
    this.#failProbability = options.failProbability ?? 0.1;
    this.#corruptProbability = options.corruptProbability ?? 0;
  }

  /**
   * The `nth` call (1-based, counted from now) of `operation` throws `error()`,
   * whether or not random faults are enabled.
   */
  failCall(operation: OperationName, nth: number, error: () => Error): void {
    this.#scheduled.set(operation, { countdown: nth, error });
  }

  /** Whether a call scheduled by {@link failCall} is still to come. */
  scheduled(operation: OperationName): boolean {
    return this.#scheduled.has(operation);
  }

  /** Drops every call scheduled by {@link failCall}. */
  unschedule(): void {
    this.#scheduled.clear();
  }

  async #call<I, O>(operation: OperationName, input: I, options?: OperationOptions): Promise<O> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    const spared = this.options.spare?.includes(operation) ?? false;
    let error: Error | undefined;
    const plan = this.#scheduled.get(operation);
    if (plan && --plan.countdown === 0) {
      this.#scheduled.delete(operation);
      error = plan.error();
    } else if (this.enabled && !spared && this.rng.bool(this.#failProbability)) {
      this.injected.thrown++;
      error = this.options.errors(this.rng);
    }
    if (error) {
      for (const value of Object.values(input as Record<string, unknown>)) {
        if (value instanceof ReadableStream) await value.cancel().catch(() => {});
      }
      throw error;
    }
    // deno-lint-ignore no-explicit-any
    const method = (this.inner as any)[METHODS[operation]] as (
      i: I,
      o?: OperationOptions,
    ) => Promise<O>;
    const output = await method.call(this.inner, input, options);
    if (
      operation === "GetChunk" && this.enabled && this.rng.bool(this.#corruptProbability)
    ) {
      this.injected.corrupted++;
      return corruptChunk(output as GetChunkOutput) as O;
    }
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
