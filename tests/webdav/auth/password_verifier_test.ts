// Expensive password checks run in the verifier Web Worker, off the serving
// thread: cached requests are answered over HTTP while slow checks (a SHA-512-crypt
// of 200,000 rounds, which computes synchronously, then a bcrypt of cost 13) are in
// flight; the worker gives the right answers for every expensive scheme, starts on
// the first check, stops when idle and on close (and a process that closed it
// exits by itself); a crashed or silent worker fails the checks in flight with 503
// (a correct password among them included: never 200) and the next check starts a
// new worker; the password never appears in what the verifier reports.

import { fileURLToPath } from "node:url";
import { createCredentialsFileAuth } from "../../../webdav/auth/credentials_file_auth.ts";
import { PasswordCheckCache } from "../../../webdav/auth/password_check_cache.ts";
import { classifyPassword, type StoredPassword } from "../../../webdav/auth/password_scheme.ts";
import { PasswordVerifier, VerifierFailedError } from "../../../webdav/auth/password_verifier.ts";
import { VerificationLimiter } from "../../../webdav/auth/verification_limiter.ts";
import { serveHttp } from "../../../src/http/serve_http.ts";
import { assert, assertEquals } from "../../support/assert.ts";

// "U*U" (OpenBSD's bcrypt vector), "myPassword" (Apache's documentation).
const BCRYPT = "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
const APR1 = "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/";
// "slow pw", as glibc's crypt(3) computes them: seconds of work each in the verifier.
const SLOW_SHA512 = "$6$rounds=200000$verifierbusy$yVOob1Wi/2nkWohYBKumoPJgsCCJgDyb2/" +
  "iPnf0BxI0VUdjONo8G150/GgT9VU7CwWTE4ITCBf.611/6WOhef/";
const SLOW_BCRYPT = "$2b$13$etmSD823enPVv359rYj4oe1oFjxakR3wlIHV39bytR32XKp9l7VEq";

const FAULTY_WORKER = new URL("./_faulty_verifier_worker.ts", import.meta.url);

function basic(credentials: string): string {
  const bytes = new TextEncoder().encode(credentials);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

function request(credentials: string): Request {
  return new Request("http://localhost/", { headers: { Authorization: basic(credentials) } });
}

function usersOf(entries: Record<string, string>): Map<string, StoredPassword> {
  return new Map(Object.entries(entries).map(([user, field]) => [user, classifyPassword(field)]));
}

async function outcomeOf(outcome: string | undefined | Response): Promise<number | string> {
  if (!(outcome instanceof Response)) return String(outcome);
  await outcome.body?.cancel();
  return outcome.status;
}

/** Polls `check` (bounded: 1000 tries, ~10 ms apart) until it holds. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}

Deno.test("password verifier: cached requests are answered over HTTP while slow checks run in the worker", async () => {
  const users = usersOf({ slow: SLOW_SHA512, slower: SLOW_BCRYPT, bob: BCRYPT });
  const limiter = new VerificationLimiter(); // the default: 1 at once, 32 waiting
  const verifier = new PasswordVerifier();
  const authenticate = createCredentialsFileAuth({ current: () => Promise.resolve(users) }, {
    limiter,
    verifier,
  });
  const server = await serveHttp(async (request) => {
    const outcome = await authenticate(request);
    return outcome instanceof Response ? outcome : new Response(`hello ${outcome}`);
  }, { hostname: "127.0.0.1", port: 0 });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const get = async (credentials: string) => {
    const response = await fetch(`${origin}/`, { headers: { Authorization: basic(credentials) } });
    return { status: response.status, body: await response.text() };
  };
  try {
    // bob's password is checked once (in the worker), then cached.
    assertEquals(await get("bob:U*U"), { status: 200, body: "hello bob" });
    assertEquals(verifier.starts, 1);

    // Two slow wrong passwords: the SHA-512-crypt runs (synchronous code, in the
    // worker), the bcrypt waits its turn.
    const settled: string[] = [];
    const slow = ["slow:wrong", "slower:wrong"].map((credentials) =>
      get(credentials).then((answer) => (settled.push(credentials), answer))
    );
    await eventually(
      () => limiter.running === 1 && limiter.queued === 1 && verifier.inFlight === 1,
      "one slow check in the worker, one waiting",
    );

    // Cached requests go through meanwhile: answered before either slow one.
    for (let i = 0; i < 3; i++) {
      assertEquals(await get("bob:U*U"), { status: 200, body: "hello bob" });
    }
    assertEquals(settled, [], "the cached requests were answered while the slow checks ran");
    assertEquals(verifier.inFlight, 1);

    const answers = await Promise.all(slow);
    assertEquals(answers.map((answer) => answer.status), [401, 401]);
    assertEquals(settled, ["slow:wrong", "slower:wrong"], "in arrival order");
    assertEquals(verifier.starts, 1, "one worker served every check");
  } finally {
    await server.shutdown();
    await authenticate.close();
    await verifier.close();
  }
});

Deno.test("password verifier: every expensive scheme checked in the worker; lazy start, idle stop, close", async () => {
  const verifier = new PasswordVerifier({ idleMs: 50 });
  assertEquals([verifier.starts, verifier.running], [0, false]);
  const cases: [string, string, boolean][] = [
    [BCRYPT, "U*U", true],
    [BCRYPT, "U*U*", false],
    [APR1, "myPassword", true],
    [APR1, "mypassword", false],
    // Ulrich Drepper's SHA-crypt test vectors.
    ["$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!", true],
    ["$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world", false],
    [
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
      "Hello world!",
      true,
    ],
    ["{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=", "myPassword", true], // cheap, but the worker takes it too
  ];
  for (const [field, password, expected] of cases) {
    assertEquals(await verifier.verify(password, classifyPassword(field)), expected, field);
  }
  assertEquals(verifier.starts, 1, "one worker for every check");
  // Concurrent checks share the worker and each gets its own answer.
  const both = await Promise.all([
    verifier.verify("U*U", classifyPassword(BCRYPT)),
    verifier.verify("nope", classifyPassword(APR1)),
    verifier.verify("myPassword", classifyPassword(APR1)),
  ]);
  assertEquals(both, [true, false, true]);

  // Idle: the worker stops, and starts again on the next check.
  await eventually(() => !verifier.running, "the idle worker stopped");
  assertEquals(await verifier.verify("myPassword", classifyPassword(APR1)), true);
  assertEquals([verifier.starts, verifier.running], [2, true]);

  // Closed: no worker, and later checks fail (the hook answers those 503).
  await verifier.close();
  assertEquals(verifier.running, false);
  let error: unknown;
  try {
    await verifier.verify("myPassword", classifyPassword(APR1));
  } catch (caught) {
    error = caught;
  }
  assert(error instanceof VerifierFailedError);
  assertEquals(verifier.starts, 2);
});

Deno.test("password verifier: a crash or a silent worker answers 503 (never 200), and the next check restarts it", async () => {
  const users = usersOf({ alice: BCRYPT, carol: "plain pw" });
  const verifier = new PasswordVerifier({ workerUrl: FAULTY_WORKER, timeoutMs: 500 });
  const authenticate = createCredentialsFileAuth({ current: () => Promise.resolve(users) }, {
    verifier,
    limiter: new VerificationLimiter({ concurrency: 2, maxQueued: 4 }),
    cache: new PasswordCheckCache({ maxEntries: 0 }),
  });
  try {
    const crashed = await authenticate(request("alice:crash!"));
    assert(crashed instanceof Response);
    assertEquals(crashed.status, 503);
    assertEquals(crashed.headers.get("Retry-After"), "1");
    const text = await crashed.text();
    assert(!text.includes("crash!"), "the password is not echoed");
    assertEquals([verifier.starts, verifier.running], [1, false]);

    // The next check starts a new worker.
    assertEquals(await outcomeOf(await authenticate(request("alice:U*U"))), "alice");
    assertEquals(verifier.starts, 2);

    // A correct password sent behind the crashing one: not answered, so 503, not 200.
    const [crash, right] = await Promise.all([
      authenticate(request("alice:crash!")),
      authenticate(request("alice:U*U")),
    ]);
    assertEquals([await outcomeOf(crash), await outcomeOf(right)], [503, 503]);
    assertEquals(verifier.starts, 2, "a request starts at most one worker (no retry)");

    // An unknown user's decoy check crashing is 503 too (never 200).
    assertEquals(await outcomeOf(await authenticate(request("mallory:crash!"))), 503);
    assertEquals(verifier.starts, 3);

    // A worker that never answers: 503 once the time is up, and it is replaced.
    assertEquals(await outcomeOf(await authenticate(request("alice:silent"))), 503);
    assertEquals(verifier.running, false);
    assertEquals(await authenticate(request("alice:U*U")), "alice");
    assertEquals(verifier.starts, 5);

    // Plain entries are checked here, whatever the worker does.
    assertEquals(await authenticate(request("carol:plain pw")), "carol");
  } finally {
    await authenticate.close();
    await verifier.close();
  }
});

Deno.test("password verifier: a worker module that cannot load fails the check with 503", async () => {
  const users = usersOf({ alice: BCRYPT });
  const verifier = new PasswordVerifier({
    workerUrl: new URL("./_no_such_verifier_worker.ts", import.meta.url),
  });
  const authenticate = createCredentialsFileAuth({ current: () => Promise.resolve(users) }, {
    verifier,
  });
  try {
    assertEquals(await outcomeOf(await authenticate(request("alice:U*U"))), 503);
    assertEquals(verifier.running, false);
  } finally {
    await verifier.close();
  }
});

Deno.test("password verifier: a process whose hook started a verifier exits by itself once the hook is closed", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      fileURLToPath(new URL("./_verifier_exit_child.ts", import.meta.url)),
      "close",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Bounded: a child still running after 60 s is killed (and the test fails).
  let killed = false;
  const guard = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, 60_000);
  const output = await child.output();
  clearTimeout(guard);
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(killed, false, "the closed verifier kept the process alive");
  assertEquals(output.code, 0, stderr);
  assertEquals(new TextDecoder().decode(output.stdout), "alice\n");
});
