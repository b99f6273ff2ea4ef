// The command line both `deno task serve` and `deno task storage` start with in the
// tests: listen on an OS-picked loopback port, a data directory, and optionally a
// worker count and the test certificate for HTTPS.

/** What {@link serveArgs} adds after `--listen` and `--data`. */
export interface ServeArgsOptions {
  /** `--listen` (default `127.0.0.1:0`). */
  listen?: string;
  /** `--workers N` when given. */
  workers?: number;
  /** `--tls-cert` and `--tls-key` (e.g. makeTestCertificates()'s) when given. */
  tls?: { serverCert: string; serverKey: string };
}

/**
 * `--listen 127.0.0.1:0 --data DATA`, then `--workers N` and the TLS files when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveArgs } from "./serve_args.ts";
 * assert.deepEqual(serveArgs("/tmp/d", { workers: 2 }), [
 *   "--listen", "127.0.0.1:0", "--data", "/tmp/d", "--workers", "2",
 * ]);
 * ```
 */
export function serveArgs(data: string, options: ServeArgsOptions = {}): string[] {
  const { listen = "127.0.0.1:0", workers, tls } = options;
  return [
    "--listen",
    listen,
    "--data",
    data,
    ...(workers === undefined ? [] : ["--workers", String(workers)]),
    ...(tls === undefined ? [] : ["--tls-cert", tls.serverCert, "--tls-key", tls.serverKey]),
  ];
}
