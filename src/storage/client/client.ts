/**
 * `BackupStorageClient`: the `BackupStorage` interface over HTTP, signed with
 * SigV4, serialized from the wire table of `operations.ts`, with retries.
 *
 * @module
 */

import type { SignatureV4 } from "../../../deps/smithy.ts";
import type { BackupStorage } from "../backup_storage.ts";
import { BackupStorageServiceError } from "../errors.ts";
import { OPERATIONS } from "../operations.ts";
import type {
  DeleteObjectInput,
  DeleteObjectOutput,
  GetChunkInput,
  GetChunkOutput,
  GetObjectMetadataInput,
  GetObjectMetadataOutput,
  ListChunksInput,
  ListChunksOutput,
  ListObjectsInput,
  ListObjectsOutput,
  NotifyObjectCompleteInput,
  NotifyObjectCompleteOutput,
  OperationName,
  OperationOptions,
  PutChunkInput,
  PutChunkOutput,
  PutObjectInput,
  PutObjectOutput,
  ResponseMetadata,
  StartObjectInput,
  StartObjectOutput,
} from "../types.ts";
import {
  type CredentialProvider,
  credentialProvider,
  type Credentials,
  resolveRegion,
} from "./credentials.ts";
import { decodeError } from "./error_decoder.ts";
import { type PresignableOperation, presignExpiry, presignRequest } from "./presign.ts";
import { type EncodedRequest, encodeRequest, formatQuery } from "./request_encoder.ts";
import { decodeResponse } from "./response_decoder.ts";
import { backoffDelay, isRetryable, RequestTimeoutError, RETRY_DEFAULTS, sleep } from "./retry.ts";
import { createSigner, signRequest } from "./signer.ts";

/**
 * Options of {@link BackupStorageClient}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageClient, type BackupStorageClientOptions } from "./client.ts";
 * const options: BackupStorageClientOptions = {
 *   endpoint: "http://127.0.0.1:9000/base",
 *   region: "us-east-1",
 *   credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
 *   maxAttempts: 5,
 *   requestTimeoutMs: 30_000,
 * };
 * await using client = new BackupStorageClient(options); // nothing is sent yet
 * // Presigning sends nothing either: the URL shows the endpoint (base path kept) and region.
 * const url = new URL(await client.presign("ListObjects", { StorageJobId: "job-1" }));
 * assert.equal(url.origin + url.pathname, "http://127.0.0.1:9000/base/restore-jobs/job-1/objects/list");
 * assert.match(url.searchParams.get("X-Amz-Credential")!, /^AKIDEXAMPLE\/\d{8}\/us-east-1\//);
 * ```
 */
export interface BackupStorageClientOptions {
  /** Signing region: this, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's region in the shared config file. */
  region?: string;
  /** Base URL (default `https://backupstorage.{region}.amazonaws.com`); a base path is kept. */
  endpoint?: string;
  /** Explicit credentials, or a function that resolves them; else the default AWS chain. */
  credentials?: Credentials | CredentialProvider;
  /** Profile of the default chain and of the config-file region (else `AWS_PROFILE`, else `default`). */
  profile?: string;
  /** Attempts per call, the first included (default 3). */
  maxAttempts?: number;
  /** Base of the exponential backoff (default 100 ms). */
  retryBaseDelayMs?: number;
  /** Cap of one backoff delay (default 20 s). */
  retryMaxDelayMs?: number;
  /** Per-attempt timeout until the response headers (and any JSON body) arrive; none by default. */
  requestTimeoutMs?: number;
  /** The fetch to use (for tests); by default the global fetch over the client's own HTTP client. */
  fetch?: typeof fetch;
}

/**
 * Options of {@link BackupStorageClient.presign}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageClient, type PresignUrlOptions } from "./client.ts";
 * await using client = new BackupStorageClient({
 *   endpoint: "http://127.0.0.1:9000",
 *   region: "us-east-1",
 *   credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
 * });
 * const options: PresignUrlOptions = { expiresIn: 60 };
 * const url = await client.presign("ListObjects", { StorageJobId: "job-1" }, options);
 * assert.equal(new URL(url).searchParams.get("X-Amz-Expires"), "60");
 * await assert.rejects(client.presign("ListObjects", { StorageJobId: "job-1" }, { expiresIn: 0 }), RangeError);
 * ```
 */
export interface PresignUrlOptions {
  /** Lifetime in seconds, 1–604800 (default 900). */
  expiresIn?: number;
}

/**
 * The error thrown by calls made after {@link BackupStorageClient.close}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageClient, ClientClosedError } from "./client.ts";
 * const client = new BackupStorageClient({ endpoint: "http://127.0.0.1:9000", region: "us-east-1" });
 * await client.close();
 * await assert.rejects(client.listObjects({ StorageJobId: "job-1" }), ClientClosedError);
 * ```
 */
export class ClientClosedError extends Error {
  /** Makes the error; its message says the client is closed. */
  constructor() {
    super("BackupStorageClient is closed");
    this.name = "ClientClosedError";
  }
}

/**
 * The nine BackupStorage operations over HTTP, SigV4-signed (service
 * `backup-storage`). Each call validates its input locally, retries throttling,
 * transient and network failures with capped, jittered exponential backoff, and
 * decodes errors into the classes of `errors.ts`. Streaming outputs (`GetChunk`'s
 * `Data`, `GetObjectMetadata`'s `MetadataBlob`) are the response's stream: consume
 * or cancel them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupStorageClient } from "./client.ts";
 * import { chunkChecksum } from "../checksum.ts";
 * import { createStorageApp } from "../../server/app.ts";
 * import { EmbeddedStore } from "../store/mod.ts";
 * // A local service to talk to.
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const credentials = { accessKeyId: "AKID", secretAccessKey: "secret" };
 *   const app = createStorageApp(store, { credentials: new Map([["AKID", credentials]]) });
 *   await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
 *
 *   await using client = new BackupStorageClient({
 *     endpoint: `http://127.0.0.1:${server.addr.port}`,
 *     region: "us-east-1",
 *     credentials,
 *   });
 *   const data = new TextEncoder().encode("hello");
 *   await client.putObject({
 *     BackupJobId: "job-1",
 *     ObjectName: "a.txt",
 *     InlineChunk: data,
 *     InlineChunkLength: data.byteLength,
 *     InlineChunkChecksum: chunkChecksum(data),
 *     InlineChunkChecksumAlgorithm: "SHA256",
 *   });
 *   const page = await client.listObjects({ StorageJobId: "job-1" });
 *   assert.deepEqual(page.ObjectList.map((o) => o.Name), ["a.txt"]);
 *   const { ChunkList } = await client.listChunks({
 *     StorageJobId: "job-1",
 *     ObjectToken: page.ObjectList[0].ObjectToken,
 *   });
 *   const chunk = await client.getChunk({ StorageJobId: "job-1", ChunkToken: ChunkList[0].ChunkToken });
 *   assert.equal(await new Response(chunk.Data).text(), "hello");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class BackupStorageClient implements BackupStorage, AsyncDisposable {
  #options: BackupStorageClientOptions;
  #credentials: CredentialProvider;
  #signer: SignatureV4;
  #region?: Promise<string>;
  #endpoint?: Promise<URL>;
  #httpClient?: Deno.HttpClient;
  #fetch: typeof fetch;
  #closed = false;
  #maxAttempts: number;

  /**
   * Makes a client. Nothing is sent and no credentials are resolved until the
   * first call; region and endpoint are resolved then too when not given.
   */
  constructor(options?: BackupStorageClientOptions) {
    this.#options = { ...options };
    const maxAttempts = options?.maxAttempts ?? RETRY_DEFAULTS.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError("maxAttempts must be an integer of at least 1");
    }
    this.#maxAttempts = maxAttempts;
    if (options?.endpoint !== undefined) {
      const url = parseEndpoint(options?.endpoint);
      this.#endpoint = Promise.resolve(url);
    }
    this.#credentials = credentialProvider(options?.credentials, {
      ...(options?.profile === undefined ? {} : { profile: options?.profile }),
    });
    this.#signer = createSigner(this.#credentials, { region: () => this.#resolveRegion() });
    if (options?.fetch) {
      this.#fetch = options?.fetch;
    } else {
      const httpClient = Deno.createHttpClient({});
      this.#httpClient = httpClient;
      this.#fetch = (input, init) => fetch(input, { ...init, client: httpClient });
    }
  }

  /** Removes the current version of an object. */
  deleteObject(input: DeleteObjectInput, options?: OperationOptions): Promise<DeleteObjectOutput> {
    return this.#call("DeleteObject", input, options);
  }

  /** Streams one chunk's bytes; `Data` errors if the body is shorter or longer than `Length`. */
  getChunk(input: GetChunkInput, options?: OperationOptions): Promise<GetChunkOutput> {
    return this.#call("GetChunk", input, options);
  }

  /** Reads the metadata string and blob stored with a version. */
  getObjectMetadata(
    input: GetObjectMetadataInput,
    options?: OperationOptions,
  ): Promise<GetObjectMetadataOutput> {
    return this.#call("GetObjectMetadata", input, options);
  }

  /** Lists one page of a version's chunks. */
  listChunks(input: ListChunksInput, options?: OperationOptions): Promise<ListChunksOutput> {
    return this.#call("ListChunks", input, options);
  }

  /** Lists one page of a job's objects. */
  listObjects(input: ListObjectsInput, options?: OperationOptions): Promise<ListObjectsOutput> {
    return this.#call("ListObjects", input, options);
  }

  /** Completes an upload. */
  notifyObjectComplete(
    input: NotifyObjectCompleteInput,
    options?: OperationOptions,
  ): Promise<NotifyObjectCompleteOutput> {
    return this.#call("NotifyObjectComplete", input, options);
  }

  /** Stores one chunk of a pending upload (a `ReadableStream` body is streamed, never retried). */
  putChunk(input: PutChunkInput, options?: OperationOptions): Promise<PutChunkOutput> {
    return this.#call("PutChunk", input, options);
  }

  /** Stores a whole object of zero or one chunk. */
  putObject(input: PutObjectInput, options?: OperationOptions): Promise<PutObjectOutput> {
    return this.#call("PutObject", input, options);
  }

  /** Opens a pending upload. */
  startObject(input: StartObjectInput, options?: OperationOptions): Promise<StartObjectOutput> {
    return this.#call("StartObject", input, options);
  }

  /**
   * A presigned URL for one of the `GET` operations, valid `expiresIn` seconds
   * (default 900, at most 604800).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BackupStorageClient } from "./client.ts";
   * import { chunkChecksum } from "../checksum.ts";
   * import { createStorageApp } from "../../server/app.ts";
   * import { EmbeddedStore } from "../store/mod.ts";
   * const dir = await Deno.makeTempDir();
   * try {
   *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
   *   const credentials = { accessKeyId: "AKID", secretAccessKey: "secret" };
   *   const app = createStorageApp(store, { credentials: new Map([["AKID", credentials]]) });
   *   await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
   *   const endpoint = `http://127.0.0.1:${server.addr.port}`;
   *   await using client = new BackupStorageClient({ endpoint, region: "us-east-1", credentials });
   *   const data = new TextEncoder().encode("hello");
   *   await store.putObject({
   *     BackupJobId: "job",
   *     ObjectName: "a.txt",
   *     InlineChunk: data,
   *     InlineChunkLength: data.byteLength,
   *     InlineChunkChecksum: chunkChecksum(data),
   *     InlineChunkChecksumAlgorithm: "SHA256",
   *   });
   *   const [object] = (await store.listObjects({ StorageJobId: "job" })).ObjectList;
   *   const [chunk] = (await store.listChunks({ StorageJobId: "job", ObjectToken: object.ObjectToken }))
   *     .ChunkList;
   *
   *   // Anyone holding the URL can fetch the chunk, unsigned, until it expires.
   *   const url = await client.presign("GetChunk", { StorageJobId: "job", ChunkToken: chunk.ChunkToken });
   *   const bytes = await (await fetch(url)).bytes();
   *   assert.deepEqual(bytes, data);
   * } finally {
   *   await Deno.remove(dir, { recursive: true });
   * }
   * ```
   */
  presign(
    operation: "GetChunk",
    input: GetChunkInput,
    options?: PresignUrlOptions,
  ): Promise<string>;
  /** A presigned URL for `GetObjectMetadata`. */
  presign(
    operation: "GetObjectMetadata",
    input: GetObjectMetadataInput,
    options?: PresignUrlOptions,
  ): Promise<string>;
  /** A presigned URL for `ListChunks`. */
  presign(
    operation: "ListChunks",
    input: ListChunksInput,
    options?: PresignUrlOptions,
  ): Promise<string>;
  /** A presigned URL for `ListObjects`. */
  presign(
    operation: "ListObjects",
    input: ListObjectsInput,
    options?: PresignUrlOptions,
  ): Promise<string>;
  async presign(
    operation: PresignableOperation,
    input: object,
    options?: PresignUrlOptions,
  ): Promise<string> {
    this.#assertOpen();
    const binding = OPERATIONS[operation];
    if (binding === undefined || binding.method !== "GET") {
      throw new TypeError(`presign supports GetChunk, GetObjectMetadata, ListChunks, ListObjects`);
    }
    const expiresIn = presignExpiry(options?.expiresIn);
    const endpoint = await this.#resolveEndpoint();
    const request = encodeRequest(binding, input, { endpoint });
    return await presignRequest(this.#signer, request, { expiresIn });
  }

  /** Closes the HTTP client; later calls fail with {@link ClientClosedError}. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#httpClient?.close();
      this.#httpClient = undefined;
    }
    return Promise.resolve();
  }

  /** Closes the client (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientClosedError();
  }

  #resolveRegion(): Promise<string> {
    if (this.#region === undefined) {
      const region = resolveRegion(this.#options.region, {
        ...(this.#options.profile === undefined ? {} : { profile: this.#options.profile }),
      });
      // A failure is reported to every caller but not remembered: the environment may change.
      region.catch(() => this.#region = undefined);
      this.#region = region;
    }
    return this.#region;
  }

  #resolveEndpoint(): Promise<URL> {
    if (this.#endpoint === undefined) {
      const endpoint = this.#resolveRegion().then((region) =>
        parseEndpoint(`https://backupstorage.${region}.amazonaws.com`)
      );
      // Not remembered when it fails: the region may be configured later.
      endpoint.catch(() => this.#endpoint = undefined);
      this.#endpoint = endpoint;
    }
    return this.#endpoint;
  }

  async #call<O>(
    operation: OperationName,
    input: object,
    options?: OperationOptions,
  ): Promise<O> {
    this.#assertOpen();
    const binding = OPERATIONS[operation];
    const signal = options?.signal;
    signal?.throwIfAborted();
    const endpoint = await this.#resolveEndpoint();
    const request = encodeRequest(binding, input, { endpoint });
    const url = `${request.protocol}//${request.host}${request.path}` +
      (Object.keys(request.query).length > 0 ? `?${formatQuery(request.query)}` : "");

    for (let attempt = 1;; attempt++) {
      this.#assertOpen();
      signal?.throwIfAborted();
      const headers = await signRequest(this.#signer, request);
      try {
        return await this.#attempt<O>(request, url, headers, attempt, signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof BackupStorageServiceError) attachMetadata(error, attempt);
        if (
          this.#closed || attempt >= this.#maxAttempts || !request.replayable ||
          !isRetryable(error)
        ) {
          throw error;
        }
        await sleep(
          backoffDelay(attempt, {
            ...(this.#options.retryBaseDelayMs === undefined
              ? {}
              : { baseDelayMs: this.#options.retryBaseDelayMs }),
            ...(this.#options.retryMaxDelayMs === undefined
              ? {}
              : { maxDelayMs: this.#options.retryMaxDelayMs }),
          }),
          signal,
        );
      }
    }
  }

  async #attempt<O>(
    request: EncodedRequest,
    url: string,
    headers: Record<string, string>,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<O> {
    const timeoutMs = this.#options.requestTimeoutMs;
    const timeout = timeoutMs === undefined ? undefined : new AbortController();
    const timer = timeout === undefined
      ? undefined
      : setTimeout(() => timeout.abort(new RequestTimeoutError(timeoutMs!)), timeoutMs);
    const signals = [signal, timeout?.signal].filter((s): s is AbortSignal => s !== undefined);
    const combined = signals.length === 0
      ? undefined
      : signals.length === 1
      ? signals[0]
      : AbortSignal.any(signals);
    try {
      const init: RequestInit & { duplex?: "half" } = {
        method: request.method,
        headers,
        redirect: "manual",
        ...(combined === undefined ? {} : { signal: combined }),
      };
      if (request.body !== undefined) {
        init.body = request.body as BodyInit;
        if (request.body instanceof ReadableStream) init.duplex = "half";
      } else if (request.method !== "GET") {
        // An explicit empty body makes fetch send `content-length: 0`, so no server
        // has to guess whether a bodiless DELETE or PUT carries a body.
        init.body = new Uint8Array(0);
      }
      let response: Response;
      try {
        response = await this.#fetch(url, init);
      } catch (error) {
        throw timeout?.signal.aborted ? timeout.signal.reason : error;
      }
      if (response.status >= 300) throw await decodeError(response);
      try {
        return await decodeResponse(request.binding, response, { attempts: attempt }) as O;
      } catch (error) {
        throw timeout?.signal.aborted ? timeout.signal.reason : error;
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`Invalid BackupStorage endpoint: ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError("The BackupStorage endpoint must be an http: or https: URL");
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new TypeError(
      "The BackupStorage endpoint must not carry user info, a query or a fragment",
    );
  }
  return url;
}

function attachMetadata(error: BackupStorageServiceError, attempts: number): void {
  const metadata: ResponseMetadata = {
    httpStatusCode: error.statusCode,
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    attempts,
  };
  Object.defineProperty(error, "$metadata", {
    value: metadata,
    enumerable: false,
    configurable: true,
    writable: true,
  });
}
