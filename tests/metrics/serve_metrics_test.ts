// `deno task serve --metrics` and `deno task storage --metrics` as child
// processes: /metrics after known requests (summed over workers), storage calls,
// chunk verification and cache counters, and /health going 503 once the store
// behind --endpoint stops answering.

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { type RunningCommand, startCommand } from "../integration/support/worker_command.ts";
import { freePort } from "../webdav/support/serve_process.ts";
import { serveArgs } from "../webdav/support/serve_args.ts";
import { GATEWAY_KEYS, writeGatewayCredentials } from "../support/gateway_process.ts";
import { eventually, health, moved, sample, scrape, scrapeAfter } from "./support/scrape.ts";

const requests = (method: string, status: number) =>
  `backupfs_http_requests_total{method="${method}",status="${status}"}`;
const calls = (operation: string) => `backupfs_storage_calls_total{operation="${operation}"}`;
const errors = (operation: string) => `backupfs_storage_errors_total{operation="${operation}"}`;

/** `fetch` on a connection of its own (so that requests spread over the workers). */
async function fresh(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; bytes: number; worker: string | null }> {
  using client = Deno.createHttpClient({});
  const response = await fetch(url, { ...init, client });
  const bytes = (await response.arrayBuffer()).byteLength;
  return { status: response.status, bytes, worker: response.headers.get("x-backupfs-worker") };
}

Deno.test("serve --workers 2 --metrics: requests, bytes and latencies summed over the workers move exactly", async () => {
  const dir = await Deno.makeTempDir();
  const metricsPort = freePort();
  const metrics = `http://127.0.0.1:${metricsPort}`;
  const serve = await startCommand("serve", [
    ...serveArgs(dir, { workers: 2 }),
    "--metrics",
    `127.0.0.1:${metricsPort}`,
  ], { BACKUPFS_WORKER_HEADER: "1" });
  try {
    const up = await eventually("healthy", async () => {
      const answer = await health(metrics);
      return answer.status === 200 ? answer : undefined;
    });
    assertEquals(up.body, { status: "ok", workers: 2 });
    const before = await scrape(metrics);
    assertEquals(sample(before, "backupfs_workers"), 2);
    const answers = [
      await fresh(`${serve.origin}/a.txt`, { method: "PUT", body: "hello" }),
      await fresh(`${serve.origin}/b.txt`, { method: "PUT", body: "world!!" }),
      await fresh(`${serve.origin}/missing.txt`),
      await fresh(`${serve.origin}/`, { method: "PROPFIND", headers: { Depth: "1" } }),
      await fresh(`${serve.origin}/d`, { method: "MKCOL" }),
      await fresh(`${serve.origin}/b.txt`, { method: "DELETE" }),
    ];
    assertEquals(answers.map((a) => a.status), [201, 201, 404, 207, 201, 204]);
    // GETs on new connections until both workers answered one (the kernel spreads them).
    const workers = new Set<string | null>();
    let gets = 0;
    for (; gets < 200 && workers.size < 2; gets++) {
      const get = await fresh(`${serve.origin}/a.txt`);
      assertEquals(get.status, 200);
      workers.add(get.worker);
      answers.push(get);
    }
    assertEquals([...workers].sort(), ["0", "1"]);
    const after = await scrapeAfter(metrics, before, answers.length);
    assertEquals(moved(before, after, requests("PUT", 201)), 2);
    assertEquals(moved(before, after, requests("GET", 200)), gets);
    assertEquals(moved(before, after, requests("GET", 404)), 1);
    assertEquals(moved(before, after, requests("PROPFIND", 207)), 1);
    assertEquals(moved(before, after, requests("MKCOL", 201)), 1);
    assertEquals(moved(before, after, requests("DELETE", 204)), 1);
    assertEquals(moved(before, after, "backupfs_http_request_bytes_total"), 5 + 7);
    assertEquals(
      moved(before, after, "backupfs_http_response_bytes_total"),
      answers.reduce((sum, a) => sum + a.bytes, 0),
    );
    assertEquals(
      moved(before, after, "backupfs_http_request_duration_seconds_count"),
      answers.length,
    );
    assertEquals(
      moved(before, after, 'backupfs_http_request_duration_seconds_bucket{le="+Inf"}'),
      answers.length,
    );
    assertEquals(sample(after, "backupfs_http_requests_in_flight"), 0);
    // Two small files and the collection's marker: each stored whole, hashed by the store
    // in this process (PutObjectHashed), none through PutObject; no failure.
    assertEquals(moved(before, after, calls("PutObjectHashed")), 3);
    assertEquals(moved(before, after, errors("PutObjectHashed")), 0);
    assertEquals(moved(before, after, calls("PutObject")), 0);
    assertEquals(sample(after, "backupfs_up"), 1);
    // The metrics are on their own listener, not the WebDAV port.
    assertEquals((await fresh(`${serve.origin}/metrics`)).status, 404);
  } finally {
    const { code, stderr } = await serve.stop();
    await Deno.remove(dir, { recursive: true });
    assertEquals(code, 0, stderr);
  }
});

Deno.test("serve --endpoint --metrics: storage calls, verified chunks and the chunk cache; /health 503 once the storage service stops", async () => {
  const dir = await Deno.makeTempDir();
  const credentials = await writeGatewayCredentials(dir);
  const storageMetricsPort = freePort();
  const storageMetrics = `http://127.0.0.1:${storageMetricsPort}`;
  const storage = await startCommand("storage", [
    ...serveArgs(`${dir}/store`, { workers: 2 }),
    "--credentials",
    credentials,
    "--metrics",
    `127.0.0.1:${storageMetricsPort}`,
    "--access-log",
    `${dir}/storage-access.log`,
    "--access-log-format",
    "json",
  ]);
  const metricsPort = freePort();
  const metrics = `http://127.0.0.1:${metricsPort}`;
  let serve: RunningCommand | undefined;
  try {
    serve = await startCommand("serve", [
      "--listen",
      "127.0.0.1:0",
      "--endpoint",
      storage.origin,
      "--metrics",
      `127.0.0.1:${metricsPort}`,
    ], {
      AWS_ACCESS_KEY_ID: GATEWAY_KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: GATEWAY_KEYS.secretAccessKey,
      AWS_REGION: "us-east-1",
    });
    await eventually("healthy", async () => (await health(metrics)).status === 200 || undefined);
    const storageBefore = await scrape(storageMetrics);
    const before = await scrape(metrics);
    const body = "0123456789".repeat(100);
    const put = await fetch(`${serve.origin}/x.txt`, { method: "PUT", body });
    await put.body?.cancel();
    assertEquals(put.status, 201);
    for (let i = 0; i < 2; i++) {
      const get: Response = await fetch(`${serve.origin}/x.txt`);
      assertEquals(await get.text(), body);
    }
    const after = await scrapeAfter(metrics, before, 3);
    assertEquals(moved(before, after, requests("GET", 200)), 2);
    // The file's one chunk: fetched and verified once, then served from the cache.
    assertEquals(moved(before, after, calls("GetChunk")), 1);
    assertEquals(moved(before, after, "backupfs_chunks_verified_total"), 1);
    assertEquals(moved(before, after, "backupfs_chunks_failed_verification_total"), 0);
    assertEquals(moved(before, after, "backupfs_chunk_cache_misses_total"), 1);
    assertEquals(moved(before, after, "backupfs_chunk_cache_hits_total"), 1);
    // The storage service counted the GetChunk it answered (its workers summed).
    const storageAfter = await scrape(storageMetrics);
    assert(moved(storageBefore, storageAfter, calls("GetChunk")) >= 1);
    assertEquals(sample(storageAfter, "backupfs_workers"), 2);
    assertEquals((await health(storageMetrics)).status, 200);

    const stopped = await storage.stop();
    assertEquals(stopped.code, 0, stopped.stderr);
    // The storage service's access log names the verified access key id, never its secret.
    const logged = await Deno.readTextFile(`${dir}/storage-access.log`);
    const records = logged.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert(records.some((r) => r.method === "PUT" && r.status === 200));
    assert(records.every((r) => r.user === GATEWAY_KEYS.accessKeyId), logged);
    assert(!logged.includes(GATEWAY_KEYS.secretAccessKey), "the secret key in the log");
    const down = await eventually("unhealthy", async () => {
      const answer = await health(metrics);
      return answer.status === 503 ? answer : undefined;
    });
    assertEquals(down.body, { status: "unavailable", workers: 1 });
    assertMatch(await (await fetch(`${metrics}/metrics`)).text(), /^backupfs_up 0$/m);
  } finally {
    await storage.stop();
    const result: { code: number; stderr: string } | undefined = await serve?.stop();
    await Deno.remove(dir, { recursive: true });
    if (result) assertEquals(result.code, 0, result.stderr);
  }
});
