/**
 * Paginators over any {@link BackupStorage}: follow `NextToken` page by page, or
 * item by item, and stop with an error when a service hands back a token it
 * already gave (which would otherwise loop forever).
 *
 * @module
 */

import type { BackupStorage } from "./backup_storage.ts";
import type {
  BackupObject,
  Chunk,
  ListChunksInput,
  ListChunksOutput,
  ListObjectsInput,
  ListObjectsOutput,
  OperationOptions,
} from "./types.ts";

/**
 * Options of the paginators.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { paginateListObjects, type PaginateOptions } from "./paginate.ts";
 * async function firstTwoPages(storage: BackupStorage, job: string): Promise<number> {
 *   const options: PaginateOptions = { maxPages: 2, signal: AbortSignal.timeout(10_000) };
 *   let pages = 0;
 *   for await (const _page of paginateListObjects(storage, { StorageJobId: job }, options)) pages++;
 *   return pages;
 * }
 * // A stub service holding objects o0 … o4, two a page.
 * const storage = {
 *   listObjects: ({ NextToken }: { NextToken?: string }) => {
 *     const start = Number(NextToken ?? 0);
 *     const names = ["o0", "o1", "o2", "o3", "o4"].slice(start, start + 2);
 *     const next = start + 2 < 5 ? String(start + 2) : undefined;
 *     return Promise.resolve({ ObjectList: names.map((Name) => ({ Name })), NextToken: next });
 *   },
 * } as unknown as BackupStorage;
 * assert.equal(await firstTwoPages(storage, "job-1"), 2); // of 3
 * ```
 */
export interface PaginateOptions extends OperationOptions {
  /** Stop after this many pages (default: no limit). */
  maxPages?: number;
}

/**
 * A service returned a `NextToken` it had already returned: paging would never end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { listAllObjects, PaginationLoopError } from "./paginate.ts";
 * async function safeCount(storage: BackupStorage, job: string): Promise<number | undefined> {
 *   let n = 0;
 *   try {
 *     for await (const _object of listAllObjects(storage, { StorageJobId: job })) n++;
 *     return n;
 *   } catch (error) {
 *     if (error instanceof PaginationLoopError) return undefined; // a broken service
 *     throw error;
 *   }
 * }
 * // A broken service that answers every page with the same NextToken.
 * const broken = {
 *   listObjects: () => Promise.resolve({ ObjectList: [{ Name: "a" }], NextToken: "again" }),
 * } as unknown as BackupStorage;
 * assert.equal(await safeCount(broken, "job-1"), undefined);
 * ```
 */
export class PaginationLoopError extends Error {
  /** Makes the error for the operation that repeated its token. */
  constructor(operation: string) {
    super(`${operation} returned a NextToken it had already returned; stopping to avoid a loop`);
    this.name = "PaginationLoopError";
  }
}

async function* paginate<I extends { NextToken?: string }, O extends { NextToken?: string }>(
  operation: string,
  call: (input: I, options: OperationOptions) => Promise<O>,
  input: I,
  options: PaginateOptions | undefined,
): AsyncGenerator<O, void, undefined> {
  const seen = new Set<string>();
  if (input.NextToken !== undefined) seen.add(input.NextToken);
  const maxPages = options?.maxPages ?? Infinity;
  const callOptions: OperationOptions = options?.signal ? { signal: options.signal } : {};
  let token = input.NextToken;
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await call({ ...input, NextToken: token }, callOptions);
    yield page;
    const next = page.NextToken;
    if (next === undefined || next === null || next === "") return;
    if (seen.has(next)) throw new PaginationLoopError(operation);
    seen.add(next);
    token = next;
  }
}

/**
 * Pages of `ListObjects`, from the input's `NextToken` (or the start) to the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paginateListObjects } from "./paginate.ts";
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function count(storage: BackupStorage, job: string): Promise<number> {
 *   let n = 0;
 *   for await (const page of paginateListObjects(storage, { StorageJobId: job })) {
 *     n += page.ObjectList.length;
 *   }
 *   return n;
 * }
 * // A stub service holding objects o0 … o4, two a page.
 * const storage = {
 *   listObjects: ({ NextToken }: { NextToken?: string }) => {
 *     const start = Number(NextToken ?? 0);
 *     const names = ["o0", "o1", "o2", "o3", "o4"].slice(start, start + 2);
 *     const next = start + 2 < 5 ? String(start + 2) : undefined;
 *     return Promise.resolve({ ObjectList: names.map((Name) => ({ Name })), NextToken: next });
 *   },
 * } as unknown as BackupStorage;
 * assert.equal(await count(storage, "job-1"), 5);
 * ```
 */
export function paginateListObjects(
  storage: BackupStorage,
  input: ListObjectsInput,
  options?: PaginateOptions,
): AsyncGenerator<ListObjectsOutput, void, undefined> {
  return paginate("ListObjects", (i, o) => storage.listObjects(i, o), input, options);
}

/**
 * Pages of `ListChunks`, from the input's `NextToken` (or the start) to the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paginateListChunks } from "./paginate.ts";
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function size(storage: BackupStorage, job: string, token: string): Promise<number> {
 *   let bytes = 0;
 *   for await (const page of paginateListChunks(storage, { StorageJobId: job, ObjectToken: token })) {
 *     for (const chunk of page.ChunkList) bytes += chunk.Length;
 *   }
 *   return bytes;
 * }
 * // A stub service: chunks c0 … c4 of 10 bytes each, two a page.
 * const storage = {
 *   listChunks: ({ NextToken }: { NextToken?: string }) => {
 *     const start = Number(NextToken ?? 0);
 *     const tokens = ["c0", "c1", "c2", "c3", "c4"].slice(start, start + 2);
 *     const next = start + 2 < 5 ? String(start + 2) : undefined;
 *     const ChunkList = tokens.map((ChunkToken) => ({ ChunkToken, Length: 10 }));
 *     return Promise.resolve({ ChunkList, NextToken: next });
 *   },
 * } as unknown as BackupStorage;
 * assert.equal(await size(storage, "job-1", "object-token"), 50);
 * ```
 */
export function paginateListChunks(
  storage: BackupStorage,
  input: ListChunksInput,
  options?: PaginateOptions,
): AsyncGenerator<ListChunksOutput, void, undefined> {
  return paginate("ListChunks", (i, o) => storage.listChunks(i, o), input, options);
}

/**
 * Every object `ListObjects` returns, across pages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listAllObjects } from "./paginate.ts";
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function names(storage: BackupStorage, job: string): Promise<string[]> {
 *   const out: string[] = [];
 *   for await (const object of listAllObjects(storage, { StorageJobId: job })) out.push(object.Name);
 *   return out;
 * }
 * // A stub service holding objects o0 … o4, two a page.
 * const storage = {
 *   listObjects: ({ NextToken }: { NextToken?: string }) => {
 *     const start = Number(NextToken ?? 0);
 *     const names = ["o0", "o1", "o2", "o3", "o4"].slice(start, start + 2);
 *     const next = start + 2 < 5 ? String(start + 2) : undefined;
 *     return Promise.resolve({ ObjectList: names.map((Name) => ({ Name })), NextToken: next });
 *   },
 * } as unknown as BackupStorage;
 * assert.deepEqual(await names(storage, "job-1"), ["o0", "o1", "o2", "o3", "o4"]);
 * ```
 */
export async function* listAllObjects(
  storage: BackupStorage,
  input: ListObjectsInput,
  options?: PaginateOptions,
): AsyncGenerator<BackupObject, void, undefined> {
  for await (const page of paginateListObjects(storage, input, options)) yield* page.ObjectList;
}

/**
 * Every chunk `ListChunks` returns, across pages, by index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listAllChunks } from "./paginate.ts";
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function tokens(storage: BackupStorage, job: string, token: string): Promise<string[]> {
 *   const out: string[] = [];
 *   for await (const c of listAllChunks(storage, { StorageJobId: job, ObjectToken: token })) {
 *     out.push(c.ChunkToken);
 *   }
 *   return out;
 * }
 * // A stub service: chunks c0 … c4 of 10 bytes each, two a page.
 * const storage = {
 *   listChunks: ({ NextToken }: { NextToken?: string }) => {
 *     const start = Number(NextToken ?? 0);
 *     const tokens = ["c0", "c1", "c2", "c3", "c4"].slice(start, start + 2);
 *     const next = start + 2 < 5 ? String(start + 2) : undefined;
 *     const ChunkList = tokens.map((ChunkToken) => ({ ChunkToken, Length: 10 }));
 *     return Promise.resolve({ ChunkList, NextToken: next });
 *   },
 * } as unknown as BackupStorage;
 * const all = await tokens(storage, "job-1", "object-token");
 * assert.deepEqual(all, ["c0", "c1", "c2", "c3", "c4"]);
 * ```
 */
export async function* listAllChunks(
  storage: BackupStorage,
  input: ListChunksInput,
  options?: PaginateOptions,
): AsyncGenerator<Chunk, void, undefined> {
  for await (const page of paginateListChunks(storage, input, options)) yield* page.ChunkList;
}
