// Run as a child process by password_verifier_test.ts: one expensive check through
// the credentials-file hook (its verifier worker starts), then the hook is closed
// (argument "close") or not; prints the outcome. With close it must exit by itself.

import { createCredentialsFileAuth } from "../../../webdav/auth/credentials_file_auth.ts";
import { classifyPassword } from "../../../webdav/auth/password_scheme.ts";

// "U*U" (OpenBSD's bcrypt vector).
const users = new Map([
  ["alice", classifyPassword("$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")],
]);
const authenticate = createCredentialsFileAuth({ current: () => Promise.resolve(users) });
const outcome = await authenticate(
  new Request("http://localhost/", { headers: { Authorization: `Basic ${btoa("alice:U*U")}` } }),
);
console.log(String(outcome));
if (Deno.args[0] === "close") await authenticate.close();
