/**
 * Builds an operation's output from a successful response, driven by the wire
 * table of `operations.ts`: JSON members from the body, header members from the
 * headers, and the payload member as the response's own stream (never read into
 * memory).
 *
 * @module
 */

import type { MemberBinding, OperationBinding } from "../operations.ts";
import type { ResponseMetadata } from "../types.ts";

/** Header that carries the length of a streaming payload. */
const DATA_LENGTH_HEADER = "x-amz-data-length";

/** Options of {@link decodeResponse}. */
export interface DecodeResponseOptions {
  /** How many attempts the call took, for `$metadata`. */
  attempts: number;
}

/**
 * The `$metadata` of a response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseMetadata } from "./response_decoder.ts";
 * const response = new Response(null, { headers: { "x-amzn-RequestId": "r-1" } });
 * assert.deepEqual(responseMetadata(response, 2), {
 *   httpStatusCode: 200,
 *   requestId: "r-1",
 *   attempts: 2,
 * });
 * ```
 */
export function responseMetadata(response: Response, attempts: number): ResponseMetadata {
  const requestId = response.headers.get("x-amzn-RequestId") ?? undefined;
  return {
    httpStatusCode: response.status,
    ...(requestId === undefined ? {} : { requestId }),
    attempts,
  };
}

/**
 * Reads a header value that a server sent as UTF-8 bytes: fetch hands such bytes
 * over as a latin-1 string, so they are decoded back to text when they form
 * valid UTF-8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerText } from "./response_decoder.ts";
 * assert.equal(headerText("h\u00c3\u00a9"), "hé");
 * assert.equal(headerText("plain"), "plain");
 * ```
 */
export function headerText(value: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(value) || /[^\x00-\xff]/.test(value)) return value;
  const bytes = Uint8Array.from(value, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return value;
  }
}

/**
 * Wraps a payload stream so it errors when its length differs from `expected`:
 * a truncated (or overlong) response is never silently accepted. Chunks pass
 * through uncopied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLength } from "./response_decoder.ts";
 * const whole = checkLength(new Response(new Uint8Array(3)).body!, 3);
 * assert.equal((await new Response(whole).bytes()).length, 3);
 * const truncated = checkLength(new Response(new Uint8Array(3)).body!, 4);
 * await assert.rejects(new Response(truncated).bytes(), /ended after 3 of 4 bytes/);
 * ```
 */
export function checkLength(
  stream: ReadableStream<Uint8Array>,
  expected: number,
): ReadableStream<Uint8Array> {
  let seen = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > expected) {
          controller.error(
            new Error(`Response body is longer than ${DATA_LENGTH_HEADER} (${expected} bytes)`),
          );
          return;
        }
        controller.enqueue(chunk);
      },
      flush(controller) {
        if (seen !== expected) {
          controller.error(
            new Error(
              `Response body ended after ${seen} of ${expected} bytes (${DATA_LENGTH_HEADER})`,
            ),
          );
        }
      },
    }),
  );
}

/**
 * Decodes a successful response into the operation's output. For an operation
 * with a payload member, the response body becomes that member (an empty stream
 * when there is none) and the caller must consume or cancel it; otherwise the
 * JSON body is read (and an empty or absent body counts as `{}`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeResponse } from "./response_decoder.ts";
 * import { OPERATIONS } from "../operations.ts";
 * const response = new Response(JSON.stringify({ UploadId: "u-1" }));
 * const out = await decodeResponse(OPERATIONS.StartObject, response, { attempts: 1 });
 * assert.equal(out.UploadId, "u-1");
 * ```
 */
export async function decodeResponse(
  binding: OperationBinding,
  response: Response,
  options: DecodeResponseOptions,
): Promise<Record<string, unknown>> {
  const output: Record<string, unknown> = {};
  for (const member of binding.output) {
    if (member.location !== "header") continue;
    const raw = response.headers.get(member.wireName);
    if (raw === null) continue;
    output[member.member] = headerValue(binding, member, raw);
  }

  const jsonMembers = binding.output.filter((m) => m.location === "json");
  if (binding.outputPayload !== undefined) {
    const lengthHeader = binding.output.find((m) =>
      m.location === "header" && m.wireName === DATA_LENGTH_HEADER
    );
    let stream = response.body ?? emptyStream();
    const expected = lengthHeader ? output[lengthHeader.member] : undefined;
    if (typeof expected === "number") stream = checkLength(stream, expected);
    output[binding.outputPayload] = stream;
  } else if (jsonMembers.length > 0) {
    const text = await response.text();
    let document: Record<string, unknown> = {};
    if (text.trim().length > 0) {
      try {
        document = JSON.parse(text);
      } catch (cause) {
        throw new Error(`${binding.name}: the response body is not valid JSON`, { cause });
      }
    }
    if (document === null || typeof document !== "object" || Array.isArray(document)) {
      throw new Error(`${binding.name}: the response body is not a JSON object`);
    }
    Object.assign(output, decodeJsonMembers(binding, jsonMembers, document));
  } else {
    await response.body?.cancel();
  }
  output.$metadata = responseMetadata(response, options.attempts);
  return output;
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.close();
    },
  });
}

function headerValue(binding: OperationBinding, member: MemberBinding, raw: string): unknown {
  switch (member.type) {
    case "long":
    case "integer": {
      const text = raw.trim();
      const value = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
        throw new Error(`${binding.name}: malformed ${member.wireName} header`);
      }
      return value;
    }
    case "boolean":
      return raw.trim() === "true";
    case "timestamp":
      return new Date(raw);
    default:
      return headerText(raw);
  }
}

function decodeJsonMembers(
  binding: OperationBinding,
  members: readonly MemberBinding[],
  document: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const member of members) {
    const value = document[member.wireName];
    if (value === undefined || value === null) {
      if (member.type === "list" && member.required) out[member.member] = [];
      continue;
    }
    out[member.member] = jsonValue(binding, member, value);
  }
  return out;
}

function jsonValue(binding: OperationBinding, member: MemberBinding, value: unknown): unknown {
  switch (member.type) {
    case "list":
      if (!Array.isArray(value)) {
        throw new Error(`${binding.name}: ${member.wireName} in the response is not a list`);
      }
      if (!member.items) return value;
      return value.map((item) => {
        if (item === null || typeof item !== "object") {
          throw new Error(`${binding.name}: an item of ${member.wireName} is not an object`);
        }
        return decodeJsonMembers(binding, member.items!, item as Record<string, unknown>);
      });
    case "timestamp":
      return typeof value === "number" ? new Date(value * 1000) : new Date(String(value));
    case "long":
    case "integer":
      return typeof value === "number" ? value : Number(value);
    default:
      return value;
  }
}
