/**
 * Credentials and region for the client: an explicit value, or the standard AWS
 * chain (environment, shared credentials and config files with profiles, session
 * tokens, SSO, process, web identity, container and instance metadata). Resolved
 * credentials are cached until shortly before they expire.
 *
 * @module
 */

import { loadSharedConfigFiles } from "../../../deps/smithy.ts";

/**
 * The AWS default chain, loaded the first time it is needed: loading it reads the
 * environment, and importing this module must need no permission.
 */
function defaultChain(profile: string | undefined): CredentialProvider {
  let chain: Promise<CredentialProvider> | undefined;
  return async () => {
    chain ??= import("../../../deps/aws_credentials.ts").then(({ defaultProvider }) =>
      defaultProvider({ ...(profile === undefined ? {} : { profile }), ignoreCache: true })
    );
    return await (await chain)();
  };
}

/**
 * An AWS key pair, with an optional session token and expiry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { credentialProvider, type Credentials } from "./credentials.ts";
 * const credentials: Credentials = {
 *   accessKeyId: "AKIDEXAMPLE",
 *   secretAccessKey: "secret",
 *   sessionToken: "token of temporary credentials",
 *   expiration: new Date(Date.now() + 3_600_000),
 * };
 * assert.deepEqual(await credentialProvider(credentials)(), credentials);
 * ```
 */
export interface Credentials {
  /** The access key id (not secret). */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** Session token of temporary credentials. */
  sessionToken?: string;
  /** When temporary credentials stop working. */
  expiration?: Date;
}

/**
 * Resolves credentials, possibly asynchronously and more than once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CredentialProvider } from "./credentials.ts";
 * // For example, keys kept in a secrets manager and fetched when needed.
 * const provider: CredentialProvider = () =>
 *   Promise.resolve({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" });
 * assert.equal((await provider()).accessKeyId, "AKIDEXAMPLE");
 * ```
 */
export type CredentialProvider = () => Promise<Credentials>;

/** Options of {@link credentialProvider}. */
export interface CredentialProviderOptions {
  /** Profile of the default chain (else `AWS_PROFILE`, else `default`). */
  profile?: string;
  /** Refresh this long before expiry (default 5 minutes). */
  refreshBeforeMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * A cached credential provider: the explicit credentials (an object or a
 * function), else the default AWS chain for the profile. Credentials with an
 * `expiration` are fetched again once less than `refreshBeforeMs` remains;
 * concurrent callers share one fetch. Errors never include the secret.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { credentialProvider } from "./credentials.ts";
 * const provide = credentialProvider({ accessKeyId: "AKID", secretAccessKey: "secret" });
 * assert.deepEqual(await provide(), { accessKeyId: "AKID", secretAccessKey: "secret" });
 * // A function's credentials are cached until 5 minutes before they expire.
 * let clock = 0;
 * let fetches = 0;
 * const expiring = credentialProvider(() => {
 *   fetches++;
 *   return Promise.resolve({ accessKeyId: "AKID", secretAccessKey: "secret", expiration: new Date(600_000) });
 * }, { now: () => clock });
 * await Promise.all([expiring(), expiring()]);
 * assert.equal(fetches, 1);
 * clock = 300_000; // 5 minutes left
 * await expiring();
 * assert.equal(fetches, 2);
 * assert.throws(() => credentialProvider({ accessKeyId: "", secretAccessKey: "secret" }), TypeError);
 * ```
 */
export function credentialProvider(
  source?: Credentials | CredentialProvider,
  options?: CredentialProviderOptions,
): CredentialProvider {
  const refreshBeforeMs = options?.refreshBeforeMs ?? 5 * 60_000;
  const now = options?.now ?? Date.now;
  if (source !== undefined && typeof source !== "function") {
    const checked = checkCredentials(source);
    return () => Promise.resolve(checked);
  }
  const fetchCredentials: CredentialProvider = source ?? defaultChain(options?.profile);
  let cached: Credentials | undefined;
  let pending: Promise<Credentials> | undefined;
  return () => {
    if (
      cached &&
      (cached.expiration === undefined ||
        cached.expiration.getTime() - now() > refreshBeforeMs)
    ) {
      return Promise.resolve(cached);
    }
    pending ??= (async () => {
      try {
        let raw: Credentials;
        try {
          raw = await fetchCredentials();
        } catch (cause) {
          if (source !== undefined) throw cause;
          throw new Error(
            "BackupStorageClient: no credentials found. Pass the credentials option, or set " +
              "them in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the shared " +
              "credentials/config files (profile " +
              JSON.stringify(options?.profile ?? env("AWS_PROFILE") ?? "default") +
              "), SSO, a credential process, web identity, or container/instance metadata.",
            { cause },
          );
        }
        const fresh = checkCredentials(raw);
        cached = fresh;
        return fresh;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}

function checkCredentials(value: unknown): Credentials {
  const c = value as Partial<Credentials> | null;
  if (
    c === null || typeof c !== "object" || typeof c.accessKeyId !== "string" ||
    c.accessKeyId.length === 0 || typeof c.secretAccessKey !== "string" ||
    c.secretAccessKey.length === 0 ||
    (c.sessionToken !== undefined && typeof c.sessionToken !== "string")
  ) {
    throw new TypeError(
      "BackupStorage credentials must have a non-empty accessKeyId and secretAccessKey",
    );
  }
  return {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
    ...(c.expiration instanceof Date ? { expiration: c.expiration } : {}),
  };
}

function env(name: string): string | undefined {
  try {
    const value = Deno.env.get(name);
    return value === undefined || value === "" ? undefined : value;
  } catch {
    return undefined; // no --allow-env: as if unset
  }
}

/** Options of {@link resolveRegion}. */
export interface ResolveRegionOptions {
  /** Profile whose config-file region is used (else `AWS_PROFILE`, else `default`). */
  profile?: string;
}

/**
 * The region: the explicit value, else `AWS_REGION`, else `AWS_DEFAULT_REGION`,
 * else the `region` of the profile in the shared config file (`AWS_CONFIG_FILE`
 * or `~/.aws/config`). Throws a clear error when none is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveRegion } from "./credentials.ts";
 * assert.equal(await resolveRegion("eu-west-1"), "eu-west-1");
 * ```
 */
export async function resolveRegion(
  region?: string,
  options?: ResolveRegionOptions,
): Promise<string> {
  if (region) return region;
  const fromEnv = env("AWS_REGION") ?? env("AWS_DEFAULT_REGION");
  if (fromEnv) return fromEnv;
  const profile = options?.profile ?? env("AWS_PROFILE") ?? "default";
  let fromFile: unknown;
  try {
    const { configFile } = await loadSharedConfigFiles({ ignoreCache: true });
    fromFile = configFile[profile]?.region;
  } catch {
    fromFile = undefined;
  }
  if (typeof fromFile === "string" && fromFile.length > 0) return fromFile;
  throw new Error(
    `BackupStorageClient: no region configured. Pass the region option, set AWS_REGION or ` +
      `AWS_DEFAULT_REGION, or set region in profile "${profile}" of the shared config file.`,
  );
}
