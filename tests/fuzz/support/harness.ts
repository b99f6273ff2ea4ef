// The fuzz loop shared by the targets: a raw HTTP/1.1 client over loopback (so
// paths and headers go out byte for byte, never normalized by fetch), a
// deadline per input, a probe on another connection that must keep being
// answered, and a failure report that names the seed and the case to replay.

import { DEFAULT_SEED, hashString, mix, parseSeed, Rng } from "./generators.ts";

/** One request as sent on the wire. */
export interface RawRequest {
  method: string;
  /** The request target: path and query, as sent. */
  target: string;
  /** Header lines (values are latin-1 strings, one char per byte). */
  headers: Array<[string, string]>;
  body?: Uint8Array;
  /** What the generator did (mutations applied), shown in a failure report. */
  note?: string;
}

/** The parsed head of an answer (and its raw body bytes, up to a cap). */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** Fuzz settings from the environment. */
export interface FuzzSettings {
  seed: number;
  /** Whether the seed came from `FUZZ_SEED`. */
  seedFromEnv: boolean;
  /** Time budget per target, in seconds (`FUZZ_SECONDS`, default 3). */
  seconds: number;
  /** Most cases per target (`FUZZ_ITERATIONS`, default 20,000). */
  iterations: number;
  /** Deadline of each answer, in ms (`FUZZ_DEADLINE_MS`, default 2,000). */
  deadlineMs: number;
  /** Only this case (`FUZZ_CASE`), for a replay. */
  only?: number;
  /** Collect up to 20 failures instead of stopping at the first (`FUZZ_KEEP_GOING=1`). */
  keepGoing: boolean;
  /** Print every case: time, status, method, target, header sizes (`FUZZ_TRACE=1`). */
  trace: boolean;
}

function envNumber(name: string, fallback: number): number {
  const value = Deno.env.get(name);
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Reads the settings (and the seed) from the environment. */
export function fuzzSettings(): FuzzSettings {
  const fromEnv = parseSeed(Deno.env.get("FUZZ_SEED"));
  const only = Deno.env.get("FUZZ_CASE");
  return {
    seed: fromEnv ?? DEFAULT_SEED,
    seedFromEnv: fromEnv !== undefined,
    seconds: envNumber("FUZZ_SECONDS", 3),
    iterations: Math.floor(envNumber("FUZZ_ITERATIONS", 20_000)),
    deadlineMs: envNumber("FUZZ_DEADLINE_MS", 2000),
    ...(only !== undefined && only !== "" ? { only: Math.floor(Number(only)) } : {}),
    keepGoing: Deno.env.get("FUZZ_KEEP_GOING") === "1",
    trace: Deno.env.get("FUZZ_TRACE") === "1",
  };
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);

/**
 * Sends one request on a new connection (`Connection: close`) and reads the
 * answer to its end. Rejects when no complete head arrives within `deadlineMs`.
 */
export async function sendRaw(
  port: number,
  request: RawRequest,
  deadlineMs: number,
): Promise<RawResponse> {
  const body = request.body ?? new Uint8Array();
  let head = `${request.method} ${request.target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
  let hasHost = false;
  for (const [name, value] of request.headers) {
    if (name.toLowerCase() === "host") hasHost = true;
    head += `${name}: ${value}\r\n`;
  }
  if (hasHost) head = head.replace(/\r\nHost: [^\r]*/, "");
  head += `Content-Length: ${body.byteLength}\r\nConnection: close\r\n\r\n`;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const received: Uint8Array[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      let head: RawResponse | undefined;
      try {
        head = parseResponse(concat(received));
      } catch {
        // no complete head
      }
      reject(
        new Error(
          head
            ? `answered ${head.status} but the connection (Connection: close) was not closed within ${deadlineMs} ms`
            : `no answer within ${deadlineMs} ms`,
        ),
      );
    }, deadlineMs);
  });
  const exchange = async (): Promise<RawResponse> => {
    const send = (async () => {
      try {
        await writeAll(conn, latin1(head));
        if (body.byteLength > 0) await writeAll(conn, body);
      } catch {
        // The server may answer and close before reading the whole body.
      }
    })();
    let total = 0;
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch {
        break; // reset after an early answer: keep what arrived
      }
      if (n === null) break;
      received.push(buffer.slice(0, n));
      total += n;
      if (total > 16 * 1024 * 1024) break;
    }
    await send;
    return parseResponse(concat(received));
  };
  try {
    return await Promise.race([exchange(), deadline]);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.byteLength) offset += await conn.write(data.subarray(offset));
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function parseResponse(bytes: Uint8Array): RawResponse {
  let end = -1;
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    throw new Error(`no complete response head (${bytes.length} bytes received)`);
  }
  const lines = new TextDecoder("latin1").decode(bytes.subarray(0, end)).split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!status) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      try {
        headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      } catch {
        // a header Headers refuses: ignore
      }
    }
  }
  return { status: Number(status[1]), headers, body: bytes.subarray(end + 4) };
}

/** A short, printable description of a request for a failure report. */
export function describeRequest(request: RawRequest): string {
  const cut = (text: string, max: number) =>
    text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
  const lines = [`${request.method} ${JSON.stringify(cut(request.target, 300))}`];
  if (request.note) lines.push(`  (${request.note})`);
  for (const [name, value] of request.headers) {
    lines.push(`  ${name}: ${JSON.stringify(cut(value, 300))}`);
  }
  const body = request.body ?? new Uint8Array();
  if (body.byteLength > 0) {
    const preview = new TextDecoder("utf-8", { fatal: false }).decode(body.subarray(0, 400));
    lines.push(`  body (${body.byteLength} bytes): ${JSON.stringify(preview)}`);
  }
  return lines.join("\n");
}

/** What a target gives the loop. */
export interface FuzzTarget {
  /** Name, as in the test name. */
  name: string;
  /** The test file, for the replay command. */
  file: string;
  /** Port of the server under test. */
  port: number;
  /** Builds the request of one case (may be async, e.g. to sign it). */
  generate(rng: Rng, index: number): RawRequest | Promise<RawRequest>;
  /** A failure description for an answer, or undefined when it is fine. */
  check(request: RawRequest, response: RawResponse): string | undefined;
  /** One probe on another connection: a failure description, or undefined. */
  probe(signal: AbortSignal): Promise<string | undefined>;
}

/** The outcome of a fuzz run. */
export interface FuzzReport {
  cases: number;
  probes: number;
  statuses: Map<number, number>;
}

/**
 * Runs a target: cases derived from (seed, target, index) until the time budget
 * or the iteration bound, while the probe keeps running. Throws with the seed,
 * the case and the input on the first failure (or on all, with FUZZ_KEEP_GOING).
 */
export async function runFuzz(target: FuzzTarget): Promise<FuzzReport> {
  const settings = fuzzSettings();
  const targetSeed = mix(settings.seed, hashString(target.name));
  const seedText = `0x${settings.seed.toString(16)}`;
  console.log(
    `fuzz ${target.name}: seed ${seedText}${
      settings.seedFromEnv ? " (FUZZ_SEED)" : " (default)"
    }, ` +
      `${settings.seconds} s, at most ${settings.iterations} cases`,
  );
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const replay = (index: number) =>
    `replay: FUZZ_SEED=${seedText} FUZZ_CASE=${index} deno test --allow-net=127.0.0.1 ` +
    `--allow-read --allow-write --allow-env --allow-run --allow-sys ${target.file} ` +
    `--filter ${JSON.stringify(target.name)}`;

  // The probe: another connection, answered within the deadline all along.
  let stop = false;
  let probes = 0;
  const probeFailures: string[] = [];
  const probing = (async () => {
    while (!stop) {
      const signal = AbortSignal.timeout(settings.deadlineMs);
      try {
        const failure = await target.probe(signal);
        if (failure !== undefined) probeFailures.push(failure);
      } catch (error) {
        probeFailures.push(`probe failed: ${(error as Error).message}`);
      }
      probes++;
      if (probeFailures.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  const started = performance.now();
  let cases = 0;
  let slowest = { ms: 0, index: -1 };
  try {
    const first = settings.only ?? 0;
    const last = settings.only ?? settings.iterations - 1;
    for (let index = first; index <= last; index++) {
      if (settings.only === undefined && performance.now() - started > settings.seconds * 1000) {
        break;
      }
      if (probeFailures.length > 0) break;
      const rng = new Rng(mix(targetSeed, index));
      const request = await target.generate(rng, index);
      let failure: string | undefined;
      const sent = performance.now();
      try {
        const response = await sendRaw(target.port, request, settings.deadlineMs);
        const took = performance.now() - sent;
        if (took > slowest.ms) slowest = { ms: took, index };
        if (settings.trace) {
          const headers = request.headers.map(([h, v]) => `${h}(${v.length})`).join(" ");
          console.log(
            `${index} ${took.toFixed(0)} ms ${response.status} ${request.method} ` +
              `${request.target.slice(0, 60)} ${headers} body(${request.body?.byteLength ?? 0})`,
          );
        }
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        failure = target.check(request, response);
      } catch (error) {
        failure = (error as Error).message;
      }
      cases++;
      if (failure !== undefined) {
        failures.push(
          `fuzz ${target.name}: case ${index} failed: ${failure}\n${describeRequest(request)}\n${
            replay(index)
          }`,
        );
        if (!settings.keepGoing || failures.length >= 20) break;
      }
    }
  } finally {
    stop = true;
    await probing;
  }
  const summary = [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(
    " ",
  );
  console.log(
    `fuzz ${target.name}: ${cases} cases, ${probes} probes; statuses ${summary}; ` +
      `slowest case ${slowest.index} (${slowest.ms.toFixed(0)} ms)`,
  );
  for (const failure of probeFailures) {
    failures.push(`fuzz ${target.name}: the probe on another connection failed: ${failure}`);
  }
  if (probes === 0) failures.push(`fuzz ${target.name}: the probe never ran`);
  if (failures.length > 0) {
    throw new Error(`seed ${seedText}\n${failures.join("\n\n")}`);
  }
  return { cases, probes, statuses };
}

/** Every path under `dir` that is a symlink or resolves outside it. */
export async function escapesOf(dir: string): Promise<string[]> {
  const root = await Deno.realPath(dir);
  const out: string[] = [];
  const walk = async (path: string, depth: number) => {
    if (depth > 64) return;
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      if (entry.isSymlink) {
        out.push(full);
        continue;
      }
      const real = await Deno.realPath(full);
      if (!real.startsWith(`${root}/`)) out.push(full);
      if (entry.isDirectory) await walk(full, depth + 1);
    }
  };
  await walk(root, 0);
  return out;
}
