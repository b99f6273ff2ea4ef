/**
 * The life of both commands once their storage is open, written once: listen,
 * print `listening on http://HOST:PORT` (`https://` with TLS) on stdout, serve until SIGINT or SIGTERM
 * (a second signal after the repeat window exits 1 at once), then stop gracefully
 * and close the storage.
 *
 * @module
 */

import { type ConnectionLimits, type HttpServerHandle, serveHttp } from "../http/mod.ts";
import type { RequestObserver } from "../http/request_record.ts";
import { gracefulStop } from "./graceful_stop.ts";
import type { ListenAddress } from "./listen_address.ts";
import { listenUrlOf, type TlsFiles } from "./tls_flags.ts";
import { loadServeTls } from "./serve_tls.ts";
import { onShutdownSignals } from "./shutdown_signals.ts";

/**
 * Options of {@link serveUntilStopped}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ServeLoopOptions } from "./serve_loop.ts";
 * const said: string[] = [];
 * const options: ServeLoopOptions = {
 *   listen: { hostname: "127.0.0.1", port: 0 },
 *   limits: {},
 *   close: () => Promise.resolve(),
 *   say: (message) => said.push(message),
 * };
 * assert.equal(options.listen.port, 0);
 * ```
 */
export interface ServeLoopOptions {
  /** Where to listen. */
  listen: ListenAddress;
  /** Connection limits given on the command line. */
  limits: Partial<ConnectionLimits>;
  /** Closes the storage: after the server stopped, or when it could not listen. */
  close: () => Promise<void>;
  /** Reports on stderr in the command's style. */
  say: (message: string) => void;
  /** Called once listening, after the `listening on` line (e.g. to print how to connect). */
  onListen?: (address: ListenAddress) => void;
  /** How a listen failure is written (default `String(error)`). */
  describeError?: (error: unknown) => string;
  /** Told about each request (access log, metrics), when observed. */
  observer?: RequestObserver;
  /**
   * Serve HTTPS with these files (read and checked first: a bad one is said,
   * naming it, and the exit code is 1).
   */
  tls?: TlsFiles;
}

/**
 * Serves `fetch` until a stop signal, then stops gracefully. Resolves with the
 * exit code: 0 after a clean stop, 1 when the address cannot be listened on
 * (the storage is closed and the failure reported).
 *
 * Signal listeners are installed before `listening on` is printed, so a stop
 * right after it is clean.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveUntilStopped } from "./serve_loop.ts";
 * const said: string[] = [];
 * let closed = false;
 * // An address already in use: exit code 1, the storage closed, the failure said.
 * using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const code = await serveUntilStopped(() => new Response("ok"), {
 *   listen: { hostname: "127.0.0.1", port: taken.addr.port },
 *   limits: {},
 *   close: () => Promise.resolve(void (closed = true)),
 *   say: (message) => said.push(message),
 *   describeError: () => "address in use",
 * });
 * assert.equal(code, 1);
 * assert.equal(closed, true);
 * assert.deepEqual(said, [`cannot listen on http://127.0.0.1:${taken.addr.port}: address in use`]);
 * ```
 */
export async function serveUntilStopped(
  fetch: (request: Request) => Response | Promise<Response>,
  options: ServeLoopOptions,
): Promise<number> {
  const { listen, say } = options;
  // A repeat within 2 s is the same Ctrl-C (deno task forwards it); a later one forces.
  const signals = onShutdownSignals({
    onForce: () => {
      say("second signal: exiting now");
      Deno.exit(1);
    },
  });
  const loaded = await loadServeTls(options.tls);
  if (!loaded.ok) {
    signals.dispose();
    await options.close();
    say(loaded.message);
    return 1;
  }
  const { tls, secure } = loaded;
  let server: HttpServerHandle;
  try {
    server = await serveHttp(fetch, {
      ...(tls === undefined ? {} : { tls }),
      hostname: listen.hostname,
      port: listen.port,
      limits: options.limits,
      ...(options.observer ? { observer: options.observer } : {}),
      onListen: (address) => {
        console.log(`listening on ${listenUrlOf(address, secure)}`);
        options.onListen?.(address);
      },
    });
  } catch (error) {
    signals.dispose();
    await options.close();
    const describe = options.describeError ?? String;
    say(`cannot listen on ${listenUrlOf(listen, secure)}: ${describe(error)}`);
    return 1;
  }
  await signals.stopped;
  await gracefulStop({ server, close: options.close, say });
  signals.dispose();
  return 0;
}
