/**
 * The BackupStorage HTTP service as a Hono app: the nine routes of the model over
 * any `BackupStorage`, every request SigV4-verified, bodies bounded, errors
 * encoded as botocore's rest-json parser expects.
 *
 * @module
 */

import { type Context, Hono } from "../../deps/hono.ts";
import { type BackupStorage, OPERATION_METHODS } from "../storage/backup_storage.ts";
import { IllegalArgumentException } from "../storage/errors.ts";
import { DEFAULT_MAX_CHUNK_LENGTH, MAX_METADATA_BLOB_BYTES } from "../storage/limits.ts";
import { type OperationBinding, OPERATIONS } from "../storage/operations.ts";
import type { OperationName } from "../storage/types.ts";
import { checkContentLength } from "./body.ts";
import { errorResponse, isReportable, jsonErrorResponse } from "./error_response.ts";
import { decodeLabels, honoPath, matchRoute } from "./routes.ts";
import { accessDenied } from "./access_denied.ts";
import { parseRawQuery, rawPathAndQuery } from "./raw_url.ts";
import { type CredentialLookup, SigV4Verifier } from "./sigv4_verify.ts";
import { decodeInput } from "./wire_input.ts";
import { encodeOutput } from "./wire_output.ts";
import { setRequestUser } from "../http/request_record.ts";

/**
 * Most bytes of a JSON request body (and of any other signed body).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_JSON_BODY_BYTES } from "./app.ts";
 * assert.equal(MAX_JSON_BODY_BYTES, 65536);
 * ```
 */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * What the app reports about a failed request to its `onError` hook.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createStorageApp, type RequestErrorContext } from "./app.ts";
 * const failures: RequestErrorContext[] = [];
 * const app = createStorageApp({} as never, { // an unsigned request never reaches the store
 *   credentials: new Map([["AKIDEXAMPLE", { secretAccessKey: "secret" }]]),
 *   onError: (_error, context) => failures.push(context),
 * });
 * const response = await app.fetch(new Request("http://127.0.0.1/restore-jobs/job-1/objects/list"));
 * await response.body?.cancel();
 * assert.equal(response.status, 403);
 * assert.deepEqual(failures, [{
 *   requestId: response.headers.get("x-amzn-RequestId"),
 *   operation: "ListObjects",
 * }]);
 * ```
 */
export interface RequestErrorContext {
  /** The request id sent back in `x-amzn-RequestId`. */
  requestId: string;
  /** The operation, when the route was known. */
  operation?: OperationName;
}

/**
 * Options of {@link createStorageApp}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createStorageApp, type StorageAppOptions } from "./app.ts";
 * const options: StorageAppOptions = {
 *   credentials: new Map([["AKIDEXAMPLE", { secretAccessKey: "secret" }]]),
 *   region: "us-east-1",
 *   maxChunkLength: 16 * 1024 * 1024,
 *   onError: (error, { requestId }) => console.error(`request ${requestId} failed:`, error),
 * };
 * assert.equal(typeof createStorageApp({} as never, options).fetch, "function");
 * ```
 */
export interface StorageAppOptions {
  /** Accepted access keys: a map or a lookup function. */
  credentials: CredentialLookup;
  /** When set, the credential scope's region must be this one. */
  region?: string;
  /** Clock in milliseconds since the epoch, for signature dates (tests). */
  now?: () => number;
  /** Tolerated clock skew of signed requests (default 15 minutes). */
  maxClockSkewMs?: number;
  /** Most bytes of a chunk (`PutChunk`, `PutObject`); default 64 MiB. */
  maxChunkLength?: number;
  /**
   * Called for every failed request. The default logs unexpected failures (those
   * answered with a generic 500) to stderr and stays quiet about client errors.
   */
  onError?: (error: unknown, context: RequestErrorContext) => void;
}

/**
 * Hono environment of the app: each request's id, as sent in `x-amzn-RequestId`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { StorageAppEnv } from "./app.ts";
 * const variables: StorageAppEnv["Variables"] = { requestId: crypto.randomUUID() };
 * assert.match(variables.requestId, /^[0-9a-f-]{36}$/);
 * ```
 */
export type StorageAppEnv = { Variables: { requestId: string } };
type Env = StorageAppEnv;

/**
 * The HTTP service {@link createStorageApp} returns: one `fetch` handler, ready for
 * `Deno.serve` or for mounting under another router (Hono's `app.mount`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createStorageApp, type StorageApp } from "./app.ts";
 * import { BackupStorageClient } from "../storage/client/mod.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 * const app: StorageApp = createStorageApp(store, {
 *   credentials: new Map([["AKIDEXAMPLE", { secretAccessKey: "secret" }]]),
 * });
 * // Unsigned requests are refused.
 * const refused = await app.fetch(new Request("http://127.0.0.1/restore-jobs/job-1/objects/list"));
 * await refused.body?.cancel();
 * assert.equal(refused.status, 403);
 * // Served over HTTP, signed requests from a client succeed.
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
 * const client = new BackupStorageClient({
 *   endpoint: `http://127.0.0.1:${server.addr.port}`,
 *   region: "us-east-1",
 *   credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
 * });
 * await client.putObject({ BackupJobId: "job-1", ObjectName: "empty" });
 * const { ObjectList } = await client.listObjects({ StorageJobId: "job-1" });
 * assert.deepEqual(ObjectList.map((o) => o.Name), ["empty"]);
 * await client.close();
 * await server.shutdown();
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface StorageApp {
  /** Answers one HTTP request; pass it to `Deno.serve` as the handler. */
  readonly fetch: (request: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response>;
}

function defaultOnError(error: unknown, context: RequestErrorContext): void {
  if (isReportable(error)) return;
  console.error(
    `request ${context.requestId}${context.operation ? ` (${context.operation})` : ""} failed:`,
    error,
  );
}

/**
 * Creates the Hono app serving BackupStorage over `storage`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createStorageApp } from "./app.ts";
 * import { EmbeddedStore } from "../storage/store/mod.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0 });
 *   const app = createStorageApp(store, {
 *     credentials: new Map([["AKIDEXAMPLE", { secretAccessKey: "secret" }]]),
 *   });
 *   await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
 *   const response = await fetch(`http://127.0.0.1:${server.addr.port}/no/such/operation`);
 *   await response.body?.cancel();
 *   assert.equal(response.status, 404);
 *   assert.ok(response.headers.has("x-amzn-RequestId"));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function createStorageApp(
  storage: BackupStorage,
  options: StorageAppOptions,
): StorageApp {
  const verifier = new SigV4Verifier({
    credentials: options.credentials,
    region: options.region,
    now: options.now,
    maxClockSkewMs: options.maxClockSkewMs,
  });
  const maxChunkLength = options.maxChunkLength ?? DEFAULT_MAX_CHUNK_LENGTH;
  const onError = options.onError ?? defaultOnError;
  const app = new Hono<Env>();

  app.use(async (c, next) => {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    await next();
    c.res.headers.set("x-amzn-RequestId", requestId);
  });

  const bodyLimit = (binding: OperationBinding): number =>
    binding.name === "PutChunk" || binding.name === "PutObject"
      ? maxChunkLength
      : binding.name === "NotifyObjectComplete"
      ? MAX_METADATA_BLOB_BYTES
      : MAX_JSON_BODY_BYTES;

  async function handle(c: Context<Env>, binding: OperationBinding): Promise<Response> {
    const request = c.req.raw;
    const requestId = c.get("requestId");
    let mismatch = () => false;
    try {
      const { path, query: rawQuery } = rawPathAndQuery(request.url);
      const found = matchRoute(request.method, path);
      if (found.match?.binding !== binding) return notFound(c);
      checkContentLength(request.headers, bodyLimit(binding));
      const verified = await verifier.verify(request, {
        unsignedPayload: binding.unsignedPayload,
        maxSignedBodyBytes: MAX_JSON_BODY_BYTES,
      });
      mismatch = verified.payloadMismatch;
      setRequestUser(request, verified.accessKeyId); // for the access log: the key id, never the secret
      const input = decodeInput(binding, {
        labels: decodeLabels(found.match.rawLabels),
        query: parseRawQuery(rawQuery),
        headers: request.headers,
        body: verified.body,
      });
      // No request.signal: Deno aborts it once a response is sent, which would cut
      // streamed response bodies; a client that goes away mid-body surfaces as an
      // error of the body stream instead.
      const method = storage[OPERATION_METHODS[binding.name]] as (
        input: unknown,
      ) => Promise<object>;
      const output = await method.call(storage, input);
      return encodeOutput(binding, output);
    } catch (error) {
      // A body whose declared SHA-256 was wrong is a forgery, whatever the store said.
      const reported = mismatch()
        ? accessDenied("payload hash mismatch")
        : error instanceof URIError
        ? new IllegalArgumentException("Malformed percent-encoding in the query string")
        : error;
      onError(reported, { requestId, operation: binding.name });
      return errorResponse(reported);
    }
  }

  function notFound(c: Context<Env>): Response {
    const { path } = rawPathAndQuery(c.req.raw.url);
    const { allowed } = matchRoute(c.req.raw.method, path);
    if (allowed.length > 0) {
      const response = jsonErrorResponse(
        405,
        "MethodNotAllowedException",
        `Method ${c.req.raw.method} is not allowed on this resource`,
      );
      response.headers.set("allow", [...new Set(allowed)].join(", "));
      return response;
    }
    return jsonErrorResponse(404, "UnknownOperationException", "No operation at this path");
  }

  for (const binding of Object.values(OPERATIONS)) {
    app.on(binding.method, honoPath(binding.path), (c) => handle(c, binding));
  }
  app.notFound((c) => notFound(c));
  app.onError((error, c) => {
    onError(error, { requestId: c.get("requestId") });
    return errorResponse(error);
  });
  return app;
}
