/**
 * The start-up step both serve loops share (one process, src/cli/serve_loop.ts;
 * several workers, src/workers/worker_pool.ts): read and check the `--tls-cert`
 * and `--tls-key` files once, or say why they cannot be served.
 *
 * @module
 */

import { loadTlsCredentials, type TlsCredentials } from "../http/tls_credentials.ts";
import type { TlsFiles } from "./tls_flags.ts";

/**
 * What {@link loadServeTls} found: the credentials (none without TLS files) and
 * `secure` for `listenUrlOf`, or the message to say before exiting 1.
 */
export type ServeTls =
  | { ok: true; tls?: TlsCredentials; secure: { tls: boolean } }
  | { ok: false; message: string };

/**
 * Loads `files` when given. Never throws: a file that cannot be served gives
 * `{ ok: false, message: "cannot serve TLS: …" }`, naming the file and never
 * holding key material.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadServeTls } from "./serve_tls.ts";
 * assert.deepEqual(await loadServeTls(undefined), { ok: true, secure: { tls: false } });
 * const dir = await Deno.makeTempDir();
 * const failed = await loadServeTls({ certFile: `${dir}/none.pem`, keyFile: `${dir}/key.pem` });
 * assert.equal(failed.ok, false);
 * assert.match(!failed.ok ? failed.message : "", /^cannot serve TLS: .*none\.pem/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadServeTls(files: TlsFiles | undefined): Promise<ServeTls> {
  if (files === undefined) return { ok: true, secure: { tls: false } };
  try {
    const tls = await loadTlsCredentials(files.certFile, files.keyFile);
    return { ok: true, tls, secure: { tls: true } };
  } catch (error) {
    return { ok: false, message: `cannot serve TLS: ${(error as Error).message}` };
  }
}
