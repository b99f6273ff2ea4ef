/**
 * SIGINT / SIGTERM handling shared by `deno task serve` and `deno task storage`.
 *
 * Under `deno task`, one Ctrl-C reaches the server twice: the terminal sends SIGINT
 * to the whole process group (the task runner and the server), and the runner
 * forwards what it receives to its child. So a repeat within `repeatWindowMs` of
 * the first signal is the same request and is ignored; only a signal after that
 * window forces an immediate exit. The listeners stay installed until `dispose()`,
 * so a late duplicate never hits the default action (exit 130 / 143) mid-shutdown.
 *
 * @module
 */

/** What {@linkcode onShutdownSignals} returns. */
export interface ShutdownSignals {
  /** Resolves with the first signal received. */
  readonly stopped: Promise<Deno.Signal>;
  /** Removes the listeners. */
  dispose(): void;
}

/** Options of {@linkcode onShutdownSignals}. */
export interface ShutdownSignalOptions {
  /** Repeats within this many ms of the first signal are ignored (default 2000). */
  repeatWindowMs?: number;
  /** Called on a later signal: the user insists (default: nothing). */
  onForce?: (signal: Deno.Signal) => void;
}

/** The signals that ask a server to stop on this platform. */
export function stopSignals(): Deno.Signal[] {
  return Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/**
 * Listens for the stop signals: the first resolves `stopped`, a repeat within the
 * window is ignored, a later one calls `onForce`.
 *
 * @example Not run as a test: it waits for a real signal (tests/webdav/serve_signals_test.ts sends them)
 * ```ts ignore
 * const signals = onShutdownSignals({ onForce: () => Deno.exit(1) });
 * await signals.stopped;
 * // … shut down …
 * signals.dispose();
 * ```
 */
export function onShutdownSignals(options?: ShutdownSignalOptions): ShutdownSignals {
  const windowMs = options?.repeatWindowMs ?? 2_000;
  const stopped = Promise.withResolvers<Deno.Signal>();
  let first: number | undefined;
  const handlers = stopSignals().map((signal) => {
    const handler = () => {
      const now = performance.now();
      if (first === undefined) {
        first = now;
        stopped.resolve(signal);
      } else if (now - first >= windowMs) {
        options?.onForce?.(signal);
      }
    };
    Deno.addSignalListener(signal, handler);
    return { signal, handler };
  });
  return {
    stopped: stopped.promise,
    dispose() {
      for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
    },
  };
}
