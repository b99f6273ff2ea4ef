/**
 * The concurrency phase of the WebDAV benchmark, the same client for every server:
 * C clients, each with its own keep-alive connection and its own seeded request
 * sequence (see `dav_load_mix.ts`), one request at a time until the time is up (a
 * request under way then is finished, not counted). Every request's latency is
 * recorded (from the first byte written to the last byte read, in this process).
 * An answer other than the expected one is an error, counted per method with a few
 * samples: GET: 200 and the file's size; PUT: 200/201/204; PROPFIND: 207 and a body.
 *
 * The client is a minimal HTTP/1.1 one on Deno's TCP sockets (`_http1_connection.ts`),
 * in this process: it competes with the server for the machine's cores, so the CPU
 * seconds it used are measured and reported next to the server's. (A curl process
 * per client costs ~0.3–0.8 ms of CPU per request, more than the servers themselves;
 * `fetch` costs more than raw sockets too.)
 *
 * @module
 */

import { PieceMaker } from "./bench_data.ts";
import { curlMkcol, curlParallel, uploadConfig } from "./curl_dav.ts";
import {
  loadMix,
  type LoadRequest,
  type LoadTree,
  SMALL_BYTES,
  TAG_CHARS,
  treeLayout,
} from "./dav_load_mix.ts";
import { type Answer, Http1Connection, requestHead } from "./_http1_connection.ts";
import process from "node:process";
import { percentile } from "./run_stats.ts";

/**
 * Options of {@link prepareLoadTree} and {@link runLoadPhase}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LOAD_TREE } from "./dav_load_mix.ts";
 * import type { LoadTreeOptions } from "./dav_load_client.ts";
 * const options: LoadTreeOptions = { tree: DEFAULT_LOAD_TREE, workDir: "/tmp/w" };
 * assert.equal(options.tree.folders, 4);
 * ```
 */
export interface LoadTreeOptions {
  /** The tree the clients work on. */
  tree: LoadTree;
  /** A directory for the input files and curl config files (kept between calls). */
  workDir: string;
}

/** The input files of the tree and the common PUT body, written once per work dir. */
async function inputFiles(options: LoadTreeOptions): Promise<{ common: string; dir: string }> {
  const dir = `${options.workDir}/load-input`;
  const common = `${dir}/common.bin`;
  try {
    await Deno.stat(common);
    return { common, dir };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dir, { recursive: true });
  const pieces = new Map<number, PieceMaker>();
  let index = 0;
  for (const file of treeLayout(options.tree).files) {
    let maker = pieces.get(file.bytes);
    if (!maker) pieces.set(file.bytes, maker = new PieceMaker(file.bytes));
    const i = index++;
    await Deno.writeFile(`${dir}/${i}.bin`, maker.piece(i));
  }
  const body = new Uint8Array(SMALL_BYTES - 1 - TAG_CHARS);
  crypto.getRandomValues(body);
  await Deno.writeFile(common, body);
  return { common, dir };
}

/**
 * Creates the tree's folders (MKCOL) and files (PUTs from one curl, 4 connections)
 * on the server at `origin`, checking every status; not timed.
 *
 * @example
 * ```ts ignore
 * import { DEFAULT_LOAD_TREE } from "./dav_load_mix.ts";
 * import { prepareLoadTree } from "./dav_load_client.ts";
 * await prepareLoadTree("http://127.0.0.1:8080", { tree: DEFAULT_LOAD_TREE, workDir: "/tmp/w" });
 * ```
 */
export async function prepareLoadTree(origin: string, options: LoadTreeOptions): Promise<void> {
  const { dir } = await inputFiles(options);
  const layout = treeLayout(options.tree);
  for (const folder of layout.folders) {
    const made = await curlMkcol(origin + folder);
    if (made.status !== 201) throw new Error(`MKCOL ${folder} answered ${made.status}`);
  }
  const config = `${options.workDir}/load-tree.conf`;
  await Deno.writeTextFile(
    config,
    uploadConfig(
      layout.files.map((file, i) => ({ url: origin + file.path, file: `${dir}/${i}.bin` })),
    ),
  );
  const transfers = await curlParallel(config, { parallel: 4 });
  const bad = transfers.filter((t) => t.status !== 201);
  if (transfers.length !== layout.files.length || bad.length > 0) {
    throw new Error(
      `the load tree: ${transfers.length} of ${layout.files.length} PUTs reported, ` +
        `${bad.length} failed (e.g. ${bad[0]?.status})`,
    );
  }
}

/**
 * Options of one {@link runLoadPhase}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LOAD_TREE } from "./dav_load_mix.ts";
 * import type { LoadRun } from "./dav_load_client.ts";
 * const run: LoadRun = {
 *   tree: DEFAULT_LOAD_TREE, workDir: "/tmp/w", clients: 8, seconds: 20, seed: 1, phase: 0,
 * };
 * assert.equal(run.clients, 8);
 * ```
 */
export interface LoadRun extends LoadTreeOptions {
  /** Concurrent clients (one connection each). */
  clients: number;
  /** How long the clients run. */
  seconds: number;
  /** Seed of the request sequences. */
  seed: number;
  /** The phase's number on this server (new files and PUT bodies differ per phase). */
  phase: number;
}

/**
 * Latencies and errors of one method (or of all requests).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LatencyFigures } from "./dav_load_client.ts";
 * const figures: LatencyFigures = { count: 10, errors: 0, p50Ms: 1, p99Ms: 5 };
 * assert.ok(figures.p99Ms >= figures.p50Ms);
 * ```
 */
export interface LatencyFigures {
  /** Requests answered. */
  count: number;
  /** Requests whose answer was not the expected one. */
  errors: number;
  /** Median latency, ms. */
  p50Ms: number;
  /** 99th percentile latency, ms. */
  p99Ms: number;
}

/**
 * What one concurrency phase measured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LoadResult } from "./dav_load_client.ts";
 * function flagged(result: LoadResult): boolean {
 *   return result.all.errors > 0;
 * }
 * assert.equal(typeof flagged, "function");
 * ```
 */
export interface LoadResult {
  /** Clients that ran. */
  clients: number;
  /** Wall seconds from the first client's start to the end. */
  seconds: number;
  /** Requests answered per second. */
  requestsPerSecond: number;
  /** All requests. */
  all: LatencyFigures;
  /** Per method. */
  methods: Record<string, LatencyFigures>;
  /** Connections the clients opened (one each, unless a server closed one). */
  connections: number;
  /** Up to 5 descriptions of errors. */
  errorSamples: string[];
  /** CPU seconds of the client (this process) during the phase. */
  clientCpuSeconds: number;
}

/** Checks one answer against its request; an error description or undefined. */
function problem(request: LoadRequest, answer: Answer): string | undefined {
  const name = `${request.method} ${request.path}`;
  const { status, bodyBytes } = answer;
  if (request.method === "GET") {
    if (status !== 200) return `${name}: ${status}`;
    if (bodyBytes !== request.bytes) return `${name}: ${bodyBytes} bytes, not ${request.bytes}`;
  } else if (request.method === "PUT") {
    if (status !== 200 && status !== 201 && status !== 204) return `${name}: ${status}`;
  } else {
    if (status !== 207) return `${name}: ${status}`;
    if (!(bodyBytes > 0)) return `${name}: an empty multistatus`;
  }
  return undefined;
}

function figures(latencies: number[], errors: number): LatencyFigures {
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    errors,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/**
 * Runs `run.clients` clients against `origin` for `run.seconds` over the tree
 * {@link prepareLoadTree} made, and reports requests/s, latencies and errors.
 *
 * @example
 * ```ts ignore
 * import { DEFAULT_LOAD_TREE } from "./dav_load_mix.ts";
 * import { prepareLoadTree, runLoadPhase } from "./dav_load_client.ts";
 * const options = { tree: DEFAULT_LOAD_TREE, workDir: "/tmp/w" };
 * await prepareLoadTree("http://127.0.0.1:8080", options);
 * const result = await runLoadPhase("http://127.0.0.1:8080", {
 *   ...options, clients: 8, seconds: 20, seed: 1, phase: 0,
 * });
 * console.log(result.requestsPerSecond, result.all.p99Ms, result.all.errors);
 * ```
 */
export async function runLoadPhase(origin: string, run: LoadRun): Promise<LoadResult> {
  const url = new URL(origin);
  const host = url.host;
  const port = Number(url.port);
  const common = await Deno.readFile((await inputFiles(run)).common);
  const encoder = new TextEncoder();
  const latencies = new Map<string, number[]>();
  const errors = new Map<string, number>();
  const samples: string[] = [];
  const connections: Http1Connection[] = [];
  const bytesOf = (request: LoadRequest): Uint8Array => {
    if (request.method === "GET") return requestHead("GET", request.path, { host });
    if (request.method === "PROPFIND") {
      return requestHead("PROPFIND", request.path, { host, headers: { Depth: "1" } });
    }
    const head = requestHead("PUT", request.path, {
      host,
      headers: {
        "Content-Type": "application/octet-stream",
        "Content-Length": String(SMALL_BYTES),
      },
    });
    const bytes = new Uint8Array(head.length + SMALL_BYTES);
    bytes.set(head);
    bytes.set(common, head.length);
    bytes.set(encoder.encode(`&${request.tag}`), head.length + common.length);
    return bytes;
  };
  const fail = (method: string, error: string) => {
    errors.set(method, (errors.get(method) ?? 0) + 1);
    if (samples.length < 5) samples.push(error);
  };

  let deadline = Infinity;
  const client = async (index: number) => {
    const next = loadMix(index, run);
    const connection = await Http1Connection.open(port);
    connections.push(connection);
    try {
      for (let i = 0; i < 100_000_000 && performance.now() < deadline; i++) {
        const request = next();
        const bytes = bytesOf(request);
        const start = performance.now();
        let answer: Answer;
        try {
          answer = await connection.request(bytes);
        } catch (error) {
          connection.close();
          fail(request.method, `${request.method} ${request.path}: ${(error as Error).message}`);
          continue;
        }
        const end = performance.now();
        const error = problem(request, answer);
        if (error) fail(request.method, error);
        if (end > deadline) break;
        let list = latencies.get(request.method);
        if (!list) latencies.set(request.method, list = []);
        list.push(end - start);
      }
    } finally {
      connection.close();
    }
  };

  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  deadline = start + run.seconds * 1000;
  await Promise.all(Array.from({ length: run.clients }, (_, i) => client(i)));
  const seconds = (Math.min(performance.now(), deadline) - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);

  const methods: Record<string, LatencyFigures> = {};
  const everything: number[] = [];
  let errorCount = 0;
  for (const method of new Set([...latencies.keys(), ...errors.keys()])) {
    const list = latencies.get(method) ?? [];
    for (const ms of list) everything.push(ms);
    errorCount += errors.get(method) ?? 0;
    methods[method] = figures(list, errors.get(method) ?? 0);
  }
  const all = figures(everything, errorCount);
  return {
    clients: run.clients,
    seconds,
    requestsPerSecond: all.count / seconds,
    all,
    methods,
    connections: connections.reduce((sum, c) => sum + c.opened, 0),
    errorSamples: samples,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
