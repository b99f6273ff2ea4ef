/**
 * The in-process listing of an {@link EmbeddedStore} (issue #12): what
 * `ListObjects` returns, read straight from the metadata store, for a BackupFS in
 * the same process. It costs per object only what the caller uses:
 *
 * - each object's `ObjectToken` is signed when first read (a getter), not for
 *   every listed object: a directory listing that only shows names, sizes and
 *   dates signs none (a `ListObjects` page signs one HMAC per object);
 * - pages may be larger than `ListObjects`' 100 (default {@link LOCAL_PAGE_SIZE}),
 *   and the `NextToken` between pages is an in-process cursor, not a signed one.
 *
 * Same rows, order, names, checksums and metadata strings as `listObjects`, and
 * the same token once read (see {@link ListedObject}). Time filters (`CreatedBefore`, `CreatedAfter`) are
 * not offered: use `listObjects`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { IllegalArgumentException } from "../errors.ts";
import { validateJobId } from "../limits.ts";
import type { ListObjectsInput, ListObjectsOutput } from "../types.ts";
import { ListedObject, type VersionTokens } from "../listed_object.ts";
import type { MetadataStore, TextListedVersion } from "./metadata/metadata_store.ts";
import { NO_UPPER, prefixUpperBound } from "./_name_range.ts";

/** Largest page of {@link localListing} (`MaxResults`). */
export const MAX_LOCAL_PAGE_SIZE = 10_000;
/** Default page of {@link localListing} when `MaxResults` is absent. */
export const LOCAL_PAGE_SIZE = 1000;

/**
 * What the in-process listing needs of a store: its metadata store and a way to
 * sign a listed version's object token (`EmbeddedStore` has both).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "./embedded_store.ts";
 * import type { LocallyListable } from "./local_listing.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   const listable: LocallyListable = store;
 *   assert.equal(typeof listable.objectTokenOf, "function");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface LocallyListable {
  /** The store's metadata. */
  readonly metadataStore: MetadataStore;
  /** The `ObjectToken` of a version of a job, as `ListObjects` would sign it. */
  objectTokenOf(job: string, versionId: number): string;
}

/**
 * Lists one page of a job's current objects, like `ListObjects` (without time
 * filters), each object's token signed when first read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LocalListObjects } from "./local_listing.ts";
 * const none: LocalListObjects = () => Promise.resolve({ ObjectList: [], $metadata: {} });
 * assert.deepEqual((await none({ StorageJobId: "j" })).ObjectList, []);
 * ```
 */
export type LocalListObjects = (
  input: Omit<ListObjectsInput, "CreatedBefore" | "CreatedAfter">,
) => Promise<ListObjectsOutput>;

/**
 * The in-process listing of a store, or `undefined` when it has none (a remote
 * store, or any wrapper: those are listed through `ListObjects`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmbeddedStore } from "./embedded_store.ts";
 * import { localListing } from "./local_listing.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 *   await store.putObject({ BackupJobId: "j", ObjectName: "a/x", MetadataString: "m" });
 *   const list = localListing(store)!;
 *   const page = await list({ StorageJobId: "j", StartingObjectPrefix: "a/" });
 *   const listed = (await store.listObjects({ StorageJobId: "j" })).ObjectList;
 *   // The same entries, tokens included (signed as they are read).
 *   assert.deepEqual(JSON.parse(JSON.stringify(page.ObjectList)), listed);
 *   assert.equal(localListing({ listObjects: store.listObjects.bind(store) }), undefined);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function localListing(storage: object): LocalListObjects | undefined {
  const store = storage as Partial<LocallyListable>;
  if (typeof store.objectTokenOf !== "function") return undefined;
  let metadata: MetadataStore | undefined;
  try {
    metadata = store.metadataStore;
  } catch {
    return undefined;
  }
  if (metadata === undefined || typeof metadata.listCurrentText !== "function") return undefined;
  const listable = store as LocallyListable;
  return (input) => listPage(listable, input);
}

const encoder = new TextEncoder();
/** Marks an in-process cursor (never a signed `ListObjects` token). */
const CURSOR_TAG = "local.";

async function listPage(
  store: LocallyListable,
  input: Omit<ListObjectsInput, "CreatedBefore" | "CreatedAfter">,
): Promise<ListObjectsOutput> {
  const job = input.StorageJobId;
  validateJobId(job);
  const size = localPageSize(input.MaxResults);
  let lower: Uint8Array;
  let upper: Uint8Array;
  let inclusive: boolean;
  if (input.NextToken !== undefined) {
    ({ lower, upper } = readCursor(input.NextToken));
    inclusive = false;
  } else {
    const prefix = encoder.encode(input.StartingObjectPrefix ?? "");
    const start = encoder.encode(input.StartingObjectName ?? "");
    lower = Buffer.compare(start, prefix) > 0 ? start : prefix;
    upper = prefix.byteLength > 0 ? prefixUpperBound(prefix) : NO_UPPER;
    inclusive = true;
  }
  const output: ListObjectsOutput = { $metadata: {}, ObjectList: [] };
  if (Buffer.compare(lower, upper) >= 0) return output;
  const range = { lower, inclusive, upper };
  const rows = await store.metadataStore.listCurrentText(job, range, size + 1);
  const count = Math.min(rows.length, size);
  const list = output.ObjectList;
  const tokens = tokensOf(store, job);
  for (let i = 0; i < count; i++) list.push(listedObject(rows[i], tokens));
  if (rows.length > size) {
    output.NextToken = writeCursor(encoder.encode(rows[size - 1].name), upper);
  }
  return output;
}

function localPageSize(maxResults: number | undefined): number {
  if (maxResults === undefined) return LOCAL_PAGE_SIZE;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_LOCAL_PAGE_SIZE) {
    throw new IllegalArgumentException(
      `MaxResults must be an integer from 1 to ${MAX_LOCAL_PAGE_SIZE}`,
    );
  }
  return maxResults;
}

/** Per listed page: the job's token signer, shared by its objects. */
function tokensOf(store: LocallyListable, job: string): VersionTokens {
  return { sign: (id) => store.objectTokenOf(job, id) };
}

/** A listed object of a row: its token signed only when read. */
function listedObject(row: TextListedVersion, tokens: VersionTokens): ListedObject {
  return new ListedObject(row.name, {
    id: row.id,
    checksum: row.object_checksum ?? "",
    chunks: row.chunks_count ?? 0,
    metadataString: row.metadata_string ?? undefined,
    tokens,
  });
}

/** The in-process cursor after `last`, below `upper`. */
function writeCursor(last: Uint8Array, upper: Uint8Array): string {
  const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
  return `${CURSOR_TAG}${text(last)}.${upper === NO_UPPER ? "" : text(upper)}`;
}

function readCursor(token: string): { lower: Uint8Array; upper: Uint8Array } {
  const parts = typeof token === "string" && token.startsWith(CURSOR_TAG)
    ? token.slice(CURSOR_TAG.length).split(".")
    : [];
  if (parts.length !== 2 || parts[0] === "") {
    throw new IllegalArgumentException("NextToken is not a cursor of the in-process listing");
  }
  const bytes = (text: string) => new Uint8Array(Buffer.from(text, "base64url"));
  return { lower: bytes(parts[0]), upper: parts[1] === "" ? NO_UPPER : bytes(parts[1]) };
}
