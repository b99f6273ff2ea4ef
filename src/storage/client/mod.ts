/**
 * The BackupStorage HTTP client: {@link BackupStorageClient}, SigV4-signed,
 * serialized from the wire table, with retries and presigned URLs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageClient } from "./mod.ts";
 * import { EmbeddedStore } from "../store/mod.ts";
 * import { createStorageApp } from "../../server/mod.ts";
 * // A service to talk to: the embedded store over HTTP, on a free local port.
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
 *   const app = createStorageApp(store, { credentials: new Map([["AKIDEXAMPLE", credentials]]) });
 *   await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
 *
 *   await using client = new BackupStorageClient({
 *     endpoint: `http://127.0.0.1:${server.addr.port}`,
 *     region: "us-east-1",
 *     credentials,
 *   });
 *   const { UploadId } = await client.startObject({ BackupJobId: "job", ObjectName: "a/b.txt" });
 *   assert.equal(typeof UploadId, "string");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export {
  BackupStorageClient,
  type BackupStorageClientOptions,
  ClientClosedError,
  type PresignUrlOptions,
} from "./client.ts";
export type { CredentialProvider, Credentials } from "./credentials.ts";
export type { PresignableOperation } from "./presign.ts";
export { RequestTimeoutError } from "./retry.ts";
