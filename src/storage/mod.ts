/**
 * The storage layer of BackupFS: the {@link BackupStorage} interface (the nine
 * operations of the BackupStorage API, 2018-04-10), its input and output types and
 * error classes, checksum helpers and limits, paginators, the HTTP client
 * {@link BackupStorageClient} and the durable in-process {@link EmbeddedStore}.
 *
 * Code written against `BackupStorage` runs unchanged over the embedded store and
 * over any BackupStorage-compatible service reached through the client. Code that
 * needs only the interface imports `interface.ts`, which never loads the client
 * or the store (nor SQLite).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkChecksum, EmbeddedStore, listAllObjects, sha256, summaryChecksum } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 * try {
 *   const bytes = new TextEncoder().encode("hello");
 *   const { ObjectChecksum } = await store.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "greeting.txt",
 *     InlineChunk: bytes,
 *     InlineChunkLength: bytes.byteLength,
 *     InlineChunkChecksum: chunkChecksum(bytes),
 *     InlineChunkChecksumAlgorithm: "SHA256",
 *   });
 *   assert.equal(ObjectChecksum, summaryChecksum([sha256(bytes)]));
 *   const names: string[] = [];
 *   for await (const object of listAllObjects(store, { StorageJobId: "job-1" })) {
 *     names.push(object.Name);
 *   }
 *   assert.deepEqual(names, ["greeting.txt"]);
 * } finally {
 *   await store.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

// The interface and everything written against it (no client, no store, no SQLite).
export * from "./interface.ts";
export * from "./client/mod.ts";
export * from "./store/mod.ts";
