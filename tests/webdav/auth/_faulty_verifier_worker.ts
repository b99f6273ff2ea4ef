// A verifier worker for tests: the password "crash!" makes it throw an uncaught
// error (a crash), "silent" gets no answer (a hang); any other request is
// answered as the real worker answers it.

import { verifyPassword } from "../../../webdav/auth/password_verify.ts";
import type { VerifyRequest } from "../../../webdav/auth/_verifier_messages.ts";

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<VerifyRequest>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (event) => {
  const request = event.data;
  if (request.password === "crash!") throw new Error("verifier crashed on purpose");
  if (request.password === "silent") return;
  verifyPassword(request.password, request.stored).then((ok) =>
    scope.postMessage({ id: request.id, ok })
  );
};
scope.postMessage({ ready: true });
