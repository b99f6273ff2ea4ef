/**
 * The certificate and private key a server offers TLS with: read from PEM files
 * and checked once at start-up (readable, PEM, a key that belongs to the
 * certificate), so a mistake is reported naming the file instead of failing each
 * client's handshake. No message ever carries key material.
 *
 * @module
 */

import { createPrivateKey, X509Certificate } from "node:crypto";

/**
 * A certificate chain and its private key, PEM text (what {@link serveHttp}'s
 * `tls` option takes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TlsCredentials } from "./tls_credentials.ts";
 * const credentials: TlsCredentials = { cert: "-----BEGIN CERTIFICATE-----…", key: "-----BEGIN PRIVATE KEY-----…" };
 * assert.ok(credentials.cert.startsWith("-----BEGIN CERTIFICATE-----"));
 * ```
 */
export interface TlsCredentials {
  /** The server certificate, then any intermediate certificates, PEM. */
  cert: string;
  /** The certificate's private key (unencrypted PKCS#8, PKCS#1 or SEC1), PEM. */
  key: string;
}

/**
 * Thrown by {@link loadTlsCredentials}: which file is wrong and why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TlsFileError } from "./tls_credentials.ts";
 * const error = new TlsFileError("/etc/dav/cert.pem", "not a PEM certificate");
 * assert.equal(error.message, "/etc/dav/cert.pem: not a PEM certificate");
 * assert.equal(error.file, "/etc/dav/cert.pem");
 * ```
 */
export class TlsFileError extends Error {
  /** `"TlsFileError"`. */
  override name = "TlsFileError";
  /** The file at fault. */
  readonly file: string;
  /**
   * A message `FILE: REASON`.
   *
   * @param file The file at fault.
   * @param reason Why (never its contents).
   */
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.file = file;
  }
}

const CERTIFICATE_BLOCK =
  /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
const KEY_BLOCK =
  /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----\r?\n[A-Za-z0-9+/=\r\n:,\- ]+-----END \1-----/;

/** A PEM file is small; anything larger is not one (and is not read whole). */
const MAX_PEM_BYTES = 1024 * 1024;

async function readPem(file: string, what: string): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(file);
  } catch (error) {
    throw new TlsFileError(file, `cannot read the ${what}: ${reason(error)}`);
  }
  if (!info.isFile) throw new TlsFileError(file, `the ${what} is not a regular file`);
  if (info.size > MAX_PEM_BYTES) {
    throw new TlsFileError(file, `too large for a PEM ${what} (over 1 MiB)`);
  }
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    throw new TlsFileError(file, `cannot read the ${what}: ${reason(error)}`);
  }
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads and checks a certificate file (PEM, one certificate or a chain, the
 * server's first) and its key file (PEM). Rejects with {@link TlsFileError}
 * naming the file when one cannot be read, is not PEM, holds an encrypted key,
 * or the key does not belong to the certificate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTlsCredentials, TlsFileError } from "./tls_credentials.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/cert.pem`, "hello");
 * await assert.rejects(
 *   loadTlsCredentials(`${dir}/cert.pem`, `${dir}/key.pem`),
 *   (error: unknown) => error instanceof TlsFileError && /not a PEM certificate/.test(error.message),
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadTlsCredentials(
  certFile: string,
  keyFile: string,
): Promise<TlsCredentials> {
  const certText = await readPem(certFile, "certificate");
  const blocks = certText.match(CERTIFICATE_BLOCK);
  if (blocks === null) {
    throw new TlsFileError(certFile, "not a PEM certificate (no BEGIN CERTIFICATE block)");
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(blocks[0]);
    for (const block of blocks.slice(1)) new X509Certificate(block);
  } catch {
    throw new TlsFileError(certFile, "holds a certificate that cannot be parsed");
  }
  const keyText = await readPem(keyFile, "private key");
  const keyBlock = KEY_BLOCK.exec(keyText);
  if (keyBlock === null) {
    throw new TlsFileError(keyFile, "not a PEM private key (no BEGIN PRIVATE KEY block)");
  }
  if (keyBlock[1] === "ENCRYPTED PRIVATE KEY" || /Proc-Type: 4,ENCRYPTED/.test(keyBlock[0])) {
    throw new TlsFileError(
      keyFile,
      "the private key is encrypted; give it unencrypted (e.g. openssl pkey -in KEY -out KEY.plain) and keep it mode 0600",
    );
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(keyBlock[0]));
  } catch {
    throw new TlsFileError(keyFile, "holds a private key that cannot be parsed");
  }
  if (!matches) {
    throw new TlsFileError(
      keyFile,
      `the private key does not belong to the certificate in ${certFile}`,
    );
  }
  return { cert: blocks.join("\n") + "\n", key: keyBlock[0] + "\n" };
}
