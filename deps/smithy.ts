/**
 * The AWS SDK's Signature Version 4 signer, its SHA-256, and its shared
 * config/credentials file reader, pinned here.
 *
 * @module
 */

export { getCanonicalHeaders, SignatureV4 } from "npm:@smithy/signature-v4@5.7.5";
export { Hash } from "npm:@smithy/hash-node@4.5.2";
export { loadSharedConfigFiles } from "npm:@smithy/shared-ini-file-loader@4.7.2";
