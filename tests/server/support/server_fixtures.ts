// Helpers for the server tests: a BackupStorage that records what it receives,
// and requests signed with @smithy/signature-v4 the way a client signs them.

import { Hash, SignatureV4 } from "../../../deps/smithy.ts";
import { type BackupStorage, OPERATION_METHODS } from "../../../src/storage/backup_storage.ts";
import { encodeLabel } from "../../../src/storage/operations.ts";
import type { OperationName } from "../../../src/storage/types.ts";

export const ACCESS_KEY_ID = "AKIDSERVERTEST";
export const SECRET = "server-test-secret/with+chars";
export const CREDENTIALS = new Map([[ACCESS_KEY_ID, { secretAccessKey: SECRET }]]);
export const HOST = "127.0.0.1:9000";

/** One call the recording storage received; streaming members read to bytes. */
export interface RecordedCall {
  operation: OperationName;
  input: Record<string, unknown>;
}

async function drain(value: unknown): Promise<unknown> {
  if (value instanceof ReadableStream) {
    return new Uint8Array(await new Response(value).arrayBuffer());
  }
  return value;
}

/**
 * A BackupStorage that records each call (streams read whole, so a stream error
 * makes the call fail and record nothing) and answers with queued outputs.
 */
export class RecordingStorage {
  readonly calls: RecordedCall[] = [];
  readonly outputs = new Map<OperationName, () => object>();
  readonly errors = new Map<OperationName, () => Error>();

  asStorage(): BackupStorage {
    const target = {} as Record<string, unknown>;
    for (
      const [operation, method] of Object.entries(OPERATION_METHODS) as [
        OperationName,
        string,
      ][]
    ) {
      target[method] = async (input: Record<string, unknown>) => {
        const copy: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(input)) copy[key] = await drain(value);
        const error = this.errors.get(operation);
        if (error) throw error();
        this.calls.push({ operation, input: copy });
        const output = this.outputs.get(operation);
        return { $metadata: {}, ...(output ? output() : {}) };
      };
    }
    return target as unknown as BackupStorage;
  }
}

/** Options of {@link signedRequest}. */
export interface SignOptions {
  method?: string;
  /** Decoded query members. */
  query?: Record<string, string>;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
  /** Send `x-amz-content-sha256: UNSIGNED-PAYLOAD`. */
  unsigned?: boolean;
  accessKeyId?: string;
  secret?: string;
  sessionToken?: string;
  date?: Date;
  region?: string;
  service?: string;
  host?: string;
  /** Whether smithy adds `x-amz-content-sha256` (default true). */
  applyChecksum?: boolean;
}

export function encodeQuery(query: Record<string, string>): string {
  return Object.entries(query).map(([k, v]) => `${encodeLabel(k)}=${encodeLabel(v)}`).join("&");
}

/** Signs a request (path raw, labels already percent-encoded) and returns it as a Request. */
export async function signedRequest(path: string, options: SignOptions = {}): Promise<Request> {
  const host = options.host ?? HOST;
  const body = typeof options.body === "string"
    ? new TextEncoder().encode(options.body)
    : options.body;
  const headers: Record<string, string> = { host, ...options.headers };
  if (options.unsigned) headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  if (body !== undefined) headers["content-length"] = String(body.byteLength);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: options.accessKeyId ?? ACCESS_KEY_ID,
      secretAccessKey: options.secret ?? SECRET,
      sessionToken: options.sessionToken,
    },
    region: options.region ?? "us-east-1",
    service: options.service ?? "backup-storage",
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: true,
    applyChecksum: options.applyChecksum,
  });
  const query = options.query ?? {};
  const signed = await signer.sign({
    method: options.method ?? "GET",
    protocol: "http:",
    hostname: host.split(":")[0],
    path,
    query,
    headers,
    body,
  }, { signingDate: options.date ?? new Date() });
  const search = encodeQuery(query);
  const outHeaders = new Headers();
  for (const [k, v] of Object.entries(signed.headers)) outHeaders.set(k, v);
  return new Request(`http://${host}${path}${search ? `?${search}` : ""}`, {
    method: options.method ?? "GET",
    headers: outHeaders,
    body: body as BodyInit | undefined,
  });
}

/** Presigns a GET with smithy; returns the URL. */
export async function presignedUrl(
  path: string,
  options: { query?: Record<string, string>; date?: Date; expiresIn?: number; secret?: string } =
    {},
): Promise<string> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: options.secret ?? SECRET },
    region: "us-east-1",
    service: "backup-storage",
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: true,
  });
  const presigned = await signer.presign({
    method: "GET",
    protocol: "http:",
    hostname: HOST.split(":")[0],
    path,
    query: options.query ?? {},
    headers: { host: HOST },
  }, { signingDate: options.date ?? new Date(), expiresIn: options.expiresIn ?? 900 });
  return `http://${HOST}${path}?${encodeQuery(presigned.query as Record<string, string>)}`;
}
