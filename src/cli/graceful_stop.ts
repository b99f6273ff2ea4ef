/**
 * The end of both commands' lives, written once: after a stop signal, stop
 * accepting requests, let those in flight finish for a grace time, then close the
 * storage for at most the same time, saying what was cut short.
 *
 * @module
 */

/** Default grace time for requests in flight, then again for the storage: 10 s. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Whether `promise` settled (either way) within `ms`. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true, () => true), timeout]).finally(() =>
    clearTimeout(timer)
  );
}

/**
 * Shuts a server down, then its storage, each bounded by `graceMs`; `say` reports
 * what happens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gracefulStop } from "./graceful_stop.ts";
 * const said: string[] = [];
 * await gracefulStop({
 *   server: { shutdown: () => Promise.resolve(false) }, // requests still running
 *   close: () => new Promise(() => {}), // a storage that never closes
 *   say: (message) => said.push(message),
 *   graceMs: 10,
 * });
 * assert.deepEqual(said, [
 *   "shutting down",
 *   "requests still running after 0.01 s; closing anyway",
 *   "the storage did not close in time",
 * ]);
 * ```
 */
export async function gracefulStop(options: {
  server: { shutdown(graceMs: number): Promise<boolean> };
  close: () => Promise<void>;
  say: (message: string) => void;
  graceMs?: number;
  /** Whether "shutting down" is said first (default true; a server's workers leave it to the main thread). */
  announce?: boolean;
}): Promise<void> {
  const graceMs = options.graceMs ?? SHUTDOWN_GRACE_MS;
  if (options.announce ?? true) options.say("shutting down");
  if (!await options.server.shutdown(graceMs)) {
    options.say(`requests still running after ${graceMs / 1000} s; closing anyway`);
  }
  if (!await settlesWithin(options.close(), graceMs)) {
    options.say("the storage did not close in time");
  }
}
