// Test helpers for the BackupStorageClient tests: a recording Deno.serve server,
// a raw TCP server for broken connections, and an independent SigV4 check.

import { Hash, SignatureV4 } from "../../../../deps/smithy.ts";
import { createHash } from "node:crypto";
import {
  BackupStorageClient,
  type BackupStorageClientOptions,
} from "../../../../src/storage/client/mod.ts";
import { assert, assertEquals } from "../../../support/assert.ts";

/** Credentials every test client uses. */
export const CREDENTIALS = { accessKeyId: "AKIDTEST", secretAccessKey: "s3cr3t/Key+value=" };
/** Region every test client uses. */
export const REGION = "eu-test-1";

/** One request as the server received it. */
export interface Recorded {
  method: string;
  /** The path exactly as sent (percent-encoding kept). */
  rawPath: string;
  /** The query string exactly as sent, without `?`. */
  rawQuery: string;
  /** Query decoded into a map. */
  query: Record<string, string>;
  headers: Headers;
  body: Uint8Array;
  host: string;
}

/** A handler answering the n-th request (from 0). */
export type Responder = (request: Recorded, n: number) => Response | Promise<Response>;

/** A running recording server. */
export interface TestServer extends AsyncDisposable {
  url: string;
  port: number;
  requests: Recorded[];
  close(): Promise<void>;
}

/** Decodes a raw query string into a map (keys and values percent-decoded). */
export function decodeQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === "") return out;
  for (const pair of raw.split("&")) {
    const i = pair.indexOf("=");
    const key = i < 0 ? pair : pair.slice(0, i);
    const value = i < 0 ? "" : pair.slice(i + 1);
    out[decodeURIComponent(key)] = decodeURIComponent(value);
  }
  return out;
}

/** Starts a Deno.serve server on 127.0.0.1:0 that records requests and answers with `respond`. */
export function startServer(respond: Responder): TestServer {
  const requests: Recorded[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      const rawQuery = url.search.startsWith("?") ? url.search.slice(1) : "";
      const recorded: Recorded = {
        method: request.method,
        rawPath: url.pathname,
        rawQuery,
        query: decodeQuery(rawQuery),
        headers: request.headers,
        body: new Uint8Array(await request.arrayBuffer()),
        host: url.host,
      };
      const n = requests.length;
      requests.push(recorded);
      return await respond(recorded, n);
    },
  );
  const port = server.addr.port;
  const close = async () => {
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A handler for one connection of the raw server: it gets the connection and the bytes read so far. */
export type RawHandler = (conn: Deno.Conn, head: string) => Promise<void>;

/** A raw TCP server: connection n is handed to handlers[min(n, last)], which must close it. */
export interface RawServer extends AsyncDisposable {
  url: string;
  connections: number;
  close(): Promise<void>;
}

const decoder = new TextDecoder();

async function readHead(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(64 * 1024);
  let text = "";
  for (let i = 0; i < 1000 && !text.includes("\r\n\r\n"); i++) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n));
  }
  return text;
}

/** Starts a raw TCP server on 127.0.0.1:0. */
export function startRawServer(handlers: RawHandler[]): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tasks: Promise<void>[] = [];
  const state = { connections: 0 };
  const loop = (async () => {
    for (let i = 0; i < 100; i++) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const handler = handlers[Math.min(state.connections, handlers.length - 1)];
      state.connections++;
      tasks.push((async () => {
        try {
          const head = await readHead(conn);
          await handler(conn, head);
        } catch {
          // the client may go away first
        } finally {
          try {
            conn.close();
          } catch {
            // already closed
          }
        }
      })());
    }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  const close = async () => {
    listener.close();
    await loop;
    await Promise.all(tasks);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Writes a raw HTTP/1.1 response and closes the connection. */
export async function writeRaw(conn: Deno.Conn, text: string | Uint8Array): Promise<void> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  let off = 0;
  for (let i = 0; i < 10_000 && off < bytes.length; i++) {
    off += await conn.write(bytes.subarray(off));
  }
}

/** A client for `server` with test credentials, small retry delays, and `options` on top. */
export function testClient(
  url: string,
  options: BackupStorageClientOptions = {},
): BackupStorageClient {
  return new BackupStorageClient({
    endpoint: url,
    region: REGION,
    credentials: CREDENTIALS,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
}

/** A JSON response with a request id. */
export function json(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  if (!headers.has("x-amzn-RequestId")) headers.set("x-amzn-RequestId", "req-1");
  return new Response(JSON.stringify(body), { ...init, headers });
}

/** An error response in the form the BackupStorage service sends. */
export function errorResponse(
  status: number,
  code: string,
  body: Record<string, unknown>,
): Response {
  return json(body, {
    status,
    headers: { "x-amzn-ErrorType": code, "x-amzn-RequestId": "req-err" },
  });
}

/** Hex SHA-256. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Base64 SHA-256. */
export function sha256Base64(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64");
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** What the SigV4 check found. */
export interface SignatureFacts {
  accessKeyId: string;
  region: string;
  service: string;
  signedHeaders: string[];
  payloadHash: string;
}

/**
 * Recomputes the request's SigV4 signature with smithy (from the raw path, the
 * raw query and only the signed headers) and asserts it equals the one sent.
 * For a signed payload, also asserts the hash matches the body received.
 */
export async function verifySignature(
  request: Recorded,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } =
    CREDENTIALS,
): Promise<SignatureFacts> {
  const authorization = request.headers.get("authorization") ?? "";
  const match = AUTH.exec(authorization);
  assert(match, `malformed Authorization header: ${authorization}`);
  const [, accessKeyId, day, region, service, signedList] = match;
  const signedHeaders = signedList.split(";");
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers.get(name);
    assert(value !== null, `signed header ${name} is missing`);
    headers[name] = value;
  }
  const amzDate = request.headers.get("x-amz-date") ?? "";
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  assert(m, `bad x-amz-date ${amzDate}`);
  assertEquals(amzDate.slice(0, 8), day);
  const signingDate = new Date(
    Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]),
  );
  const [hostname, port] = request.host.split(":");
  const signer = new SignatureV4({
    credentials,
    region,
    service,
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: true,
  });
  const signed = await signer.sign({
    method: request.method,
    protocol: "http:",
    hostname,
    port: Number(port),
    path: request.rawPath,
    query: request.query,
    headers,
  }, { signingDate });
  assertEquals(signed.headers.authorization, authorization, "signature mismatch");
  const payloadHash = request.headers.get("x-amz-content-sha256") ?? "";
  if (payloadHash !== "UNSIGNED-PAYLOAD") {
    assertEquals(payloadHash, sha256Hex(request.body), "payload hash does not match the body");
  }
  return { accessKeyId, region, service, signedHeaders, payloadHash };
}

/** Reads a stream to its end. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
