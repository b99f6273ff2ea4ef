/**
 * The credentials file of `deno task serve --credentials FILE`: the users
 * allowed in by HTTP Basic authentication.
 *
 * Format (UTF-8 text, one user per line, htpasswd-like but plaintext only):
 *
 * ```
 * # comment lines start with '#' (after optional spaces); blank lines are ignored
 * alice:correct horse battery staple
 * bob:pa:ss   <- the password is everything after the first ':', kept verbatim
 * ```
 *
 * The user name is the text before the first `:` (spaces around it trimmed; it
 * must not be empty); the password is the rest of the line exactly (no
 * trimming; a trailing `\r` is dropped), and must not be empty. A user may
 * appear once. Hashed htpasswd entries (`$apr1$…`, `$2y$…`, `{SHA}…`, …) are
 * refused: this server cannot verify them. Keep the file private (mode 0600).
 * Errors name the line number, never its content.
 *
 * @module
 */

/** Largest credentials file read, in bytes. */
export const MAX_CREDENTIALS_FILE_BYTES = 1024 * 1024;

const HASHED = /^(\$(apr1|1|2[abxy]?|5|6|argon2[a-z]*)\$|\{(SHA|SSHA|MD5)\})/;

/**
 * Parses the text of a credentials file into a user → password map. Throws
 * `SyntaxError` naming the first bad line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCredentials } from "./credentials_file.ts";
 * const users = parseCredentials("# team\nalice:s3:cret\n\nbob:hunter2\n");
 * assert.deepEqual([...users], [["alice", "s3:cret"], ["bob", "hunter2"]]);
 * ```
 */
export function parseCredentials(text: string): Map<string, string> {
  const users = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    const trimmed = line.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const where = `line ${i + 1}`;
    const colon = line.indexOf(":");
    if (colon < 0) throw new SyntaxError(`${where}: expected user:password`);
    const user = line.slice(0, colon).trim();
    const password = line.slice(colon + 1);
    if (user === "") throw new SyntaxError(`${where}: empty user name`);
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x1f\x7f]/.test(user)) {
      throw new SyntaxError(`${where}: control character in the user name`);
    }
    if (password === "") throw new SyntaxError(`${where}: empty password`);
    if (HASHED.test(password)) {
      throw new SyntaxError(
        `${where}: hashed htpasswd passwords are not supported; write the password in plain text`,
      );
    }
    if (users.has(user)) throw new SyntaxError(`${where}: user "${user}" appears twice`);
    users.set(user, password);
  }
  return users;
}

/**
 * Reads and parses a credentials file (see the module doc for the format).
 * Throws when the file is missing, too large, not UTF-8, malformed or empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCredentials } from "./credentials_file.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "alice:secret\n", { mode: 0o600 });
 * assert.equal((await loadCredentials(path)).get("alice"), "secret");
 * await Deno.remove(path);
 * ```
 */
export async function loadCredentials(path: string): Promise<Map<string, string>> {
  const info = await Deno.stat(path);
  if (!info.isFile) throw new Error(`${path} is not a file`);
  if (info.size > MAX_CREDENTIALS_FILE_BYTES) throw new Error(`${path} is too large`);
  const bytes = await Deno.readFile(path);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${path} is not UTF-8 text`);
  }
  let users: Map<string, string>;
  try {
    users = parseCredentials(text);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  if (users.size === 0) throw new Error(`${path} holds no user`);
  return users;
}
