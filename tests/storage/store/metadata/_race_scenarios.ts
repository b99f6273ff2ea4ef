/**
 * The races of the metadata conformance suite, each side a function of a store
 * and a {@link Peer} (how the two sides signal each other). One side runs in the
 * test, the other in `_other_process.ts`, a worker with its own store over the
 * same database: two processes, as far as the engine can tell. (Two SQLite
 * stores cannot share one thread: SQLite waits for another connection's write
 * lock by sleeping, which would stop the very thread that holds it.)
 *
 * @module
 */

import {
  type MetadataStore,
  type MetadataTransaction,
  pendingVersion,
  VersionState,
} from "../../../../src/storage/store/metadata/metadata_store.ts";
import { PostgresMetadataStore } from "../../../../src/storage/store/metadata/postgres_metadata_store.ts";
import { SqliteMetadataStore } from "../../../../src/storage/store/metadata/sqlite_metadata_store.ts";

/** Where a store's database is, in a form a worker can be sent. */
export type StoreSpec =
  | { engine: "sqlite"; path: string }
  | { engine: "postgres"; url: string; schema?: string };

/** Opens a store over the database `spec` names. */
export async function openSpec(spec: StoreSpec): Promise<MetadataStore> {
  if (spec.engine === "sqlite") return SqliteMetadataStore.open(spec.path, { durable: false });
  return await PostgresMetadataStore.open(spec.url, {
    ...(spec.schema ? { schema: spec.schema } : {}),
    connectTimeoutMs: 5000,
    statementTimeoutMs: 15_000,
  });
}

/** Signals between the two sides of a race. */
export interface Peer {
  /** Tells the other side `name` happened. */
  signal(name: string): void;
  /** Resolves once the other side signalled `name` (at once if it did already); bounded. */
  waitFor(name: string): Promise<void>;
}

/** Bound on waiting for the other side. */
const WAIT_MS = 20_000;

/**
 * The receiving half of a {@link Peer}: `deliver` the other side's signals to it.
 */
export class SignalBox {
  #seen = new Set<string>();
  #waiting = new Map<string, Array<() => void>>();

  /** Records a signal of the other side. */
  deliver(name: string): void {
    this.#seen.add(name);
    for (const wake of this.#waiting.get(name) ?? []) wake();
    this.#waiting.delete(name);
  }

  /** Resolves once `name` was delivered; rejects after a bound. */
  waitFor(name: string): Promise<void> {
    if (this.#seen.has(name)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no signal "${name}" from the other side in ${WAIT_MS} ms`)),
        WAIT_MS,
      );
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiting.set(name, [...(this.#waiting.get(name) ?? []), wake]);
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Arguments of {@link makeCurrent}. */
export interface MakeCurrentArgs {
  job: string;
  name: number[];
  /** This side's name ("a" or "b"), and the other's. */
  side: string;
  other: string;
  /** Whether both sides read before either writes, on their first run (not for SQLite). */
  rendezvous: boolean;
  /**
   * Whether the version goes in as current directly (a small PutObject's way)
   * rather than pending, then completed (an upload's).
   */
  direct?: boolean;
}

/** What one side of {@link makeCurrent} did. */
export interface MakeCurrentResult {
  /** The version it made current. */
  id: number;
  /** Runs of its transaction function. */
  attempts: number;
  /** The current version each run saw (null: none). */
  saw: (number | null)[];
}

/**
 * One side of the race to make a version of a name current: read the current
 * version, retire it if any, insert a pending version and complete it.
 */
export async function makeCurrent(
  store: MetadataStore,
  peer: Peer,
  args: MakeCurrentArgs,
): Promise<MakeCurrentResult> {
  const name = new Uint8Array(args.name);
  let attempts = 0;
  const saw: (number | null)[] = [];
  const id = await store.transaction(async (tx: MetadataTransaction) => {
    attempts++;
    const current = await tx.currentVersion(args.job, name);
    saw.push(current?.id ?? null);
    if (args.rendezvous && attempts === 1) {
      peer.signal(`read:${args.side}`);
      await peer.waitFor(`read:${args.other}`);
    }
    if (current) await tx.retireVersion(current.id, Date.now());
    if (args.direct) {
      return await tx.insertVersion({
        job: args.job,
        name,
        state: VersionState.Current,
        chunks_count: 0,
        size: 0,
        object_checksum: `by ${args.side}`,
        metadata_string: null,
        meta_digest: null,
        meta_length: null,
        completed_at: Date.now(),
        retired_at: null,
      });
    }
    const id = await tx.insertVersion(pendingVersion(args.job, name));
    await tx.completeVersion(id, {
      chunks_count: 0,
      size: 0,
      object_checksum: `by ${args.side}`,
      metadata_string: null,
      meta_digest: null,
      meta_length: null,
      completed_at: Date.now(),
    });
    return id;
  });
  return { id, attempts, saw };
}

/** Arguments of {@link completeUpload}. */
export interface CompleteUploadArgs {
  uploadId: string;
  side: string;
  /** Signal to wait for before starting (the other side holds the upload locked). */
  after?: string;
  /** How long to keep the upload locked before completing it, in ms. */
  holdMs: number;
}

/** What one side of {@link completeUpload} did. */
export interface CompleteUploadResult {
  /** Whether the upload was completed already when this side locked it. */
  sawCompleted: boolean;
  /** The checksum it saw recorded (the winner's), when it saw one. */
  sawChecksum: string | null;
  /** When it had the lock, and when its function ended (ms since the epoch). */
  lockedAt: number;
  endedAt: number;
}

/**
 * One side of two completions of one upload: lock it, and complete its version
 * unless it is completed already. Signals `locked:<side>` once it holds the lock.
 */
export async function completeUpload(
  store: MetadataStore,
  peer: Peer,
  args: CompleteUploadArgs,
): Promise<CompleteUploadResult> {
  if (args.after) await peer.waitFor(args.after);
  return await store.transaction(async (tx) => {
    const upload = await tx.lockUpload(args.uploadId);
    if (!upload) throw new Error(`no upload ${args.uploadId}`);
    const lockedAt = Date.now();
    peer.signal(`locked:${args.side}`);
    if (args.holdMs > 0) await sleep(args.holdMs);
    const sawCompleted = upload.completed === 1;
    if (!sawCompleted) {
      await tx.completeVersion(upload.version_id, {
        chunks_count: 0,
        size: 0,
        object_checksum: `by ${args.side}`,
        metadata_string: null,
        meta_digest: null,
        meta_length: null,
        completed_at: Date.now(),
      });
      await tx.markUploadCompleted(args.uploadId, `by ${args.side}`);
    }
    return { sawCompleted, sawChecksum: upload.object_checksum, lockedAt, endedAt: Date.now() };
  });
}

/** Arguments of {@link lockDigestFor}. */
export interface LockDigestArgs {
  digest: number[];
  side: string;
  /** Signal to wait for before starting. */
  after?: string;
  /** How long to hold the digest's lock, in ms. */
  holdMs: number;
}

/** When one side of {@link lockDigestFor} asked for, got and let go of a digest's lock. */
export interface LockDigestResult {
  requestedAt: number;
  lockedAt: number;
  endedAt: number;
}

/**
 * One side of two transactions on one digest: lock it, signal `digest:<side>`,
 * hold it `holdMs`, and say when each happened.
 */
export async function lockDigestFor(
  store: MetadataStore,
  peer: Peer,
  args: LockDigestArgs,
): Promise<LockDigestResult> {
  if (args.after) await peer.waitFor(args.after);
  const requestedAt = Date.now();
  return await store.transaction(async (tx) => {
    await tx.lockDigest(new Uint8Array(args.digest));
    const lockedAt = Date.now();
    peer.signal(`digest:${args.side}`);
    if (args.holdMs > 0) await sleep(args.holdMs);
    await tx.addCandidate(new Uint8Array(args.digest));
    return { requestedAt, lockedAt, endedAt: Date.now() };
  });
}

/** The scenarios a worker can run, by name. */
export const SCENARIOS = {
  makeCurrent,
  completeUpload,
  lockDigestFor,
} as const;

/** A scenario's name. */
export type ScenarioName = keyof typeof SCENARIOS;
