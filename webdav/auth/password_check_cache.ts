/**
 * A bounded cache of successful password checks, so that a client sending the
 * same correct Basic credentials on every request costs one HMAC, not one
 * bcrypt, per request.
 *
 * An entry is the HMAC-SHA-256, under a random per-process key, of the user,
 * the given password and the stored hash it matched: no password nor hash is
 * kept, a changed or removed hash never matches an old entry, and only
 * successes are added (a wrong password is never cached as good). The oldest
 * used entry goes first when the cache is full.
 *
 * @module
 */

import { createHmac, randomBytes } from "node:crypto";

/** Default number of remembered successful checks. */
export const DEFAULT_CHECK_CACHE_ENTRIES = 1024;

/** Options of {@link PasswordCheckCache}. */
export interface PasswordCheckCacheOptions {
  /** Most entries kept (default {@link DEFAULT_CHECK_CACHE_ENTRIES}); 0 caches nothing. */
  maxEntries?: number;
}

/**
 * The cache (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PasswordCheckCache } from "./password_check_cache.ts";
 * const cache = new PasswordCheckCache({ maxEntries: 2 });
 * const hash = "$2y$04$aItw6YjgPaeLZxQPNh1ReeSv3TtkxqwjcZT1cY6ZubbVxDXDvWuZO";
 * cache.add("alice", "secret", hash);
 * assert.equal(cache.has("alice", "secret", hash), true);
 * assert.equal(cache.has("alice", "wrong", hash), false);
 * assert.equal(cache.has("alice", "secret", "$2y$04$another"), false);
 * cache.add("bob", "b", hash);
 * cache.add("carol", "c", hash); // evicts the least recently used: alice
 * assert.equal(cache.has("alice", "secret", hash), false);
 * assert.equal(cache.size, 2);
 * ```
 */
export class PasswordCheckCache {
  readonly #key = randomBytes(32);
  readonly #max: number;
  readonly #entries = new Set<string>();

  /** A cache of at most `options.maxEntries` checks. */
  constructor(options: PasswordCheckCacheOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_CHECK_CACHE_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new TypeError("maxEntries must be a non-negative integer");
    }
    this.#max = max;
  }

  /** How many checks are remembered. */
  get size(): number {
    return this.#entries.size;
  }

  #keyOf(user: string, password: string, hash: string): string {
    // Lengths first, so that no two different triples give the same input.
    const mac = createHmac("sha256", this.#key);
    for (const part of [user, password, hash]) {
      mac.update(`${part.length}:`, "utf8").update(part, "utf8");
    }
    return mac.digest("base64");
  }

  /** Whether `password` was found to match `hash` for `user` (and is still remembered). */
  has(user: string, password: string, hash: string): boolean {
    const key = this.#keyOf(user, password, hash);
    if (!this.#entries.has(key)) return false;
    // Most recently used last.
    this.#entries.delete(key);
    this.#entries.add(key);
    return true;
  }

  /** Remembers that `password` matched `hash` for `user`. */
  add(user: string, password: string, hash: string): void {
    if (this.#max === 0) return;
    const key = this.#keyOf(user, password, hash);
    this.#entries.delete(key);
    this.#entries.add(key);
    while (this.#entries.size > this.#max) {
      this.#entries.delete(this.#entries.values().next().value!);
    }
  }

  /** Forgets every check. */
  clear(): void {
    this.#entries.clear();
  }
}
