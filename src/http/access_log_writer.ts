/**
 * The access log's writer: lines are buffered and written in batches of whole
 * lines — when 64 KiB are waiting, at least every second, and on close — so no
 * request waits for a write. A file is opened with `O_APPEND` and each batch is
 * one `write`, so several writers (the workers of one server, each with its own
 * writer) never tear each other's lines; to stderr (`-`), batches are cut at
 * 4 KiB (`PIPE_BUF`, what a pipe writes atomically). At most 8 MiB wait: when
 * the log cannot keep up, further lines are dropped and counted (one warning).
 *
 * @module
 */

/** Bytes waiting that start a write at once. */
const FLUSH_BYTES = 64 * 1024;
/** Most characters waiting; beyond, lines are dropped. */
const MAX_WAITING_CHARS = 8 * 1024 * 1024;
/** Largest batch written to stderr (atomic on a pipe). */
const PIPE_BUF = 4096;

/** Where the lines go: a file's handle or stderr. */
interface Sink {
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/**
 * Options of {@link AccessLogWriter.open}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AccessLogWriterOptions } from "./access_log_writer.ts";
 * const options: AccessLogWriterOptions = { flushIntervalMs: 1_000, onError: console.error };
 * assert.equal(options.flushIntervalMs, 1_000);
 * ```
 */
export interface AccessLogWriterOptions {
  /** Longest time a line waits (default 1 s). */
  flushIntervalMs?: number;
  /** Where a write failure or dropped lines are reported (once each; default `console.error`). */
  onError?: (message: string) => void;
}

/**
 * A buffered, append-only writer of whole lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessLogWriter } from "./access_log_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const path = `${dir}/access.log`;
 *   const log = await AccessLogWriter.open(path);
 *   log.append("one\n");
 *   log.append("two\n");
 *   await log.close(); // flushes
 *   assert.equal(await Deno.readTextFile(path), "one\ntwo\n");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class AccessLogWriter {
  #sink: Sink;
  #maxBatch: number;
  #onError: (message: string) => void;
  #waiting: string[] = [];
  #waitingChars = 0;
  #writing: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval>;
  #dropped = 0;
  #failed = false;
  #closed = false;

  private constructor(sink: Sink, maxBatch: number, options?: AccessLogWriterOptions) {
    this.#sink = sink;
    this.#maxBatch = maxBatch;
    this.#onError = options?.onError ?? ((message) => console.error(message));
    this.#timer = setInterval(() => this.flush(), options?.flushIntervalMs ?? 1_000);
    Deno.unrefTimer(this.#timer);
  }

  /**
   * Opens `target` for appending (created mode 0640 if missing), or stderr for `-`.
   * Rejects when the file cannot be opened.
   */
  static async open(target: string, options?: AccessLogWriterOptions): Promise<AccessLogWriter> {
    if (target === "-") {
      return new AccessLogWriter(
        {
          write: (bytes) => Deno.stderr.write(bytes),
          close: () => {},
        },
        PIPE_BUF,
        options,
      );
    }
    const file = await Deno.open(target, { append: true, create: true, mode: 0o640 });
    return new AccessLogWriter(file, Infinity, options);
  }

  /** Lines dropped because too many were waiting. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues one whole line (ending in `\n`); written within the flush interval. */
  append(line: string): void {
    if (this.#closed) return;
    if (this.#waitingChars + line.length > MAX_WAITING_CHARS) {
      if (this.#dropped++ === 0) this.#onError("access log: cannot keep up; dropping lines");
      return;
    }
    this.#waiting.push(line);
    this.#waitingChars += line.length;
    if (this.#waitingChars >= FLUSH_BYTES && this.#writing === undefined) void this.flush();
  }

  /** Writes everything waiting; resolves once written (or failed, reported once). */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    if (this.#waiting.length === 0) return;
    const lines = this.#waiting;
    this.#waiting = [];
    this.#waitingChars = 0;
    this.#writing = this.#writeLines(lines).finally(() => this.#writing = undefined);
    await this.#writing;
  }

  async #writeLines(lines: string[]): Promise<void> {
    const encoder = new TextEncoder();
    let start = 0;
    try {
      while (start < lines.length) {
        // One batch: whole lines, at most maxBatch bytes (3 per UTF-16 unit, at most)
        // unless one line alone is longer.
        let end = start;
        let chars = 0;
        do {
          chars += lines[end].length;
          end++;
        } while (end < lines.length && (chars + lines[end].length) * 3 <= this.#maxBatch);
        const bytes = encoder.encode(lines.slice(start, end).join(""));
        for (let done = 0; done < bytes.byteLength;) {
          done += await this.#sink.write(bytes.subarray(done));
        }
        start = end;
      }
    } catch (error) {
      if (!this.#failed) {
        this.#failed = true;
        this.#onError(`access log: write failed: ${(error as Error).message}`);
      }
    }
  }

  /** Flushes, stops the timer and closes the file; later lines are ignored. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
    this.#sink.close();
  }
}
