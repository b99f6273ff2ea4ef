/**
 * A node `IncomingMessage`'s body as a web stream that reads the socket only when
 * asked (backpressure). It errors when the client goes away, gives up on a client
 * that stops sending while the server waits for its bytes, counts the bytes read,
 * and calls `onBodyWanted` on the first read.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { RequestRecord } from "./request_record.ts";

/** Thrown into a request body whose client sent nothing for the body idle time. */
export class BodyIdleTimeout extends Error {
  override name = "BodyIdleTimeout";
}

/** Options of {@link IncomingBody}. */
export interface IncomingBodyOptions {
  /** How long a read may wait for the next bytes, in ms (0: no bound). */
  idleMs: number;
  /** Where the body bytes read are counted (`bytesIn`), when the request is observed. */
  record?: RequestRecord;
  /**
   * Called once, when something first reads the body: a request that sent
   * `Expect: 100-continue` is told to go on only then (see serve_http.ts).
   */
  onBodyWanted?: () => void;
}

/** The error a body read gets when the client closed the connection before its end. */
function clientClosed(): Error {
  return new Error("the client closed the connection");
}

/**
 * One request's body, read at most once, through {@link stream}.
 *
 * While a read waits for bytes, the idle timer runs; when it fires, the request is
 * destroyed and the read fails with {@link BodyIdleTimeout}. The timer is armed
 * once and re-armed only when it fires early: a piece that arrives notes the time,
 * it does not clear and set a timer (an upload of 1 GiB arrives in 16,384 pieces of
 * 64 KiB).
 */
export class IncomingBody {
  readonly #message: IncomingMessage;
  readonly #idleMs: number;
  readonly #record: RequestRecord | undefined;
  #onBodyWanted: (() => void) | undefined;
  /** Since when a read has been waiting for bytes (`undefined`: none waits). */
  #waitingSince: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #finished = false;
  /** Where a failure goes: the stream's controller, once the stream started. */
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;

  constructor(message: IncomingMessage, options: IncomingBodyOptions) {
    this.#message = message;
    this.#idleMs = options.idleMs;
    this.#record = options.record;
    this.#onBodyWanted = options.onBodyWanted;
  }

  /**
   * The body as a pull stream of node's own buffers (no copy), one piece read ahead
   * unless the first read must be the reader's own (it sends 100 Continue).
   */
  stream(): ReadableStream<Uint8Array> {
    const message = this.#message;
    const readAhead = this.#onBodyWanted === undefined;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        if (!this.#begin()) return;
        message.pause();
        message.on("data", (piece: Uint8Array) => {
          if (this.#finished) return;
          this.#arrived(piece);
          controller.enqueue(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) message.pause();
        });
        message.on("end", () => {
          if (this.#end()) controller.close();
        });
      },
      pull: () => {
        if (!this.#finished) this.#wantBytes();
      },
      cancel: () => {
        // Nobody wants the rest: it stays unread, and the connection closes after the answer.
        this.#finished = true;
        this.#stopTimer();
      },
    }, { highWaterMark: readAhead ? 1 : 0 });
  }

  /**
   * Starts reading: errors and the client's going away fail the stream. `false`
   * (and the stream failed) when the client is already gone.
   */
  #begin(): boolean {
    const message = this.#message;
    if (message.destroyed && !message.readableEnded) {
      // It went away before anything read it: no event will tell.
      this.#fail(clientClosed());
      return false;
    }
    message.on("error", (error: Error) => this.#fail(error));
    message.on("close", () => {
      if (!message.complete) this.#fail(clientClosed());
    });
    return true;
  }

  /** Fails the stream with `error`, unless it already ended, failed or was cancelled. */
  #fail(error: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stopTimer();
    this.#controller?.error(error);
  }

  /** A piece arrived: the wait is over; it is counted. */
  #arrived(piece: Uint8Array): void {
    this.#waitingSince = undefined;
    if (this.#record !== undefined) this.#record.bytesIn += piece.byteLength;
  }

  /** The body ended: `true` unless the read had already failed or been cancelled. */
  #end(): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.#stopTimer();
    return true;
  }

  /** A read waits for bytes: 100 Continue on the first, the idle timer, and the socket read. */
  #wantBytes(): void {
    if (this.#onBodyWanted !== undefined) {
      const wanted = this.#onBodyWanted;
      this.#onBodyWanted = undefined;
      wanted();
    }
    this.#waitingSince ??= performance.now();
    if (this.#idleMs > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#checkIdle(), this.#idleMs);
    }
    this.#message.resume();
  }

  /** Fails the read when it has waited `idleMs`; else waits for what is left. */
  #checkIdle(): void {
    this.#timer = undefined;
    if (this.#finished || this.#waitingSince === undefined) return; // the next read arms it again
    const waited = performance.now() - this.#waitingSince;
    if (waited < this.#idleMs) {
      this.#timer = setTimeout(() => this.#checkIdle(), Math.ceil(this.#idleMs - waited));
      return;
    }
    const error = new BodyIdleTimeout(
      `no request body bytes for ${this.#idleMs / 1000} s: upload abandoned`,
    );
    this.#fail(error);
    this.#message.destroy(error);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
