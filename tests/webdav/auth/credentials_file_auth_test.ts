// The credentials-file hook: successful expensive checks cached (a correct repeat
// costs no check; wrong passwords are never cached; a changed hash or a removed
// user is not served from the cache), the bound on expensive checks (503 with
// Retry-After once the queue is full, never 401 or 200), unknown users checked
// against a decoy entry and always refused, and real hashes end to end.

import {
  busyResponse,
  createCredentialsFileAuth,
} from "../../../webdav/auth/credentials_file_auth.ts";
import { PasswordCheckCache } from "../../../webdav/auth/password_check_cache.ts";
import { classifyPassword, type StoredPassword } from "../../../webdav/auth/password_scheme.ts";
import { verifyPassword } from "../../../webdav/auth/password_verify.ts";
import { VerificationLimiter } from "../../../webdav/auth/verification_limiter.ts";
import { assert, assertEquals } from "../../support/assert.ts";

// "myPassword" (Apache's documentation) and "U*U" (OpenBSD's bcrypt vector).
const APR1 = "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/";
const BCRYPT = "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

function request(credentials?: string): Request {
  const bytes = new TextEncoder().encode(credentials ?? "");
  return new Request("http://localhost/", {
    headers: credentials === undefined
      ? {}
      : { Authorization: `Basic ${btoa(String.fromCharCode(...bytes))}` },
  });
}

function usersOf(entries: Record<string, string>): Map<string, StoredPassword> {
  return new Map(Object.entries(entries).map(([user, field]) => [user, classifyPassword(field)]));
}

/** A fixed (switchable) source and a verify that counts its calls. */
function fixture(entries: Record<string, string>) {
  const state = { users: usersOf(entries) };
  const checks: { password: string; stored: StoredPassword }[] = [];
  const authenticate = createCredentialsFileAuth({ current: () => Promise.resolve(state.users) }, {
    verify: (password, stored) => {
      checks.push({ password, stored });
      return verifyPassword(password, stored);
    },
  });
  return { state, checks, authenticate };
}

async function status(outcome: string | undefined | Response): Promise<number | string> {
  if (!(outcome instanceof Response)) return String(outcome);
  await outcome.body?.cancel();
  return outcome.status;
}

Deno.test("credentials file auth: a correct repeat is served from the cache, wrong passwords never are", async () => {
  const { state, checks, authenticate } = fixture({ alice: APR1, bob: BCRYPT, carol: "plain pw" });
  assertEquals(await authenticate(request("alice:myPassword")), "alice");
  assertEquals(await authenticate(request("alice:myPassword")), "alice");
  assertEquals(await authenticate(request("alice:myPassword")), "alice");
  assertEquals(checks.length, 1, "one APR1 check for three requests");
  for (let i = 0; i < 3; i++) {
    assertEquals(await status(await authenticate(request("alice:x"))), 401);
  }
  assertEquals(checks.length, 4, "every wrong password is checked again");
  assertEquals(await authenticate(request("bob:U*U")), "bob");
  assertEquals(await authenticate(request("bob:U*U")), "bob");
  assertEquals(checks.length, 5);
  // Another password of the same user is a separate entry (a cached one gives nothing away).
  assertEquals(await status(await authenticate(request("bob:U*U*"))), 401);
  assertEquals(checks.length, 6);
  // Plain entries cost a digest: checked every time, never cached.
  assertEquals(await authenticate(request("carol:plain pw")), "carol");
  assertEquals(await authenticate(request("carol:plain pw")), "carol");
  assertEquals(checks.length, 8);

  // The file changes: alice gets a new hash (the cached check no longer applies),
  // bob is removed (refused at once, though his password was cached).
  state.users = usersOf({ alice: "{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=", carol: "plain pw" });
  assertEquals(await authenticate(request("alice:myPassword")), "alice");
  assertEquals(checks.length, 9);
  assertEquals(checks[8].stored.scheme, "sha1");
  assertEquals(await status(await authenticate(request("bob:U*U"))), 401);
  // alice's password changes under the same scheme: the old password is refused.
  state.users = usersOf({ alice: BCRYPT });
  assertEquals(await status(await authenticate(request("alice:myPassword"))), 401);
  assertEquals(await authenticate(request("alice:U*U")), "alice");
});

Deno.test("credentials file auth: an unknown user is checked against a decoy entry and refused", async () => {
  const { checks, authenticate } = fixture({ carol: "plain pw", alice: APR1 });
  // Even with the decoy entry's own password.
  assertEquals(await status(await authenticate(request("mallory:myPassword"))), 401);
  assertEquals(await status(await authenticate(request("mallory:myPassword"))), 401);
  assertEquals(checks.length, 2, "the decoy is checked every time, never cached");
  assertEquals(checks[0].stored.scheme, "apr1", "the first expensive entry");
  // No header, a malformed header: 401 without any check.
  assertEquals(await status(await authenticate(request())), 401);
  assertEquals(
    await status(
      await authenticate(
        new Request("http://h/", {
          headers: { Authorization: "Basic !!" },
        }),
      ),
    ),
    401,
  );
  assertEquals(checks.length, 2);
  // Only plain entries: the decoy is a plain entry.
  const plain = fixture({ carol: "plain pw" });
  assertEquals(await status(await plain.authenticate(request("dave:plain pw"))), 401);
  assertEquals(plain.checks.map((check) => check.stored.scheme), ["plain"]);
});

Deno.test("credentials file auth: expensive checks are bounded; past the queue, 503 with Retry-After", async () => {
  const users = usersOf({ alice: BCRYPT, carol: "plain pw" });
  const started: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const authenticate = createCredentialsFileAuth({ current: () => Promise.resolve(users) }, {
    limiter: new VerificationLimiter({ concurrency: 2, maxQueued: 3 }),
    cache: new PasswordCheckCache({ maxEntries: 0 }),
    verify: async (password, stored) => {
      if (stored.scheme === "plain") return await verifyPassword(password, stored);
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => started.push(resolve));
      running--;
      return await verifyPassword(password, stored);
    },
  });
  // 2 run, 3 wait, the next 5 are refused at once (wrong passwords and unknown users alike).
  const pending = [
    authenticate(request("alice:U*U")),
    ...Array.from({ length: 4 }, (_, i) => authenticate(request(`alice:wrong${i}`))),
  ];
  const refused = await Promise.all([
    authenticate(request("alice:wrong-a")),
    authenticate(request("alice:U*U")),
    authenticate(request("nobody:x")),
  ]);
  for (const outcome of refused) {
    assert(outcome instanceof Response);
    assertEquals(outcome.status, 503);
    assertEquals(outcome.headers.get("Retry-After"), "1");
    await outcome.body?.cancel();
  }
  // A plain entry needs no expensive check: still answered while the queue is full.
  assertEquals(await authenticate(request("carol:plain pw")), "carol");
  // Let every check run, two at a time.
  for (let i = 0; i < 100 && (started.length > 0 || running > 0); i++) {
    started.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const outcomes = await Promise.all(pending.map(async (p) => await status(await p)));
  assertEquals(outcomes, ["alice", 401, 401, 401, 401]);
  assertEquals(most, 2);
  assertEquals(busyResponse().status, 503);
});
