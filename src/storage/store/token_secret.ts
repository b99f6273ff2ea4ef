/**
 * The key that signs a store's tokens, kept in its metadata store so that every
 * gateway over one store accepts the tokens of every other. It is created once,
 * by the first process to need it; a data directory from before keeps its key
 * (the `token-secret` file is taken into the database).
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { MetadataStore } from "./metadata/metadata_store.ts";
import { SECRET_LENGTH } from "./tokens.ts";

/** Name of the tokens' key among the metadata store's secrets. */
const TOKEN_SECRET = "token-hmac-sha256";
/** Where a data directory kept the key before it moved into the database. */
const LEGACY_FILE = "token-secret";

/**
 * The tokens' key of a store: read from its metadata store, or created there
 * (from `directory`'s old `token-secret` file when it has one); the first
 * process to store one wins, and every other reads that one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTokenSecret } from "./token_secret.ts";
 * import { SqliteMetadataStore } from "./metadata/sqlite_metadata_store.ts";
 * const dir = await Deno.makeTempDir();
 * const metadata = SqliteMetadataStore.open(`${dir}/metadata.db`, { durable: false });
 * try {
 *   const key = await loadTokenSecret(metadata);
 *   assert.equal(key.byteLength, 32);
 *   assert.deepEqual(await loadTokenSecret(metadata), key); // created once
 * } finally {
 *   await metadata.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function loadTokenSecret(
  metadata: MetadataStore,
  directory?: string,
): Promise<Uint8Array> {
  const stored = await metadata.transaction((tx) => tx.secret(TOKEN_SECRET), { durable: false });
  if (stored) return checked(stored);
  let fresh: Uint8Array | undefined;
  if (directory !== undefined) {
    try {
      fresh = checked(await Deno.readFile(join(directory, LEGACY_FILE)));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  fresh ??= new Uint8Array(randomBytes(SECRET_LENGTH));
  const value = fresh;
  return checked(await metadata.transaction((tx) => tx.putSecret(TOKEN_SECRET, value)));
}

function checked(secret: Uint8Array): Uint8Array {
  if (secret.byteLength !== SECRET_LENGTH) {
    throw new Error("The store's token key is damaged (wrong length)");
  }
  return secret;
}
