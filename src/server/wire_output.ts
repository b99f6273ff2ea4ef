/**
 * Encoding of an operation's output into an HTTP response, driven by the wire
 * table of `operations.ts`: JSON members as an `application/json` document,
 * header members as headers, and the payload member as the streamed body with
 * its `Content-Length`.
 *
 * `x-amz-metadata-string` may carry non-ASCII text: HTTP header values are bytes,
 * so the string's UTF-8 bytes are sent as they are (each byte one latin-1
 * character of the ByteString). Clients that decode header bytes as latin-1
 * (botocore does) recover the text by re-encoding as latin-1 and decoding UTF-8.
 *
 * @module
 */

import type { MemberBinding, OperationBinding } from "../storage/operations.ts";

const encoder = new TextEncoder();

/**
 * A header value for a string: ASCII as is, anything else as its UTF-8 bytes
 * spelled as a latin-1 ByteString.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerValue } from "./wire_output.ts";
 * assert.equal(headerValue("plain"), "plain");
 * assert.equal(headerValue("é"), "\u00c3\u00a9"); // "Ã©": the UTF-8 bytes C3 A9
 * ```
 */
export function headerValue(value: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  let out = "";
  for (const byte of encoder.encode(value)) out += String.fromCharCode(byte);
  return out;
}

/**
 * Decodes a header value written by {@link headerValue} back to text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerValue, readHeaderValue } from "./wire_output.ts";
 * assert.equal(readHeaderValue(headerValue("café")), "café");
 * assert.equal(readHeaderValue("plain"), "plain");
 * ```
 */
export function readHeaderValue(value: string): string {
  const bytes = Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff);
  return new TextDecoder().decode(bytes);
}

function jsonValue(binding: MemberBinding, value: unknown): unknown {
  if (binding.type === "list" && binding.items && Array.isArray(value)) {
    return value.map((item) => jsonObject(binding.items!, item as Record<string, unknown>));
  }
  if (binding.type === "timestamp" && value instanceof Date) return value.getTime() / 1000;
  return value;
}

function jsonObject(
  members: readonly MemberBinding[],
  source: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const member of members) {
    const value = source[member.member];
    if (value === undefined || value === null) continue;
    out[member.wireName] = jsonValue(member, value);
  }
  return out;
}

/**
 * Builds the 200 response for an operation's output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeOutput } from "./wire_output.ts";
 * import { OPERATIONS } from "../storage/operations.ts";
 * const response = encodeOutput(OPERATIONS.StartObject, { UploadId: "u-1", $metadata: {} });
 * assert.equal(response.status, 200);
 * assert.deepEqual(await response.json(), { UploadId: "u-1" });
 * ```
 */
export function encodeOutput(binding: OperationBinding, output: object): Response {
  const source = output as Record<string, unknown>;
  const headers = new Headers();
  for (const member of binding.output) {
    if (member.location !== "header") continue;
    const value = source[member.member];
    if (value === undefined || value === null) continue;
    headers.set(
      member.wireName,
      typeof value === "string" ? headerValue(value) : String(value),
    );
  }
  if (binding.outputPayload !== undefined) {
    const stream = source[binding.outputPayload] as ReadableStream<Uint8Array> | undefined;
    const lengthMember = binding.output.find((m) =>
      m.location === "header" && m.wireName === "x-amz-data-length"
    );
    const length = lengthMember ? source[lengthMember.member] : undefined;
    headers.set("content-type", "application/octet-stream");
    if (typeof length === "number") headers.set("content-length", String(length));
    else if (stream === undefined) headers.set("content-length", "0");
    return new Response(stream ?? null, { status: 200, headers });
  }
  headers.set("content-type", "application/json");
  const document = jsonObject(binding.output.filter((m) => m.location === "json"), source);
  return new Response(JSON.stringify(document), { status: 200, headers });
}
