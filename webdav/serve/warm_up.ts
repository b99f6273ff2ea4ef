/**
 * Warm-up: before a server (or each of its workers) listens, it runs the
 * requests people make most — PUT, PROPFIND (all properties, and named ones as
 * davfs2, Finder and Explorer ask), GET, PROPPATCH, LOCK, MOVE, DELETE — through
 * its own WebDAV code on a throwaway store in a temporary directory, then
 * deletes it.
 *
 * Why: V8 compiles and optimizes a function only after it has run. Without a
 * warm-up, the first folder a person lists is also the first time the process
 * runs the listing code, interpreted (and loads the parts of the runtime it
 * uses). Measured on a 2,000-file folder with two workers, that first PROPFIND
 * took 105–141 ms; after a warm-up with 6 listings (about 0.35 s of CPU per
 * worker, once) 42–45 ms; after one four times larger (0.7 s), 30–38 ms. What
 * counts is the number of listings, not their size: the code around each
 * listing runs once per request. In-process, the first PROPFIND of 2,000 files
 * took 44–52 ms after 6 listings of 100 files, 21–24 ms after 40 (the default,
 * +80 ms of warm-up), 19–22 ms after 100. Since the metadata cache keeps small
 * listings, the warm-up lists through a file system that caches nothing (else 39
 * of its 40 listings would be answered by the cache, and the first real one ran
 * the listing code cold: 45–50 ms over HTTP against 29–32 with this).
 *
 * Its requests go through the HTTP server's own code too (request parsing, the
 * streamed answers): over loopback, to listeners of its own on ports the OS picks,
 * where the process may use 127.0.0.1 without asking (else to the app directly).
 * Measured on a 2,000-file folder with two workers, 8 alternating pairs, the
 * first PROPFIND took a median 39 ms against 49 through the app alone.
 *
 * It never touches the served store, never counts in the served listener's
 * access log or metrics, and runs only where the process may write the system's
 * temporary directory without asking. A warm-up that
 * fails only leaves the process colder; the directory of one whose process was
 * killed is removed by a later warm-up, after an hour.
 *
 * @module
 */

import { BackupFS } from "../../src/fs/mod.ts";
import { type HttpServerHandle, serveHttp } from "../../src/http/mod.ts";
import { EmbeddedStore } from "../../src/storage/store/embedded_store.ts";
import { createWebDavApp } from "../mod.ts";

/** Options of {@link warmUp}. */
export interface WarmUpOptions {
  /** Files written, then listed (default 100). */
  files?: number;
  /** Listings of them, half with all properties, half with named ones (default 40). */
  listings?: number;
}

const NAMED_PROPERTIES = '<?xml version="1.0" encoding="utf-8"?>' +
  '<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/>' +
  "<D:getlastmodified/><D:creationdate/><D:getetag/><D:getcontenttype/>" +
  "<D:lockdiscovery/><D:supportedlock/></D:prop></D:propfind>";

const PROPERTY_UPDATE = '<?xml version="1.0" encoding="utf-8"?>' +
  '<D:propertyupdate xmlns:D="DAV:" xmlns:w="urn:backupfs:warm-up"><D:set><D:prop>' +
  "<w:note>warm</w:note></D:prop></D:set></D:propertyupdate>";

const LOCK_INFO = '<?xml version="1.0" encoding="utf-8"?>' +
  '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  "<D:locktype><D:write/></D:locktype><D:owner>warm-up</D:owner></D:lockinfo>";

/**
 * Runs the warm-up workload; resolves to the number of requests made (0 when the
 * temporary directory may not be written without a prompt; fewer when one
 * failed, which ends it). Never rejects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warmUp } from "./warm_up.ts";
 * const requests = await warmUp({ files: 5, listings: 2 });
 * assert.equal(requests, 1 + 5 + 2 + 5 + 5); // MKCOL, PUTs, PROPFINDs, GET/HEADs,
 * // then PROPPATCH, LOCK, UNLOCK, MOVE, DELETE
 * ```
 */
export async function warmUp(options?: WarmUpOptions): Promise<number> {
  const files = options?.files ?? 100;
  const listings = options?.listings ?? 40;
  const tmp = await temporaryDirectory();
  if (!(await mayWrite(tmp))) return 0;
  await removeStaleWarmUps(tmp);
  let dir: string | undefined;
  let store: EmbeddedStore | undefined;
  let requests = 0;
  let server: HttpServerHandle | undefined;
  let uncachedServer: HttpServerHandle | undefined;
  try {
    dir = await Deno.makeTempDir({ dir: tmp, prefix: WARM_UP_PREFIX });
    store = await EmbeddedStore.open(dir, { durable: false, gcIntervalMs: 0 });
    const app = createWebDavApp(new BackupFS(store, { jobId: "warm-up" }));
    // Listings through a file system that caches none: each runs the listing code
    // (one in four goes through the cache, whose answer is compiled too).
    const uncached = createWebDavApp(new BackupFS(store, { jobId: "warm-up", metadataTtlMs: 0 }));
    if (await mayListenOnLoopback()) {
      server = await serveHttp(app.fetch);
      uncachedServer = await serveHttp(uncached.fetch);
    }
    /** The URL of `path` as the app behind `through` is reached. */
    const urlOf = (path: string, through: typeof app) => {
      const listener = through === app ? server : uncachedServer;
      const port = listener ? `:${listener.addr.port}` : "";
      return `http://127.0.0.1${port}/warm-up/${path}`;
    };
    const send = async (method: string, path: string, init?: RequestInit, through = app) => {
      requests++;
      const request = new Request(urlOf(path, through), { method, ...init });
      const response = server ? await fetch(request) : await through.fetch(request);
      await response.arrayBuffer();
      if (response.status >= 400) throw new Error(`${method} answered ${response.status}`);
      return response;
    };
    await send("MKCOL", "");
    const body = new Uint8Array(4096);
    for (let i = 0; i < files; i++) {
      body[0] = i & 0xff;
      body[1] = i >> 8;
      await send("PUT", `f${i}.bin`, { body: body.slice() });
    }
    for (let i = 0; i < listings; i++) {
      await send(
        "PROPFIND",
        "",
        i % 2 === 0 ? { headers: { depth: "1" } } : {
          headers: { depth: "1", "content-type": "application/xml" },
          body: NAMED_PROPERTIES,
        },
        i % 4 === 3 ? app : uncached,
      );
    }
    for (let i = 0; i < Math.min(files, 20); i++) {
      await send(i % 2 === 0 ? "GET" : "HEAD", `f${i}.bin`);
    }
    await send("PROPPATCH", "f0.bin", {
      headers: { "content-type": "application/xml" },
      body: PROPERTY_UPDATE,
    });
    const lock = await send("LOCK", "f0.bin", {
      headers: { "content-type": "application/xml", timeout: "Second-60" },
      body: LOCK_INFO,
    });
    const token = lock.headers.get("lock-token");
    if (token) await send("UNLOCK", "f0.bin", { headers: { "lock-token": token } });
    await send("MOVE", "f0.bin", { headers: { destination: urlOf("g0.bin", app) } });
    await send("DELETE", "");
  } catch {
    // Colder, not broken.
  } finally {
    await server?.shutdown(1000).catch(() => {});
    await uncachedServer?.shutdown(1000).catch(() => {});
    await store?.close().catch(() => {});
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return requests;
}

/** Name prefix of a warm-up's temporary directory. */
const WARM_UP_PREFIX = "backupfs-warm-up-";

/** Age after which a warm-up directory is a killed process's leftover (a warm-up takes ~1 s). */
const STALE_WARM_UP_MS = 60 * 60_000;

/**
 * Removes the warm-up directories that processes killed during their warm-up left
 * in the temporary directory: only those untouched for an hour, since another
 * server may be warming up right now. Never throws.
 */
async function removeStaleWarmUps(tmp: string): Promise<void> {
  try {
    const staleBefore = Date.now() - STALE_WARM_UP_MS;
    for await (const entry of Deno.readDir(tmp)) {
      if (!entry.isDirectory || !entry.name.startsWith(WARM_UP_PREFIX)) continue;
      const path = `${tmp}/${entry.name}`;
      const modified = (await Deno.lstat(path)).mtime?.getTime();
      if (modified !== undefined && modified < staleBefore) {
        await Deno.remove(path, { recursive: true }).catch(() => {});
      }
    }
  } catch {
    // Nothing to tidy, or not allowed to: not the warm-up's business.
  }
}

/** The system's temporary directory (`TMPDIR`, else `/tmp`), read without a permission prompt. */
async function temporaryDirectory(): Promise<string> {
  try {
    const env = await Deno.permissions.query({ name: "env", variable: "TMPDIR" });
    return (env.state === "granted" && Deno.env.get("TMPDIR")) || "/tmp";
  } catch {
    return "/tmp";
  }
}

/** Whether the process may listen on, and connect to, 127.0.0.1 without a permission prompt. */
async function mayListenOnLoopback(): Promise<boolean> {
  try {
    return (await Deno.permissions.query({ name: "net", host: "127.0.0.1" })).state === "granted";
  } catch {
    return false;
  }
}

/** Whether `directory` may be read and written without a permission prompt. */
async function mayWrite(directory: string): Promise<boolean> {
  try {
    const write = await Deno.permissions.query({ name: "write", path: directory });
    const read = await Deno.permissions.query({ name: "read", path: directory });
    return write.state === "granted" && read.state === "granted";
  } catch {
    return false;
  }
}
