// WebDAV locks shared by frontends over one store: a lock taken through one
// frontend refuses a conflicting request through the other, racing LOCKs have
// one winner, a locked tree cannot be deleted through the other, and the locks
// outlive a restart of every frontend. Then what the other frontend sees of the
// files (BackupFS's stat cache, 1 s): a name it never looked at at once, a name
// it had cached within the cache's time.

import { assert, assertEquals } from "../../support/assert.ts";
import {
  type Frontend,
  frontendsTest,
  lockThrough,
  sqliteStorePlace,
  startFrontend,
  statusOf,
} from "./support/shared_frontends.ts";

/** BackupFS's default stat and lookup cache time (PathResolver's `metadataTtlMs`). */
const STAT_CACHE_MS = 1000;
/** What a request through the cache may add to it here: polling step, requests, a loaded machine. */
const STAT_CACHE_SLACK_MS = 500;

function assertNoErrors(...frontends: Frontend[]): void {
  for (const frontend of frontends) assertEquals(frontend.errors.map(String), []);
}

async function put(frontend: Frontend, path: string, body: string, headers = {}): Promise<number> {
  return await statusOf(frontend, "PUT", path, { body, headers });
}

/** The number of locks the frontend's table holds, brought up to date first. */
function lockCount(frontend: Frontend): Promise<number> {
  return frontend.locks.withLocks("read", () => Promise.resolve(frontend.locks.size));
}

frontendsTest(
  "a LOCK through A refuses B's PUT without its token; with it, and UNLOCK through B, work",
  async ({ a, b }) => {
    assertEquals(await put(a, "/doc.txt", "v1"), 201);
    const { status, token } = await lockThrough(a, "/doc.txt");
    assertEquals(status, 200);
    assert(token);
    assertEquals(await put(b, "/doc.txt", "by b"), 423);
    assertEquals(await a.fs.readTextFile("/doc.txt"), "v1");
    assertEquals(await put(b, "/doc.txt", "by b", { If: `(<${token}>)` }), 204);
    assertEquals(await b.fs.readTextFile("/doc.txt"), "by b"); // (A's stat cache may hold v1 for 1 s)
    assertEquals(
      await statusOf(b, "UNLOCK", "/doc.txt", { headers: { "Lock-Token": `<${token}>` } }),
      204,
    );
    assertEquals(await put(a, "/doc.txt", "by a"), 204); // unlocked for A too
    assertEquals(await lockCount(a), 0);
    assertNoErrors(a, b);
  },
);

frontendsTest(
  "a second exclusive LOCK through B is 423 while A's lock holds; a shared one too",
  async ({ a, b }) => {
    assertEquals(await put(a, "/x.txt", "x"), 201);
    const first = await lockThrough(a, "/x.txt");
    assertEquals(first.status, 200);
    assertEquals((await lockThrough(b, "/x.txt")).status, 423);
    assertEquals((await lockThrough(b, "/x.txt", { scope: "shared" })).status, 423);
    // A depth-infinity lock on the parent through B conflicts too.
    assertEquals((await lockThrough(b, "/", { depth: "infinity" })).status, 423);
    // Released through A, then B gets it.
    assertEquals(
      await statusOf(a, "UNLOCK", "/x.txt", { headers: { "Lock-Token": `<${first.token}>` } }),
      204,
    );
    assertEquals((await lockThrough(b, "/x.txt")).status, 200);
    assertEquals((await lockThrough(a, "/x.txt")).status, 423);
    assertNoErrors(a, b);
  },
);

frontendsTest(
  "two LOCKs racing through A and B on one path: exactly one wins, 20 times",
  async ({ a, b }) => {
    for (let round = 0; round < 20; round++) {
      // Even rounds lock an existing file (200), odd ones an unmapped URL (201, an empty file).
      const path = `/race-${round}.txt`;
      if (round % 2 === 0) assertEquals(await put(a, path, "r"), 201);
      const [first, second] = round % 4 < 2 ? [a, b] : [b, a];
      const outcomes = await Promise.all([lockThrough(first, path), lockThrough(second, path)]);
      const statuses = outcomes.map((o) => o.status).sort();
      assertEquals(statuses, [round % 2 === 0 ? 200 : 201, 423], `round ${round}`);
      // The winner's token is the lock both frontends know.
      const winner = outcomes.find((o) => o.token)!;
      for (const frontend of [a, b]) {
        await frontend.locks.withLocks("read", () => Promise.resolve());
        assertEquals(frontend.locks.locksCovering(path).map((l) => l.token), [winner.token]);
      }
    }
    assertEquals(await lockCount(b), 20);
    assertNoErrors(a, b);
  },
);

frontendsTest(
  "DELETE through B of a tree locked through A is 423; with the token it goes, and so does the lock",
  async ({ a, b }) => {
    assertEquals(await statusOf(a, "MKCOL", "/tree"), 201);
    assertEquals(await put(a, "/tree/leaf.txt", "leaf"), 201);
    const { status, token } = await lockThrough(a, "/tree", { depth: "infinity" });
    assertEquals(status, 200);
    assertEquals(await statusOf(b, "DELETE", "/tree"), 423);
    assertEquals(await statusOf(b, "DELETE", "/tree/leaf.txt"), 423);
    assertEquals(
      await statusOf(b, "MOVE", "/tree/leaf.txt", {
        headers: { Destination: `${b.origin}/moved.txt` },
      }),
      423,
    );
    assertEquals(await a.fs.readTextFile("/tree/leaf.txt"), "leaf");
    assertEquals(await statusOf(b, "DELETE", "/tree", { headers: { If: `(<${token}>)` } }), 204);
    assertEquals(await lockCount(a), 0); // B's DELETE dropped A's lock for everyone
    // No lock in the way: B (whose view of /tree is exact: it deleted it) locks the unmapped URL.
    assertEquals((await lockThrough(b, "/tree/leaf.txt")).status, 409); // no parent collection
    assertEquals((await lockThrough(b, "/tree")).status, 201);
    assertNoErrors(a, b);
  },
);

frontendsTest(
  "locks outlive a restart of both frontends; the token still unlocks",
  async (pair) => {
    assertEquals(await put(pair.a, "/kept.txt", "k"), 201);
    const { token } = await lockThrough(pair.a, "/kept.txt");
    assert(token);
    assertNoErrors(pair.a, pair.b);
    const after = await pair.restart();
    assertEquals(await put(after.a, "/kept.txt", "no"), 423);
    assertEquals(await put(after.b, "/kept.txt", "no"), 423);
    assertEquals((await lockThrough(after.b, "/kept.txt")).status, 423);
    assertEquals(await put(after.b, "/kept.txt", "yes", { If: `(<${token}>)` }), 204);
    assertEquals(
      await statusOf(after.b, "UNLOCK", "/kept.txt", { headers: { "Lock-Token": `<${token}>` } }),
      204,
    );
    assertEquals(await put(after.a, "/kept.txt", "free"), 204);
    assertNoErrors(after.a, after.b);
    return after;
  },
);

/** Polls `seen` every 20 ms until it holds or `boundMs` passed; the time it took, in ms (or Infinity). */
async function timeUntil(seen: () => Promise<boolean>, boundMs: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < 1000; i++) {
    if (await seen()) return performance.now() - started;
    if (performance.now() - started > boundMs) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Infinity;
}

async function bodyThrough(frontend: Frontend, path: string): Promise<string | number> {
  const response = await frontend.request(path);
  if (response.status !== 200) {
    await response.body?.cancel();
    return response.status;
  }
  return await response.text();
}

async function propfindStatus(frontend: Frontend, path: string, depth = "0"): Promise<number> {
  return await statusOf(frontend, "PROPFIND", path, { headers: { Depth: depth } });
}

async function listingOf(frontend: Frontend, path: string): Promise<string> {
  const response = await frontend.request(path, { method: "PROPFIND", headers: { Depth: "1" } });
  return await response.text();
}

frontendsTest(
  "a file written through A is seen through B: at once for a new name, within the stat cache's time for a cached one",
  async ({ a, b }) => {
    const bound = STAT_CACHE_MS + STAT_CACHE_SLACK_MS;
    // A name B never looked at: at once.
    assertEquals(await put(a, "/fresh.txt", "fresh"), 201);
    assertEquals(await bodyThrough(b, "/fresh.txt"), "fresh");

    // A name B found missing (cached as missing): within the cache time.
    assertEquals(await propfindStatus(b, "/later.txt"), 404);
    assertEquals(await put(a, "/later.txt", "later"), 201);
    const missingSeen = await timeUntil(
      async () => await propfindStatus(b, "/later.txt") === 207,
      bound * 2,
    );
    assert(missingSeen <= bound, `a cached miss was seen after ${missingSeen} ms`);

    // A file B read (its stat cached): the new content within the cache time.
    assertEquals(await put(a, "/seen.txt", "v1"), 201);
    assertEquals(await bodyThrough(b, "/seen.txt"), "v1");
    assertEquals(await put(a, "/seen.txt", "v2"), 204);
    const updateSeen = await timeUntil(
      async () => await bodyThrough(b, "/seen.txt") === "v2",
      bound * 2,
    );
    assert(updateSeen <= bound, `an overwritten file was seen after ${updateSeen} ms`);

    // A directory B listed: a new member within the cache time.
    assertEquals(await statusOf(a, "MKCOL", "/dir"), 201);
    assert(!(await listingOf(b, "/dir/")).includes("member.txt"));
    assertEquals(await put(a, "/dir/member.txt", "m"), 201);
    const memberSeen = await timeUntil(
      async () => (await listingOf(b, "/dir/")).includes("member.txt"),
      bound * 2,
    );
    assert(memberSeen <= bound, `a new member was listed after ${memberSeen} ms`);
    assertNoErrors(a, b);
  },
);

Deno.test("shared locks: a LOCK that cannot have the lease in time is 503, and takes no lock; reads go on", async () => {
  const place = await sqliteStorePlace();
  const a = await startFrontend(place.location, { waitMs: 200 });
  try {
    assertEquals(await put(a, "/busy.txt", "b"), 201);
    // Another server holds the job's lock lease (a change in progress there).
    const name = a.shared.documentName;
    const metadata = a.store.metadataStore;
    assert(await metadata.transaction((tx) => tx.takeLease(name, "other", Date.now(), 60_000)));
    const response = await a.request("/busy.txt", {
      method: "LOCK",
      headers: { "Content-Type": "application/xml" },
      body: `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>` +
        `</D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`,
    });
    await response.body?.cancel();
    assertEquals(response.status, 503);
    assertEquals(response.headers.get("Retry-After"), "1");
    assertEquals(response.headers.get("Lock-Token"), null);
    assertEquals(await lockCount(a), 0);
    // Requests that only read locks need no lease.
    assertEquals(await put(a, "/busy.txt", "still writable"), 204);
    assertEquals(await statusOf(a, "PROPFIND", "/busy.txt", { headers: { Depth: "0" } }), 207);
    await metadata.transaction((tx) => tx.dropLease(name, "other"));
    assertEquals((await lockThrough(a, "/busy.txt")).status, 200);
  } finally {
    await a.close();
    await place.dispose();
  }
});
