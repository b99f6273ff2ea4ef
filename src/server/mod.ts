/**
 * The BackupStorage HTTP service: a Hono app serving the nine routes of the
 * model over any `BackupStorage`, with SigV4 verification of every request.
 * `main.ts` is the `deno task storage` command built on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createStorageApp } from "./mod.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * import { BackupStorageClient } from "../storage/client/mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const app = createStorageApp(store, {
 *     credentials: new Map([["AKIDEXAMPLE", { secretAccessKey: "secret" }]]),
 *   });
 *   await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
 *   await using client = new BackupStorageClient({
 *     endpoint: `http://127.0.0.1:${server.addr.port}`,
 *     region: "us-east-1",
 *     credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
 *   });
 *   await client.putObject({ BackupJobId: "job-1", ObjectName: "a.txt" });
 *   const page = await client.listObjects({ StorageJobId: "job-1" });
 *   assert.deepEqual(page.ObjectList.map((o) => o.Name), ["a.txt"]);
 *   assert.equal(page.$metadata.httpStatusCode, 200);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export {
  createStorageApp,
  MAX_JSON_BODY_BYTES,
  type RequestErrorContext,
  type StorageApp,
  type StorageAppEnv,
  type StorageAppOptions,
} from "./app.ts";
export {
  type AccessKeyEntry,
  type CredentialLookup,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  SigV4Verifier,
  type SigV4VerifierOptions,
  type VerifiedRequest,
  type VerifyOptions,
} from "./sigv4_verify.ts";
export { SIGNING_SERVICE } from "../storage/client/signer.ts";
export { type LoadedCredentials, resolveCredentials } from "./cli_credentials.ts";
