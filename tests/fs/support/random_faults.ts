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
import { drainBodies, StorageInterceptor } from "../../support/storage_interceptor.ts";

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
export class RandomFaults extends StorageInterceptor {
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
    inner: BackupStorage,
    readonly rng: Rng,
    readonly options: RandomFaultOptions,
  ) {
    super(inner);
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

  protected async intercept<O>(
    operation: OperationName,
    input: unknown,
    _options: OperationOptions | undefined,
    forward: () => Promise<O>,
  ): Promise<O> {
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
      await drainBodies(input);
      throw error;
    }
    const output = await forward();
    if (
      operation === "GetChunk" && this.enabled && this.rng.bool(this.#corruptProbability)
    ) {
      this.injected.corrupted++;
      return corruptChunk(output as GetChunkOutput) as O;
    }
    return output;
  }
}
