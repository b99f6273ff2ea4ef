// A WebDAV server over a BackupFS on a fresh in-process store, bound to 127.0.0.1
// on a port the OS picks, for the protocol tests.

import { BackupFS, type BackupFSOptions } from "../../../src/fs/backup_fs.ts";
import { EmbeddedStore } from "../../../src/storage/store/mod.ts";
export { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { createWebDavApp, type WebDavOptions } from "../../../webdav/mod.ts";
import { serveHttp } from "../../../src/http/mod.ts";

export interface DavFixture {
  /** Base URL, ending with the mount prefix and `/`. */
  base: string;
  /** Origin (`http://127.0.0.1:port`). */
  origin: string;
  fs: BackupFS;
  store: EmbeddedStore;
  /** A new BackupFS on the same store and job (as after a restart). */
  reopen(options?: Partial<BackupFSOptions>): BackupFS;
  /** Sends a request to `base + path` and returns the response. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Like request, but reads the body as text. */
  text(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; headers: Headers; body: string }>;
  close(): Promise<void>;
}

export async function startDav(
  options: WebDavOptions = {},
  fsOptions: Partial<BackupFSOptions> = {},
): Promise<DavFixture> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-dav-" });
  const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
  const make = (extra: Partial<BackupFSOptions> = {}) =>
    new BackupFS(store, { jobId: "dav-test", chunkSize: 4096, ...fsOptions, ...extra });
  const fs = make();
  const dav = createWebDavApp(fs, { onError: () => {}, ...options });
  // The production HTTP layer (node's server with the connection limits), as `deno task serve`.
  const server = await serveHttp(dav.fetch, { hostname: "127.0.0.1", port: 0 });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const prefix = (options.prefix ?? "/").replace(/\/+$/, "");
  const base = `${origin}${prefix}/`;
  const request = (path: string, init?: RequestInit) =>
    fetch(new URL(path.replace(/^\//, ""), base), init);
  return {
    base,
    origin,
    fs,
    store,
    reopen: make,
    request,
    async text(path, init) {
      const response = await request(path, init);
      return { status: response.status, headers: response.headers, body: await response.text() };
    },
    async close() {
      await server.shutdown();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Registers a test with a fresh server, closed afterwards. */
export function davTest(
  name: string,
  fn: (dav: DavFixture) => Promise<void>,
  options: WebDavOptions = {},
): void {
  Deno.test(name, async () => {
    const dav = await startDav(options);
    try {
      await fn(dav);
    } finally {
      await dav.close();
    }
  });
}

/** The `D:response` blocks of a multistatus body, by href. */
export function responsesByHref(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of body.matchAll(/<D:response>([\s\S]*?)<\/D:response>/g)) {
    const href = /<D:href>([^<]*)<\/D:href>/.exec(match[1]!)?.[1];
    if (href !== undefined) out.set(href, match[1]!);
  }
  return out;
}

export const PROPFIND_HEADERS = { "Content-Type": "application/xml; charset=utf-8" };

export function propfindBody(...props: string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>${
    props.join("")
  }</D:prop></D:propfind>`;
}

/** Sends `method` to `path` with `headers` and returns the status (the body is discarded). */
export async function sendStatus(
  dav: { request(path: string, init?: RequestInit): Promise<Response> },
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  const response = await dav.request(path, { method, headers });
  await response.body?.cancel();
  return response.status;
}
