/**
 * `SharedLockStore`: the WebDAV locks of one job kept in the store's metadata
 * (a named document, `webdav-locks/JOB`), so that every `serve` process over one
 * store — one data directory, or one PostgreSQL database — sees the same locks,
 * and they outlive restarts of all of them.
 *
 * The lock table's reads and writes stay synchronous (a LOCK checks for
 * conflicts and records its lock in one step): this store is a
 * `MemoryLockStore` that mirrors the document. Two asynchronous steps keep the
 * mirror true, and the server's lock middleware (`middleware/lock_sync.ts`)
 * runs them around requests:
 *
 * - `refresh()` before a request that reads locks: one cheap read of the
 *   document's version, and a reload only when it changed;
 * - `change(work)` around a request that may take, refresh or drop locks
 *   (LOCK, UNLOCK, DELETE, MOVE, COPY): it takes the lease `webdav-locks/JOB`
 *   (one holder across all processes; waits with backoff, at most `waitMs`,
 *   then 503), refreshes, runs the request (renewing the lease while it runs),
 *   writes the mirror back with a compare-and-set on the version it read when
 *   the request changed it, and gives up the lease. Within a process, changes
 *   take turns. A compare-and-set that fails (the lease ran out under a very
 *   slow request and another process wrote meanwhile) reloads the mirror and
 *   rejects with 503: the request is not answered as if its lock were taken.
 *
 * The document is `{"version":1,"nextGeneration":n,"locks":[{"record":…,"generation":g}]}`;
 * generations (what DELETE and MOVE compare to keep locks granted while they
 * ran) come from `nextGeneration`, so they grow across all processes. The first
 * time (no document yet), an old `webdav-locks-JOB.json` lock file is taken in.
 *
 * @module
 */

import { DavError } from "../../dav_error.ts";
import type { LockRecord } from "../lock_record.ts";
import { lockRecordFrom, readLockFile } from "./_lock_records.ts";
import { type LockSnapshot, MemoryLockStore } from "./memory_lock_store.ts";

/** Default time a change lease lasts unless renewed: 30 s. */
export const DEFAULT_LOCK_LEASE_TTL_MS = 30_000;
/** Default longest wait of a change for its turn and the lease: 10 s. */
export const DEFAULT_LOCK_CHANGE_WAIT_MS = 10_000;

/** First and longest pause between two tries of a taken lease, in ms. */
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 100;
/** Bound of the lease loop, whatever the clock does. */
const MAX_LEASE_TRIES = 100_000;

/**
 * The writes a {@link SharedLockStore} makes in one transaction of the metadata
 * store (a `MetadataTransaction` of the embedded store has them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LockDocumentTransaction } from "./shared_lock_store.ts";
 * const leases = new Map<string, string>();
 * const tx: LockDocumentTransaction = {
 *   putDocument: () => Promise.resolve(true),
 *   takeLease: (name, holder) => {
 *     if ((leases.get(name) ?? holder) !== holder) return Promise.resolve(false);
 *     leases.set(name, holder);
 *     return Promise.resolve(true);
 *   },
 *   dropLease: (name) => Promise.resolve(void leases.delete(name)),
 * };
 * assert.equal(await tx.takeLease("l", "a", 0, 1000), true);
 * assert.equal(await tx.takeLease("l", "b", 0, 1000), false);
 * ```
 */
export interface LockDocumentTransaction {
  /** Writes a named document if its version is still `expectedVersion` (0: none yet); whether it did. */
  putDocument(name: string, body: string, expectedVersion: number): Promise<boolean>;
  /** Takes or renews a named lease for `holder` until `now + ttlMs`; whether `holder` has it. */
  takeLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Gives up a lease `holder` has. */
  dropLease(name: string, holder: string): Promise<void>;
}

/**
 * What a {@link SharedLockStore} needs of the metadata store: named versioned
 * documents and leases. `EmbeddedStore.metadataStore` (SQLite or PostgreSQL)
 * has it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
 * import type { LockDocumentStore } from "./shared_lock_store.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const documents: LockDocumentStore = store.metadataStore;
 *   assert.equal(await documents.documentVersion("webdav-locks/j"), 0);
 *   assert.equal(await documents.transaction((tx) => tx.putDocument("webdav-locks/j", "{}", 0)), true);
 *   assert.equal((await documents.document("webdav-locks/j"))?.version, 1);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface LockDocumentStore {
  /** The version of a named document, 0 when there is none. */
  documentVersion(name: string): Promise<number>;
  /** A named document and its version. */
  document(name: string): Promise<{ version: number; body: string } | undefined>;
  /** Runs `fn` in one transaction (durable unless `durable: false`). */
  transaction<T>(
    fn: (tx: LockDocumentTransaction) => Promise<T>,
    options?: { durable?: boolean },
  ): Promise<T>;
}

/**
 * Options of {@link SharedLockStore.open}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SharedLockStoreOptions } from "./shared_lock_store.ts";
 * const options: SharedLockStoreOptions = { importFile: "/data/webdav-locks-default.json", waitMs: 5000 };
 * assert.equal(options.waitMs, 5000);
 * ```
 */
export interface SharedLockStoreOptions {
  /**
   * An old lock file (`webdav-locks-JOB.json` of `FileLockStore`) whose locks
   * are taken in when the job's document does not exist yet.
   */
  importFile?: string;
  /** How long the change lease lasts unless renewed, in ms (default 30 s); renewed every third of it. */
  leaseTtlMs?: number;
  /** Longest wait of a change for its turn and the lease, in ms (default 10 s); then 503. */
  waitMs?: number;
  /** Clock of the leases, in ms since epoch (default `Date.now`); every process must agree on it. */
  now?: () => number;
}

/**
 * A {@link MemoryLockStore} mirroring the document of one job's WebDAV locks in
 * a metadata store shared by every server over that store (see the module
 * documentation for the protocol).
 *
 * **How stale another frontend's view can be.** A request that reads locks
 * refreshes the mirror first (the lock middleware does it for every method but
 * OPTIONS, and GET and HEAD without an `If` header, which read no locks), and
 * a lock change is committed before its request is answered: a request sees
 * every lock change answered before it started, on any frontend — no
 * staleness. A change still in progress elsewhere (not yet answered) is not
 * seen, which is the same as the two requests arriving in the other order.
 *
 * @example Two servers over one store: a lock taken through one holds in the other
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
 * import { LockTable } from "../lock_table.ts";
 * import { SharedLockStore } from "./shared_lock_store.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using one = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await using two = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const storeA = await SharedLockStore.open(one.metadataStore, "j");
 *   const storeB = await SharedLockStore.open(two.metadataStore, "j");
 *   const a = new LockTable({ store: storeA });
 *   const b = new LockTable({ store: storeB });
 *   const taken = await storeA.change(() =>
 *     Promise.resolve(a.tryLock({ root: "/doc", scope: "exclusive", depth: 0 }))
 *   );
 *   assert.ok(taken.lock);
 *   await storeB.refresh();
 *   assert.deepEqual(b.locksCovering("/doc").map((lock) => lock.token), [taken.lock.token]);
 *   const refused = await storeB.change(() =>
 *     Promise.resolve(b.tryLock({ root: "/doc", scope: "shared", depth: 0 }))
 *   );
 *   assert.equal(refused.conflicts?.length, 1);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class SharedLockStore extends MemoryLockStore {
  #documents: LockDocumentStore;
  #name: string;
  #holder = crypto.randomUUID();
  #leaseTtl: number;
  #waitMs: number;
  #now: () => number;
  /** The version of the document the mirror holds (0: no document; -1: reload). */
  #version = 0;
  /** Grows with every put and delete, to see whether a change changed the mirror. */
  #mutations = 0;
  /** Changes of this process take turns: each waits for the one before. */
  #turns: Promise<void> = Promise.resolve();

  private constructor(documents: LockDocumentStore, job: string, options: SharedLockStoreOptions) {
    super();
    this.#documents = documents;
    this.#name = `webdav-locks/${job}`;
    this.#leaseTtl = Math.max(10, options.leaseTtlMs ?? DEFAULT_LOCK_LEASE_TTL_MS);
    this.#waitMs = Math.max(0, options.waitMs ?? DEFAULT_LOCK_CHANGE_WAIT_MS);
    this.#now = options.now ?? Date.now;
  }

  /**
   * The store of `job`'s locks in `documents`, loaded; an old lock file
   * (`options.importFile`) is taken in first when the job has no document yet.
   */
  static async open(
    documents: LockDocumentStore,
    job: string,
    options?: SharedLockStoreOptions,
  ): Promise<SharedLockStore> {
    const store = new SharedLockStore(documents, job, options ?? {});
    if (options?.importFile !== undefined) await store.#importLockFile(options.importFile);
    await store.refresh();
    return store;
  }

  /** The name of the document (and of the lease) of these locks: `webdav-locks/JOB`. */
  get documentName(): string {
    return this.#name;
  }

  /** The version of the document the mirror holds (0 while there is none). */
  get documentVersion(): number {
    return Math.max(0, this.#version);
  }

  /** Adds or replaces a record in the mirror (committed by the change it is part of). */
  override put(record: LockRecord): void {
    super.put(record);
    this.#mutations++;
  }

  /** Removes records from the mirror (committed by the change it is part of). */
  override delete(tokens: readonly string[]): void {
    if (!tokens.some((token) => this.get(token) !== undefined)) return;
    super.delete(tokens);
    this.#mutations++;
  }

  /**
   * Brings the mirror up to date with every change committed before the call:
   * reads the document's version, and the document when it changed.
   */
  async refresh(): Promise<void> {
    const version = await this.#documents.documentVersion(this.#name);
    if (version === this.#version) return;
    this.#load(await this.#documents.document(this.#name));
  }

  /**
   * Runs `work` as one change of the shared locks: after this process's changes
   * before it, under the lease, on an up-to-date mirror; commits what it changed
   * before resolving with its result (or rethrowing its error). Rejects with a
   * `DavError` 503 (`Retry-After`) when the turn and lease are not had within
   * `waitMs`, or when the commit fails (the mirror is reloaded: the change is
   * undone here too).
   */
  async change<T>(work: () => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.#waitMs;
    const before = this.#turns;
    let done!: () => void;
    this.#turns = before.then(() => new Promise<void>((resolve) => done = resolve));
    try {
      if (!(await settlesWithin(before, this.#waitMs))) throw busy("another change of locks");
      await this.#takeLease(deadline);
      try {
        return await this.#changeUnderLease(work);
      } finally {
        await this.#documents.transaction(
          (tx) => tx.dropLease(this.#name, this.#holder),
          { durable: false },
        ).catch(() => {}); // it expires anyway
      }
    } finally {
      // `done` is set once `before` settled; the next change waits for both.
      void before.then(() => done());
    }
  }

  /** Refresh, work (the lease renewed meanwhile), commit. */
  async #changeUnderLease<T>(work: () => Promise<T>): Promise<T> {
    await this.refresh();
    const expected = this.#version;
    const mutations = this.#mutations;
    let renewals: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      renewals = renewals.then(() => this.#tryLease()).catch(() => {});
    }, Math.max(1, Math.floor(this.#leaseTtl / 3)));
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await work() };
    } catch (error) {
      outcome = { error };
    } finally {
      clearInterval(timer);
      await renewals; // no renewal may run after the lease is dropped
    }
    if (this.#mutations !== mutations) await this.#commit(expected);
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }

  /** Writes the mirror over version `expected`; on failure reloads it and throws 503. */
  async #commit(expected: number): Promise<void> {
    const body = JSON.stringify({ version: 1, ...this.snapshot() });
    let written = false;
    let cause: unknown;
    try {
      written = await this.#documents.transaction((tx) =>
        tx.putDocument(this.#name, body, Math.max(0, expected))
      );
    } catch (error) {
      cause = error;
    }
    if (written) {
      this.#version = Math.max(this.#version, Math.max(0, expected) + 1);
      return;
    }
    this.#version = -1; // whatever happens next, the next refresh reloads
    await this.refresh().catch(() => {});
    throw new DavError(
      503,
      cause === undefined
        ? "The WebDAV locks changed under this request (its lease ran out): not committed"
        : "The WebDAV locks could not be committed",
      { headers: { "Retry-After": "1" }, ...(cause === undefined ? {} : { cause }) },
    );
  }

  /** Takes the lease, trying again with backoff until `deadline` (a `performance.now()` time). */
  async #takeLease(deadline: number): Promise<void> {
    let pause = FIRST_BACKOFF_MS;
    for (let attempt = 0; attempt < MAX_LEASE_TRIES; attempt++) {
      if (await this.#tryLease()) return;
      const left = deadline - performance.now();
      if (left <= 0) break;
      const wait = Math.min(left, pause * (0.5 + Math.random() / 2));
      await new Promise((resolve) => setTimeout(resolve, wait));
      pause = Math.min(MAX_BACKOFF_MS, pause * 2);
    }
    throw busy("another server's change of locks");
  }

  #tryLease(): Promise<boolean> {
    return this.#documents.transaction(
      (tx) => tx.takeLease(this.#name, this.#holder, this.#now(), this.#leaseTtl),
      { durable: false },
    );
  }

  /** Replaces the mirror with `document` unless the mirror holds a later version. */
  #load(document: { version: number; body: string } | undefined): void {
    const version = document?.version ?? 0;
    if (this.#version >= 0 && version <= this.#version) return;
    this.restore(snapshotOf(document?.body));
    this.#version = version;
  }

  /** Writes the records of an old lock file as the first document (unless there is one). */
  async #importLockFile(path: string): Promise<void> {
    if (await this.#documents.documentVersion(this.#name) !== 0) return;
    const records = readLockFile(path);
    if (records.length === 0) return;
    const body = JSON.stringify({
      version: 1,
      nextGeneration: records.length,
      locks: records.map((record, generation) => ({ record, generation })),
    });
    // Another server importing at the same time wins or loses the same way.
    await this.#documents.transaction((tx) => tx.putDocument(this.#name, body, 0));
  }
}

/** The 503 of a change that did not get its turn in time. */
function busy(what: string): DavError {
  return new DavError(503, `Timed out waiting for ${what}`, { headers: { "Retry-After": "1" } });
}

/** Whether `promise` settles within `ms` (it never rejects here). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The locks of a document's body; none when there is none or it is unreadable. */
function snapshotOf(body: string | undefined): LockSnapshot {
  const empty: LockSnapshot = { nextGeneration: 0, locks: [] };
  if (body === undefined) return empty;
  let data: { version?: unknown; nextGeneration?: unknown; locks?: unknown };
  try {
    data = JSON.parse(body);
  } catch {
    return empty;
  }
  if (data?.version !== 1 || !Array.isArray(data.locks)) return empty;
  const locks: LockSnapshot["locks"] = [];
  for (const entry of data.locks) {
    const record = lockRecordFrom((entry as { record?: unknown })?.record);
    const generation = (entry as { generation?: unknown })?.generation;
    if (record && Number.isSafeInteger(generation) && (generation as number) >= 0) {
      locks.push({ record, generation: generation as number });
    }
  }
  const next = Number.isSafeInteger(data.nextGeneration) ? data.nextGeneration as number : 0;
  return { nextGeneration: next, locks };
}
