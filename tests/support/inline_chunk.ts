/**
 * The `PutObject` members that send `bytes` as the object's inline chunk, its
 * SHA-256 checksum included; none for an empty object (which has no chunk).
 *
 * @module
 */

import { chunkChecksum } from "../../src/storage/checksum.ts";

/** `InlineChunk`, its length and checksum for `bytes`; `{}` when `bytes` is empty. */
export function inlineChunkMembers(bytes: Uint8Array): {
  InlineChunk?: Uint8Array;
  InlineChunkLength?: number;
  InlineChunkChecksum?: string;
} {
  if (bytes.byteLength === 0) return {};
  return {
    InlineChunk: bytes,
    InlineChunkLength: bytes.byteLength,
    InlineChunkChecksum: chunkChecksum(bytes),
  };
}
