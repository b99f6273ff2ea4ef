/**
 * {@link S3ChunkStore}: chunk bytes as objects in any S3-compatible bucket (AWS
 * S3, Ceph RGW, MinIO…), the key of each the prefix plus the lowercase hex
 * SHA-256 of its content.
 *
 * Keys are not fanned out into `ab/abcd…` "directories" as local files are:
 * a bucket has no directories to keep small, and the hex digest's leading
 * characters already spread keys evenly over the bucket's index. The collector's
 * 256 shards are listings by prefix plus the digest's first two hex characters.
 *
 * The AWS SDK is imported the first time the bucket is used (importing this
 * module loads nothing). Measured traps this works around: the SDK under Deno
 * fails sending a web `ReadableStream` body over plain http, and its default
 * `aws-chunked` checksummed uploads are refused by Ceph RGW (411); so bodies are
 * `Uint8Array`s and checksums are computed only when an operation requires them.
 *
 * Two SDK clients, measured on 1 GiB of 4 MiB chunks against a local endpoint:
 * GETs go through Deno's `fetch` (the SDK's `FetchHttpHandler`), which streams a
 * body at about half the CPU of the default node:http handler; everything else
 * (uploads above all: `fetch` copies a `Uint8Array` body; a gateway used ~13%
 * more CPU uploading through it) stays on node:http. `fetch` follows the
 * `HTTP(S)_PROXY`/`NO_PROXY` variables.
 *
 * @module
 */

import {
  type CredentialProvider,
  credentialProvider,
  type Credentials,
  resolveRegion,
} from "../../client/credentials.ts";
import {
  RetryableException,
  ServiceUnavailableException,
  ThrottlingException,
} from "../../errors.ts";
import { fromHex, toHex } from "../chunk_files.ts";
import type { ChunkStore, StagedChunk } from "./chunk_store.ts";
import { StagedFile } from "./_staged_file.ts";
import { lengthCheckedStream } from "./_length_checked_stream.ts";
import { PAYLOAD_SHA256_STEP, payloadSha256Middleware } from "./_payload_sha256.ts";

export type { CredentialProvider, Credentials } from "../../client/credentials.ts";

type S3Sdk = typeof import("../../../../deps/aws_s3.ts");
type S3Client = InstanceType<S3Sdk["S3Client"]>;

/** The SDK and the two clients of a store (see {@link S3ChunkStore}). */
interface Clients {
  sdk: S3Sdk;
  /** Every request but GetObject: the SDK's default, node:http, its connections pooled. */
  client: S3Client;
  /** GetObject: Deno's fetch, which streams a response body at about half node:http's CPU. */
  reader: S3Client;
}

/** Options of {@link S3ChunkStore}. */
export interface S3ChunkStoreOptions {
  /** The service's URL, for a store other than AWS S3 (e.g. `http://127.0.0.1:7480`). */
  endpoint?: string;
  /** The region (default: `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's). */
  region?: string;
  /** Prepended to every key (default `""`), e.g. `"backupfs/chunks/"`. */
  prefix?: string;
  /** Address the bucket in the path, not the host name (most non-AWS stores need it). */
  forcePathStyle?: boolean;
  /** Credentials, or a function that provides them (default: the standard AWS chain). */
  credentials?: Credentials | CredentialProvider;
  /** Profile of the default chain and region (else `AWS_PROFILE`, else `default`). */
  profile?: string;
  /**
   * Where chunks are staged while their bytes arrive (default: a temporary
   * directory made on first use and removed by {@link S3ChunkStore.close}).
   */
  stagingDirectory?: string;
}

const HEX = /^[0-9a-f]{64}$/;

/**
 * Chunk bytes in an S3-compatible bucket.
 *
 * - `put` uploads with `If-None-Match: *`: a 412 means the content is already
 *   there, which for content-addressed keys is success. A 200 from the service
 *   means the object is durable. The upload is signed with the digest as the
 *   payload's SHA-256 (`x-amz-content-sha256`) instead of the SDK hashing the
 *   body again; the service checks it against the body, so a digest that is not
 *   the bytes' is refused rather than stored.
 * - `get` streams the object's body as it arrives, checking its length (the
 *   store checks nothing else on read, as with local files); cancelling the
 *   stream closes its connection.
 * - `delete` asks for the object's size first (for the collector's report; -1
 *   when there is none), then deletes it.
 * - An unreachable service, a 5xx or a throttling answer is thrown as
 *   `ServiceUnavailableException`, `RetryableException` or `ThrottlingException`,
 *   so that clients retry; other errors of the service are thrown as they come.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { S3ChunkStore } from "./s3_chunk_store.ts";
 * // Nothing is loaded or contacted until the store is used.
 * const chunks = new S3ChunkStore("backups", {
 *   endpoint: "http://127.0.0.1:7480",
 *   region: "us-east-1",
 *   forcePathStyle: true,
 *   prefix: "chunks/",
 *   credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
 * });
 * assert.equal(chunks.key(new Uint8Array(32).fill(0xab)), `chunks/${"ab".repeat(32)}`);
 * await chunks.close();
 * ```
 */
export class S3ChunkStore implements ChunkStore {
  /** The bucket. */
  readonly bucket: string;
  /** The key prefix. */
  readonly prefix: string;
  #options: S3ChunkStoreOptions;
  #sdk?: Promise<Clients>;
  #staging?: Promise<string>;
  #ownStaging = false;

  /** A store over `bucket`; nothing is contacted until it is used. */
  constructor(bucket: string, options?: S3ChunkStoreOptions) {
    if (!bucket) throw new TypeError("S3ChunkStore: a bucket is required");
    this.bucket = bucket;
    this.prefix = options?.prefix ?? "";
    this.#options = { ...options };
  }

  /** The object key of a digest. */
  key(digest: Uint8Array): string {
    return this.prefix + toHex(digest);
  }

  /** A new file in the staging directory. */
  async stage(): Promise<StagedChunk> {
    const directory = await this.#stagingDirectory();
    return await StagedFile.create(directory);
  }

  /**
   * Uploads the staged bytes under the digest's key, unless an object is there
   * already; the digest is sent as the payload's SHA-256, which the service checks.
   */
  async put(digest: Uint8Array, staged: StagedChunk): Promise<void> {
    if (!(staged instanceof StagedFile)) {
      await staged.discard();
      throw new TypeError("S3ChunkStore.put takes a chunk staged by this store");
    }
    let body: Uint8Array;
    try {
      staged.close();
      body = await Deno.readFile(staged.path);
    } finally {
      await staged.discard();
    }
    const { sdk, client } = await this.#client();
    const hex = toHex(digest);
    const key = this.prefix + hex;
    for (let attempt = 1;; attempt++) {
      const command = new sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.byteLength,
        IfNoneMatch: "*",
      });
      // The key is the body's SHA-256: the signer takes it instead of hashing 4 MiB again.
      command.middlewareStack.add(payloadSha256Middleware(hex), PAYLOAD_SHA256_STEP);
      try {
        await client.send(command);
        return;
      } catch (error) {
        const status = statusOf(error);
        if (status === 412) return; // already stored: same digest, same bytes
        // 409: a concurrent conditional write of the same key; try again.
        if (status === 409 && attempt < 5) continue;
        throw serviceError(error, `PutObject ${key}`);
      }
    }
  }

  /**
   * The object's first `length` bytes, streamed as they arrive from the service
   * (the stream errors if the object ends before); `undefined` when there is no
   * object. Cancelling the stream closes its connection.
   */
  async get(digest: Uint8Array, length: number): Promise<ReadableStream<Uint8Array> | undefined> {
    const { sdk, reader } = await this.#client();
    const key = this.key(digest);
    let body;
    try {
      body = (await reader.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }))).Body;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw serviceError(error, `GetObject ${key}`);
    }
    const source = body ? body.transformToWebStream() : ReadableStream.from<Uint8Array>([]);
    return lengthCheckedStream(source as ReadableStream<Uint8Array>, length, {
      mapError: (error) => serviceError(error, `GetObject ${key}`),
      // A response not read to its end holds its connection: cancelling fetch's
      // body closes it; a Node body (node:http's handler) is destroyed as well.
      abort: () => (body as { destroy?: () => void } | undefined)?.destroy?.(),
    });
  }

  /** Deletes the object: its size, or -1 when there was none. */
  async delete(digest: Uint8Array): Promise<number> {
    const { sdk, client } = await this.#client();
    const key = this.key(digest);
    let size: number;
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      size = head.ContentLength ?? 0;
    } catch (error) {
      if (statusOf(error) === 404) return -1;
      throw serviceError(error, `HeadObject ${key}`);
    }
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw serviceError(error, `DeleteObject ${key}`);
    }
    return size;
  }

  /** The digests whose keys start with the prefix and the shard's two hex characters. */
  async list(shard: number): Promise<Uint8Array[]> {
    const { sdk, client } = await this.#client();
    const prefix = this.prefix + shard.toString(16).padStart(2, "0");
    const digests: Uint8Array[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw serviceError(error, `ListObjectsV2 ${prefix}`);
      }
      for (const object of page.Contents ?? []) {
        const hex = object.Key?.slice(this.prefix.length) ?? "";
        if (HEX.test(hex)) digests.push(fromHex(hex));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return digests;
  }

  /** Releases the client's connections and removes a staging directory this store made. */
  async close(): Promise<void> {
    const sdk = this.#sdk;
    this.#sdk = undefined;
    const clients = await sdk?.catch(() => undefined);
    clients?.client.destroy();
    clients?.reader.destroy();
    const staging = this.#staging;
    this.#staging = undefined;
    if (staging && this.#ownStaging) {
      const directory = await staging.catch(() => undefined);
      if (directory) await Deno.remove(directory, { recursive: true }).catch(() => {});
    }
  }

  /** Async disposal: {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #client(): Promise<Clients> {
    this.#sdk ??= (async () => {
      const options = this.#options;
      const profile = options.profile === undefined ? {} : { profile: options.profile };
      const [sdk, region] = await Promise.all([
        import("../../../../deps/aws_s3.ts"),
        resolveRegion(options.region, profile),
      ]);
      const config = {
        region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        forcePathStyle: options.forcePathStyle ?? false,
        credentials: credentialProvider(options.credentials, profile),
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      } as const;
      return {
        sdk,
        // No `Expect: 100-continue` on uploads above 2 MiB (the SDK's default): it
        // sends each through a new connection of an agent of its own (keep-alive off,
        // a TLS handshake each on https) and waits a round trip before the body.
        client: new sdk.S3Client({ ...config, expectContinueHeader: false }),
        reader: new sdk.S3Client({ ...config, requestHandler: new sdk.FetchHttpHandler() }),
      };
    })();
    this.#sdk.catch(() => {
      this.#sdk = undefined; // e.g. no region yet: try again next time
    });
    return this.#sdk;
  }

  #stagingDirectory(): Promise<string> {
    if (this.#options.stagingDirectory) return Promise.resolve(this.#options.stagingDirectory);
    this.#ownStaging = true;
    this.#staging ??= Deno.makeTempDir({ prefix: "s3-chunk-staging-" });
    return this.#staging;
  }
}

/** Codes of the errors of a connection that failed or timed out. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEDOUT",
]);

/** Names of Deno's errors of a connection that failed. */
const NETWORK_ERROR_NAMES = new Set([
  "ConnectionRefused",
  "ConnectionReset",
  "ConnectionAborted",
  "NotConnected",
  "BrokenPipe",
  "TimedOut",
  "AddrNotAvailable",
  "TimeoutError",
  "RequestTimeout",
]);

/**
 * How the messages of the `TypeError`s of Deno's fetch begin when the connection
 * failed: connecting (`fetch failed`, its cause `error sending request…`) or
 * reading a body.
 */
const FETCH_NETWORK_MESSAGE =
  /^(fetch failed|error sending request|error reading a body from connection|connection closed before message completed)/;

/** Whether an error (or its cause) is one of the network failing, not of the request. */
function isNetworkError(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 4; depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (typeof name === "string" && NETWORK_ERROR_NAMES.has(name)) return true;
    if (
      name === "TypeError" && typeof message === "string" && FETCH_NETWORK_MESSAGE.test(message)
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The HTTP status of an SDK error, when the service answered. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata
    ?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * The error to throw for a failed request: one clients retry when the service is
 * unreachable, overloaded or failing; the SDK's own error otherwise.
 */
function serviceError(error: unknown, what: string): unknown {
  const status = statusOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const name = (error as { name?: unknown } | null)?.name;
  if (
    status === 429 || name === "SlowDown" || name === "Throttling" || name === "ThrottlingException"
  ) {
    return new ThrottlingException(`Chunk store: ${what}: ${detail}`, { cause: error });
  }
  if (status === undefined) {
    if (!isNetworkError(error)) return error;
    return new ServiceUnavailableException(`Chunk store unreachable: ${what}: ${detail}`, {
      cause: error,
    });
  }
  if (status === 503) {
    return new ServiceUnavailableException(`Chunk store: ${what}: ${detail}`, { cause: error });
  }
  if (status >= 500) {
    return new RetryableException(`Chunk store: ${what}: ${detail}`, { cause: error });
  }
  return error;
}
