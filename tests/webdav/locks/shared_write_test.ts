// Shared locks over HTTP (RFC 4918 §6.2, §7.5): a holder of one of the shared
// locks on a resource may write it by submitting its own token — the other
// holders' tokens are not needed. An exclusive lock still needs its own token,
// and a request without any token (or with another resource's) is refused.

import { assertEquals, davTest } from "../support/dav_server.ts";

type Dav = { request(path: string, init?: RequestInit): Promise<Response>; base: string };

const LOCKINFO = (scope: "shared" | "exclusive") =>
  `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`;

async function lock(
  dav: Dav,
  path: string,
  user: string,
  scope: "shared" | "exclusive" = "shared",
  depth = "0",
): Promise<string> {
  const response = await dav.request(path, {
    method: "LOCK",
    headers: { "X-Test-User": user, "Content-Type": "application/xml", Depth: depth },
    body: LOCKINFO(scope),
  });
  await response.body?.cancel();
  assertEquals([path, user, response.status < 300], [path, user, true]);
  const token = response.headers.get("Lock-Token")!;
  return token.slice(1, -1);
}

async function put(dav: Dav, path: string, user: string, headers: Record<string, string> = {}) {
  const response = await dav.request(path, {
    method: "PUT",
    body: `by ${user}`,
    headers: { "X-Test-User": user, ...headers },
  });
  await response.body?.cancel();
  return response.status;
}

const users = {
  authenticate: (request: Request) =>
    Promise.resolve(request.headers.get("X-Test-User") ?? undefined),
};

davTest(
  "two users' shared locks: each writes with its own token; no token 423; another resource's token 412/423",
  async (dav) => {
    await dav.fs.writeTextFile("/shared.txt", "v0");
    await dav.fs.writeTextFile("/other.txt", "o");
    const s1 = await lock(dav, "/shared.txt", "alice");
    const s2 = await lock(dav, "/shared.txt", "bob");
    const other = await lock(dav, "/other.txt", "alice");
    assertEquals(await put(dav, "/shared.txt", "alice", { If: `(<${s1}>)` }), 204);
    assertEquals(await dav.fs.readTextFile("/shared.txt"), "by alice");
    assertEquals(await put(dav, "/shared.txt", "bob", { If: `(<${s2}>)` }), 204);
    assertEquals(await dav.fs.readTextFile("/shared.txt"), "by bob");
    // No token at all.
    assertEquals(await put(dav, "/shared.txt", "alice"), 423);
    // A token that is not a lock on this resource: the untagged list is false.
    assertEquals(await put(dav, "/shared.txt", "alice", { If: `(<${other}>)` }), 412);
    // Tagged with its own resource, the header is true but the token guards nothing here.
    assertEquals(
      await put(dav, "/shared.txt", "alice", { If: `<${dav.base}other.txt> (<${other}>)` }),
      423,
    );
    // Bob's token is not Alice's to submit.
    assertEquals(await put(dav, "/shared.txt", "alice", { If: `(<${s2}>)` }), 423);
    assertEquals(await dav.fs.readTextFile("/shared.txt"), "by bob");
  },
  users,
);

davTest("one user with two shared locks on one file writes with either token", async (dav) => {
  await dav.fs.writeTextFile("/twice.txt", "v0");
  const a = await lock(dav, "/twice.txt", "alice");
  const b = await lock(dav, "/twice.txt", "alice");
  assertEquals(await put(dav, "/twice.txt", "alice", { If: `(<${a}>)` }), 204);
  assertEquals(await put(dav, "/twice.txt", "alice", { If: `(<${b}>)` }), 204);
  assertEquals(await put(dav, "/twice.txt", "alice"), 423);
}, users);

davTest(
  "a shared depth-infinity lock on a collection lets its holder write a member another user also share-locked",
  async (dav) => {
    await dav.fs.mkdir("/col");
    await dav.fs.writeTextFile("/col/m.txt", "v0");
    const tree = await lock(dav, "/col/", "alice", "shared", "infinity");
    const member = await lock(dav, "/col/m.txt", "bob");
    assertEquals(await put(dav, "/col/m.txt", "alice", { If: `(<${tree}>)` }), 204);
    assertEquals(await put(dav, "/col/m.txt", "bob", { If: `(<${member}>)` }), 204);
    assertEquals(await put(dav, "/col/m.txt", "carol"), 423);
    // Adding a member to the collection needs a lock on the collection itself:
    // Bob's lock on a member is not one.
    assertEquals(
      await put(dav, "/col/new.txt", "bob", { If: `<${dav.base}col/m.txt> (<${member}>)` }),
      423,
    );
    assertEquals(
      await put(dav, "/col/new.txt", "alice", { If: `<${dav.base}col/> (<${tree}>)` }),
      201,
    );
    // DELETE of the collection touches the member too: Alice's depth-infinity lock covers both.
    const response = await dav.request("/col/", {
      method: "DELETE",
      headers: { "X-Test-User": "alice", If: `(<${tree}>)` },
    });
    await response.body?.cancel();
    assertEquals(response.status, 204);
  },
  users,
);

davTest("an exclusive lock still needs its own token", async (dav) => {
  await dav.fs.mkdir("/ex");
  await dav.fs.writeTextFile("/ex/f.txt", "v0");
  const ex = await lock(dav, "/ex/f.txt", "alice", "exclusive");
  assertEquals(await put(dav, "/ex/f.txt", "alice"), 423);
  assertEquals(await put(dav, "/ex/f.txt", "bob", { If: `(<${ex}>)` }), 423);
  assertEquals(await put(dav, "/ex/f.txt", "alice", { If: `(<${ex}>)` }), 204);
  // A shared lock on the parent does not stand in for the exclusive lock below it.
  await dav.fs.writeTextFile("/ex2.txt", "x");
  const shared = await lock(dav, "/ex2.txt", "alice");
  assertEquals(
    await put(dav, "/ex/f.txt", "alice", { If: `<${dav.base}ex2.txt> (<${shared}>)` }),
    423,
  );
}, users);
