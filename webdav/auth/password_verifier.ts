/**
 * Runs expensive password checks (bcrypt, SHA-crypt, APR1/MD5-crypt) in a
 * dedicated Web Worker (`password_verifier_worker.ts`), one per process or
 * serving worker, so that they never hold up the thread that serves requests:
 * bcryptjs would otherwise compute in slices of up to 100 ms on the event loop
 * and the other schemes at once, delaying every other request (even cached,
 * already-authenticated ones) during a flood of wrong passwords.
 *
 * - The worker is started on the first check, and stopped after `idleMs`
 *   without checks (started again on the next one) and by {@link
 *   PasswordVerifier.close}. An idle Deno Worker keeps its parent's event loop
 *   alive: close the verifier when the server closes (the serving worker's own
 *   exit ends it too).
 * - A worker that crashes (an uncaught error, a message it cannot read, a
 *   module that fails to load), is not ready within `startTimeoutMs` or
 *   answers a check nothing within `timeoutMs` (counted from when it is ready)
 *   is terminated, and every check in flight with it rejects with
 *   {@link VerifierFailedError} (the server answers 503, never 200); the next
 *   check starts a new worker. So a request starts at most one worker and is
 *   never retried.
 * - How many checks run and wait is bounded by the caller (the
 *   `VerificationLimiter` of `credentials_file_auth.ts`); the worker checks them
 *   in arrival order, sharing its one thread.
 * - The password goes only into the `postMessage` to the worker; replies carry
 *   an id and a boolean; nothing is logged.
 *
 * @module
 */

import type { StoredPassword } from "./password_scheme.ts";
import {
  isVerifierReady,
  isVerifyReply,
  type VerifyReply,
  type VerifyRequest,
} from "./_verifier_messages.ts";

/** Default longest wait for one check's answer, in milliseconds (bcrypt cost 17 takes seconds). */
export const DEFAULT_VERIFY_TIMEOUT_MS = 120_000;
/** Default longest wait for a started worker to load its module, in milliseconds. */
export const DEFAULT_VERIFIER_START_TIMEOUT_MS = 60_000;
/** Default time without checks after which the worker is stopped, in milliseconds. */
export const DEFAULT_VERIFIER_IDLE_MS = 60_000;

/**
 * A check that got no answer: the verifier worker crashed, timed out, or the
 * verifier was closed. The WebDAV server answers it `503` with `Retry-After: 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VerifierFailedError } from "./password_verifier.ts";
 * const error = new VerifierFailedError("the password verifier crashed");
 * assert.equal(error.name, "VerifierFailedError");
 * assert.match(error.message, /crashed/);
 * ```
 */
export class VerifierFailedError extends Error {
  /** A failure described by `message` (never a password). */
  constructor(message: string) {
    super(message);
    this.name = "VerifierFailedError";
  }
}

/** Options of {@link PasswordVerifier}. */
export interface PasswordVerifierOptions {
  /** The worker's module (default `password_verifier_worker.ts`); a seam for tests. */
  workerUrl?: URL;
  /**
   * Longest wait for one answer, counted from when the worker is ready (default
   * {@link DEFAULT_VERIFY_TIMEOUT_MS}).
   */
  timeoutMs?: number;
  /** Longest wait for a started worker to be ready (default {@link DEFAULT_VERIFIER_START_TIMEOUT_MS}). */
  startTimeoutMs?: number;
  /** Time without checks before the worker stops (default {@link DEFAULT_VERIFIER_IDLE_MS}). */
  idleMs?: number;
}

interface Pending {
  resolve(ok: boolean): void;
  reject(error: Error): void;
  /** Armed once the worker is ready. */
  timer?: ReturnType<typeof setTimeout>;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be positive`);
  return value;
}

/**
 * The verifier (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PasswordVerifier } from "./password_verifier.ts";
 * const verifier = new PasswordVerifier();
 * assert.equal(verifier.starts, 0); // no worker until the first check
 * // "myPassword" in the Apache documentation's examples.
 * const stored = { scheme: "apr1", value: "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/" } as const;
 * assert.equal(await verifier.verify("myPassword", stored), true);
 * assert.equal(await verifier.verify("mypassword", stored), false);
 * assert.equal(verifier.starts, 1);
 * await verifier.close(); // stops the worker, which would keep the process alive
 * ```
 */
export class PasswordVerifier {
  readonly #url: URL;
  readonly #timeoutMs: number;
  readonly #idleMs: number;
  readonly #startTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #ready = false;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  #starts = 0;
  #closed = false;

  /** A verifier; its worker starts with the first check. */
  constructor(options: PasswordVerifierOptions = {}) {
    this.#url = options.workerUrl ?? new URL("./password_verifier_worker.ts", import.meta.url);
    this.#timeoutMs = positive(options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS, "timeoutMs");
    this.#idleMs = positive(options.idleMs ?? DEFAULT_VERIFIER_IDLE_MS, "idleMs");
    this.#startTimeoutMs = positive(
      options.startTimeoutMs ?? DEFAULT_VERIFIER_START_TIMEOUT_MS,
      "startTimeoutMs",
    );
  }

  /** How many times a worker was started (the first start, then restarts). */
  get starts(): number {
    return this.#starts;
  }

  /** Whether a worker is running now. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Checks waiting for the worker's answer now. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Whether `password` matches `stored`, checked in the worker. Rejects with
   * {@link VerifierFailedError} when the worker crashes or times out meanwhile,
   * or the verifier is closed.
   */
  verify(password: string, stored: StoredPassword): Promise<boolean> {
    if (this.#closed) {
      return Promise.reject(new VerifierFailedError("the password verifier is closed"));
    }
    let worker: Worker;
    try {
      worker = this.#worker ?? this.#start();
    } catch {
      return Promise.reject(new VerifierFailedError("the password verifier cannot start"));
    }
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<boolean>();
    const pending: Pending = { resolve, reject };
    this.#pending.set(id, pending);
    if (this.#ready) this.#arm(worker, pending);
    this.#stopIdleTimer();
    try {
      const request: VerifyRequest = { id, password, stored: { ...stored } };
      worker.postMessage(request);
    } catch {
      this.#fail(worker, "the password verifier cannot be reached");
    }
    return promise;
  }

  /** Stops the worker; checks in flight and later ones reject with {@link VerifierFailedError}. */
  close(): Promise<void> {
    this.#closed = true;
    this.#stopIdleTimer();
    if (this.#worker) this.#fail(this.#worker, "the password verifier is closed");
    return Promise.resolve();
  }

  #start(): Worker {
    const worker = new Worker(this.#url, { type: "module", name: "password verifier" });
    this.#starts++;
    this.#ready = false;
    this.#startTimer = setTimeout(
      () => this.#fail(worker, "the password verifier did not start in time"),
      this.#startTimeoutMs,
    );
    worker.onmessage = (event: MessageEvent<unknown>) => {
      if (this.#worker !== worker) return;
      if (isVerifierReady(event.data)) {
        if (this.#ready) return;
        this.#ready = true;
        clearTimeout(this.#startTimer);
        for (const pending of this.#pending.values()) this.#arm(worker, pending);
        return;
      }
      if (!this.#ready || !isVerifyReply(event.data)) {
        return this.#fail(worker, "the password verifier sent a malformed answer");
      }
      this.#settle(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      // Handled here: not passed on as this thread's uncaught error. Its message is not repeated.
      event.preventDefault();
      this.#fail(worker, "the password verifier crashed");
    };
    worker.onmessageerror = () =>
      this.#fail(worker, "the password verifier sent an unreadable answer");
    this.#worker = worker;
    return worker;
  }

  /** Bounds the wait for `pending`'s answer. */
  #arm(worker: Worker, pending: Pending): void {
    pending.timer = setTimeout(
      () => this.#fail(worker, "the password verifier did not answer in time"),
      this.#timeoutMs,
    );
  }

  #settle(reply: VerifyReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    pending.resolve(reply.ok);
    if (this.#pending.size === 0) this.#startIdleTimer();
  }

  /** Terminates `worker` (if still the current one) and rejects every check in flight. */
  #fail(worker: Worker, message: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    worker.terminate();
    clearTimeout(this.#startTimer);
    this.#stopIdleTimer();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { reject, timer } of pending) {
      clearTimeout(timer);
      reject(new VerifierFailedError(message));
    }
  }

  #startIdleTimer(): void {
    this.#stopIdleTimer();
    const worker = this.#worker;
    if (!worker) return;
    const timer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#worker === worker && this.#pending.size === 0) {
        this.#worker = undefined;
        worker.terminate();
      }
    }, this.#idleMs);
    // The idle timer alone never keeps the process alive.
    Deno.unrefTimer(timer);
    this.#idleTimer = timer;
  }

  #stopIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}
