/**
 * SHA-256-crypt (`$5$`) and SHA-512-crypt (`$6$`), as `htpasswd -2` / `-5`
 * write them, pinned here. The WebDAV credentials file verifies with it.
 *
 * @module
 */

export { verify as verifyShaCrypt } from "npm:unixcrypt@3.0.4";
