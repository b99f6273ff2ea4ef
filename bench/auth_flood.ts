// Benchmark (not a test): how long cached, already-authenticated GETs wait while a
// flood of wrong bcrypt passwords is checked, with the checks on the serving thread
// ("before": the credentials-file hook given `verify: verifyPassword`, as it was)
// and in the verifier Web Worker ("after": the hook's default). One child process
// serves both, each on its own port (127.0.0.1, OS-picked) with its own cache and
// limiter (the defaults: 1 check at once, 32 waiting, then 503); the handler is the
// hook alone (200 "ok" once authenticated), so only the password checks differ.
//
// Each round, for each mode (the order alternates between rounds): a GET with
// alice's right password (checked once, then cached); then CONCURRENT requests with
// distinct wrong passwords against alice's bcrypt (cost COST) entry, all sent at
// once; while any is unanswered, cached GETs one after another (5 ms apart), each
// timed. Prints per mode the cached GETs' mean, median, p95 and max latency, the
// flood's answers (401 checked, 503 refused) and how long a flood took; plus 20
// cached GETs a round with no flood.
//
//   deno task bench:auth-flood [--rounds 4] [--concurrent 100] [--cost 10]

import { parseArgs } from "node:util";
import { bcrypt } from "../deps/bcryptjs.ts";
import { createCredentialsFileAuth } from "../webdav/auth/credentials_file_auth.ts";
import { classifyPassword } from "../webdav/auth/password_scheme.ts";
import { verifyPassword } from "../webdav/auth/password_verify.ts";
import { serveHttp } from "../src/http/serve_http.ts";

const MODES = ["before", "after"] as const;
type Mode = typeof MODES[number];
const RIGHT = "alice's right password";
/** Most cached GETs timed during one flood (bounds a round). */
const MAX_PROBES = 10_000;
/** Pause between two timed GETs (the client shares the CPU with the server). */
const PROBE_GAP_MS = 5;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "4" },
    concurrent: { type: "string", default: "100" },
    cost: { type: "string", default: "10" },
    serve: { type: "boolean", default: false },
  },
  strict: true,
});

function count(name: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer from ${min} to ${max}`);
    Deno.exit(2);
  }
  return n;
}

function basic(credentials: string): string {
  const bytes = new TextEncoder().encode(credentials);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** The child: both servers; prints `{"before":PORT,"after":PORT}`, serves until stdin closes. */
async function serveBoth(cost: number): Promise<void> {
  const users = new Map([["alice", classifyPassword(bcrypt.hashSync(RIGHT, cost))]]);
  const source = { current: () => Promise.resolve(users) };
  const hooks = {
    before: createCredentialsFileAuth(source, { verify: verifyPassword }),
    after: createCredentialsFileAuth(source),
  };
  const ports: Record<string, number> = {};
  const servers = [];
  for (const mode of MODES) {
    const authenticate = hooks[mode];
    const server = await serveHttp(async (request) => {
      const outcome = await authenticate(request);
      return outcome instanceof Response ? outcome : new Response("ok");
    }, { hostname: "127.0.0.1", port: 0, limits: { maxConnections: 1000 } });
    ports[mode] = server.addr.port;
    servers.push(server);
  }
  console.log(JSON.stringify(ports));
  for await (const _ of Deno.stdin.readable) { /* until the parent closes stdin */ }
  for (const server of servers) await server.shutdown(1000);
  for (const mode of MODES) await hooks[mode].close();
}

async function get(origin: string, credentials: string): Promise<number> {
  const response = await fetch(`${origin}/`, { headers: { Authorization: basic(credentials) } });
  await response.body?.cancel();
  return response.status;
}

/** Times cached GETs one after another while `busy()` holds (at least `least` of them). */
async function probe(origin: string, busy: () => boolean, least: number): Promise<number[]> {
  const times: number[] = [];
  while ((busy() || times.length < least) && times.length < MAX_PROBES) {
    const start = performance.now();
    const status = await get(origin, `alice:${RIGHT}`);
    times.push(performance.now() - start);
    if (status !== 200) throw new Error(`a cached GET was answered ${status}`);
    await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
  }
  return times;
}

interface Tally {
  flooded: number[];
  quiet: number[];
  answers: Record<number, number>;
  floodMs: number[];
}

async function round(origin: string, concurrent: number, tally: Tally, tag: string) {
  if ((await get(origin, `alice:${RIGHT}`)) !== 200) throw new Error("alice's password refused");
  tally.quiet.push(...await probe(origin, () => false, 20));
  let open = concurrent;
  const start = performance.now();
  const flood = Array.from(
    { length: concurrent },
    (_, i) => get(origin, `alice:wrong ${tag} ${i}`).finally(() => open--),
  );
  tally.flooded.push(...await probe(origin, () => open > 0, 1));
  for (const status of await Promise.all(flood)) {
    tally.answers[status] = (tally.answers[status] ?? 0) + 1;
  }
  tally.floodMs.push(performance.now() - start);
}

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return `n=${sorted.length} mean ${ms(mean)}, median ${ms(at(0.5))}, p95 ${ms(at(0.95))}, ` +
    `max ${ms(sorted[sorted.length - 1])}`;
}

async function main(): Promise<void> {
  const rounds = count("rounds", values.rounds, 1, 100);
  const concurrent = count("concurrent", values.concurrent, 1, 500);
  const cost = count("cost", values.cost, 4, 14);
  if (values.serve) return await serveBoth(cost);

  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      new URL(import.meta.url).pathname,
      "--serve",
      "--cost",
      String(cost),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the server child exited");
    first += value;
  }
  const ports = JSON.parse(first) as Record<Mode, number>;
  const tallies = Object.fromEntries(
    MODES.map((mode) => [mode, { flooded: [], quiet: [], answers: {}, floodMs: [] } as Tally]),
  ) as Record<Mode, Tally>;
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        await round(`http://127.0.0.1:${ports[mode]}`, concurrent, tallies[mode], `${r}`);
      }
    }
  } finally {
    await child.stdin.close();
    await reader.cancel();
    await child.status;
  }
  console.log(
    `${rounds} rounds, ${concurrent} concurrent wrong passwords (bcrypt cost ${cost}) per flood, ` +
      `modes interleaved; cached GET latency:`,
  );
  for (const mode of MODES) {
    const tally = tallies[mode];
    const where = mode === "before" ? "on the serving thread" : "in the verifier worker";
    console.log(`${mode} (checks ${where}):`);
    console.log(`  during the floods: ${summary(tally.flooded)}`);
    console.log(`  without a flood:   ${summary(tally.quiet)}`);
    const answers = Object.entries(tally.answers).map(([status, n]) => `${n}×${status}`).join(", ");
    const floodMs = tally.floodMs.reduce((a, b) => a + b, 0) / tally.floodMs.length;
    console.log(
      `  flood answers: ${answers}; a flood took ${(floodMs / 1000).toFixed(2)} s on average`,
    );
  }
}

await main();
