/**
 * Throwaway TLS certificates for tests, made with `openssl` in a temporary
 * directory: a CA, and a server certificate it signed for 127.0.0.1 and
 * localhost (SAN IP:127.0.0.1, IP:::1, DNS:localhost), plus a second key that
 * belongs to neither (for "mismatched key" tests). A missing `openssl` fails the
 * test (naming the Debian package), it never skips.
 *
 * @module
 */

/** The files {@link makeTestCertificates} wrote, all PEM. */
export interface TestCertificates {
  /** The temporary directory holding them (remove it with {@link TestCertificates.remove}). */
  dir: string;
  /** The CA certificate: what a client trusts (`curl --cacert`, `rclone --ca-cert`). */
  caCert: string;
  /** The server certificate (signed by the CA) followed by nothing else. */
  serverCert: string;
  /** The server certificate's private key. */
  serverKey: string;
  /** A private key that does not belong to the server certificate. */
  otherKey: string;
  /** Deletes the directory. */
  remove(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        Deno.env.get("CI") === "true"
          ? "openssl is missing on CI: .ci/run must `apt-get install openssl`"
          : "openssl is not installed: apt-get install openssl",
      );
    }
    throw error;
  }
  if (!output.success) {
    throw new Error(
      `openssl ${args[0]} failed: ${new TextDecoder().decode(output.stderr).slice(0, 500)}`,
    );
  }
}

/**
 * Makes a CA and a server certificate for 127.0.0.1 / ::1 / localhost in a new
 * temporary directory (valid for 2 days, EC P-256 keys: fast to make).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeTestCertificates } from "./test_certificates.ts";
 * const certs = await makeTestCertificates();
 * assert.match(await Deno.readTextFile(certs.serverCert), /BEGIN CERTIFICATE/);
 * await certs.remove();
 * ```
 */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-tls-" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  try {
    await openssl([
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=BackupFS test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ], dir);
    await openssl([
      "req",
      ...ec,
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=127.0.0.1",
    ], dir);
    await Deno.writeTextFile(
      `${dir}/server.ext`,
      "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    );
    await openssl([
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "server.ext",
    ], dir);
    await openssl([
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      "other.key",
    ], dir);
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  return {
    dir,
    caCert: `${dir}/ca.pem`,
    serverCert: `${dir}/server.pem`,
    serverKey: `${dir}/server.key`,
    otherKey: `${dir}/other.key`,
    remove: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}
