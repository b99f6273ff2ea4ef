// HTTP Basic authentication of the WebDAV server: header parsing edge cases, the
// 401 challenge, digests compared in constant time (through the compare seam, for
// known and unknown users alike), the credentials file format (plain and hashed
// entries classified, bad lines named by number), and the hook in a real app over
// HTTP. The htpasswd schemes, the cache, the bound and reloads: tests/webdav/auth/.

import {
  createBasicAuth,
  MAX_AUTHORIZATION_LENGTH,
  parseBasicAuthorization,
  unauthorizedResponse,
} from "../../webdav/auth/basic_auth.ts";
import { loadCredentials, parseCredentials } from "../../webdav/auth/credentials_file.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import { startDav } from "./support/dav_server.ts";

const CHALLENGE = 'Basic realm="BackupFS", charset="UTF-8"';

function b64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes));
}

function request(authorization?: string): Request {
  return new Request("http://localhost/", {
    headers: authorization === undefined ? {} : { Authorization: authorization },
  });
}

Deno.test("basic auth: parsing — valid forms", () => {
  assertEquals(parseBasicAuthorization(`Basic ${b64("alice:secret")}`), {
    user: "alice",
    password: "secret",
  });
  // Scheme is case-insensitive; surrounding blanks allowed.
  assertEquals(parseBasicAuthorization(`bAsIc   ${b64("a:b")}  `), { user: "a", password: "b" });
  // A colon in the password: split at the first colon only.
  assertEquals(parseBasicAuthorization(`Basic ${b64("bob:p:a:ss:")}`), {
    user: "bob",
    password: "p:a:ss:",
  });
  // UTF-8 user names and passwords (charset="UTF-8").
  assertEquals(parseBasicAuthorization(`Basic ${b64("zoë 日本:pässwörd🔑")}`), {
    user: "zoë 日本",
    password: "pässwörd🔑",
  });
  // An empty password is a well-formed header (the map decides).
  assertEquals(parseBasicAuthorization(`Basic ${b64("carol:")}`), { user: "carol", password: "" });
});

Deno.test("basic auth: parsing — malformed headers give undefined", () => {
  const bad: (string | null | undefined)[] = [
    undefined,
    null,
    "",
    "Basic",
    "Basic ",
    `Bearer ${b64("a:b")}`,
    `Digest ${b64("a:b")}`,
    `Basic${b64("a:b")}`, // no separator
    `Basic ${b64("a:b")} extra`,
    "Basic !!!!",
    "Basic YWJj", // "abc": no colon
    `Basic ${b64(":password")}`, // empty user
    "Basic YTpi=", // bad padding length
    "Basic YTpi====",
    "Basic YT=pi", // padding in the middle
    `Basic ${btoa("a\xff:b")}`, // not UTF-8
    `Basic ${b64("a\u0001b:c")}`, // control character in the user
    `Basic ${"A".repeat(MAX_AUTHORIZATION_LENGTH)}`,
  ];
  for (const header of bad) {
    assertEquals(parseBasicAuthorization(header), undefined, JSON.stringify(header));
  }
});

Deno.test("basic auth: the hook answers the user, or 401 with the challenge", async () => {
  const authenticate = createBasicAuth(
    new Map([["alice", "s3:cret"], ["zoë", "pässwörd"]]),
  );
  assertEquals(await authenticate(request(`Basic ${b64("alice:s3:cret")}`)), "alice");
  assertEquals(await authenticate(request(`Basic ${b64("zoë:pässwörd")}`)), "zoë");
  for (
    const header of [
      undefined,
      `Basic ${b64("alice:s3:cre")}`,
      `Basic ${b64("alice:s3:cret ")}`,
      `Basic ${b64("Alice:s3:cret")}`, // user names are case-sensitive
      `Basic ${b64("mallory:s3:cret")}`,
      `Basic ${b64("zoe:pässwörd")}`,
      "Basic !!",
      `Bearer ${b64("alice:s3:cret")}`,
    ]
  ) {
    const outcome = await authenticate(request(header));
    assert(outcome instanceof Response, `401 for ${header}`);
    assertEquals(outcome.status, 401);
    assertEquals(outcome.headers.get("WWW-Authenticate"), CHALLENGE);
    const text = await outcome.text();
    assert(!text.includes("s3:cret"), "the body never echoes a password");
  }
  // A record works as well as a map; a custom realm goes into the challenge.
  const other = createBasicAuth({ bob: "x" }, { realm: "Team files" });
  const denied = await other(request());
  assertEquals(
    (denied as Response).headers.get("WWW-Authenticate"),
    'Basic realm="Team files", charset="UTF-8"',
  );
  await (denied as Response).body?.cancel();
  assertEquals(await other(request(`Basic ${b64("bob:x")}`)), "bob");
  assertThrows(() => createBasicAuth({ bob: "x" }, { realm: 'a"b' }), TypeError);
  assertThrows(() => createBasicAuth({ "a:b": "x" }), TypeError);
  assertThrows(() => createBasicAuth({ "": "x" }), TypeError);
  assertEquals(unauthorizedResponse().status, 401);
});

Deno.test("basic auth: every attempt compares two 32-byte digests through the constant-time compare", async () => {
  const calls: [Uint8Array, Uint8Array][] = [];
  const authenticate = createBasicAuth(new Map([["alice", "secret"], ["bob", "secret"]]), {
    compare: (a, b) => {
      calls.push([a, b]);
      // Same semantics as timingSafeEqual on equal-length inputs.
      return a.length === b.length && a.every((x, i) => x === b[i]);
    },
  });
  assertEquals(await authenticate(request(`Basic ${b64("alice:secret")}`)), "alice");
  assert(await authenticate(request(`Basic ${b64("alice:wrong")}`)) instanceof Response);
  // An unknown user is compared too (against a decoy), so it costs the same.
  assert(await authenticate(request(`Basic ${b64("nobody:secret")}`)) instanceof Response);
  assertEquals(calls.length, 3);
  for (const [a, b] of calls) {
    assertEquals([a.length, b.length], [32, 32]);
  }
  // The stored passwords are never the compared values themselves (they are HMACs),
  // and the same password of two users gives the same digest under one key.
  const encoded = new TextEncoder().encode("secret");
  assert(!calls.some(([a]) => a.length === encoded.length));
  assertEquals(calls[0][0], calls[2][0], "HMAC of the same given password");
  assert(calls[2][1].some((x, i) => x !== calls[0][1][i]), "unknown user: a decoy digest");
  // A compare that refuses always wins, even with the right password.
  const never = createBasicAuth({ alice: "secret" }, { compare: () => false });
  assert(await never(request(`Basic ${b64("alice:secret")}`)) instanceof Response);
});

Deno.test("basic auth: default compare is node:crypto timingSafeEqual", async () => {
  // The source uses timingSafeEqual and never compares password strings with ===.
  const source = await Deno.readTextFile(
    new URL("../../webdav/auth/basic_auth.ts", import.meta.url),
  );
  assertMatch(source, /import \{[^}]*timingSafeEqual[^}]*\} from "node:crypto"/);
  assertMatch(source, /options\.compare \?\? \(\(a, b\) => timingSafeEqual\(a, b\)\)/);
  assert(!/password\s*===|===\s*password/.test(source), "no direct password comparison");
});

Deno.test("basic auth: credentials file format", () => {
  const users = parseCredentials(
    "\uFEFF# comment\n  # indented comment\n\nalice:one:two\r\n bob :  spaced pw \nzoë:pässwörd\n",
  );
  assertEquals([...users], [
    ["alice", { scheme: "plain", value: "one:two" }],
    ["bob", { scheme: "plain", value: "  spaced pw " }],
    ["zoë", { scheme: "plain", value: "pässwörd" }],
  ]);
  // Hashed htpasswd entries are classified (tests/webdav/auth/ checks them in depth).
  const hashed = parseCredentials(
    "a:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\nb:{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=\n",
  );
  assertEquals([...hashed.values()].map((stored) => stored.scheme), ["apr1", "sha1"]);
  const errors: [string, RegExp][] = [
    ["alice", /line 1: expected user:password/],
    ["ok:1\n:pw", /line 2: empty user name/],
    ["alice:", /line 1: empty password/],
    ["a:1\na:2", /line 2: user "a" appears twice/],
    ["a:$apr1$abc$def", /^line 1: malformed apr1 hash$/],
    ["ok:1\na:$2y$05$abcdefghijklmnopqrstuv", /^line 2: malformed bcrypt hash$/],
    ["a:{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", /^line 1: unsupported password hash scheme/],
    ["a\u0007b:x", /control character/],
  ];
  for (const [text, pattern] of errors) {
    let message = "";
    try {
      parseCredentials(text);
    } catch (error) {
      assert(error instanceof SyntaxError);
      message = error.message;
    }
    assertMatch(message, pattern);
  }
  assertEquals(parseCredentials("# nobody\n").size, 0);
});

Deno.test("basic auth: loadCredentials reads a file, refuses empty, missing, non-UTF-8", async () => {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-auth-" });
  try {
    const path = `${dir}/users`;
    await Deno.writeTextFile(path, "alice:secret\n", { mode: 0o600 });
    assertEquals((await loadCredentials(path)).get("alice"), { scheme: "plain", value: "secret" });
    // A plain password that looks like a crypt(3) DES hash loads, with a warning (no content).
    await Deno.writeTextFile(path, "# users\nalice:rqXexS6ZhobKA\n");
    const warnings: string[] = [];
    const users = await loadCredentials(path, { onWarning: (message) => warnings.push(message) });
    assertEquals(users.get("alice"), { scheme: "plain", value: "rqXexS6ZhobKA" });
    assertEquals(warnings, [
      `${path}: line 2: taken as a plain password; crypt(3) DES hashes (htpasswd -d) are not supported`,
    ]);
    await Deno.writeTextFile(path, "# none\n");
    await assertRejects(() => loadCredentials(path), Error, "holds no user");
    await Deno.writeFile(path, new Uint8Array([0x61, 0x3a, 0xff, 0x0a]));
    await assertRejects(() => loadCredentials(path), Error, "not UTF-8");
    await Deno.writeTextFile(path, "alice\n");
    await assertRejects(() => loadCredentials(path), Error, "line 1");
    await assertRejects(() => loadCredentials(`${dir}/missing`), Deno.errors.NotFound);
    await assertRejects(() => loadCredentials(dir), Error, "is not a file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("basic auth: in a WebDAV app over HTTP — 401 before any handler runs, principal after", async () => {
  const dav = await startDav({ authenticate: createBasicAuth({ alice: "secret" }) });
  try {
    const anonymous = await dav.request("/a.txt", { method: "PUT", body: "x" });
    assertEquals(anonymous.status, 401);
    assertEquals(anonymous.headers.get("WWW-Authenticate"), CHALLENGE);
    await anonymous.body?.cancel();
    assertEquals(await dav.fs.exists("/a.txt"), false, "nothing written without credentials");
    const options = await dav.request("/", { method: "OPTIONS" });
    assertEquals(options.status, 401);
    await options.body?.cancel();
    const auth = { Authorization: `Basic ${b64("alice:secret")}` };
    const put = await dav.request("/a.txt", { method: "PUT", body: "x", headers: auth });
    assertEquals(put.status, 201);
    await put.body?.cancel();
    const lock = await dav.text("/a.txt", {
      method: "LOCK",
      headers: { ...auth, "Content-Type": "application/xml", Timeout: "Second-60" },
      body: `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>` +
        `</D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`,
    });
    assertEquals(lock.status, 200);
  } finally {
    await dav.close();
  }
});
