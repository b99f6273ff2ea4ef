/**
 * bcrypt in plain JavaScript (`$2a$`, `$2b$`, `$2y$` hashes, as `htpasswd -B`
 * writes them), pinned here. The WebDAV credentials file verifies with it.
 *
 * @module
 */

export { default as bcrypt } from "npm:bcryptjs@3.0.3";
