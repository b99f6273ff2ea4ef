/**
 * BackupFS: a Deno-first virtual filesystem over the AWS "Backup Storage" API
 * (2018-04-10). This module is the storage layer — the `BackupStorage` interface,
 * a durable embedded store, a typed SigV4 HTTP client — and the HTTP service that
 * serves any `BackupStorage` to BackupStorage clients (AWS SDKs, boto3, this one).
 *
 * Three ways to use it:
 *
 * 1. **Embedded**: {@link EmbeddedStore} keeps objects in a local directory
 *    (metadata in SQLite, chunks content-addressed on disk), in-process.
 * 2. **Client**: {@link BackupStorageClient} talks to any BackupStorage service.
 * 3. **Service**: {@link createStorageApp} serves a store over HTTP with SigV4
 *    authentication (`deno task storage` is the ready-made command).
 *
 * All three speak the same {@link BackupStorage} interface and throw the same
 * error classes, so code written against one runs against the others.
 *
 * On top of any of them, {@link BackupFS} is a Deno-style file system: paths map
 * to objects, byte ranges to chunks (`open`, `read`, `write`, `stat`, `readDir`,
 * `mkdir`, `remove`, `rename`, `copy`, …).
 *
 * @example Embedded store, in-process
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkChecksum, EmbeddedStore } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 *   const data = new TextEncoder().encode("hello, backup");
 *   await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "notes/hello.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.byteLength,
 *     InlineChunkChecksum: chunkChecksum(data),
 *     InlineChunkChecksumAlgorithm: "SHA256",
 *   });
 *   const { ObjectList } = await store.listObjects({ StorageJobId: "job-1" });
 *   assert.deepEqual(ObjectList.map((o) => o.Name), ["notes/hello.txt"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @example The store served over HTTP, and the client against it
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   BackupStorageClient,
 *   chunkChecksum,
 *   createStorageApp,
 *   EmbeddedStore,
 *   listAllObjects,
 *   serveHttp,
 * } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 *   const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
 *   const app = createStorageApp(store, {
 *     credentials: new Map([[credentials.accessKeyId, credentials]]),
 *   });
 *   const server = await serveHttp(app.fetch, { hostname: "127.0.0.1", port: 0 });
 *   try {
 *     await using client = new BackupStorageClient({
 *       endpoint: `http://127.0.0.1:${server.addr.port}`,
 *       region: "us-east-1",
 *       credentials,
 *     });
 *     const data = new TextEncoder().encode("hello");
 *     await client.putObject({
 *       BackupJobId: "job-1",
 *       ObjectName: "a.txt",
 *       InlineChunk: data,
 *       InlineChunkLength: data.length,
 *       InlineChunkChecksum: chunkChecksum(data),
 *       InlineChunkChecksumAlgorithm: "SHA256",
 *     });
 *     const names = [];
 *     for await (const object of listAllObjects(client, { StorageJobId: "job-1" })) {
 *       names.push(object.Name);
 *     }
 *     assert.deepEqual(names, ["a.txt"]);
 *   } finally {
 *     await server.shutdown();
 *   }
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @example A file system over the embedded store
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS, EmbeddedStore } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 *   const fs = new BackupFS(store, { jobId: "home" });
 *   await fs.mkdir("/photos");
 *   await fs.writeFile("/photos/cat.jpg", new Uint8Array([0xff, 0xd8, 0xff]));
 *   const info = await fs.stat("/photos/cat.jpg");
 *   assert.equal(info.size, 3);
 *   assert.equal(info.contentType, "image/jpeg");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export * from "./src/storage/mod.ts";
export * from "./src/fs/mod.ts";
export * from "./webdav/mod.ts";
export {
  type AccessKeyEntry,
  createStorageApp,
  type CredentialLookup,
  type RequestErrorContext,
  type StorageApp,
  type StorageAppOptions,
} from "./src/server/mod.ts";
export {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type HttpServerHandle,
  MemoryBudget,
  type MemoryLease,
  serveHttp,
  type ServeHttpOptions,
} from "./src/http/mod.ts";
