import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { IllegalArgumentException } from "../../../src/storage/errors.ts";
import {
  allNames,
  assertRejects,
  putSmall,
  seededBytes,
  tamper,
  withStore,
} from "./support/store_fixtures.ts";

const JOB = "list-job";
const enc = new TextEncoder();

function byteOrder(names: string[]): string[] {
  return [...names].sort((a, b) => {
    const x = enc.encode(a);
    const y = enc.encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
}

const NAMES = [
  "a",
  "a/",
  "a/b",
  "a/b/c",
  "a/bz",
  "a0",
  "ab",
  "B",
  "z",
  "é",
  "éa",
  "e\u0301",
  "日本/語",
  "\u{1F600}",
  "\uFFFD",
  "~",
];

Deno.test("ListObjects orders names bytewise (UTF-8), non-ASCII included", async () => {
  await withStore(async (store) => {
    for (const name of [...NAMES].reverse()) await putSmall(store, JOB, name, seededBytes(name, 3));
    const expected = byteOrder(NAMES);
    // JavaScript's default sort is by UTF-16 units and differs for astral vs U+FFFD.
    assert(JSON.stringify(expected) !== JSON.stringify([...NAMES].sort()));
    assertEquals(await allNames(store, JOB), expected);
    // Page size 1 walks the same order, one token at a time.
    assertEquals(await allNames(store, JOB, 1), expected);
    assertEquals(await allNames(store, JOB, 3), expected);
  });
});

Deno.test("ListObjects: prefix, starting name, and both combined", async () => {
  await withStore(async (store) => {
    for (const name of NAMES) await putSmall(store, JOB, name, seededBytes(name, 3));
    const list = async (input: { StartingObjectPrefix?: string; StartingObjectName?: string }) =>
      (await store.listObjects({ StorageJobId: JOB, ...input })).ObjectList.map((o) => o.Name);
    assertEquals(await list({ StartingObjectPrefix: "a/" }), ["a/", "a/b", "a/b/c", "a/bz"]);
    assertEquals(await list({ StartingObjectPrefix: "é" }), ["é", "éa"]);
    assertEquals(await list({ StartingObjectPrefix: "nothing" }), []);
    assertEquals(
      await list({ StartingObjectName: "z" }),
      byteOrder(NAMES).slice(byteOrder(NAMES).indexOf("z")),
    );
    assertEquals(
      await list({ StartingObjectName: "a/b/" }),
      byteOrder(NAMES).slice(byteOrder(NAMES).indexOf("a/b/c")),
    );
    assertEquals(
      await list({ StartingObjectPrefix: "a/", StartingObjectName: "a/b/" }),
      ["a/b/c", "a/bz"],
    );
    // A starting name before the prefix starts at the prefix; one past it gives nothing.
    assertEquals(await list({ StartingObjectPrefix: "a/", StartingObjectName: "0" }), [
      "a/",
      "a/b",
      "a/b/c",
      "a/bz",
    ]);
    assertEquals(await list({ StartingObjectPrefix: "a/", StartingObjectName: "a0" }), []);
    // Skip-scan as BackupFS does: after "a/b", continue past "a/b/" → "a/b0".
    assertEquals(
      await list({ StartingObjectPrefix: "a/", StartingObjectName: "a/b0" }),
      ["a/bz"],
    );
  });
});

Deno.test("ListObjects: prefix pages with MaxResults 1 never leave the prefix", async () => {
  await withStore(async (store) => {
    for (const name of NAMES) await putSmall(store, JOB, name, seededBytes(name, 3));
    const names: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 20; i++) {
      const out = await store.listObjects({
        StorageJobId: JOB,
        StartingObjectPrefix: "a/",
        MaxResults: 1,
        NextToken: token,
        // Ignored once a NextToken is given:
        StartingObjectName: token ? "zzz" : undefined,
      });
      assert(out.ObjectList.length <= 1);
      names.push(...out.ObjectList.map((o) => o.Name));
      token = out.NextToken;
      if (!token) break;
    }
    assertEquals(names, ["a/", "a/b", "a/b/c", "a/bz"]);
  });
});

Deno.test("ListObjects: CreatedBefore / CreatedAfter filter on completion time, strictly", async () => {
  await withStore(async (store, { clock }) => {
    const t0 = clock.time;
    await putSmall(store, JOB, "t0", seededBytes("0", 1));
    clock.advance(1000);
    await putSmall(store, JOB, "t1", seededBytes("1", 1));
    clock.advance(1000);
    await putSmall(store, JOB, "t2", seededBytes("2", 1));
    const list = async (before?: number, after?: number, max?: number) => {
      const names: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 10; i++) {
        const out = await store.listObjects({
          StorageJobId: JOB,
          CreatedBefore: before === undefined ? undefined : new Date(before),
          CreatedAfter: after === undefined ? undefined : new Date(after),
          MaxResults: max,
          NextToken: token,
        });
        names.push(...out.ObjectList.map((o) => o.Name));
        token = out.NextToken;
        if (!token) break;
      }
      return names;
    };
    assertEquals(await list(t0 + 1000), ["t0"]);
    assertEquals(await list(t0 + 1001), ["t0", "t1"]);
    assertEquals(await list(undefined, t0), ["t1", "t2"]);
    assertEquals(await list(t0 + 2000, t0), ["t1"]);
    assertEquals(await list(undefined, t0 - 1, 1), ["t0", "t1", "t2"]);
    // The filters travel in the token: a token from a filtered listing keeps filtering.
    const first = await store.listObjects({
      StorageJobId: JOB,
      CreatedAfter: new Date(t0),
      MaxResults: 1,
    });
    assertEquals(first.ObjectList.map((o) => o.Name), ["t1"]);
    const second = await store.listObjects({ StorageJobId: JOB, NextToken: first.NextToken });
    assertEquals(second.ObjectList.map((o) => o.Name), ["t2"]);
    await assertRejects(
      store.listObjects({ StorageJobId: JOB, CreatedBefore: new Date(NaN) }),
      IllegalArgumentException,
      /CreatedBefore/,
    );
  });
});

Deno.test("ListObjects: NextToken is tamper-evident and bound to its job", async () => {
  await withStore(async (store) => {
    for (const name of ["a", "b", "c"]) {
      await putSmall(store, JOB, name, seededBytes(name, 2));
      await putSmall(store, "other", name, seededBytes(name, 2));
    }
    const page = await store.listObjects({ StorageJobId: JOB, MaxResults: 1 });
    const token = page.NextToken!;
    assert(token);
    for (let at = 0; at < token.length; at += Math.max(1, Math.floor(token.length / 8))) {
      await assertRejects(
        store.listObjects({ StorageJobId: JOB, NextToken: tamper(token, at) }),
        IllegalArgumentException,
        /NextToken/,
      );
    }
    await assertRejects(
      store.listObjects({ StorageJobId: "other", NextToken: token }),
      IllegalArgumentException,
      /NextToken/,
    );
    await assertRejects(
      store.listObjects({ StorageJobId: JOB, NextToken: token + "A" }),
      IllegalArgumentException,
    );
    await assertRejects(
      store.listObjects({ StorageJobId: JOB, NextToken: "" }),
      IllegalArgumentException,
    );
    // An object token is not a page token.
    await assertRejects(
      store.listObjects({ StorageJobId: JOB, NextToken: page.ObjectList[0].ObjectToken }),
      IllegalArgumentException,
    );
  });
});

Deno.test("ListObjects with a prefix uses the name index as a range", async () => {
  // Cost is O(page): the query plan is an index range search on (job, name).
  const { MetadataDb } = await import("../../../src/storage/store/metadata/sqlite_db.ts");
  const dir = await Deno.makeTempDir();
  try {
    const db = MetadataDb.open(`${dir}/m.db`, { durable: false });
    const plan = db.explain(
      `SELECT * FROM versions WHERE job = ? AND state = 1 AND name > ? AND name < ?
       ORDER BY name LIMIT ?`,
      "j",
      new Uint8Array([1]),
      new Uint8Array([2]),
      10,
    ).join(" | ");
    db.close();
    assert(
      /SEARCH versions USING INDEX versions_current \(job=\? AND name>\? AND name<\?\)/.test(plan),
      plan,
    );
    assert(!/TEMP B-TREE/.test(plan), plan);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
