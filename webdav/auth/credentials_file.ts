/**
 * The credentials file of `deno task serve --credentials FILE`: the users
 * allowed in by HTTP Basic authentication.
 *
 * Format: an Apache htpasswd file (UTF-8 text, one user per line), whose
 * entries may also hold plain passwords:
 *
 * ```
 * # comment lines start with '#' (after optional spaces); blank lines are ignored
 * alice:$2y$05$…                   <- htpasswd -B (bcrypt); -2, -5, -m, -s hashes too
 * bob:correct horse battery staple <- a plain password (htpasswd -p)
 * carol:pa:ss                      <- the field is everything after the first ':', verbatim
 * ```
 *
 * The user name is the text before the first `:` (spaces around it trimmed; it
 * must not be empty); the password field is the rest of the line exactly (no
 * trimming; a trailing `\r` is dropped), and must not be empty. A user may
 * appear once. How a field is told to be a hash or a plain password, and which
 * schemes are refused, is in `password_scheme.ts`. Keep the file private
 * (mode 0600). Errors and warnings name the line number, never its content.
 *
 * @module
 */

import { classifyPassword, looksLikeDesCrypt, type StoredPassword } from "./password_scheme.ts";

export type { StoredPassword } from "./password_scheme.ts";

/** Largest credentials file read, in bytes. */
export const MAX_CREDENTIALS_FILE_BYTES = 1024 * 1024;

/** Options of {@link parseCredentials} and {@link loadCredentials}. */
export interface CredentialsParseOptions {
  /**
   * Told of lines that load but deserve a look (a plain password that looks
   * like a crypt(3) DES hash); the message names the line number only.
   */
  onWarning?: (message: string) => void;
}

/**
 * Parses the text of a credentials file into a user → stored password map.
 * Throws `SyntaxError` naming the first bad line (never its content).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCredentials } from "./credentials_file.ts";
 * const users = parseCredentials(
 *   "# team\nalice:s3:cret\n\nbob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n",
 * );
 * assert.deepEqual(users.get("alice"), { scheme: "plain", value: "s3:cret" });
 * assert.equal(users.get("bob")?.scheme, "apr1");
 * assert.throws(() => parseCredentials("ok:1\ncarol:$argon2id$v=19$x$y\n"), /^SyntaxError: line 2: /);
 * ```
 */
export function parseCredentials(
  text: string,
  options: CredentialsParseOptions = {},
): Map<string, StoredPassword> {
  const users = new Map<string, StoredPassword>();
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    const trimmed = line.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const where = `line ${i + 1}`;
    const colon = line.indexOf(":");
    if (colon < 0) throw new SyntaxError(`${where}: expected user:password`);
    const user = line.slice(0, colon).trim();
    const field = line.slice(colon + 1);
    if (user === "") throw new SyntaxError(`${where}: empty user name`);
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x1f\x7f]/.test(user)) {
      throw new SyntaxError(`${where}: control character in the user name`);
    }
    if (field === "") throw new SyntaxError(`${where}: empty password`);
    let stored: StoredPassword;
    try {
      stored = classifyPassword(field);
    } catch (error) {
      throw new SyntaxError(`${where}: ${(error as Error).message}`);
    }
    if (stored.scheme === "plain" && looksLikeDesCrypt(field)) {
      options.onWarning?.(
        `${where}: taken as a plain password; crypt(3) DES hashes (htpasswd -d) are not supported`,
      );
    }
    if (users.has(user)) throw new SyntaxError(`${where}: user "${user}" appears twice`);
    users.set(user, stored);
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
 * assert.deepEqual((await loadCredentials(path)).get("alice"), { scheme: "plain", value: "secret" });
 * await Deno.remove(path);
 * ```
 */
export async function loadCredentials(
  path: string,
  options: CredentialsParseOptions = {},
): Promise<Map<string, StoredPassword>> {
  const info = await Deno.stat(path);
  if (!info.isFile) throw new Error(`${path} is not a file`);
  if (info.size > MAX_CREDENTIALS_FILE_BYTES) throw new Error(`${path} is too large`);
  const bytes = await Deno.readFile(path);
  if (bytes.length > MAX_CREDENTIALS_FILE_BYTES) throw new Error(`${path} is too large`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${path} is not UTF-8 text`);
  }
  let users: Map<string, StoredPassword>;
  try {
    users = parseCredentials(text, {
      onWarning: (message) => options.onWarning?.(`${path}: ${message}`),
    });
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  if (users.size === 0) throw new Error(`${path} holds no user`);
  return users;
}
