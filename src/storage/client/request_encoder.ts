/**
 * Serializes an operation's input into an HTTP request, driven by the wire table
 * of `operations.ts`: URI labels, query keys, headers, JSON members and the
 * streaming payload are placed where the binding says, so no operation has its
 * own encoder.
 *
 * @module
 */

import { IllegalArgumentException } from "../errors.ts";
import {
  encodeLabel,
  type MemberBinding,
  type OperationBinding,
  routeSegments,
} from "../operations.ts";

/** A request ready to be signed and sent. */
export interface EncodedRequest {
  /** The operation's binding. */
  binding: OperationBinding;
  /** HTTP method. */
  method: string;
  /** `http:` or `https:`. */
  protocol: string;
  /** Host name without port (IPv6 in brackets). */
  hostname: string;
  /** Port, when the endpoint gives one. */
  port?: number;
  /** `host` as sent: host name plus any non-default port. */
  host: string;
  /** The raw path as sent: endpoint base path plus the route with labels percent-encoded whole. */
  path: string;
  /** Query members, decoded (key → value). */
  query: Record<string, string>;
  /** Header members and content type (lower-case names), without `host` or signing headers. */
  headers: Record<string, string>;
  /** The body: the streaming payload, the JSON document, or nothing. */
  body?: Uint8Array | ReadableStream<Uint8Array>;
  /** Whether the request can be sent again (false once a `ReadableStream` body is involved). */
  replayable: boolean;
}

/** Options of {@link encodeRequest}. */
export interface EncodeRequestOptions {
  /** Base URL of the service; its path, if any, is kept as a prefix. */
  endpoint: URL;
}

/**
 * Formats a timestamp as ISO 8601 UTC, with fractional seconds only when there are any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTimestamp } from "./request_encoder.ts";
 * assert.equal(formatTimestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), "2024-01-02T03:04:05Z");
 * ```
 */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, "Z");
}

/**
 * Builds the query string for decoded query members, each key and value
 * percent-encoded as SigV4 canonicalizes them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatQuery } from "./request_encoder.ts";
 * assert.equal(formatQuery({ checksum: "a+b/c=" }), "checksum=a%2Bb%2Fc%3D");
 * ```
 */
export function formatQuery(query: Record<string, string>): string {
  return Object.entries(query).map(([k, v]) => `${encodeLabel(k)}=${encodeLabel(v)}`).join("&");
}

/**
 * Serializes one operation's input per its binding. Throws
 * `IllegalArgumentException` (naming the member) before anything is sent when a
 * required member is missing, a URI label is empty, or a value has the wrong type
 * or is out of the model's bounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRequest } from "./request_encoder.ts";
 * import { OPERATIONS } from "../operations.ts";
 * const req = encodeRequest(OPERATIONS.DeleteObject, { BackupJobId: "job", ObjectName: "a/b" }, {
 *   endpoint: new URL("http://127.0.0.1:9000"),
 * });
 * assert.equal(req.method, "DELETE");
 * assert.equal(req.path, "/backup-jobs/job/object/a%2Fb");
 * ```
 */
export function encodeRequest(
  binding: OperationBinding,
  input: object,
  options: EncodeRequestOptions,
): EncodedRequest {
  if (input === null || typeof input !== "object") {
    throw new IllegalArgumentException(`${binding.name} input must be an object`);
  }
  const values = input as Record<string, unknown>;
  const labels: Record<string, string> = {};
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  const json: Record<string, unknown> = {};
  let hasJson = false;
  let body: Uint8Array | ReadableStream<Uint8Array> | undefined;

  for (const member of binding.input) {
    const value = values[member.member];
    if (value === undefined || value === null) {
      if (member.required) {
        throw new IllegalArgumentException(
          `${binding.name}: missing required member ${member.member}`,
        );
      }
      continue;
    }
    switch (member.location) {
      case "uri": {
        const text = scalarText(binding, member, value);
        if (text.length === 0) {
          throw new IllegalArgumentException(
            `${binding.name}: member ${member.member} must not be empty (it is a URI label)`,
          );
        }
        // URL parsing and SigV4 canonicalization both remove dot segments, so a label
        // of "." or ".." would send the request to another route.
        if (text === "." || text === "..") {
          throw new IllegalArgumentException(
            `${binding.name}: member ${member.member} must not be "." or ".." (it is a URI label)`,
          );
        }
        labels[member.wireName] = text;
        break;
      }
      case "querystring":
        query[member.wireName] = scalarText(binding, member, value);
        break;
      case "header": {
        const text = member.type === "timestamp"
          ? checkDate(binding, member, value).toUTCString()
          : scalarText(binding, member, value);
        headers[member.wireName.toLowerCase()] = text;
        break;
      }
      case "json":
        json[member.wireName] = jsonValue(binding, member, value);
        hasJson = true;
        break;
      case "payload":
        if (value instanceof Uint8Array || value instanceof ReadableStream) {
          body = value as Uint8Array | ReadableStream<Uint8Array>;
        } else {
          throw new IllegalArgumentException(
            `${binding.name}: member ${member.member} must be a Uint8Array or a ReadableStream`,
          );
        }
        break;
    }
  }

  if (hasJson) {
    if (body !== undefined) {
      throw new IllegalArgumentException(`${binding.name}: cannot send both JSON and a payload`);
    }
    body = new TextEncoder().encode(JSON.stringify(json));
    headers["content-type"] = "application/json";
  } else if (body !== undefined) {
    headers["content-type"] = "application/octet-stream";
  }

  const route = routeSegments(binding.path).map((segment) => {
    if ("literal" in segment) return segment.literal;
    const value = labels[segment.label];
    if (value === undefined) {
      throw new IllegalArgumentException(
        `${binding.name}: no value for URI label ${segment.label}`,
      );
    }
    return encodeLabel(value);
  }).join("/");
  const base = options.endpoint.pathname.replace(/\/+$/, "");
  const port = options.endpoint.port === "" ? undefined : Number(options.endpoint.port);
  return {
    binding,
    method: binding.method,
    protocol: options.endpoint.protocol,
    hostname: options.endpoint.hostname,
    ...(port === undefined ? {} : { port }),
    host: options.endpoint.host,
    path: `${base}/${route}`,
    query,
    headers,
    ...(body === undefined ? {} : { body }),
    replayable: !(body instanceof ReadableStream),
  };
}

function fail(binding: OperationBinding, member: MemberBinding, what: string): never {
  throw new IllegalArgumentException(`${binding.name}: member ${member.member} ${what}`);
}

function checkDate(binding: OperationBinding, member: MemberBinding, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    fail(binding, member, "must be a valid Date");
  }
  return value;
}

function checkNumber(binding: OperationBinding, member: MemberBinding, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    fail(binding, member, "must be a safe integer");
  }
  if (member.min !== undefined && value < member.min) {
    fail(binding, member, `must be at least ${member.min}`);
  }
  if (member.max !== undefined && value > member.max) {
    fail(binding, member, `must be at most ${member.max}`);
  }
  return value;
}

function scalarText(binding: OperationBinding, member: MemberBinding, value: unknown): string {
  switch (member.type) {
    case "string":
      if (typeof value !== "string") fail(binding, member, "must be a string");
      return value;
    case "long":
    case "integer":
      return String(checkNumber(binding, member, value));
    case "boolean":
      if (typeof value !== "boolean") fail(binding, member, "must be a boolean");
      return value ? "true" : "false";
    case "timestamp":
      return formatTimestamp(checkDate(binding, member, value));
    default:
      return fail(binding, member, `of type ${member.type} cannot travel in ${member.location}`);
  }
}

function jsonValue(binding: OperationBinding, member: MemberBinding, value: unknown): unknown {
  switch (member.type) {
    case "long":
    case "integer":
      return checkNumber(binding, member, value);
    case "timestamp":
      // rest-json sends JSON timestamps as epoch seconds.
      return checkDate(binding, member, value).getTime() / 1000;
    case "string":
      if (typeof value !== "string") fail(binding, member, "must be a string");
      return value;
    case "boolean":
      if (typeof value !== "boolean") fail(binding, member, "must be a boolean");
      return value;
    default:
      return value;
  }
}
