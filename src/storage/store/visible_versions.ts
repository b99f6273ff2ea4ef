/**
 * The versions a store has seen current, and their chunk rows, kept for a while
 * so that reads by token (`ListChunks`, `GetChunk`, `GetObjectMetadata`) do not
 * ask the metadata store again for what cannot have changed.
 *
 * Why it is exact: a version seen current at time T is readable by its tokens
 * until at least T + the grace period. Retiring it (a newer version, a delete)
 * keeps it readable for the grace period from the retirement, which is later than
 * T; only then may the collector drop it. Nothing else changes a version that
 * became current: its job, name, size, checksum, metadata and chunk rows are
 * final. So an answer seen current is reused for half the grace period (the other
 * half absorbs clock differences between processes that share the store), and
 * only versions seen current are kept: pending and retired ones are always read
 * again.
 *
 * @module
 */

import type { ChunkRow, VersionRow } from "./metadata/metadata_store.ts";
import { VersionState } from "./metadata/metadata_store.ts";

/** Options of {@link VisibleVersions}. */
export interface VisibleVersionsOptions {
  /** The store's grace period, in ms: answers are reused for half of it. */
  gracePeriodMs: number;
  /** The store's clock (default `Date.now`). */
  now?: () => number;
  /** Versions kept at most; the oldest seen go first (default 4096). */
  maxVersions?: number;
  /** Chunk lists are kept for versions of at most this many chunks (default 16). */
  maxChunks?: number;
}

interface Seen {
  row: VersionRow;
  /** Until when (store clock) the row may be reused. */
  until: number;
  /** All its chunk rows, in index order, once read in full. */
  chunks?: ChunkRow[];
}

/**
 * Current versions seen lately, by id, with their chunk rows when the version has
 * few.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VisibleVersions } from "./visible_versions.ts";
 * import { VersionState } from "./metadata/metadata_store.ts";
 * let now = 1_000;
 * const seen = new VisibleVersions({ gracePeriodMs: 60_000, now: () => now });
 * const row = {
 *   id: 7, job: "j", name: new TextEncoder().encode("a"), state: VersionState.Current,
 *   chunks_count: 1, size: 3, object_checksum: "x", metadata_string: null,
 *   meta_digest: null, meta_length: null, completed_at: 1_000, retired_at: null,
 * };
 * seen.remember(row);
 * assert.equal(seen.version(7), row);
 * now += 30_000; // half the grace period later
 * assert.equal(seen.version(7), undefined);
 * ```
 */
export class VisibleVersions {
  readonly #reuseMs: number;
  readonly #now: () => number;
  readonly #maxVersions: number;
  readonly #maxChunks: number;
  /** In the order first seen (a `Map` keeps insertion order). */
  readonly #seen = new Map<number, Seen>();

  /** An empty set, reusing answers for half of `options.gracePeriodMs`. */
  constructor(options: VisibleVersionsOptions) {
    this.#reuseMs = Math.max(0, Math.floor(options.gracePeriodMs / 2));
    this.#now = options.now ?? Date.now;
    this.#maxVersions = options.maxVersions ?? 4096;
    this.#maxChunks = options.maxChunks ?? 16;
  }

  /** The row of version `id` seen current lately, or `undefined`. */
  version(id: number): VersionRow | undefined {
    return this.#fresh(id)?.row;
  }

  /** Keeps `row` when it is current (other states are always read again). */
  remember(row: VersionRow): void {
    if (row.state !== VersionState.Current || this.#reuseMs === 0) return;
    if (this.#seen.has(row.id)) return;
    while (this.#seen.size >= this.#maxVersions) {
      this.#seen.delete(this.#seen.keys().next().value!);
    }
    this.#seen.set(row.id, { row, until: this.#now() + this.#reuseMs });
  }

  /** All chunk rows of version `id`, when kept. */
  chunks(id: number): readonly ChunkRow[] | undefined {
    return this.#fresh(id)?.chunks;
  }

  /**
   * Keeps the chunk rows of a version already remembered, when `rows` is its whole
   * list (as many as its `chunks_count`) and short enough.
   */
  rememberChunks(id: number, rows: readonly ChunkRow[]): void {
    const seen = this.#fresh(id);
    if (!seen || rows.length > this.#maxChunks || rows.length !== seen.row.chunks_count) return;
    for (let i = 0; i < rows.length; i++) if (rows[i].idx !== i) return;
    seen.chunks = rows.slice();
  }

  #fresh(id: number): Seen | undefined {
    const seen = this.#seen.get(id);
    if (seen === undefined) return undefined;
    if (this.#now() < seen.until) return seen;
    this.#seen.delete(id);
    return undefined;
  }
}
