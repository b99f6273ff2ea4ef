/**
 * The messages between a `PasswordVerifier` (main thread or serving
 * worker) and its verifier Web Worker (`password_verifier_worker.ts`). A request
 * carries the password to check and the stored entry; a reply carries only the
 * request's id and the outcome. The worker says {@link VerifierReady} first.
 * None is ever logged.
 *
 * @module
 */

import type { StoredPassword } from "./password_scheme.ts";

/**
 * One check, sent to the verifier worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { VerifyRequest } from "./_verifier_messages.ts";
 * const request: VerifyRequest = { id: 1, password: "pw", stored: { scheme: "plain", value: "pw" } };
 * assert.equal(request.stored.scheme, "plain");
 * ```
 */
export interface VerifyRequest {
  /** Chosen by the sender, unique among its checks in flight. */
  id: number;
  /** The password given. */
  password: string;
  /** The entry it is checked against. */
  stored: StoredPassword;
}

/**
 * The verifier worker's answer to a {@link VerifyRequest}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { VerifyReply } from "./_verifier_messages.ts";
 * const reply: VerifyReply = { id: 1, ok: false };
 * assert.equal(reply.ok, false);
 * ```
 */
export interface VerifyReply {
  /** The request's id. */
  id: number;
  /** Whether the password matches. */
  ok: boolean;
}

/**
 * The verifier worker's first message: its module is loaded and it takes requests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { VerifierReady } from "./_verifier_messages.ts";
 * const ready: VerifierReady = { ready: true };
 * assert.equal(ready.ready, true);
 * ```
 */
export interface VerifierReady {
  /** Always `true`. */
  ready: true;
}

/**
 * Whether `data` (a message received from the other side) is a well-formed
 * {@link VerifyRequest}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isVerifyRequest } from "./_verifier_messages.ts";
 * assert.equal(isVerifyRequest({ id: 1, password: "p", stored: { scheme: "sha1", value: "x" } }), true);
 * assert.equal(isVerifyRequest({ id: 1, password: 2 }), false);
 * ```
 */
export function isVerifyRequest(data: unknown): data is VerifyRequest {
  const request = data as Partial<VerifyRequest> | null;
  return typeof request === "object" && request !== null &&
    Number.isSafeInteger(request.id) && typeof request.password === "string" &&
    typeof request.stored === "object" && request.stored !== null &&
    typeof request.stored.scheme === "string" && typeof request.stored.value === "string";
}

/**
 * Whether `data` (a message received from the verifier worker) is a well-formed
 * {@link VerifyReply}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isVerifyReply } from "./_verifier_messages.ts";
 * assert.equal(isVerifyReply({ id: 3, ok: true }), true);
 * assert.equal(isVerifyReply({ id: 3, ok: "yes" }), false);
 * ```
 */
export function isVerifyReply(data: unknown): data is VerifyReply {
  const reply = data as Partial<VerifyReply> | null;
  return typeof reply === "object" && reply !== null && Number.isSafeInteger(reply.id) &&
    typeof reply.ok === "boolean";
}

/**
 * Whether `data` (a message received from the verifier worker) is {@link VerifierReady}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isVerifierReady } from "./_verifier_messages.ts";
 * assert.equal(isVerifierReady({ ready: true }), true);
 * assert.equal(isVerifierReady({ id: 1, ok: true }), false);
 * ```
 */
export function isVerifierReady(data: unknown): data is VerifierReady {
  return typeof data === "object" && data !== null && (data as VerifierReady).ready === true;
}
