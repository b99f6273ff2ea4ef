/**
 * Deterministic object content for the crash test, shared by parent and child.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { sha256, summaryChecksum } from "../../../../src/storage/checksum.ts";
import { seededBytes } from "./store_fixtures.ts";

/** Describes an object of a seed: its chunk count and sizes, as a MetadataString. */
export function describeObject(seed: string): string {
  const h = createHash("sha256").update(seed).digest();
  const chunks = 1 + (h[0] % 4);
  const size = 1 + ((h[1] << 8 | h[2]) % 300_000);
  return `seed=${seed};chunks=${chunks};size=${size}`;
}

/** The chunks of an object described by {@link describeObject}. */
export function contentFor(meta: string): Uint8Array[] {
  const match = /^seed=([^;]+);chunks=(\d+);size=(\d+)$/.exec(meta);
  if (!match) throw new Error(`bad metadata ${meta}`);
  const [, seed, chunks, size] = match;
  return Array.from(
    { length: Number(chunks) },
    (_, i) => seededBytes(`${seed}/${i}`, i === 0 ? Number(size) : Number(size) >> i),
  );
}

/** SUMMARY of some chunks. */
export function summaryOf(chunks: Uint8Array[]): string {
  return summaryChecksum(chunks.map((c) => sha256(c)));
}
