/**
 * The authentication of `deno task serve`: the credentials file as the main
 * thread read it at start (checked there, so bad files fail the start), then
 * kept up to date by each process or worker that serves; or the one user of
 * `--user`/`--password`.
 *
 * @module
 */

import type { AuthenticateHook } from "../middleware/authentication.ts";
import { createBasicAuth } from "./basic_auth.ts";
import { createCredentialsFileAuth } from "./credentials_file_auth.ts";
import {
  type CredentialsSnapshot,
  readCredentials,
  ReloadingCredentials,
} from "./credentials_reload.ts";

/** Where the users of `deno task serve` come from. */
export interface ServeUsers {
  /** `--user`/`--password`: user → plain password. */
  users?: Map<string, string>;
  /** `--credentials FILE` as read at start (see {@link loadServeCredentials}). */
  credentials?: CredentialsSnapshot;
}

/**
 * Reads `--credentials FILE` at start: throws (with the path and line number,
 * never content) when it is missing or invalid; `say` is told of lines to look
 * at and of a file that other users can read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadServeCredentials } from "./serve_authentication.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "alice:secret\n", { mode: 0o600 });
 * const said: string[] = [];
 * const snapshot = await loadServeCredentials(path, (message) => said.push(message));
 * assert.deepEqual([...snapshot.users.keys()], ["alice"]);
 * await Deno.remove(path);
 * ```
 */
export async function loadServeCredentials(
  path: string,
  say: (message: string) => void,
): Promise<CredentialsSnapshot> {
  const snapshot = await readCredentials(path, {
    onWarning: (message) => say(`warning: ${message}`),
  });
  if (Deno.build.os !== "windows") {
    const mode = (await Deno.stat(path)).mode ?? 0;
    if (mode & 0o077) {
      say(
        `warning: ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); ` +
          `chmod 600 it`,
      );
    }
  }
  return snapshot;
}

/** The `authenticate` hook of a serving process or worker, with how to release it. */
export type ServeAuthenticateHook = AuthenticateHook & {
  /** Releases what the hook holds (the credentials file's password verifier worker). */
  close(): Promise<void>;
};

/**
 * The `authenticate` hook of one serving process or worker, or `undefined`
 * without users. With a credentials file, `say` (when given) is told of
 * reloads and of failed reloads, and expensive checks run in a verifier
 * worker: call the hook's `close()` when the server closes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveAuthentication } from "./serve_authentication.ts";
 * assert.equal(serveAuthentication({}), undefined);
 * const authenticate = serveAuthentication({ users: new Map([["alice", "secret"]]) })!;
 * const request = new Request("http://localhost/", {
 *   headers: { Authorization: "Basic " + btoa("alice:secret") },
 * });
 * assert.equal(await authenticate(request), "alice");
 * await authenticate.close();
 * ```
 */
export function serveAuthentication(
  options: ServeUsers,
  say?: (message: string) => void,
): ServeAuthenticateHook | undefined {
  if (options.credentials) {
    return createCredentialsFileAuth(
      new ReloadingCredentials(options.credentials, say ? { say } : {}),
    );
  }
  if (!options.users) return undefined;
  return Object.assign(createBasicAuth(options.users), { close: () => Promise.resolve() });
}
