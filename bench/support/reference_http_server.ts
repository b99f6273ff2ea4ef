/**
 * The reference server of `bench/webdav_workers.ts`: node's HTTP server doing no
 * work at all (every GET and HEAD answered 200 with the same 64 KiB, any other
 * request 201 once its body is read), served by N Web Workers that share one port
 * through SO_REUSEPORT, as `deno task serve --workers N` shares its port. What a
 * second worker costs such a server per request, next to what it costs BackupFS
 * in the same run, tells the machine's part from BackupFS's own.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read=bench/support/reference_http_server.ts \
 *     bench/support/reference_http_server.ts PORT WORKERS
 *
 * Prints `listening on http://127.0.0.1:PORT` once every worker listens.
 *
 * @module
 */

import { createServer } from "node:http";

/** Bytes of every GET answer of {@link serveReference}. */
export const REFERENCE_BODY_BYTES = 64 * 1024;

const BODY = new Uint8Array(REFERENCE_BODY_BYTES);

/**
 * Serves the reference answers on 127.0.0.1:`port` (with SO_REUSEPORT) until the
 * process ends; resolves once listening.
 *
 * @example
 * ```ts ignore
 * import { serveReference } from "./reference_http_server.ts";
 * await serveReference(8080);
 * ```
 */
export function serveReference(port: number): Promise<void> {
  const server = createServer((request, response) => {
    if (request.method === "GET" || request.method === "HEAD") {
      response.writeHead(200, { "content-length": BODY.byteLength });
      response.end(request.method === "GET" ? BODY : undefined);
      return;
    }
    request.resume();
    request.on("end", () => {
      response.writeHead(201, { "content-length": 0 });
      response.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1", reusePort: true }, () => resolve());
  });
}

const inWorker = "WorkerGlobalScope" in globalThis;

if (inWorker) {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent<number>) => void) | null;
    postMessage(message: string): void;
  };
  scope.onmessage = (event) => {
    serveReference(event.data).then(
      () => scope.postMessage("listening"),
      (error) => scope.postMessage(`failed: ${error}`),
    );
  };
} else if (import.meta.main) {
  const port = Number(Deno.args[0]);
  const workers = Number(Deno.args[1] ?? 1);
  if (!Number.isSafeInteger(port) || port <= 0 || !Number.isSafeInteger(workers) || workers < 1) {
    console.error("usage: reference_http_server.ts PORT WORKERS");
    Deno.exit(2);
  }
  await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(import.meta.url, { type: "module", name: `worker-${i}` });
        worker.onmessage = (event: MessageEvent<string>) => {
          if (event.data === "listening") resolve();
          else reject(new Error(event.data));
        };
        worker.postMessage(port);
      })),
  );
  console.log(`listening on http://127.0.0.1:${port}`);
}
