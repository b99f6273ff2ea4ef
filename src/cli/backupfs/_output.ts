/**
 * Writing a tool's results on stdout: lines buffered and written whole, a
 * closed pipe (`backupfs ls | head`) ending the output quietly, and names shown
 * with their control characters escaped (a name cannot rewrite the terminal).
 *
 * @module
 */

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g;

/**
 * A name or path as printed: control characters (C0, DEL, C1, U+2028/9) as
 * `\xNN` or `\uNNNN`, and a backslash doubled, so every printed name is one
 * line and means one name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { displayName } from "./_output.ts";
 * assert.equal(displayName("plain name.txt"), "plain name.txt");
 * assert.equal(displayName("two\nlines\x1b[31m"), "two\\x0alines\\x1b[31m");
 * assert.equal(displayName("a\\b"), "a\\\\b");
 * ```
 */
export function displayName(name: string): string {
  return name.replace(CONTROL, (c) => {
    if (c === "\\") return "\\\\";
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * Whether an error is the reader of our output going away (a closed pipe).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isClosedOutput } from "./_output.ts";
 * assert.equal(isClosedOutput(new Deno.errors.BrokenPipe("Broken pipe (os error 32)")), true);
 * assert.equal(isClosedOutput(new Error("disk full")), false);
 * ```
 */
export function isClosedOutput(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe ||
    (error instanceof Error && /broken pipe|EPIPE/i.test(error.message));
}

/**
 * Writes all of `bytes` to a writer (Deno's `write` may take fewer).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAll } from "./_output.ts";
 * const taken: number[] = [];
 * await writeAll({ write: (p) => Promise.resolve(taken.push(Math.min(2, p.length)) && Math.min(2, p.length)) }, new Uint8Array(5));
 * assert.deepEqual(taken, [2, 2, 1]);
 * ```
 */
export async function writeAll(
  writer: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) offset += await writer.write(bytes.subarray(offset));
}

/**
 * Lines for stdout, buffered up to 64 KiB and written whole.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineWriter } from "./_output.ts";
 * const written: string[] = [];
 * const out = new LineWriter({
 *   write: (p: Uint8Array) => Promise.resolve(written.push(new TextDecoder().decode(p)) && p.length),
 * });
 * await out.line("a");
 * await out.line("b");
 * await out.flush();
 * assert.deepEqual(written, ["a\nb\n"]);
 * ```
 */
export class LineWriter {
  #writer: { write(p: Uint8Array): Promise<number> };
  #pending: string[] = [];
  #length = 0;

  /** Lines for `writer` (default stdout). */
  constructor(writer: { write(p: Uint8Array): Promise<number> } = Deno.stdout) {
    this.#writer = writer;
  }

  /** Adds one line (a newline is appended); writes when 64 KiB are waiting. */
  async line(text: string): Promise<void> {
    this.#pending.push(text, "\n");
    this.#length += text.length + 1;
    if (this.#length >= 64 * 1024) await this.flush();
  }

  /** Writes what is waiting. */
  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join("");
    this.#pending = [];
    this.#length = 0;
    await writeAll(this.#writer, encoder.encode(text));
  }
}
