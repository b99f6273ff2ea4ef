/**
 * Decoding of an HTTP request into an operation's input, driven by the wire table
 * of `operations.ts`: URI labels, query members parsed by their model type, JSON
 * body members, and the streaming payload passed on unread. Only the wire form is
 * checked here; every semantic rule (names, lengths, checksums, page sizes,
 * tokens) belongs to the store.
 *
 * @module
 */

import { IllegalArgumentException } from "../storage/errors.ts";
import type { MemberBinding, OperationBinding } from "../storage/operations.ts";

/** The parts of a request that carry input members. */
export interface WireRequest {
  /** URI labels, already percent-decoded. */
  labels: Record<string, string>;
  /** Query members, decoded; repeated keys give arrays. */
  query: Record<string, string | string[]>;
  /** Request headers. */
  headers: Headers;
  /**
   * The body: the JSON document's bytes for operations with JSON members, the
   * streaming payload otherwise (`null` when there is none).
   */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
}

/**
 * Parses a decimal integer as the model's `long`/`integer` wire form requires
 * (optional minus sign, digits only, safe-integer range).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInteger } from "./wire_input.ts";
 * import { IllegalArgumentException } from "../storage/errors.ts";
 * assert.equal(parseInteger("42", "MaxResults"), 42);
 * assert.equal(parseInteger("-7", "MaxResults"), -7);
 * assert.throws(() => parseInteger("4.2", "MaxResults"), IllegalArgumentException);
 * ```
 */
export function parseInteger(value: string, member: string): number {
  if (!/^-?\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new IllegalArgumentException(`${member} must be a decimal integer`);
  }
  return Number(value);
}

/**
 * Parses a timestamp: ISO 8601 (`2024-01-02T03:04:05Z`, fractions and offsets
 * allowed) or epoch seconds (`1704164645`, fractions allowed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTimestamp } from "./wire_input.ts";
 * const expected = "2024-01-02T03:04:05.000Z";
 * assert.equal(parseTimestamp("1704164645", "CreatedAfter").toISOString(), expected);
 * const withOffset = parseTimestamp("2024-01-02T04:04:05+01:00", "CreatedAfter");
 * assert.equal(withOffset.toISOString(), expected);
 * ```
 */
export function parseTimestamp(value: string, member: string): Date {
  if (/^\d{1,12}(\.\d{1,9})?$/.test(value)) return new Date(Math.round(Number(value) * 1000));
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})$/
      .exec(value);
  if (m) {
    const [, y, mo, d, h, mi, s, frac = "", zone] = m;
    const ms = Number(frac.padEnd(3, "0").slice(0, 3));
    let time = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms);
    const check = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
    const valid = check.getUTCFullYear() === +y && check.getUTCMonth() === +mo - 1 &&
      check.getUTCDate() === +d && check.getUTCHours() === +h && check.getUTCMinutes() === +mi &&
      check.getUTCSeconds() === +s;
    if (valid) {
      if (zone !== "Z" && zone !== "z") {
        const sign = zone[0] === "-" ? -1 : 1;
        const digits = zone.slice(1).replace(":", "");
        time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
      }
      return new Date(time);
    }
  }
  throw new IllegalArgumentException(
    `${member} must be an ISO 8601 timestamp or epoch seconds`,
  );
}

function parseScalar(binding: MemberBinding, value: string): unknown {
  switch (binding.type) {
    case "long":
    case "integer":
      return parseInteger(value, binding.member);
    case "boolean":
      if (value === "true") return true;
      if (value === "false") return false;
      throw new IllegalArgumentException(`${binding.member} must be true or false`);
    case "timestamp":
      return parseTimestamp(value, binding.member);
    default:
      return value;
  }
}

function parseJsonBody(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.byteLength === 0) return {};
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new IllegalArgumentException("Request body is not valid JSON");
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new IllegalArgumentException("Request body must be a JSON object");
  }
  return document as Record<string, unknown>;
}

function jsonMember(binding: MemberBinding, value: unknown): unknown {
  const ok = binding.type === "boolean"
    ? typeof value === "boolean"
    : binding.type === "string"
    ? typeof value === "string"
    : binding.type === "long" || binding.type === "integer"
    ? typeof value === "number" && Number.isSafeInteger(value)
    : binding.type === "timestamp"
    ? typeof value === "number" || typeof value === "string"
    : true;
  if (!ok) throw new IllegalArgumentException(`${binding.member} must be of type ${binding.type}`);
  if (binding.type === "timestamp") return parseTimestamp(String(value), binding.member);
  return value;
}

function isEmptyBody(request: WireRequest): boolean {
  const body = request.body;
  if (body === null) return true;
  if (body instanceof Uint8Array) return body.byteLength === 0;
  return request.headers.get("content-length") === "0";
}

/**
 * Builds an operation's input from the parts of its request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeInput } from "./wire_input.ts";
 * import { OPERATIONS } from "../storage/operations.ts";
 * const input = decodeInput(OPERATIONS.ListObjects, {
 *   labels: { jobId: "job-1" },
 *   query: { "max-results": "10" },
 *   headers: new Headers(),
 *   body: null,
 * });
 * assert.deepEqual(input, { StorageJobId: "job-1", MaxResults: 10 });
 * ```
 */
export function decodeInput(
  binding: OperationBinding,
  request: WireRequest,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const hasJson = binding.input.some((m) => m.location === "json");
  let json: Record<string, unknown> | undefined;
  if (hasJson) {
    const body = request.body;
    if (body !== null && !(body instanceof Uint8Array)) {
      throw new TypeError("decodeInput needs a JSON body as bytes");
    }
    json = parseJsonBody(body ?? new Uint8Array());
  }
  for (const member of binding.input) {
    let value: unknown;
    switch (member.location) {
      case "uri":
        value = parseScalar(member, request.labels[member.wireName]);
        break;
      case "querystring": {
        const raw = request.query[member.wireName];
        if (Array.isArray(raw)) {
          throw new IllegalArgumentException(`${member.member} must be given at most once`);
        }
        if (raw !== undefined) value = parseScalar(member, raw);
        break;
      }
      case "header": {
        const raw = request.headers.get(member.wireName);
        if (raw !== null) value = parseScalar(member, raw);
        break;
      }
      case "json": {
        const raw = json?.[member.wireName];
        if (raw !== undefined && raw !== null) value = jsonMember(member, raw);
        break;
      }
      case "payload":
        if (!isEmptyBody(request)) value = request.body;
        else if (member.required) value = new Uint8Array();
        break;
    }
    if (value === undefined) {
      if (member.required) {
        throw new IllegalArgumentException(`Missing required parameter ${member.member}`);
      }
      continue;
    }
    input[member.member] = value;
  }
  return input;
}
