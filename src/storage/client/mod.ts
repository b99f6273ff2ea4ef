/**
 * The BackupStorage HTTP client: {@link BackupStorageClient}, SigV4-signed,
 * serialized from the wire table, with retries and presigned URLs.
 *
 * @example
 * ```ts ignore
 * import { BackupStorageClient } from "./mod.ts";
 * await using client = new BackupStorageClient({ endpoint: "http://127.0.0.1:9000", region: "us-east-1" });
 * const { UploadId } = await client.startObject({ BackupJobId: "job", ObjectName: "a/b.txt" });
 * ```
 *
 * @module
 */

export {
  BackupStorageClient,
  type BackupStorageClientOptions,
  ClientClosedError,
  type PresignUrlOptions,
} from "./client.ts";
export type { CredentialProvider, Credentials } from "./credentials.ts";
export type { PresignableOperation } from "./presign.ts";
export { RequestTimeoutError } from "./retry.ts";
