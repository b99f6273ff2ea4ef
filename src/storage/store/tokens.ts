/**
 * Opaque, tamper-evident tokens of the embedded store (`ObjectToken`, `ChunkToken`
 * and the `NextToken`s of both listings), and the per-data-directory secret that
 * signs them.
 *
 * A token is base64url(kind ‖ payload ‖ mac), where mac is the first 16 bytes of
 * HMAC-SHA256(secret, kind ‖ len(job) ‖ job ‖ payload): a token is bound to its
 * kind and to its job, and any change to it is detected. Verification compares
 * the MAC in constant time. The HMAC key's padded blocks are hashed once per
 * signer ({@link HmacSha256}, on `@noble/hashes`), so signing a listing's
 * thousands of tokens costs a few microseconds each (about one for a token
 * signed shortly before).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { syncDirectory } from "./chunk_files.ts";
import { HmacSha256 } from "./hmac_sha256.ts";

/** What a token stands for; part of the MAC, so one kind never passes for another. */
export const TokenKind = {
  /** An `ObjectToken`: one immutable version. */
  Object: 1,
  /** A `ChunkToken`: one chunk of one version. */
  Chunk: 2,
  /** The `NextToken` of `ListObjects`. */
  ObjectPage: 3,
  /** The `NextToken` of `ListChunks`. */
  ChunkPage: 4,
} as const;

/** One of the {@link TokenKind} values. */
export type TokenKind = typeof TokenKind[keyof typeof TokenKind];

/** Length in bytes of the data directory's secret. */
export const SECRET_LENGTH = 32;
const MAC_LENGTH = 16;
const SECRET_FILE = "token-secret";
const encoder = new TextEncoder();
/**
 * Most signed tokens a signer remembers (about 100 bytes each), so signing the
 * versions of a listing again costs a lookup.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_CACHED_TOKENS } from "./tokens.ts";
 * assert.equal(MAX_CACHED_TOKENS, 16384);
 * ```
 */
export const MAX_CACHED_TOKENS = 16384;
/** Longest payload whose token is remembered (an id and an index take 12 bytes). */
const MAX_CACHED_PAYLOAD = 16;
/** Jobs whose MAC header is kept (a store serves few jobs; the cache is cleared beyond). */
const MAX_CACHED_JOBS = 64;

/** Options of {@link TokenSigner.open}. */
export interface TokenSignerOptions {
  /** Fsync the secret file and its directory when creating it (default true). */
  durable?: boolean;
}

/**
 * Signs and verifies tokens with the secret of one data directory. The secret
 * file is created on first open with mode 0600 (written to a temporary name and
 * renamed, so a crash never leaves a partial secret).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TokenKind, TokenSigner } from "./tokens.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const signer = await TokenSigner.open(dir);
 *   const token = signer.sign(TokenKind.Object, "job-1", new Uint8Array([1, 2, 3]));
 *   assert.deepEqual(signer.verify(TokenKind.Object, "job-1", token), new Uint8Array([1, 2, 3]));
 *   // Bound to its job and kind, and any change is detected.
 *   assert.equal(signer.verify(TokenKind.Object, "job-2", token), undefined);
 *   assert.equal(signer.verify(TokenKind.Chunk, "job-1", token), undefined);
 *   const tampered = token.slice(0, 5) + (token[5] === "A" ? "B" : "A") + token.slice(6);
 *   assert.equal(signer.verify(TokenKind.Object, "job-1", tampered), undefined);
 *   // The data directory keeps its secret: a signer opened again accepts the token.
 *   const again = await TokenSigner.open(dir);
 *   assert.deepEqual(again.verify(TokenKind.Object, "job-1", token), new Uint8Array([1, 2, 3]));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class TokenSigner {
  #hmac: HmacSha256;
  /** The last MAC (reused: read before the next one is computed). */
  #digest = new Uint8Array(MAC_LENGTH);
  /** Recently signed tokens by kind ‖ payload length ‖ payload ‖ job (see `sign`). */
  #recent = new Map<string, string>();
  #older = new Map<string, string>();
  /** Per job: kind placeholder ‖ len(job) ‖ job, the start of every MAC input. */
  #headers = new Map<string, Uint8Array>();

  /** Makes a signer from a secret (at least 32 bytes). Prefer {@link TokenSigner.open}. */
  constructor(secret: Uint8Array) {
    if (secret.byteLength < SECRET_LENGTH) {
      throw new RangeError(`TokenSigner: the secret must have at least ${SECRET_LENGTH} bytes`);
    }
    this.#hmac = new HmacSha256(secret);
  }

  /** Loads the secret of a data directory, creating it on first use. */
  static async open(directory: string, options?: TokenSignerOptions): Promise<TokenSigner> {
    const path = join(directory, SECRET_FILE);
    try {
      const secret = await Deno.readFile(path);
      if (secret.byteLength !== SECRET_LENGTH) {
        throw new Error(`The token secret file ${path} is damaged (wrong length)`);
      }
      return new TokenSigner(secret);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const secret = new Uint8Array(randomBytes(SECRET_LENGTH));
    const temp = `${path}.${Buffer.from(randomBytes(8)).toString("hex")}.tmp`;
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      let written = 0;
      while (written < secret.byteLength) written += await file.write(secret.subarray(written));
      if (options?.durable ?? true) await file.sync();
    } finally {
      file.close();
    }
    await Deno.chmod(temp, 0o600);
    await Deno.rename(temp, path);
    if (options?.durable ?? true) await syncDirectory(directory);
    return new TokenSigner(secret);
  }

  /**
   * Signs a payload as a token of one kind, bound to one job. Tokens of id-sized
   * payloads (object and chunk tokens) are remembered, most recent
   * {@link MAX_CACHED_TOKENS}: listing a collection again signs the same versions.
   */
  sign(kind: TokenKind, job: string, payload: Uint8Array): string {
    let key: string | undefined;
    if (payload.byteLength <= MAX_CACHED_PAYLOAD) {
      key = String.fromCharCode(kind, payload.byteLength) +
        String.fromCharCode.apply(null, payload as unknown as number[]) + job;
      const known = this.#recent.get(key) ?? this.#older.get(key);
      if (known !== undefined) {
        this.#remember(key, known);
        return known;
      }
    }
    const token = new Uint8Array(1 + payload.byteLength + MAC_LENGTH);
    token[0] = kind;
    token.set(payload, 1);
    const mac = this.#mac(kind, job, payload);
    for (let i = 0; i < MAC_LENGTH; i++) token[1 + payload.byteLength + i] = mac[i];
    // Same text as Buffer's base64url (no padding), without a Buffer per token.
    const text = token.toBase64({ alphabet: "base64url", omitPadding: true });
    if (key !== undefined) this.#remember(key, text);
    return text;
  }

  /** Two generations: a full one becomes the older, whose entries not used since go. */
  #remember(key: string, token: string): void {
    if (this.#recent.size >= MAX_CACHED_TOKENS / 2) {
      this.#older = this.#recent;
      this.#recent = new Map();
    }
    this.#recent.set(key, token);
  }

  /**
   * Returns the payload of a token of that kind and job, or `undefined` when the
   * token is malformed, of another kind, of another job, or altered.
   */
  verify(kind: TokenKind, job: string, token: unknown): Uint8Array | undefined {
    if (typeof token !== "string" || token.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(token)) {
      return undefined;
    }
    const bytes = new Uint8Array(Buffer.from(token, "base64url"));
    if (bytes.byteLength < 1 + MAC_LENGTH || bytes[0] !== kind) return undefined;
    // Only the canonical encoding is accepted: no two strings name one token.
    if (Buffer.from(bytes).toString("base64url") !== token) return undefined;
    const payload = bytes.subarray(1, bytes.byteLength - MAC_LENGTH);
    const mac = bytes.subarray(bytes.byteLength - MAC_LENGTH);
    return timingSafeEqual(mac, this.#mac(kind, job, payload)) ? payload.slice() : undefined;
  }

  #mac(kind: TokenKind, job: string, payload: Uint8Array): Uint8Array {
    let header = this.#headers.get(job);
    if (header === undefined) {
      const jobBytes = encoder.encode(job);
      header = new Uint8Array(3 + jobBytes.byteLength);
      header[1] = jobBytes.byteLength & 0xff;
      header[2] = jobBytes.byteLength >> 8;
      header.set(jobBytes, 3);
      if (this.#headers.size >= MAX_CACHED_JOBS) this.#headers.clear();
      this.#headers.set(job, header);
    }
    // kind ‖ len(job) as two bytes, low first ‖ job ‖ payload
    const input = new Uint8Array(header.byteLength + payload.byteLength);
    input.set(header, 0);
    input[0] = kind;
    input.set(payload, header.byteLength);
    this.#hmac.macInto(input, this.#digest);
    return this.#digest;
  }
}

/**
 * Writes unsigned integers big-endian into a payload: 8 bytes for each id, 4 for
 * each index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packIds, unpackIds } from "./tokens.ts";
 * assert.deepEqual(packIds(7, 3), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3]));
 * assert.deepEqual(unpackIds(packIds(7, 3), 2), [7, 3]);
 * assert.throws(() => packIds(-1), RangeError);
 * ```
 */
export function packIds(id: number, index?: number): Uint8Array {
  const bytes = new Uint8Array(index === undefined ? 8 : 12);
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new RangeError("packIds: id must be a safe integer ≥ 0");
  }
  // Big-endian 64-bit id as two 32-bit halves (exact for safe integers; no BigInt).
  const high = Math.floor(id / 0x100000000);
  const low = id >>> 0;
  bytes[0] = high >>> 24;
  bytes[1] = high >>> 16;
  bytes[2] = high >>> 8;
  bytes[3] = high;
  bytes[4] = low >>> 24;
  bytes[5] = low >>> 16;
  bytes[6] = low >>> 8;
  bytes[7] = low;
  if (index !== undefined) new DataView(bytes.buffer).setUint32(8, index);
  return bytes;
}

/**
 * Reads what {@link packIds} wrote: `count` is 1 (id) or 2 (id and index).
 * Returns `undefined` when the payload has another length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packIds, unpackIds } from "./tokens.ts";
 * assert.deepEqual(unpackIds(packIds(42), 1), [42]);
 * assert.deepEqual(unpackIds(packIds(Number.MAX_SAFE_INTEGER), 1), [Number.MAX_SAFE_INTEGER]);
 * assert.equal(unpackIds(packIds(42), 2), undefined); // wrong length
 * ```
 */
export function unpackIds(payload: Uint8Array, count: 1 | 2): number[] | undefined {
  if (payload.byteLength !== (count === 1 ? 8 : 12)) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const id = view.getBigUint64(0);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return count === 1 ? [Number(id)] : [Number(id), view.getUint32(8)];
}
