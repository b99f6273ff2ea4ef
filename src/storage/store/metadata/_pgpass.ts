/**
 * The PostgreSQL password file (`~/.pgpass`, or `PGPASSFILE`), read the way libpq
 * reads it. npm:pg reads it too, but prints a deprecation notice each process
 * (pgpass support leaves pg 9), so `PostgresMetadataStore` hands pg a password
 * function over this instead.
 *
 * Format: one `hostname:port:database:username:password` a line; `*` in any of
 * the first four fields matches anything; `\:` and `\\` escape a colon and a
 * backslash; a line starting with `#` is a comment; the first matching line wins.
 * As in libpq, a file that its group or others may read is ignored (and so is
 * one that is not a regular file), and a Unix-socket connection matches the host
 * `localhost`.
 *
 * @module
 */

/** Whom a connection is for: what a password file's line is matched against. */
export interface PasswordFileTarget {
  /** Host name or address, or a Unix-socket directory (starting with `/`). */
  host: string;
  /** TCP port. */
  port: number;
  /** Database name. */
  database: string;
  /** User name. */
  user: string;
}

/** Options of {@linkcode pgpassFileName}. */
export interface PgpassFileNameOptions {
  /** The file asked for explicitly; wins over the environment. */
  passwordFile?: string;
  /** Environment variables (default `Deno.env.toObject()`, read only with `--allow-env`). */
  env?: Record<string, string | undefined>;
}

/**
 * Which password file applies: `passwordFile`, else `PGPASSFILE`, else
 * `$HOME/.pgpass`; `undefined` when none can be named.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pgpassFileName } from "./_pgpass.ts";
 * assert.equal(pgpassFileName({ env: { HOME: "/home/ann" } }), "/home/ann/.pgpass");
 * assert.equal(pgpassFileName({ env: { HOME: "/h", PGPASSFILE: "/etc/pw" } }), "/etc/pw");
 * assert.equal(pgpassFileName({ passwordFile: "/run/pw", env: { PGPASSFILE: "/etc/pw" } }), "/run/pw");
 * assert.equal(pgpassFileName({ env: {} }), undefined);
 * ```
 */
export function pgpassFileName(options?: PgpassFileNameOptions): string | undefined {
  if (options?.passwordFile) return options.passwordFile;
  const env = options?.env ?? readEnv();
  if (env.PGPASSFILE) return env.PGPASSFILE;
  const home = Deno.build.os === "windows" ? env.APPDATA : env.HOME;
  if (!home) return undefined;
  return Deno.build.os === "windows" ? `${home}\\postgresql\\pgpass.conf` : `${home}/.pgpass`;
}

function readEnv(): Record<string, string | undefined> {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}

/**
 * The password of the first line of a password file's text that matches
 * `target`, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pgpassLookup } from "./_pgpass.ts";
 * const text = [
 *   "# comment",
 *   "db.example:5432:meta:gw:s3cr\\:et",
 *   "*:*:*:gw:fallback",
 * ].join("\n");
 * const target = { host: "db.example", port: 5432, database: "meta", user: "gw" };
 * assert.equal(pgpassLookup(text, target), "s3cr:et");
 * assert.equal(pgpassLookup(text, { ...target, port: 6432 }), "fallback");
 * assert.equal(pgpassLookup(text, { ...target, user: "other" }), undefined);
 * ```
 */
export function pgpassLookup(text: string, target: PasswordFileTarget): string | undefined {
  // libpq matches a Unix-socket connection against "localhost".
  const host = target.host.startsWith("/") ? "localhost" : target.host;
  const wanted = [host, String(target.port), target.database, target.user];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith("#") || raw.trim() === "") continue;
    const fields = splitLine(raw);
    if (fields.length < 5) continue;
    if (wanted.every((value, i) => fields[i] === "*" || fields[i] === value)) {
      return fields[4];
    }
  }
  return undefined;
}

/** A line's fields, split on unescaped colons, with `\:` and `\\` unescaped. */
function splitLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (char === "\\" && i + 1 < line.length) {
      field += line[++i];
    } else if (char === ":" && fields.length < 4) {
      fields.push(field);
      field = "";
    } else {
      field += char;
    }
  }
  fields.push(field);
  return fields;
}

/**
 * The password a password file holds for `target`: `undefined` when the file is
 * missing, not a regular file, readable by group or others (libpq's rule), or has
 * no matching line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pgpassPassword } from "./_pgpass.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const file = `${dir}/pgpass`;
 *   await Deno.writeTextFile(file, "localhost:5432:meta:gw:secret\n", { mode: 0o600 });
 *   await Deno.chmod(file, 0o600);
 *   const target = { host: "/var/run/postgresql", port: 5432, database: "meta", user: "gw" };
 *   assert.equal(await pgpassPassword(file, target), "secret");
 *   // Readable by others: ignored, as libpq does.
 *   await Deno.chmod(file, 0o644);
 *   assert.equal(await pgpassPassword(file, target), undefined);
 *   assert.equal(await pgpassPassword(`${dir}/missing`, target), undefined);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function pgpassPassword(
  file: string,
  target: PasswordFileTarget,
): Promise<string | undefined> {
  let text: string;
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) return undefined;
    if (Deno.build.os !== "windows" && ((info.mode ?? 0) & 0o077) !== 0) return undefined;
    text = await Deno.readTextFile(file);
  } catch {
    return undefined;
  }
  return pgpassLookup(text, target);
}
