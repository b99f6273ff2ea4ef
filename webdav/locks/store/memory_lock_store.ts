/**
 * `MemoryLockStore`: lock records in this process's memory, indexed by token and
 * by root path. Locks kept here are gone when the process ends.
 *
 * @module
 */

import type { LockRecord } from "../lock_record.ts";
import type { LockStore } from "./lock_store.ts";

/**
 * A store's records with their generations, and the generation its next new
 * record gets: what {@link MemoryLockStore.snapshot} gives and a subclass loads
 * back with `restore` (e.g. to mirror locks kept elsewhere).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LockSnapshot } from "./memory_lock_store.ts";
 * const snapshot: LockSnapshot = {
 *   nextGeneration: 8,
 *   locks: [{
 *     record: { token: "urn:uuid:1", root: "/a", scope: "shared", depth: 0, timeoutSeconds: 60, expiresAt: 60_000 },
 *     generation: 7,
 *   }],
 * };
 * assert.ok(snapshot.locks.every(({ generation }) => generation < snapshot.nextGeneration));
 * ```
 */
export interface LockSnapshot {
  /** The generation the next new record gets; greater than every record's. */
  nextGeneration: number;
  /** Every record with its generation, in the order they were first stored. */
  locks: { record: LockRecord; generation: number }[];
}

/**
 * A {@link LockStore} in memory. Records are handed out as stored (no copies):
 * the lock table copies what it gives away.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryLockStore } from "./memory_lock_store.ts";
 * const store = new MemoryLockStore();
 * const record = { token: "urn:uuid:1", root: "/a/b", scope: "shared", depth: 0, timeoutSeconds: 60, expiresAt: 60_000 } as const;
 * store.put(record);
 * assert.equal(store.checkpoint(), 1);
 * assert.equal(store.generationOf("urn:uuid:1"), 0);
 * assert.deepEqual(store.listAt(["/", "/a", "/a/b"]), [record]);
 * assert.deepEqual(store.listBelow("/a"), [record]);
 * assert.deepEqual(store.listBelow("/a/b"), []);
 * store.delete(["urn:uuid:1"]);
 * assert.equal(store.size, 0);
 * ```
 */
export class MemoryLockStore implements LockStore {
  #records = new Map<string, LockRecord>();
  /** Tokens by lock root. */
  #byRoot = new Map<string, Set<string>>();
  #generations = new Map<string, number>();
  #nextGeneration = 0;

  /** Number of records held. */
  get size(): number {
    return this.#records.size;
  }

  /** The record with this token, if any. */
  get(token: string): LockRecord | undefined {
    return this.#records.get(token);
  }

  /** Every record, in the order they were first stored. */
  list(): LockRecord[] {
    return [...this.#records.values()];
  }

  /** The records rooted exactly at one of `roots`, root by root. */
  listAt(roots: readonly string[]): LockRecord[] {
    const out: LockRecord[] = [];
    for (const root of roots) {
      const tokens = this.#byRoot.get(root);
      if (!tokens) continue;
      for (const token of tokens) out.push(this.#records.get(token)!);
    }
    return out;
  }

  /** The records rooted strictly below `path`. */
  listBelow(path: string): LockRecord[] {
    const out: LockRecord[] = [];
    for (const record of this.#records.values()) {
      if (isBelow(record.root, path)) out.push(record);
    }
    return out;
  }

  /** Adds a record (next generation) or replaces the one with its token (same generation). */
  put(record: LockRecord): void {
    const previous = this.#records.get(record.token);
    if (previous && previous.root !== record.root) this.#unindex(previous);
    this.#records.set(record.token, record);
    if (!this.#generations.has(record.token)) {
      this.#generations.set(record.token, this.#nextGeneration++);
    }
    let tokens = this.#byRoot.get(record.root);
    if (!tokens) this.#byRoot.set(record.root, tokens = new Set());
    tokens.add(record.token);
  }

  /** Removes the records with these tokens. */
  delete(tokens: readonly string[]): void {
    for (const token of tokens) {
      const record = this.#records.get(token);
      if (!record) continue;
      this.#records.delete(token);
      this.#generations.delete(token);
      this.#unindex(record);
    }
  }

  /** The generation of the record with this token, if there is one. */
  generationOf(token: string): number | undefined {
    return this.#generations.get(token);
  }

  /** The generation the next new record will get. */
  checkpoint(): number {
    return this.#nextGeneration;
  }

  /** Every record with its generation, and the next generation (records are not copied). */
  snapshot(): LockSnapshot {
    const locks = [...this.#records.values()].map((record) => ({
      record,
      generation: this.#generations.get(record.token)!,
    }));
    return { nextGeneration: this.#nextGeneration, locks };
  }

  /**
   * Replaces every record with those of `snapshot`, keeping their generations
   * (and ordering them by generation); the next generation becomes the
   * snapshot's, or one past the greatest record's when that is greater.
   * `put` and `delete` are not called.
   */
  protected restore(snapshot: LockSnapshot): void {
    this.#records.clear();
    this.#byRoot.clear();
    this.#generations.clear();
    let next = Math.max(0, snapshot.nextGeneration);
    const ordered = [...snapshot.locks].sort((a, b) => a.generation - b.generation);
    for (const { record, generation } of ordered) {
      const previous = this.#records.get(record.token);
      if (previous) this.#unindex(previous);
      this.#records.set(record.token, record);
      this.#generations.set(record.token, generation);
      let tokens = this.#byRoot.get(record.root);
      if (!tokens) this.#byRoot.set(record.root, tokens = new Set());
      tokens.add(record.token);
      next = Math.max(next, generation + 1);
    }
    this.#nextGeneration = next;
  }

  #unindex(record: LockRecord): void {
    const tokens = this.#byRoot.get(record.root);
    if (!tokens) return;
    tokens.delete(record.token);
    if (tokens.size === 0) this.#byRoot.delete(record.root);
  }
}

function isBelow(path: string, root: string): boolean {
  if (root === "/") return path !== "/";
  return path.startsWith(root + "/");
}
