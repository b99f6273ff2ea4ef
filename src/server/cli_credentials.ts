/**
 * Where the storage service's accepted access keys come from: an AWS-style INI
 * credentials file (every profile's key pair), the `AWS_ACCESS_KEY_ID` /
 * `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`) environment, or a key pair
 * generated once and kept in the data directory with mode 0600.
 *
 * @module
 */

import { loadSharedConfigFiles } from "../../deps/smithy.ts";
import type { AccessKeyEntry } from "./sigv4_verify.ts";

/** Accepted keys and where they came from. */
export interface LoadedCredentials {
  /** Accepted access keys. */
  keys: Map<string, AccessKeyEntry>;
  /** `file`, `env` or `generated`. */
  source: "file" | "env" | "generated";
  /** The file the keys came from (for `file` and `generated`). */
  path?: string;
}

/**
 * Reads every profile of an AWS-style credentials file that has both
 * `aws_access_key_id` and `aws_secret_access_key` (and optionally
 * `aws_session_token`). Throws when the file is missing or holds no key pair.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCredentialsFile } from "./cli_credentials.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(
 *     `${dir}/credentials`,
 *     "[default]\naws_access_key_id = AKID1\naws_secret_access_key = s1\n" +
 *       "[other]\naws_access_key_id = AKID2\naws_secret_access_key = s2\naws_session_token = t2\n" +
 *       "[incomplete]\naws_access_key_id = AKID3\n",
 *   );
 *   const keys = await loadCredentialsFile(`${dir}/credentials`);
 *   assert.deepEqual(keys, new Map([
 *     ["AKID1", { secretAccessKey: "s1" }],
 *     ["AKID2", { secretAccessKey: "s2", sessionToken: "t2" }],
 *   ]));
 *   await assert.rejects(loadCredentialsFile(`${dir}/missing`), Deno.errors.NotFound);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function loadCredentialsFile(path: string): Promise<Map<string, AccessKeyEntry>> {
  await Deno.stat(path); // a missing file is an error here, not an empty set
  const { credentialsFile } = await loadSharedConfigFiles({
    filepath: path,
    configFilepath: path,
    ignoreCache: true,
  });
  const keys = new Map<string, AccessKeyEntry>();
  for (const profile of Object.values(credentialsFile)) {
    const id = profile.aws_access_key_id;
    const secret = profile.aws_secret_access_key;
    if (typeof id !== "string" || typeof secret !== "string" || id === "" || secret === "") {
      continue;
    }
    const entry: AccessKeyEntry = { secretAccessKey: secret };
    if (typeof profile.aws_session_token === "string" && profile.aws_session_token !== "") {
      entry.sessionToken = profile.aws_session_token;
    }
    keys.set(id, entry);
  }
  if (keys.size === 0) throw new Error(`no access key pair found in ${path}`);
  return keys;
}

function randomString(alphabet: string, length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/**
 * A new random key pair: a 20-character id starting `AKID` and a 40-character
 * secret.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateKeyPair } from "./cli_credentials.ts";
 * const { accessKeyId, secretAccessKey } = generateKeyPair();
 * assert.match(accessKeyId, /^AKID[A-Z2-7]{16}$/);
 * assert.match(secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
 * assert.notEqual(generateKeyPair().accessKeyId, accessKeyId);
 * ```
 */
export function generateKeyPair(): { accessKeyId: string; secretAccessKey: string } {
  // 32 and 64 symbols divide 256, so `byte % length` is unbiased.
  const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  return {
    accessKeyId: "AKID" + randomString(upper, 16),
    secretAccessKey: randomString(secretChars, 40),
  };
}

/**
 * The accepted keys for the CLI: from `file` when given, else from the
 * environment, else the pair kept in `DATA/credentials` (created on first use,
 * mode 0600).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveCredentials } from "./cli_credentials.ts";
 * const dataDir = await Deno.makeTempDir();
 * try {
 *   // With no file and an empty environment, a pair is generated and kept…
 *   const env = (_name: string) => undefined;
 *   const first = await resolveCredentials({ dataDir, env });
 *   assert.equal(first.source, "generated");
 *   assert.equal(first.path, `${dataDir}/credentials`);
 *   assert.equal(first.keys.size, 1);
 *   // …and read back the next time.
 *   const again = await resolveCredentials({ dataDir, env });
 *   assert.deepEqual(again.keys, first.keys);
 *   // The environment's pair comes first.
 *   const vars: Record<string, string> = { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "s" };
 *   const fromEnv = await resolveCredentials({ dataDir, env: (name) => vars[name] });
 *   assert.equal(fromEnv.source, "env");
 *   assert.deepEqual(fromEnv.keys, new Map([["AKID", { secretAccessKey: "s" }]]));
 * } finally {
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export async function resolveCredentials(
  options: { file?: string; dataDir: string; env?: (name: string) => string | undefined },
): Promise<LoadedCredentials> {
  if (options.file !== undefined) {
    return { keys: await loadCredentialsFile(options.file), source: "file", path: options.file };
  }
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const id = env("AWS_ACCESS_KEY_ID");
  const secret = env("AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    const entry: AccessKeyEntry = { secretAccessKey: secret };
    const token = env("AWS_SESSION_TOKEN");
    if (token) entry.sessionToken = token;
    return { keys: new Map([[id, entry]]), source: "env" };
  }
  const path = `${options.dataDir}/credentials`;
  try {
    return { keys: await loadCredentialsFile(path), source: "generated", path };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const pair = generateKeyPair();
  const text = `# Generated by "deno task storage"; keep it secret.\n[default]\n` +
    `aws_access_key_id = ${pair.accessKeyId}\naws_secret_access_key = ${pair.secretAccessKey}\n`;
  await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  // createNew: never overwrite a pair another process just wrote.
  await Deno.writeTextFile(path, text, { createNew: true, mode: 0o600 });
  await Deno.chmod(path, 0o600);
  return {
    keys: new Map([[pair.accessKeyId, { secretAccessKey: pair.secretAccessKey }]]),
    source: "generated",
    path,
  };
}

/**
 * The line `deno task storage` prints about the keys it accepts: where a
 * generated pair is kept (and its access key id, never the secret), or how many
 * keys came from where.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { credentialsMessage } from "./cli_credentials.ts";
 * const keys = new Map([["AKID1", { secretAccessKey: "s1" }]]);
 * assert.equal(
 *   credentialsMessage({ keys, source: "generated", path: "/d/credentials" }),
 *   "credentials in /d/credentials (access key id AKID1)",
 * );
 * assert.equal(
 *   credentialsMessage({ keys, source: "env" }),
 *   "accepting 1 access key(s) from the environment",
 * );
 * ```
 */
export function credentialsMessage(credentials: LoadedCredentials): string {
  if (credentials.source === "generated") {
    const [id] = credentials.keys.keys();
    return `credentials in ${credentials.path} (access key id ${id})`;
  }
  return `accepting ${credentials.keys.size} access key(s) from ${
    credentials.source === "env" ? "the environment" : credentials.path
  }`;
}
