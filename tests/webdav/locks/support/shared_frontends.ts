// Two WebDAV frontends over one store, as two `deno task serve` processes would
// be: each opens its own store over the same place (`openStore` of one
// StoreLocation), keeps the job's locks in a SharedLockStore over that store's
// metadata, and serves its own app with serveHttp on 127.0.0.1 (a port the OS
// picks). Where the store lives is one parameter, a `StorePlace`: a SQLite data
// directory here; a PostgreSQL + S3 place joins `STORE_PLACES`.

import { BackupFS } from "../../../../src/fs/backup_fs.ts";
import { serveHttp } from "../../../../src/http/mod.ts";
import type { EmbeddedStore } from "../../../../src/storage/store/mod.ts";
import {
  type OpenedStore,
  openStore,
  type StoreLocation,
} from "../../../../src/storage/store/store_backends.ts";
import { LockTable } from "../../../../webdav/locks/lock_table.ts";
import {
  SharedLockStore,
  type SharedLockStoreOptions,
} from "../../../../webdav/locks/store/shared_lock_store.ts";
import { createWebDavApp } from "../../../../webdav/mod.ts";
import { onLocalFiles, testStoreLocation } from "../../../support/test_store.ts";

/** The job the frontends serve. */
export const SHARED_JOB = "dav-shared";

/** Where the frontends' store lives, and how to remove it. */
export interface StorePlace {
  /** What the frontends open (what `serve --data … [--metadata …] [--chunks …]` names). */
  location: StoreLocation;
  /** Removes everything the place holds. */
  dispose(): Promise<void>;
}

/** A store place to run the tests over: undefined when its engine is missing (the test is then skipped). */
export interface StorePlaceKind {
  /** For test names. */
  name: string;
  /** A fresh, empty place. */
  make(): Promise<StorePlace | undefined>;
}

/**
 * A fresh place on this run's engines: one SQLite data directory (metadata.db
 * and chunk files) by default, a PostgreSQL schema and an S3 prefix when
 * tests/support/engines/with_engines.ts runs the suite.
 */
export async function sqliteStorePlace(): Promise<StorePlace> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-shared-frontends-" });
  return {
    location: await testStoreLocation(dir),
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
}

/** The places every two-frontend test runs over. */
export const STORE_PLACES: StorePlaceKind[] = [
  {
    name: onLocalFiles ? "one SQLite data directory" : "PostgreSQL + S3",
    make: sqliteStorePlace,
  },
];

/** One frontend: its store, file system, lock table and HTTP server. */
export interface Frontend {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  store: EmbeddedStore;
  fs: BackupFS;
  locks: LockTable;
  /** The lock table's store (the job's locks document, mirrored). */
  shared: SharedLockStore;
  /** Errors the app reported (5xx answers); a test expects none. */
  errors: unknown[];
  /** Sends a request to `origin + path`. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Stops the server and closes the store. */
  close(): Promise<void>;
}

/** Starts a frontend over its own store at `location` (`lockOptions`: of its SharedLockStore). */
export async function startFrontend(
  location: StoreLocation,
  lockOptions?: SharedLockStoreOptions,
): Promise<Frontend> {
  const opened: OpenedStore = await openStore(location, { gcIntervalMs: 0, durable: false });
  try {
    const shared = await SharedLockStore.open(opened.store.metadataStore, SHARED_JOB, lockOptions);
    const locks = new LockTable({ store: shared });
    const fs = new BackupFS(opened.store, { jobId: SHARED_JOB, chunkSize: 4096 });
    const errors: unknown[] = [];
    const dav = createWebDavApp(fs, { locks, onError: (error) => void errors.push(error) });
    const server = await serveHttp(dav.fetch, { hostname: "127.0.0.1", port: 0 });
    const origin = `http://127.0.0.1:${server.addr.port}`;
    return {
      origin,
      store: opened.store,
      fs,
      locks,
      shared,
      errors,
      request: (path, init) => fetch(`${origin}${path}`, init),
      async close() {
        await server.shutdown();
        await opened.close();
      },
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** Two frontends over one place. */
export interface FrontendPair {
  a: Frontend;
  b: Frontend;
  /** Closes both, then starts two new ones over the same place (a restart of all). */
  restart(): Promise<FrontendPair>;
  close(): Promise<void>;
}

/** Starts two frontends over `place`. */
export async function startFrontendPair(place: StorePlace): Promise<FrontendPair> {
  const a = await startFrontend(place.location);
  let b: Frontend;
  try {
    b = await startFrontend(place.location);
  } catch (error) {
    await a.close();
    throw error;
  }
  const close = async () => {
    await Promise.allSettled([a.close(), b.close()]);
  };
  return {
    a,
    b,
    close,
    async restart() {
      await close();
      return await startFrontendPair(place);
    },
  };
}

/**
 * Registers one test per store place: two frontends over a fresh place, closed
 * and removed afterwards (`fn` may restart them: it returns the pair to close).
 */
export function frontendsTest(
  name: string,
  fn: (pair: FrontendPair) => Promise<FrontendPair | void>,
): void {
  for (const kind of STORE_PLACES) {
    Deno.test(`shared locks over ${kind.name}: ${name}`, async () => {
      const place = await kind.make();
      if (!place) return;
      let pair = await startFrontendPair(place);
      try {
        pair = (await fn(pair)) ?? pair;
      } finally {
        await pair.close();
        await place.dispose();
      }
    });
  }
}

const LOCKINFO = (scope: "exclusive" | "shared") =>
  `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/>` +
  `</D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`;

/** LOCK `path` through `frontend`: the status, and the token when granted. */
export async function lockThrough(
  frontend: Frontend,
  path: string,
  options?: { depth?: "0" | "infinity"; scope?: "exclusive" | "shared" },
): Promise<{ status: number; token?: string }> {
  const response = await frontend.request(path, {
    method: "LOCK",
    headers: {
      "Content-Type": "application/xml; charset=utf-8",
      Depth: options?.depth ?? "0",
      Timeout: "Second-600",
    },
    body: LOCKINFO(options?.scope ?? "exclusive"),
  });
  await response.body?.cancel();
  const header = response.headers.get("Lock-Token");
  return header ? { status: response.status, token: header.slice(1, -1) } : {
    status: response.status,
  };
}

/** Sends a request and returns its status, the body discarded. */
export async function statusOf(
  frontend: Frontend,
  method: string,
  path: string,
  init?: { headers?: Record<string, string>; body?: string },
): Promise<number> {
  const response = await frontend.request(path, { method, ...init });
  await response.body?.cancel();
  return response.status;
}
