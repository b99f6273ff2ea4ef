// Shared wiring of the integration tests: the Hono storage app over a real
// EmbeddedStore in a temp dir (optionally wrapped), served by Deno.serve on
// 127.0.0.1:0, and BackupStorageClients pointed at it with explicit credentials.

import { createStorageApp, type StorageAppOptions } from "../../../src/server/mod.ts";
import type { BackupStorage } from "../../../src/storage/backup_storage.ts";
import {
  BackupStorageClient,
  type BackupStorageClientOptions,
} from "../../../src/storage/client/mod.ts";
import { EmbeddedStore, type EmbeddedStoreOptions } from "../../../src/storage/store/mod.ts";

/** The access key every test service accepts (unless a test says otherwise). */
export const ACCESS_KEY_ID = "AKIDINTEGRATION";
/** Its secret, with characters that need care in signing. */
export const SECRET_ACCESS_KEY = "integration/secret+key=value";
/** Signing region of clients and service. */
export const REGION = "us-test-1";

/** Options of {@link startService}. */
export interface ServiceOptions {
  /** Options of the EmbeddedStore (defaults: no GC timer, not durable). */
  store?: EmbeddedStoreOptions;
  /** Wraps the store before it is served (e.g. in a `FaultyStorage`). */
  wrap?: (store: EmbeddedStore) => BackupStorage;
  /** Options of the app on top of the defaults (credentials, region, onError collecting). */
  app?: Partial<StorageAppOptions>;
}

/** A running service: the app over a real store on 127.0.0.1. */
export interface Service extends AsyncDisposable {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Port the OS picked. */
  port: number;
  /** The store itself, for checks that bypass HTTP. */
  store: EmbeddedStore;
  /** Errors the app reported to `onError`, with their request ids. */
  errors: { error: unknown; requestId: string }[];
  /** Shuts the server down, closes the store, removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the storage app over a fresh EmbeddedStore in a temp dir.
 *
 * @example
 * ```ts ignore
 * await using service = await startService();
 * await using client = makeClient(service.url);
 * await client.listObjects({ StorageJobId: "job" });
 * ```
 */
export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const dir = await Deno.makeTempDir({ prefix: "integration-" });
  let store: EmbeddedStore;
  try {
    store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false, ...options.store });
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  const errors: { error: unknown; requestId: string }[] = [];
  const app = createStorageApp(options.wrap ? options.wrap(store) : store, {
    credentials: new Map([[ACCESS_KEY_ID, { secretAccessKey: SECRET_ACCESS_KEY }]]),
    region: REGION,
    onError: (error, context) => errors.push({ error, requestId: context.requestId }),
    ...options.app,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      try {
        await server.shutdown();
      } finally {
        await store.close();
        await Deno.remove(dir, { recursive: true });
      }
    })();
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    store,
    errors,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * A client for `url` with the test credentials, the test region, small retry
 * delays, and `options` on top.
 *
 * @example
 * ```ts ignore
 * await using client = makeClient("http://127.0.0.1:9000", { maxAttempts: 1 });
 * ```
 */
export function makeClient(
  url: string,
  options: BackupStorageClientOptions = {},
): BackupStorageClient {
  return new BackupStorageClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
}

/**
 * Reads a stream to its end.
 *
 * @example
 * ```ts ignore
 * const bytes = await readAll(new Response("abc").body!);
 * ```
 */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Counts the regular files below a directory (bounded walk), e.g. a store's chunk files.
 *
 * @example
 * ```ts ignore
 * const n = await countFiles(`${store.directory}/chunks`);
 * ```
 */
export async function countFiles(directory: string, maxEntries = 100_000): Promise<number> {
  let files = 0;
  let seen = 0;
  const pending = [directory];
  while (pending.length > 0 && seen < maxEntries) {
    const dir = pending.pop()!;
    for await (const entry of Deno.readDir(dir)) {
      if (++seen >= maxEntries) break;
      if (entry.isDirectory) pending.push(`${dir}/${entry.name}`);
      else if (entry.isFile) files++;
    }
  }
  return files;
}
