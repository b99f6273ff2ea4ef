/**
 * {@link ChunkClaims}: the writer's side of sharing chunk bytes with a garbage
 * collector that may run in another process. A writer claims a digest before it
 * relies on the digest's bytes being in the chunk store (whether it puts them or
 * finds them referenced already), and swaps the claim for a reference in the
 * transaction that records the chunk. The collector deletes bytes only for a
 * digest with no reference and no live claim, and records the deletion first; a
 * writer waits for a deletion in progress to finish before it claims. See
 * `metadata/metadata_store.ts` for the whole protocol.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { ServiceUnavailableException } from "../errors.ts";
import type { MetadataStore, MetadataTransaction } from "./metadata/metadata_store.ts";

/** How long a claim protects a digest from the collector (a writer that died lets go after it). */
export const CLAIM_TTL_MS = 15 * 60_000;
/**
 * How long a deletion in progress is waited for. A collector deletes one batch
 * of chunks within seconds; a deletion older than this was abandoned by a
 * collector that died, and the writer takes over.
 */
export const DELETION_TTL_MS = 10 * 60_000;
/** Longest a writer waits for a deletion of the bytes it brings before it answers 503. */
const MAX_WAIT_MS = 30_000;

/** A body on its way into a record: its digest, and its bytes or its claim. */
export interface ClaimedBody {
  /** SHA-256 of the body. */
  digest: Uint8Array;
  /** The bytes of a small body kept in the database (no claim needed: one transaction). */
  inline?: Uint8Array;
  /** The claim on a body in the chunk store. */
  claimId?: string;
}

/** Options of {@link ChunkClaims}. */
export interface ChunkClaimsOptions {
  /** The clock, ms since the epoch (default `Date.now`). */
  now?: () => number;
}

/**
 * Claims on digests, in the metadata store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkClaims } from "./chunk_claims.ts";
 * import { SqliteMetadataStore } from "./metadata/sqlite_metadata_store.ts";
 * const dir = await Deno.makeTempDir();
 * const metadata = SqliteMetadataStore.open(`${dir}/metadata.db`, { durable: false });
 * try {
 *   const claims = new ChunkClaims(metadata);
 *   const digest = new Uint8Array(32).fill(1);
 *   const claim = await claims.claim(digest);
 *   assert.equal(claim.referenced, false); // nothing references it yet: put the bytes
 *   assert.equal(await metadata.transaction((tx) => tx.isClaimed(digest, Date.now())), true);
 *   await claims.abandon({ digest, claimId: claim.claimId });
 *   assert.equal(await metadata.transaction((tx) => tx.isClaimed(digest, Date.now())), false);
 * } finally {
 *   await metadata.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ChunkClaims {
  #metadata: MetadataStore;
  #now: () => number;

  /** Claims kept in `metadata`. */
  constructor(metadata: MetadataStore, options?: ChunkClaimsOptions) {
    this.#metadata = metadata;
    this.#now = options?.now ?? Date.now;
  }

  /**
   * Claims a digest, after any deletion of its bytes in progress has finished.
   * `referenced` says whether a record references the digest already (then its
   * bytes are in the chunk store and need not be put again).
   */
  async claim(digest: Uint8Array): Promise<{ claimId: string; referenced: boolean }> {
    const claimId = Buffer.from(randomBytes(18)).toString("base64url");
    const started = Date.now();
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const now = this.#now();
      const referenced = await this.#metadata.transaction(async (tx) => {
        await tx.lockDigest(digest);
        const deletion = await tx.deletion(digest);
        if (deletion && now < deletion.started_at + DELETION_TTL_MS) return undefined;
        if (deletion) await tx.dropDeletion(digest);
        await tx.addClaim(claimId, digest, now + CLAIM_TTL_MS);
        return await tx.isReferenced(digest);
      }, { durable: false });
      if (referenced !== undefined) return { claimId, referenced };
      if (Date.now() - started > MAX_WAIT_MS) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, 5 * 2 ** attempt)));
    }
    throw new ServiceUnavailableException(
      "The store is deleting an identical chunk's bytes; retry",
    );
  }

  /**
   * Inside the transaction that records a reference to `body`: keeps a small
   * body's bytes in the database, or gives up the claim (the reference now
   * protects the bytes). A claim that is gone (it expired and the collector may
   * have deleted the bytes) fails the request with a 503 to retry.
   */
  async record(tx: MetadataTransaction, body: ClaimedBody): Promise<void> {
    await tx.lockDigest(body.digest);
    if (body.inline) await tx.putInlineChunk(body.digest, body.inline);
    if (body.claimId !== undefined && !(await tx.dropClaim(body.claimId))) {
      throw new ServiceUnavailableException(
        "The chunk's claim expired before its record was written; retry",
      );
    }
  }

  /**
   * After a failure: gives up the claim and makes the digest a garbage candidate
   * (its bytes may be stored with nothing referencing them). Never throws: what
   * it cannot do, the collector's sweep of the chunk store does later.
   */
  async abandon(body: ClaimedBody): Promise<void> {
    try {
      await this.#metadata.transaction(async (tx) => {
        if (body.claimId !== undefined) await tx.dropClaim(body.claimId);
        await tx.addCandidate(body.digest);
      }, { durable: false });
    } catch {
      // The claim expires by itself; the sweep finds the bytes.
    }
  }
}
