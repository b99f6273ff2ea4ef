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
 * import type { BackupStorage } from "./backup_storage.ts";
 * import { paginateListObjects, type PaginateOptions } from "./paginate.ts";
 * async function firstThreePages(storage: BackupStorage, job: string): Promise<number> {
 *   const options: PaginateOptions = { maxPages: 3, signal: AbortSignal.timeout(10_000) };
 *   let pages = 0;
 *   for await (const _page of paginateListObjects(storage, { StorageJobId: job }, options)) pages++;
 *   return pages;
 * }
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
  options: PaginateOptions,
): AsyncGenerator<O, void, undefined> {
  const seen = new Set<string>();
  if (input.NextToken !== undefined) seen.add(input.NextToken);
  const maxPages = options.maxPages ?? Infinity;
  const callOptions: OperationOptions = options.signal ? { signal: options.signal } : {};
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
 * import { paginateListObjects } from "./paginate.ts";
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function count(storage: BackupStorage, job: string): Promise<number> {
 *   let n = 0;
 *   for await (const page of paginateListObjects(storage, { StorageJobId: job })) {
 *     n += page.ObjectList.length;
 *   }
 *   return n;
 * }
 * ```
 */
export function paginateListObjects(
  storage: BackupStorage,
  input: ListObjectsInput,
  options: PaginateOptions = {},
): AsyncGenerator<ListObjectsOutput, void, undefined> {
  return paginate("ListObjects", (i, o) => storage.listObjects(i, o), input, options);
}

/**
 * Pages of `ListChunks`, from the input's `NextToken` (or the start) to the end.
 *
 * @example
 * ```ts
 * import { paginateListChunks } from "./paginate.ts";
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function size(storage: BackupStorage, job: string, token: string): Promise<number> {
 *   let bytes = 0;
 *   for await (const page of paginateListChunks(storage, { StorageJobId: job, ObjectToken: token })) {
 *     for (const chunk of page.ChunkList) bytes += chunk.Length;
 *   }
 *   return bytes;
 * }
 * ```
 */
export function paginateListChunks(
  storage: BackupStorage,
  input: ListChunksInput,
  options: PaginateOptions = {},
): AsyncGenerator<ListChunksOutput, void, undefined> {
  return paginate("ListChunks", (i, o) => storage.listChunks(i, o), input, options);
}

/**
 * Every object `ListObjects` returns, across pages.
 *
 * @example
 * ```ts
 * import { listAllObjects } from "./paginate.ts";
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function names(storage: BackupStorage, job: string): Promise<string[]> {
 *   const out: string[] = [];
 *   for await (const object of listAllObjects(storage, { StorageJobId: job })) out.push(object.Name);
 *   return out;
 * }
 * ```
 */
export async function* listAllObjects(
  storage: BackupStorage,
  input: ListObjectsInput,
  options: PaginateOptions = {},
): AsyncGenerator<BackupObject, void, undefined> {
  for await (const page of paginateListObjects(storage, input, options)) yield* page.ObjectList;
}

/**
 * Every chunk `ListChunks` returns, across pages, by index.
 *
 * @example
 * ```ts
 * import { listAllChunks } from "./paginate.ts";
 * import type { BackupStorage } from "./backup_storage.ts";
 * async function tokens(storage: BackupStorage, job: string, token: string): Promise<string[]> {
 *   const out: string[] = [];
 *   for await (const c of listAllChunks(storage, { StorageJobId: job, ObjectToken: token })) {
 *     out.push(c.ChunkToken);
 *   }
 *   return out;
 * }
 * ```
 */
export async function* listAllChunks(
  storage: BackupStorage,
  input: ListChunksInput,
  options: PaginateOptions = {},
): AsyncGenerator<Chunk, void, undefined> {
  for await (const page of paginateListChunks(storage, input, options)) yield* page.ChunkList;
}
