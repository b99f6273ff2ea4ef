/**
 * The WebDAV load and soak engine shared by `bench/webdav_load.ts` and
 * `tests/webdav/load_test.ts`: webdav/main.ts as its own process on a temp data
 * directory, N clients mixing PUT, ranged GET, PROPFIND, LOCK/UNLOCK, MOVE and
 * DELETE on a few overlapping paths, S slow-but-alive clients (a request head or
 * body sent a byte every 100 ms, a reply read 16 KiB every 100 ms), seeded. Every
 * mutation is logged with its start and acknowledgement times; after the run the
 * invariants are checked:
 *
 * - each path holds one of the contents the log allows (the last acknowledged
 *   mutation, or any mutation overlapping it in time), bytes intact;
 * - no lock left (`lockdiscovery` empty everywhere);
 * - no spool or temporary file left (the server's TMPDIR, the store's `tmp/`);
 * - RSS back within 50 MB per worker of where it started, after a settle;
 * - every accepted request answered: no 5xx but 503, no reset after a request
 *   was sent whole (slow clients may also get 408);
 * - no failure reported by the server on its stderr (`http: …`: a handler that
 *   threw, a response body cut midway).
 *
 * @module
 */

import { sampleMemory, startServeChild } from "./serve_child.ts";
import { seededRandom } from "./bench_data.ts";
import { stagedLeftovers } from "../../tests/support/staged_leftovers.ts";

/**
 * Options of {@link runLoad}.
 *
 * @example
 * ```ts
 * import type { LoadOptions } from "./load_engine.ts";
 * const options: LoadOptions = { clients: 8, seconds: 8, slow: 10, seed: 1 };
 * ```
 */
export interface LoadOptions {
  /** Concurrent regular clients. */
  clients: number;
  /** How long the clients start new requests. */
  seconds: number;
  /** Slow clients. */
  slow: number;
  /** Seed of every random choice. */
  seed: number;
  /** Largest PUT body (default 8 MiB). */
  maxBodyBytes?: number;
  /** Paths the clients share (default 12). */
  paths?: number;
  /** Progress lines (default none). */
  log?: (line: string) => void;
}

/**
 * What a run measured and which invariants failed (empty `violations`: all held).
 *
 * @example
 * ```ts
 * import type { LoadReport } from "./load_engine.ts";
 * function ok(report: LoadReport): boolean {
 *   return report.violations.length === 0;
 * }
 * ```
 */
export interface LoadReport {
  requests: number;
  seconds: number;
  /** Per method: count, p50 and p99 latency in ms, and the statuses seen. */
  methods: Record<string, { count: number; p50: number; p99: number; statuses: string }>;
  startRssBytes: number;
  peakRssBytes: number;
  endRssBytes: number;
  /** Slow requests answered, answered 408/503, and closed before the request was whole. */
  slow: { answered: number; refused: number; closedEarly: number };
  violations: string[];
}

const MIB = 1024 * 1024;
const SLOW_BYTE_MS = 100;

/** Content of a write: a 16-digit hex id, then bytes derived from it. */
function contentOf(id: number, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(Math.max(16, size));
  out.set(new TextEncoder().encode(id.toString(16).padStart(16, "0")));
  let x = (id * 2654435761) >>> 0 || 1;
  for (let i = 16; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The id of a body made by {@link contentOf}, or undefined when it is not one, intact. */
function idOf(body: Uint8Array): number | undefined {
  if (body.length < 16) return body.length === 0 ? EMPTY : undefined;
  const id = parseInt(new TextDecoder().decode(body.subarray(0, 16)), 16);
  if (!Number.isSafeInteger(id)) return undefined;
  const expected = contentOf(id, body.length);
  for (let i = 0; i < body.length; i++) if (body[i] !== expected[i]) return undefined;
  return id;
}

/** The id standing for an empty file (a LOCK of an unmapped path makes one). */
const EMPTY = 0;
/** The id standing for "no file". */
const ABSENT = -1;

/** One logged mutation of a path. */
interface Mutation {
  path: string;
  start: number;
  end: number;
  /** Acknowledged (2xx), or maybe applied (no answer). */
  acknowledged: boolean;
  /** What the path holds after it: an id, EMPTY, ABSENT, or a MOVE from another path. */
  result: number | { from: string; move: number };
  /** The MOVE this record belongs to (its source and target records share it). */
  move?: number;
}

/** Per method latencies and statuses. */
class Stats {
  readonly latencies = new Map<string, number[]>();
  readonly statuses = new Map<string, Map<string, number>>();
  requests = 0;
  note(method: string, ms: number, status: string): void {
    this.requests++;
    let list = this.latencies.get(method);
    if (!list) this.latencies.set(method, list = []);
    list.push(ms);
    let counts = this.statuses.get(method);
    if (!counts) this.statuses.set(method, counts = new Map());
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one load against a fresh webdav/main.ts and checks the invariants.
 *
 * @example
 * ```ts ignore
 * import { runLoad } from "./load_engine.ts";
 * const report = await runLoad({ clients: 8, seconds: 8, slow: 10, seed: 1 });
 * console.log(report.violations); // []
 * ```
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => {});
  const maxBody = options.maxBodyBytes ?? 8 * MIB;
  const pathCount = options.paths ?? 12;
  const root = await Deno.makeTempDir({ prefix: "backupfs-load-" });
  const dataDir = `${root}/data`;
  const tmpDir = `${root}/tmp`;
  await Deno.mkdir(dataDir);
  await Deno.mkdir(tmpDir);
  // A bounded chunk cache, so what the run leaves resident is not the cache filling.
  // The server's default worker count, named so that the memory bound can follow it.
  const workers = navigator.hardwareConcurrency;
  const server = await startServeChild({
    dataDir,
    tmpDir,
    args: ["--cache-size", "16MiB", "--workers", String(workers)],
  });
  const violations: string[] = [];
  const stats = new Stats();
  const mutations: Mutation[] = [];
  const slow = { answered: 0, refused: 0, closedEarly: 0 };
  let nextId = 1;
  const origin = server.origin;
  const paths = Array.from({ length: pathCount }, (_, i) => `/load/f${i}.bin`);
  const url = (path: string) => origin + path;
  const now = () => performance.now();
  let report: LoadReport | undefined;
  try {
    const made = await fetch(url("/load/"), { method: "MKCOL" });
    await made.body?.cancel();
    if (made.status !== 201) throw new Error(`MKCOL /load/ answered ${made.status}`);
    const sampler = sampleMemory(server.pid, 100);
    const deadline = now() + options.seconds * 1000;
    // The reference: the RSS the load reaches while warming the server up (code
    // compiled, caches, pools and the allocator's arenas at their working size): the
    // highest of the first half of the run (≤ 10 s), sampled every 250 ms. Measured:
    // RSS climbs for the first seconds of the mix, then holds (64 clients for 60 s:
    // 292 MiB at 5 s, peak 357, 255 after the settle); a leak keeps climbing past it.
    let startRss = 0;
    const warmUpEnds = now() + Math.min(10_000, options.seconds * 500);
    const warmed = (async () => {
      for (let i = 0; i < 1000 && now() < warmUpEnds; i++) {
        const memory = await server.memory();
        if (memory) startRss = Math.max(startRss, memory.rssBytes);
        await sleep(250);
      }
    })();

    /** Sends one request; logs it; a 5xx but 503 or a reset is a violation. */
    const send = async (
      method: string,
      path: string,
      init: RequestInit,
      read: (response: Response) => Promise<void> = async (r) => {
        await r.body?.cancel();
      },
    ): Promise<{ status: number; start: number; end: number }> => {
      const start = now();
      let status = 0;
      try {
        const response = await fetch(url(path), { method, ...init });
        status = response.status;
        await read(response);
      } catch (error) {
        violations.push(
          `${method} ${path}: no complete answer (${
            error instanceof Error ? error.message : error
          })`,
        );
      }
      const end = now();
      stats.note(method, end - start, status === 0 ? "reset" : String(status));
      if (status >= 500 && status !== 503) violations.push(`${method} ${path}: ${status}`);
      return { status, start, end };
    };

    const client = async (index: number) => {
      const rand = seededRandom(options.seed * 1000 + index);
      const pick = () => paths[Math.floor(rand() * paths.length)];
      for (let i = 0; i < 1_000_000 && now() < deadline; i++) {
        const roll = rand();
        const path = pick();
        if (roll < 0.3) {
          // Mostly small bodies, now and then a large one.
          const size = rand() < 0.85
            ? 4096 + Math.floor(rand() * 60_000)
            : 4096 + Math.floor(rand() * (maxBody - 4096));
          const id = nextId++;
          const r = await send("PUT", path, { body: contentOf(id, size) });
          mutations.push({
            path,
            start: r.start,
            end: r.end,
            acknowledged: r.status >= 200 && r.status < 300,
            result: id,
          });
          if (r.status === 0) mutations.at(-1)!.acknowledged = false;
          else if (r.status >= 300) mutations.pop();
        } else if (roll < 0.55) {
          const from = Math.floor(rand() * 100_000);
          await send("GET", path, { headers: { Range: `bytes=${from}-${from + 65535}` } });
        } else if (roll < 0.7) {
          await send("PROPFIND", "/load/", { headers: { Depth: "1" } });
        } else if (roll < 0.8) {
          let token: string | undefined;
          const r = await send("LOCK", path, {
            headers: { Timeout: "Second-60", "Content-Type": "application/xml" },
            body: `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope>` +
              `<D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>` +
              `<D:owner>load ${index}</D:owner></D:lockinfo>`,
          }, async (response) => {
            token = response.headers.get("lock-token") ?? undefined;
            await response.body?.cancel();
          });
          if (r.status === 201) {
            mutations.push({ path, start: r.start, end: r.end, acknowledged: true, result: EMPTY });
          }
          if (r.status === 200 || r.status === 201) {
            await sleep(rand() * 50);
            const u = await send("UNLOCK", path, { headers: { "Lock-Token": token ?? "" } });
            if (u.status !== 204) violations.push(`UNLOCK ${path} of a lock taken: ${u.status}`);
          }
        } else if (roll < 0.9) {
          const target = pick();
          if (target === path) continue;
          const r = await send("MOVE", path, {
            headers: { Destination: url(target), Overwrite: "T" },
          });
          const done = r.status === 201 || r.status === 204;
          if (done || r.status === 0) {
            const acknowledged = done;
            const move = nextId++;
            const [start, end] = [r.start, r.end];
            mutations.push({ path, start, end, acknowledged, result: ABSENT, move });
            mutations.push({
              path: target,
              start,
              end,
              acknowledged,
              result: { from: path, move },
            });
          }
        } else {
          const r = await send("DELETE", path, {});
          if (r.status === 204 || r.status === 200 || r.status === 0) {
            mutations.push({
              path,
              start: r.start,
              end: r.end,
              acknowledged: r.status !== 0,
              result: ABSENT,
            });
          }
        }
      }
    };

    /** One slow request over a raw connection; its answer's status, or undefined. */
    const slowRequest = async (
      head: string,
      body: Uint8Array | undefined,
      mode: "head" | "body",
    ): Promise<{ status: number | undefined; sentWhole: boolean; bytes: Uint8Array }> => {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(new URL(origin).port),
      });
      const answer = (async () => {
        const chunks: Uint8Array[] = [];
        try {
          for (let i = 0; i < 1_000_000; i++) {
            const buffer = new Uint8Array(16384);
            const n = await conn.read(buffer);
            if (n === null) break;
            chunks.push(buffer.subarray(0, n));
          }
        } catch { /* reset: judged below */ }
        const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          all.set(c, at);
          at += c.length;
        }
        return all;
      })();
      let sentWhole = false;
      let closed = false;
      void answer.then(() => closed = true);
      try {
        const headBytes = new TextEncoder().encode(head);
        if (mode === "head") {
          for (let i = 0; i < headBytes.length && !closed; i++) {
            await conn.write(headBytes.subarray(i, i + 1));
            await sleep(SLOW_BYTE_MS);
          }
        } else await conn.write(headBytes);
        if (body) {
          for (let i = 0; i < body.length && !closed; i++) {
            await conn.write(body.subarray(i, i + 1));
            await sleep(SLOW_BYTE_MS);
          }
        }
        sentWhole = !closed;
      } catch { /* closed by the server */ }
      const bytes = await answer;
      try {
        conn.close();
      } catch { /* closed */ }
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(new TextDecoder().decode(bytes.subarray(0, 32)));
      return { status: match ? Number(match[1]) : undefined, sentWhole, bytes };
    };

    const slowClient = async (index: number) => {
      const rand = seededRandom(options.seed * 7919 + index);
      const host = new URL(origin).host;
      for (let i = 0; i < 100_000 && now() < deadline; i++) {
        const kind = index % 3;
        const path = paths[Math.floor(rand() * paths.length)];
        const start = now();
        if (kind === 2) {
          // A slow reader: 16 KiB every 100 ms.
          let status = 0;
          try {
            const response = await fetch(url(path));
            status = response.status;
            const reader = response.body!.getReader();
            for (let j = 0; j < 1_000_000; j++) {
              const { done } = await reader.read();
              if (done) break;
              await sleep(SLOW_BYTE_MS);
            }
          } catch (error) {
            violations.push(`slow GET ${path}: reset (${(error as Error).message})`);
          }
          stats.note("slow GET", now() - start, String(status));
          if (status >= 500 && status !== 503) violations.push(`slow GET ${path}: ${status}`);
          if (status !== 0) slow.answered++;
          continue;
        }
        const slowBody = kind === 1;
        const id = nextId++;
        const body = slowBody ? contentOf(id, 16 + Math.floor(rand() * 24)) : undefined;
        const head = slowBody
          ? `PUT ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${
            body!.length
          }\r\nConnection: close\r\n\r\n`
          : `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
        const r = await slowRequest(head, body, slowBody ? "body" : "head");
        const end = now();
        const method = slowBody ? "slow PUT" : "slow GET head";
        stats.note(method, end - start, String(r.status ?? (r.sentWhole ? "reset" : "closed")));
        if (r.status === 408 || r.status === 503) slow.refused++;
        else if (r.status !== undefined) slow.answered++;
        else if (!r.sentWhole) slow.closedEarly++;
        else violations.push(`${method} ${path}: sent whole, no answer`);
        if (r.status !== undefined && r.status >= 500 && r.status !== 503) {
          violations.push(`${method} ${path}: ${r.status}`);
        }
        if (slowBody && (r.status === undefined || (r.status >= 200 && r.status < 300))) {
          mutations.push({
            path,
            start,
            end,
            acknowledged: r.status !== undefined,
            result: id,
          });
        }
      }
    };

    log(
      `${options.clients} clients, ${options.slow} slow, ${options.seconds} s, seed ${options.seed}`,
    );
    const runStart = now();
    await Promise.all([
      ...Array.from({ length: options.clients }, (_, i) => client(i)),
      ...Array.from({ length: options.slow }, (_, i) => slowClient(i)),
    ]);
    const seconds = (now() - runStart) / 1000;
    await warmed;
    const peak = await sampler.stop();

    // Contents: each path against the log.
    for (const path of paths) {
      const response = await fetch(url(path));
      const body = new Uint8Array(await response.arrayBuffer());
      const found = response.status === 404 ? ABSENT : response.status === 200 ? idOf(body) : NaN;
      if (found === undefined || Number.isNaN(found)) {
        violations.push(`${path}: GET ${response.status}, content not one written whole`);
        continue;
      }
      const allowed = candidates(path, mutations, { from: Infinity, to: Infinity }, 0);
      if (!allowed.has(found)) {
        const history = mutations.filter((m) => m.path === path).map((m) =>
          `${m.start.toFixed(0)}–${m.end.toFixed(0)} ${m.acknowledged ? "" : "?"}${
            typeof m.result === "number" ? m.result : `from ${m.result.from}`
          }`
        );
        const origins = mutations.filter((m) => m.result === found).map((m) =>
          `${m.path} ${m.start.toFixed(0)}–${m.end.toFixed(0)}`
        );
        violations.push(
          `${path}: history ${history.slice(-6).join("; ")}; write ${found} went to ${origins}`,
        );
        violations.push(
          `${path}: holds ${found === ABSENT ? "nothing" : `write ${found}`}, the log allows ${
            [...allowed].slice(0, 8).join(", ")
          }`,
        );
      }
    }
    // Locks: none left.
    for (const path of ["/load/", ...paths]) {
      const response = await fetch(url(path), {
        method: "PROPFIND",
        headers: { Depth: "0", "Content-Type": "application/xml" },
        body: `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/>` +
          `</D:prop></D:propfind>`,
      });
      const text = await response.text();
      if (response.status === 207 && text.includes("activelock")) {
        violations.push(`${path}: a lock is left: ${text.slice(0, 300)}`);
      }
    }
    // Settle, then memory. Each worker is a V8 isolate whose heap warms up on its
    // own (the kernel may hand one worker its connections later than the other),
    // so the slack is 50 MB per worker.
    const slack = 50 * MIB * workers;
    let endRss = Infinity;
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      endRss = (await server.memory())!.rssBytes;
      if (endRss - startRss <= slack) break;
    }
    if (endRss - startRss > slack) {
      violations.push(
        `RSS ${(endRss / MIB).toFixed(0)} MiB after the run, started at ${
          (startRss / MIB).toFixed(0)
        } MiB (more than ${workers} × 50 MB above, ${workers} workers)`,
      );
    }
    // Temporary files: none in the server's TMPDIR, none in the store's tmp/ but
    // the empty ones each worker's chunk store keeps ready.
    const left = await listFiles(tmpDir);
    if (left.length > 0) violations.push(`left in ${tmpDir}: ${left.slice(0, 5).join(", ")}`);
    const staged = await stagedLeftovers(`${dataDir}/tmp`, workers);
    if (staged.length > 0) {
      violations.push(`left in ${dataDir}/tmp: ${staged.slice(0, 5).join(", ")}`);
    }
    const methods: LoadReport["methods"] = {};
    for (const [method, list] of stats.latencies) {
      list.sort((a, b) => a - b);
      methods[method] = {
        count: list.length,
        p50: percentile(list, 0.5),
        p99: percentile(list, 0.99),
        statuses: [...stats.statuses.get(method)!].map(([s, n]) => `${s}×${n}`).join(" "),
      };
    }
    report = {
      requests: stats.requests,
      seconds,
      methods,
      startRssBytes: startRss,
      peakRssBytes: Math.max(peak.peakRssBytes, peak.peakHwmBytes),
      endRssBytes: endRss,
      slow,
      violations,
    };
  } finally {
    const { code, stderr } = await server.stop();
    if (code !== 0) violations.push(`server exited ${code}: ${stderr.slice(-2000)}`);
    if (/\b(TypeError|ReferenceError|Uncaught)\b/.test(stderr)) {
      violations.push(`server stderr: ${stderr.slice(-2000)}`);
    }
    // Failures the server itself reported (a handler that threw, a response body cut
    // midway): a client may not notice them all, the server does.
    const reported = stderr.split("\n").filter((line) => line.startsWith("http: "));
    if (reported.length > 0) {
      violations.push(
        `the server reported ${reported.length} failures, e.g. ${reported.slice(0, 3).join("; ")}`,
      );
    }
    await Deno.remove(root, { recursive: true });
  }
  return report;
}

/**
 * What `path` may hold at some instant of the window [`from`, `to`] (the end state:
 * both Infinity): the result of every mutation that started before the window ends
 * and was not superseded by an acknowledged one that started after it ended and
 * ended before the window began. A MOVE brings what its source may have held while
 * it ran (it reads its source at some instant between its start and its answer).
 * `depth` bounds MOVE chains.
 */
function candidates(
  path: string,
  mutations: Mutation[],
  window: { from: number; to: number },
  depth: number,
): Set<number> {
  const mine = mutations.filter((m) => m.path === path && m.start < window.to);
  const out = new Set<number>();
  const superseded = (m: Mutation) =>
    mine.some((n) => n !== m && n.acknowledged && n.start > m.end && n.end < window.from);
  if (!mine.some((m) => m.acknowledged && m.end < window.from)) out.add(ABSENT);
  for (const m of mine) {
    if (superseded(m)) continue;
    if (typeof m.result === "number") out.add(m.result);
    else if (depth < 8) {
      // What the source may have held while the MOVE ran: its own record of it left out.
      const move = m.result.move;
      const others = mutations.filter((n) => n.move !== move);
      const during = { from: m.start, to: m.end };
      for (const id of candidates(m.result.from, others, during, depth + 1)) {
        if (id !== ABSENT) out.add(id);
      }
    }
    // Not acknowledged: it may not have happened; what came before stays possible.
    if (!m.acknowledged) {
      const before = { from: m.start, to: m.start };
      for (const id of candidates(path, mutations.filter((n) => n !== m), before, depth + 1)) {
        out.add(id);
      }
    }
  }
  return out;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out;
}
