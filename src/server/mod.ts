/**
 * The BackupStorage HTTP service: a Hono app serving the nine routes of the
 * model over any `BackupStorage`, with SigV4 verification of every request.
 * `main.ts` is the `deno task storage` command built on it.
 *
 * @example
 * ```ts ignore
 * import { createStorageApp } from "./mod.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * const store = await EmbeddedStore.open("./backupfs-data");
 * const app = createStorageApp(store, {
 *   credentials: new Map([["AKIDEXAMPLE", { secretAccessKey: "secret" }]]),
 * });
 * Deno.serve({ hostname: "127.0.0.1", port: 9000 }, app.fetch);
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
  SIGNING_SERVICE,
  SigV4Verifier,
  type SigV4VerifierOptions,
  type VerifiedRequest,
  type VerifyOptions,
} from "./sigv4_verify.ts";
export { type LoadedCredentials, resolveCredentials } from "./cli_credentials.ts";
