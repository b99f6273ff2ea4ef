/**
 * An object of an in-process listing ({@link ListedObject}): what `ListObjects`
 * returns, its `ObjectToken` signed only when read. It lives beside the
 * `BackupStorage` contract so that BackupFS can recognise one without loading
 * the store.
 *
 * @module
 */

import type { BackupObject } from "./types.ts";

/**
 * Signs the object token of a version id of one job (for {@link ListedObject}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { VersionTokens } from "./listed_object.ts";
 * const tokens: VersionTokens = { sign: (id) => `token-${id}` };
 * assert.equal(tokens.sign(7), "token-7");
 * ```
 */
export interface VersionTokens {
  /** The token of version `id`. */
  sign(id: number): string;
}

/**
 * A listed object whose `ObjectToken` is signed when first read (then kept): a
 * getter of the class, so that listing costs no per-object accessor or closure.
 * A spread copy (`{ ...object }`) lacks the token; `JSON.stringify` has it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ListedObject } from "./listed_object.ts";
 * let signed = 0;
 * const tokens = { sign: (id: number) => `t${id}-${++signed}` };
 * const object = new ListedObject("a", { id: 7, checksum: "c", chunks: 1, tokens });
 * assert.equal(signed, 0);
 * assert.equal(object.ObjectToken, "t7-1");
 * assert.equal(object.ObjectToken, "t7-1"); // signed once
 * assert.deepEqual(JSON.parse(JSON.stringify(object)), {
 *   Name: "a",
 *   ChunksCount: 1,
 *   ObjectChecksum: "c",
 *   ObjectChecksumAlgorithm: "SUMMARY",
 *   ObjectToken: "t7-1",
 * });
 * ```
 */
export class ListedObject implements BackupObject {
  /** The object's name. */
  Name: string;
  /** Number of chunks. */
  ChunksCount: number;
  /** `SUMMARY` checksum of the object. */
  ObjectChecksum: string;
  /** Always `SUMMARY`. */
  ObjectChecksumAlgorithm: "SUMMARY" = "SUMMARY";
  /** The metadata string stored with the object, when any. */
  declare MetadataString?: string;
  #token: string | undefined;
  readonly #id: number;
  readonly #tokens: VersionTokens;

  /** A listed object of version `facts.id`; `facts.tokens` signs its token when first read. */
  constructor(
    name: string,
    facts: {
      id: number;
      checksum: string;
      chunks: number;
      metadataString?: string | undefined;
      tokens: VersionTokens;
    },
  ) {
    this.Name = name;
    this.ChunksCount = facts.chunks;
    this.ObjectChecksum = facts.checksum;
    if (facts.metadataString !== undefined) this.MetadataString = facts.metadataString;
    this.#id = facts.id;
    this.#tokens = facts.tokens;
  }

  /** The object's token, signed when first read. */
  get ObjectToken(): string {
    return this.#token ??= this.#tokens.sign(this.#id);
  }

  /** The object as `ListObjects` returns it, token included. */
  toJSON(): BackupObject {
    return { ...this, ObjectToken: this.ObjectToken };
  }
}
