// Paginators over any BackupStorage, and over the HTTP client.

import type { BackupStorage } from "../../../src/storage/backup_storage.ts";
import {
  listAllChunks,
  listAllObjects,
  paginateListChunks,
  paginateListObjects,
  PaginationLoopError,
} from "../../../src/storage/paginate.ts";
import type {
  BackupObject,
  Chunk,
  ListChunksInput,
  ListChunksOutput,
  ListObjectsInput,
  ListObjectsOutput,
} from "../../../src/storage/types.ts";
import { assertEquals, assertRejects } from "../../support/assert.ts";
import { json, startServer, testClient } from "./support/client_fixtures.ts";

function object(i: number): BackupObject {
  return {
    Name: `obj-${String(i).padStart(3, "0")}`,
    ObjectChecksum: "c",
    ObjectChecksumAlgorithm: "SUMMARY",
    ObjectToken: `t${i}`,
  };
}

function chunk(i: number): Chunk {
  return { Index: i, Length: 10, Checksum: "c", ChecksumAlgorithm: "SHA256", ChunkToken: `c${i}` };
}

/** A BackupStorage whose listings page through `count` items, `pageSize` at a time. */
function pagedStorage(count: number, options: { repeatToken?: boolean } = {}) {
  const calls: Array<ListObjectsInput | ListChunksInput> = [];
  const page = <T>(items: T[], input: { NextToken?: string; MaxResults?: number }) => {
    const size = input.MaxResults ?? 100;
    const start = input.NextToken ? Number(input.NextToken.slice(1)) : 0;
    const slice = items.slice(start, start + size);
    const next = start + size < items.length
      ? `p${options.repeatToken && start > 0 ? start : start + size}`
      : undefined;
    return { slice, next };
  };
  const objects = Array.from({ length: count }, (_, i) => object(i));
  const chunks = Array.from({ length: count }, (_, i) => chunk(i));
  const storage = {
    listObjects(input: ListObjectsInput): Promise<ListObjectsOutput> {
      calls.push(input);
      const { slice, next } = page(objects, input);
      return Promise.resolve({
        ObjectList: slice,
        ...(next ? { NextToken: next } : {}),
        $metadata: {},
      });
    },
    listChunks(input: ListChunksInput): Promise<ListChunksOutput> {
      calls.push(input);
      const { slice, next } = page(chunks, input);
      return Promise.resolve({
        ChunkList: slice,
        ...(next ? { NextToken: next } : {}),
        $metadata: {},
      });
    },
  } as unknown as BackupStorage;
  return { storage, calls, objects, chunks };
}

Deno.test("paginateListObjects follows NextToken over several pages", async () => {
  const { storage, calls, objects } = pagedStorage(23);
  const pages: ListObjectsOutput[] = [];
  for await (const page of paginateListObjects(storage, { StorageJobId: "j", MaxResults: 5 })) {
    pages.push(page);
  }
  assertEquals(pages.map((p) => p.ObjectList.length), [5, 5, 5, 5, 3]);
  assertEquals(pages.flatMap((p) => p.ObjectList), objects);
  assertEquals(calls.map((c) => c.NextToken), [undefined, "p5", "p10", "p15", "p20"]);
  assertEquals(calls.every((c) => c.MaxResults === 5 && c.StorageJobId === "j"), true);
});

Deno.test("paginateListChunks and listAllChunks follow NextToken", async () => {
  const { storage, chunks } = pagedStorage(12);
  let pages = 0;
  for await (
    const page of paginateListChunks(storage, {
      StorageJobId: "j",
      ObjectToken: "o",
      MaxResults: 4,
    })
  ) {
    assertEquals(page.ChunkList.length, 4);
    pages++;
  }
  assertEquals(pages, 3);
  const all: Chunk[] = [];
  for await (
    const c of listAllChunks(storage, { StorageJobId: "j", ObjectToken: "o", MaxResults: 5 })
  ) {
    all.push(c);
  }
  assertEquals(all, chunks);
});

Deno.test("listAllObjects yields every item; maxPages stops early", async () => {
  const { storage, objects } = pagedStorage(7);
  const names: string[] = [];
  for await (const o of listAllObjects(storage, { StorageJobId: "j", MaxResults: 2 })) {
    names.push(o.Name);
  }
  assertEquals(names, objects.map((o) => o.Name));
  const limited: string[] = [];
  for await (
    const o of listAllObjects(storage, { StorageJobId: "j", MaxResults: 2 }, { maxPages: 2 })
  ) limited.push(o.Name);
  assertEquals(limited, names.slice(0, 4));
});

Deno.test("loop guard: a repeated NextToken stops with an error", async () => {
  const { storage, calls } = pagedStorage(50, { repeatToken: true });
  const seen: number[] = [];
  await assertRejects(
    async () => {
      for await (const page of paginateListObjects(storage, { StorageJobId: "j", MaxResults: 5 })) {
        seen.push(page.ObjectList.length);
      }
    },
    PaginationLoopError,
    "NextToken",
  );
  // p5 (page 2 gives p5 again): pages 1 and 2 are yielded, then the guard fires.
  assertEquals(seen, [5, 5]);
  assertEquals(calls.length, 2);
  await assertRejects(async () => {
    for await (
      const _ of listAllChunks(storage, { StorageJobId: "j", ObjectToken: "o", MaxResults: 5 })
    ) {
      // drained
    }
  }, PaginationLoopError);
});

Deno.test("paginators over the HTTP client send each NextToken on the wire", async () => {
  const tokens = ["first/+", "second=", undefined];
  await using server = startServer((_req, n) =>
    json({ ObjectList: [object(n)], ...(tokens[n] ? { NextToken: tokens[n] } : {}) })
  );
  await using client = testClient(server.url);
  const names: string[] = [];
  for await (
    const o of listAllObjects(client, { StorageJobId: "job", StartingObjectPrefix: "o" })
  ) {
    names.push(o.Name);
  }
  assertEquals(names, ["obj-000", "obj-001", "obj-002"]);
  assertEquals(server.requests.map((r) => r.query["next-token"]), [
    undefined,
    "first/+",
    "second=",
  ]);
  assertEquals(server.requests.every((r) => r.query["starting-object-prefix"] === "o"), true);
});
