/**
 * `deno task storage` gateways as child processes over one store (the issue
 * #11 tests): start one on a location (its flags say where the metadata and
 * chunks are), stop it with a signal, or kill it with SIGKILL and start it
 * again on the same port.
 *
 * @module
 */

import type { StoreLocation } from "../../src/storage/store/store_backends.ts";
import {
  STORAGE_MAIN as MAIN,
  STORAGE_PERMISSIONS as PERMISSIONS,
} from "../webdav/support/serve_process.ts";
const STARTUP_TIMEOUT_MS = 60_000;

/** The key pair every test gateway accepts (written to a credentials file). */
export const GATEWAY_KEYS = {
  accessKeyId: "AKIDGATEWAYS",
  secretAccessKey: "gateways/test+secret",
};

/** A gateway child process. */
export interface Gateway {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** The gateway's process id (e.g. to read the CPU time it used). */
  pid: number;
  /** SIGTERM, then the exit code and stderr. */
  stop(): Promise<{ code: number; stderr: string }>;
  /** SIGKILL (no clean-up at all), waiting for the exit. */
  kill(): Promise<void>;
}

/** The command-line flags of a store location. */
export function locationFlags(location: StoreLocation): string[] {
  const flags = ["--data", location.dataDir];
  if (location.metadata) flags.push("--metadata", location.metadata);
  if (location.chunks) {
    flags.push("--chunks", `s3://${location.chunks.bucket}/${location.chunks.prefix}`);
    if (location.chunks.endpoint) flags.push("--s3-endpoint", location.chunks.endpoint);
  }
  return flags;
}

/** Writes the credentials file every test gateway reads, in `dir`; returns its path. */
export async function writeGatewayCredentials(dir: string): Promise<string> {
  const path = `${dir}/gateway-credentials`;
  await Deno.writeTextFile(
    path,
    `[default]\naws_access_key_id = ${GATEWAY_KEYS.accessKeyId}\n` +
      `aws_secret_access_key = ${GATEWAY_KEYS.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  return path;
}

/**
 * Options of {@link startGateway}.
 *
 * @example A gateway whose chunks are in a bucket gets the bucket's keys
 * ```ts
 * import assert from "node:assert/strict";
 * import type { StartGatewayOptions } from "./gateway_process.ts";
 * const options: StartGatewayOptions = {
 *   port: 9000,
 *   credentialsFile: "/tmp/gateway-credentials",
 *   env: { AWS_ACCESS_KEY_ID: "bucket-key", AWS_SECRET_ACCESS_KEY: "…", AWS_REGION: "us-east-1" },
 * };
 * assert.equal(options.env?.AWS_REGION, "us-east-1");
 * ```
 */
export interface StartGatewayOptions {
  /** The 127.0.0.1 port to listen on. */
  port: number;
  /** The credentials file the gateway accepts keys from ({@link writeGatewayCredentials}). */
  credentialsFile: string;
  /**
   * Environment variables added to the gateway's (over this process's own),
   * e.g. the S3 keys of a `--chunks` bucket: `AWS_ACCESS_KEY_ID`,
   * `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`. `NO_COLOR` is always set.
   */
  env?: Record<string, string>;
}

/**
 * Starts a gateway on `port` over `location`, accepting {@link GATEWAY_KEYS}
 * (from `credentialsFile`), with `env` added to its environment; resolves once
 * it prints `listening on`.
 */
export async function startGateway(
  location: StoreLocation,
  options: StartGatewayOptions,
): Promise<Gateway> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      MAIN,
      "--listen",
      `127.0.0.1:${options.port}`,
      "--credentials",
      options.credentialsFile,
      ...locationFlags(location),
    ],
    env: { ...options.env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), STARTUP_TIMEOUT_MS);
  });
  try {
    for (let i = 0; i < 10_000 && !text.includes("\n"); i++) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      text += next.value;
    }
  } finally {
    clearTimeout(timer);
  }
  void (async () => {
    for (let i = 0; i < 1_000_000; i++) if ((await reader.read()).done) return;
  })().catch(() => {});
  if (!text.startsWith("listening on ")) {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    throw new Error(`the gateway did not start:\n${await stderr}`);
  }
  let ended: Promise<{ code: number; stderr: string }> | undefined;
  const end = (signal: Deno.Signal) => {
    if (!ended) {
      try {
        child.kill(signal);
      } catch { /* exited */ }
      ended = child.status.then(async (status) => ({ code: status.code, stderr: await stderr }));
    }
    return ended;
  };
  return {
    endpoint: text.trim().slice("listening on ".length),
    pid: child.pid,
    stop: () => end("SIGTERM"),
    kill: async () => {
      await end("SIGKILL");
    },
  };
}
