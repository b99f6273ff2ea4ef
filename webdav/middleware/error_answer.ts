/**
 * The error answer of the WebDAV app: whatever a middleware or handler throws —
 * a `DavError`, a `Deno.errors.*` of BackupFS, a storage failure, a bug — becomes
 * the HTTP answer `http/errors.ts` makes of it, after the request body is
 * cancelled; unexpected errors (5xx) are reported first. Internals never reach
 * the client.
 *
 * @module
 */

import { errorResponse, isUnexpected } from "../http/errors.ts";

/** Where unexpected errors are reported: the error and the request it failed. */
export type ErrorReporter = (error: unknown, request: Request) => void;

/**
 * The default reporter: one line on stderr with the method and the error's name
 * and message (no stack, no request details).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportToConsole } from "./error_answer.ts";
 * const lines: string[] = [];
 * const original = console.error;
 * console.error = (line: string) => lines.push(line);
 * try {
 *   reportToConsole(new TypeError("boom"), new Request("http://h/", { method: "PUT" }));
 * } finally {
 *   console.error = original;
 * }
 * assert.deepEqual(lines, ["webdav: PUT failed: TypeError: boom"]);
 * ```
 */
export function reportToConsole(error: unknown, request: Request): void {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  console.error(`webdav: ${request.method} failed: ${name}: ${message}`);
}

/** Options of {@link answerError}. */
export interface AnswerErrorOptions {
  /** Where an unexpected error is reported (default {@link reportToConsole}). */
  report?: ErrorReporter;
}

/**
 * The answer to a request that failed with `error`: reported when unexpected, the
 * request body cancelled, then `errorResponse` (no body for HEAD).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DavError } from "../dav_error.ts";
 * import { answerError } from "./error_answer.ts";
 * const reported: unknown[] = [];
 * const report = (error: unknown) => reported.push(error);
 * const put = new Request("http://h/a", { method: "PUT", body: "x" });
 * const locked = await answerError(new DavError(423, "locked"), put, { report });
 * assert.equal(locked.status, 423);
 * assert.equal(reported.length, 0); // expected: not reported
 * const head = new Request("http://h/a", { method: "HEAD" });
 * const bug = await answerError(new Error("bug"), head, { report });
 * assert.equal(bug.status, 500);
 * assert.equal(bug.body, null); // HEAD: no body
 * assert.equal(reported.length, 1);
 * ```
 */
export async function answerError(
  error: unknown,
  request: Request,
  options?: AnswerErrorOptions,
): Promise<Response> {
  if (isUnexpected(error)) (options?.report ?? reportToConsole)(error, request);
  await request.body?.cancel().catch(() => {});
  return errorResponse(error, { head: request.method.toUpperCase() === "HEAD" });
}
