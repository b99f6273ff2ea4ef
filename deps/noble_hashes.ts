/**
 * Audited HMAC and SHA-256 (for the store's tokens), pinned here.
 *
 * @module
 */

export { hmac } from "npm:@noble/hashes@2.4.0/hmac.js";
export { sha256 } from "npm:@noble/hashes@2.4.0/sha2.js";
