/**
 * The AWS SDK's S3 client, pinned here: what `S3ChunkStore` uses to keep chunk
 * bytes in any S3-compatible bucket. The store loads it lazily (`await import(…)`)
 * the first time it talks to the bucket, so importing the store never loads it.
 * The tests create their buckets with it.
 *
 * @module
 */

export {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "npm:@aws-sdk/client-s3@3.1175.0";
export type { S3ClientConfig } from "npm:@aws-sdk/client-s3@3.1175.0";
export { FetchHttpHandler } from "npm:@smithy/fetch-http-handler@5.8.1";
