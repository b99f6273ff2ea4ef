/**
 * The one answer to a request whose signature does not hold: an
 * `AccessDeniedException` with one generic message, whatever the reason. The
 * precise reason travels only in `cause`, for server-side logs.
 *
 * @module
 */

import { AccessDeniedException } from "../storage/errors.ts";

/**
 * The message of every authentication failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ACCESS_DENIED_MESSAGE } from "./access_denied.ts";
 * assert.equal(ACCESS_DENIED_MESSAGE, "The request signature could not be verified");
 * ```
 */
export const ACCESS_DENIED_MESSAGE = "The request signature could not be verified";

/**
 * The generic refusal, with `reason` as its `cause`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ACCESS_DENIED_MESSAGE, accessDenied } from "./access_denied.ts";
 * const error = accessDenied("payload hash mismatch");
 * assert.equal(error.name, "AccessDeniedException");
 * assert.equal(error.message, ACCESS_DENIED_MESSAGE);
 * assert.equal(error.cause, "payload hash mismatch");
 * ```
 */
export function accessDenied(reason: string): AccessDeniedException {
  return new AccessDeniedException(ACCESS_DENIED_MESSAGE, { cause: reason });
}

/**
 * Throws {@link accessDenied} for `reason`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deny } from "./access_denied.ts";
 * assert.throws(() => deny("no signature"), { name: "AccessDeniedException", cause: "no signature" });
 * ```
 */
export function deny(reason: string): never {
  throw accessDenied(reason);
}
