/**
 * The verifier Web Worker: checks passwords against expensive entries
 * (bcrypt, SHA-crypt, APR1/MD5-crypt) off the serving thread, so that a flood of
 * wrong passwords does not hold up other requests. Started by a
 * `PasswordVerifier` (`password_verifier.ts`) with this module's URL; each
 * {@link VerifyRequest} it receives is answered by a {@link VerifyReply} (the id
 * and the outcome, never the password), after a first {@link VerifierReady}. Nothing is logged. A malformed message
 * is answered `ok: false` when it has an id, else ignored.
 *
 * @module
 */

import { verifyPassword } from "./password_verify.ts";
import {
  isVerifyRequest,
  type VerifierReady,
  type VerifyReply,
  type VerifyRequest,
} from "./_verifier_messages.ts";

/**
 * Checks one request (as the worker does for each message it receives).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { answerVerifyRequest } from "./password_verifier_worker.ts";
 * // "myPassword" in the Apache documentation's examples.
 * const stored = { scheme: "apr1", value: "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/" } as const;
 * assert.deepEqual(await answerVerifyRequest({ id: 7, password: "myPassword", stored }), {
 *   id: 7,
 *   ok: true,
 * });
 * assert.equal((await answerVerifyRequest({ id: 8, password: "wrong", stored })).ok, false);
 * ```
 */
export async function answerVerifyRequest(request: VerifyRequest): Promise<VerifyReply> {
  let ok = false;
  try {
    ok = (await verifyPassword(request.password, request.stored)) === true;
  } catch {
    ok = false;
  }
  return { id: request.id, ok };
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<unknown>) => void) | null;
  postMessage(message: VerifyReply | VerifierReady): void;
}

// Only when loaded as a Web Worker (importing it elsewhere, e.g. for the doc test, does nothing).
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "function") {
  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = (event) => {
    const data = event.data;
    if (isVerifyRequest(data)) {
      answerVerifyRequest(data).then((reply) => scope.postMessage(reply));
    } else {
      const id = (data as { id?: unknown } | null)?.id;
      if (Number.isSafeInteger(id)) scope.postMessage({ id: id as number, ok: false });
    }
  };
  scope.postMessage({ ready: true });
}
