/**
 * The users of a credentials file, kept up to date while the server runs: on
 * use, at most once a second, the file's identity (device, inode, size,
 * modification and change times) is looked at; when it changed the file is
 * read again. Replacing the file by a rename (as many editors do) and
 * rewriting it in place (as Debian's `htpasswd` does: same inode) both work. A
 * read during which the file changed is not used (it is read again, up to 3
 * times, then on a later use), so a half-written file is not taken for an
 * invalid one. A file that became unreadable or
 * invalid leaves the last good users in force and is reported once (its path
 * and line number, never its content), until it changes again. A removed user
 * is refused from the first use after the reload on.
 *
 * With `--workers N`, each worker keeps its own copy up to date this way.
 *
 * @module
 */

import { type CredentialsParseOptions, loadCredentials } from "./credentials_file.ts";
import type { StoredPassword } from "./password_scheme.ts";

/** Default least time between two looks at the file, in milliseconds. */
export const DEFAULT_RELOAD_INTERVAL_MS = 1000;

/** The users of a credentials file as read once, and which version of the file that was. */
export interface CredentialsSnapshot {
  /** The file. */
  path: string;
  /** User → stored password. */
  users: Map<string, StoredPassword>;
  /** The file's identity when read (see {@link fileSignature}). */
  signature: string;
}

/**
 * The identity of a file's version: device, inode, size, modification and
 * change times. Changes when the file is rewritten or replaced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileSignature } from "./credentials_reload.ts";
 * const path = await Deno.makeTempFile();
 * const before = fileSignature(await Deno.stat(path));
 * await Deno.writeTextFile(path, "alice:secret\n");
 * assert.notEqual(fileSignature(await Deno.stat(path)), before);
 * await Deno.remove(path);
 * ```
 */
export function fileSignature(info: Deno.FileInfo): string {
  return [info.dev, info.ino, info.size, info.mtime?.getTime(), info.ctime?.getTime()].join(":");
}

/**
 * Reads a credentials file with the identity it had while read: the file is
 * looked at before and after reading, and read again (up to 3 times) when it
 * changed meanwhile. Throws as `loadCredentials` does, or when the file kept
 * changing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCredentials } from "./credentials_reload.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "alice:secret\n");
 * const snapshot = await readCredentials(path);
 * assert.deepEqual([...snapshot.users.keys()], ["alice"]);
 * assert.equal(snapshot.path, path);
 * await Deno.remove(path);
 * ```
 */
export async function readCredentials(
  path: string,
  options: CredentialsParseOptions = {},
): Promise<CredentialsSnapshot> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = fileSignature(await Deno.stat(path));
    let users: Map<string, StoredPassword>;
    try {
      users = await loadCredentials(path, options);
    } catch (error) {
      // Caught half-written (htpasswd rewrites the file in place)? Then read it again.
      if (fileSignature(await Deno.stat(path)) === before) throw error;
      continue;
    }
    const after = fileSignature(await Deno.stat(path));
    if (before === after) return { path, users, signature: after };
  }
  throw new Error(`${path} kept changing while read`);
}

/** Options of {@link ReloadingCredentials}. */
export interface ReloadingCredentialsOptions {
  /** Least time between two looks at the file (default {@link DEFAULT_RELOAD_INTERVAL_MS}). */
  intervalMs?: number;
  /** Where reloads and failed reloads are reported (default: nowhere). */
  say?: (message: string) => void;
  /** The clock, in milliseconds (default `Date.now`); a seam for tests. */
  now?: () => number;
}

/**
 * The users of a credentials file, reloaded on use when the file changed (see
 * the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCredentials, ReloadingCredentials } from "./credentials_reload.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "alice:secret\n");
 * let clock = 0;
 * const credentials = new ReloadingCredentials(await readCredentials(path), { now: () => clock });
 * await Deno.writeTextFile(`${path}.new`, "bob:other\n");
 * await Deno.rename(`${path}.new`, path); // an atomic replace
 * assert.deepEqual([...(await credentials.current()).keys()], ["alice"]); // looked at < 1 s ago
 * clock += 1000;
 * assert.deepEqual([...(await credentials.current()).keys()], ["bob"]);
 * await Deno.writeTextFile(path, "broken line\n"); // invalid: the last good users stay
 * clock += 1000;
 * assert.deepEqual([...(await credentials.current()).keys()], ["bob"]);
 * await Deno.remove(path);
 * ```
 */
export class ReloadingCredentials {
  readonly #path: string;
  readonly #intervalMs: number;
  readonly #say: (message: string) => void;
  readonly #now: () => number;
  #users: Map<string, StoredPassword>;
  #signature: string;
  #checkedAt: number;
  #checking: Promise<void> | undefined;
  #reportedFailure: string | undefined;

  /** Starts from `snapshot` (as read by {@link readCredentials}, maybe in another thread). */
  constructor(snapshot: CredentialsSnapshot, options: ReloadingCredentialsOptions = {}) {
    const intervalMs = options.intervalMs ?? DEFAULT_RELOAD_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new TypeError("intervalMs must be a non-negative number");
    }
    this.#path = snapshot.path;
    this.#users = snapshot.users;
    this.#signature = snapshot.signature;
    this.#intervalMs = intervalMs;
    this.#say = options.say ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#checkedAt = this.#now();
  }

  /** The users in force, without looking at the file. */
  get users(): ReadonlyMap<string, StoredPassword> {
    return this.#users;
  }

  /** The users in force, after looking at the file if it was not looked at for the interval. */
  async current(): Promise<ReadonlyMap<string, StoredPassword>> {
    if (this.#checking) await this.#checking;
    else if (this.#now() - this.#checkedAt >= this.#intervalMs) {
      this.#checkedAt = this.#now();
      this.#checking = this.#check().finally(() => this.#checking = undefined);
      await this.#checking;
    }
    return this.#users;
  }

  async #check(): Promise<void> {
    let signature: string;
    try {
      signature = fileSignature(await Deno.stat(this.#path));
    } catch (error) {
      this.#failed("missing", error);
      return;
    }
    if (signature === this.#signature) return;
    let snapshot: CredentialsSnapshot;
    try {
      snapshot = await readCredentials(this.#path, {
        onWarning: (message) => this.#say(`warning: ${message}`),
      });
    } catch (error) {
      this.#failed(signature, error);
      return;
    }
    const before = this.#users.size;
    this.#users = snapshot.users;
    this.#signature = snapshot.signature;
    this.#reportedFailure = undefined;
    this.#say(`reloaded ${this.#path}: ${snapshot.users.size} users (${before} before)`);
  }

  /** Reports a failed reload once per version of the file. */
  #failed(version: string, error: unknown): void {
    if (this.#reportedFailure === version) return;
    this.#reportedFailure = version;
    const reason = error instanceof Deno.errors.NotFound
      ? `${this.#path} is missing`
      : (error as Error).message;
    this.#say(
      `warning: cannot reload the credentials (${reason}); the ${this.#users.size} users ` +
        `loaded before stay in force`,
    );
  }
}
