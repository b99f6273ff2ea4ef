/**
 * `DavError`: an HTTP error answer of the WebDAV server, with the RFC 4918
 * precondition or postcondition element it names, if any (`propfind-finite-depth`,
 * `lock-token-submitted`, `no-conflicting-lock`, `cannot-modify-protected-property`, …).
 *
 * @module
 */

/**
 * An error that becomes an HTTP response: `status`, and for RFC 4918 conditions a
 * `DAV:error` body naming `condition` (with `hrefs` inside it where the RFC puts
 * them, e.g. the roots of the locks in `lock-token-submitted`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DavError } from "./dav_error.ts";
 * const e = new DavError(403, "Depth: infinity is not allowed", { condition: "propfind-finite-depth" });
 * assert.equal(e.status, 403);
 * assert.equal(e.condition, "propfind-finite-depth");
 * assert.equal(e.message, "Depth: infinity is not allowed");
 * ```
 */
export class DavError extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  /** Local name of the `DAV:` condition element for the error body, if any. */
  readonly condition?: string;
  /** Hrefs listed inside the condition element. */
  readonly hrefs: readonly string[];
  /** Extra response headers (e.g. `Allow` for 405). */
  readonly headers: Readonly<Record<string, string>>;

  /** An error answered with `status`; `message` is logged, never sent as is for 5xx. */
  constructor(
    status: number,
    message: string,
    options?: {
      condition?: string;
      hrefs?: readonly string[];
      headers?: Record<string, string>;
      cause?: unknown;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DavError";
    this.status = status;
    if (options?.condition !== undefined) this.condition = options.condition;
    this.hrefs = options?.hrefs ?? [];
    this.headers = options?.headers ?? {};
  }
}
