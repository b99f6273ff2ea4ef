/**
 * One style for the command-line messages of `serve` and `storage`:
 * `PREFIX: message`, starting lower-case, without a trailing period.
 *
 * @module
 */

/**
 * `text` in the shared style: the first letter lower-cased unless it starts an
 * acronym (`AWS`, `HTTP`), trailing periods and spaces removed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { styleMessage } from "./message_style.ts";
 * assert.equal(styleMessage("Unknown option '--x'."), "unknown option '--x'");
 * assert.equal(styleMessage("AWS credentials missing"), "AWS credentials missing");
 * ```
 */
export function styleMessage(text: string): string {
  const trimmed = text.replace(/[.\s]+$/, "");
  return /^[A-Z][a-z]/.test(trimmed) ? trimmed[0].toLowerCase() + trimmed.slice(1) : trimmed;
}

/**
 * Writes `PREFIX: message` on stderr in the shared style.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { report } from "./message_style.ts";
 * const written: unknown[] = [];
 * const original = console.error;
 * console.error = (line: unknown) => written.push(line);
 * try {
 *   report("storage", "Cannot open the store.");
 * } finally {
 *   console.error = original;
 * }
 * assert.deepEqual(written, ["storage: cannot open the store"]);
 * ```
 */
export function report(prefix: string, message: string): void {
  console.error(`${prefix}: ${styleMessage(message)}`);
}
