/**
 * A progress line for `put` and `get` on stderr, only when stderr is a
 * terminal: the current file, its percentage and the running totals, redrawn
 * at most ten times a second and erased at the end. Elsewhere (a pipe, a log
 * file, a test) it writes nothing.
 *
 * @module
 */

import { formatSize } from "../human_size.ts";
import { displayName } from "./_output.ts";

const encoder = new TextEncoder();
const REDRAW_MS = 100;

/**
 * Options of {@link Progress}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ProgressOptions } from "./_progress.ts";
 * const options: ProgressOptions = { enabled: false };
 * assert.equal(options.enabled, false);
 * ```
 */
export interface ProgressOptions {
  /** Whether to draw at all (default: whether stderr is a terminal). */
  enabled?: boolean;
  /** Where to draw (default stderr). */
  writer?: { writeSync(p: Uint8Array): number };
  /** Width of the line (default: the terminal's columns, else 80). */
  columns?: number;
}

/**
 * The progress of a transfer of files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Progress } from "./_progress.ts";
 * const drawn: string[] = [];
 * const progress = new Progress({
 *   enabled: true,
 *   columns: 80,
 *   writer: { writeSync: (p) => drawn.push(new TextDecoder().decode(p)) && p.length },
 * });
 * progress.file("/a.bin", 2048);
 * progress.add(1024);
 * progress.end();
 * assert.match(drawn[0], /a\.bin.* 0%/);
 * assert.equal(progress.files, 1);
 * assert.equal(progress.bytes, 1024);
 * assert.equal(new Progress({ enabled: false }).enabled, false);
 * ```
 */
export class Progress {
  /** Whether anything is drawn. */
  readonly enabled: boolean;
  /** Files started so far. */
  files = 0;
  /** Bytes moved so far. */
  bytes = 0;
  #writer: { writeSync(p: Uint8Array): number };
  #columns: number;
  #name = "";
  #size: number | undefined = 0;
  #done = 0;
  #drawnAt = -Infinity;
  #drawn = false;

  /** A progress line (drawn only when enabled). */
  constructor(options?: ProgressOptions) {
    this.enabled = options?.enabled ?? Deno.stderr.isTerminal();
    this.#writer = options?.writer ?? Deno.stderr;
    let columns = options?.columns;
    if (columns === undefined && this.enabled) {
      try {
        columns = Deno.consoleSize().columns;
      } catch {
        columns = undefined;
      }
    }
    // A pseudo-terminal may report no size (0 columns): then 80.
    this.#columns = columns === undefined || columns < 20 ? 80 : columns;
  }

  /** A new file of `size` bytes starts (`undefined`: its size is not known). */
  file(name: string, size: number | undefined): void {
    this.files++;
    this.#name = name;
    this.#size = size;
    this.#done = 0;
    this.#draw(true);
  }

  /** `n` more bytes of the current file moved. */
  add(n: number): void {
    this.bytes += n;
    this.#done += n;
    this.#draw(false);
  }

  /** Erases the line. */
  end(): void {
    if (this.#drawn) this.#writer.writeSync(encoder.encode("\r\x1b[K"));
    this.#drawn = false;
  }

  #draw(force: boolean): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.#drawnAt < REDRAW_MS) return;
    this.#drawnAt = now;
    const size = this.#size;
    let bar = formatSize(this.#done);
    if (size !== undefined) {
      const percent = size > 0 ? Math.floor((this.#done / size) * 100) : 100;
      const barWidth = 20;
      const filled = Math.round((percent / 100) * barWidth);
      bar = `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}] ${
        String(percent).padStart(3)
      }%`;
    }
    const totals = `${this.files} file${this.files === 1 ? "" : "s"}, ${formatSize(this.bytes)}`;
    const room = Math.max(16, this.#columns - bar.length - totals.length - 6);
    let name = displayName(this.#name);
    if (name.length > room) name = "…" + name.slice(name.length - Math.max(1, room - 1));
    this.#writer.writeSync(encoder.encode(`\r\x1b[K${name}  ${bar}  ${totals}`));
    this.#drawn = true;
  }
}

/**
 * Runs a copy (`put`, `get`) with a {@link Progress} line: `body` resolves with
 * the destination, then, when the line was drawn, `say` gets the summary
 * (`copied N file(s), SIZE to DESTINATION`); `undefined` means no summary. The
 * line is erased whatever happens. Resolves with the exit code, 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyWithProgress } from "./_progress.ts";
 * const said: string[] = [];
 * const code = await copyWithProgress((progress) => {
 *   progress.file("/a.bin", 3);
 *   progress.add(3);
 *   return Promise.resolve("/backup/a.bin");
 * }, { say: (message) => said.push(message), enabled: true, writer: { writeSync: (p) => p.length } });
 * assert.equal(code, 0);
 * assert.deepEqual(said, ["copied 1 file(s), 3 B to /backup/a.bin"]);
 * ```
 */
export async function copyWithProgress(
  body: (progress: Progress) => Promise<string | undefined>,
  options: ProgressOptions & { say: (message: string) => void },
): Promise<number> {
  const progress = new Progress(options);
  try {
    const destination = await body(progress);
    progress.end();
    if (destination !== undefined && progress.enabled) {
      options.say(
        `copied ${progress.files} file(s), ${formatSize(progress.bytes)} to ${destination}`,
      );
    }
    return 0;
  } finally {
    progress.end();
  }
}
