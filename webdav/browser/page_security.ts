/**
 * The security headers of the browser's pages: a strict Content-Security-Policy
 * that allows only the page's own inline script and style (by their SHA-256
 * hashes), requests to the page's own origin, and no framing; no MIME sniffing;
 * no caching of a listing that changes.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { FILE_MANAGER_SCRIPT } from "./file_manager_script.ts";
import { FILE_MANAGER_STYLE } from "./file_manager_style.ts";

/**
 * The CSP hash source of an inline script or style: `'sha256-…'`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cspHash } from "./page_security.ts";
 * assert.equal(cspHash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
 * ```
 */
export function cspHash(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/**
 * The Content-Security-Policy of the file manager page: nothing but its inline
 * script and style, XMLHttpRequests to its own origin, no plugins, forms or
 * frames.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FILE_MANAGER_SCRIPT } from "./file_manager_script.ts";
 * import { cspHash, FILE_MANAGER_CSP } from "./page_security.ts";
 * assert.ok(FILE_MANAGER_CSP.startsWith("default-src 'none'"));
 * assert.ok(FILE_MANAGER_CSP.includes(`script-src ${cspHash(FILE_MANAGER_SCRIPT)}`));
 * assert.ok(!FILE_MANAGER_CSP.includes("unsafe-inline"));
 * ```
 */
export const FILE_MANAGER_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(FILE_MANAGER_SCRIPT)}`,
  `style-src ${cspHash(FILE_MANAGER_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * The headers of an HTML page of the server: type, CSP, `nosniff`, no framing,
 * no referrer to other origins, `no-store` (a listing changes under the page).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageHeaders } from "./page_security.ts";
 * const headers = pageHeaders();
 * assert.equal(headers.get("Content-Type"), "text/html; charset=utf-8");
 * assert.equal(headers.get("X-Content-Type-Options"), "nosniff");
 * assert.match(headers.get("Content-Security-Policy") ?? "", /frame-ancestors 'none'/);
 * ```
 */
export function pageHeaders(): Headers {
  return new Headers({
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": FILE_MANAGER_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
  });
}
