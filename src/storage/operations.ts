/**
 * How each operation of the BackupStorage model travels over HTTP (rest-json):
 * method, route, and where every member of its input and output is bound. The
 * client serializes requests and the service parses them from this one table, and
 * a test checks the table against the model file, so neither side can drift.
 *
 * @module
 */

import type { OperationName } from "./types.ts";

/** Where a member travels: a URI label, the query string, a header, the raw payload, or a member of the JSON body. */
export type MemberLocation = "uri" | "querystring" | "header" | "payload" | "json";

/** The model's scalar types as they appear on the wire. */
export type MemberType = "string" | "long" | "integer" | "boolean" | "timestamp" | "blob" | "list";

/** One member of an input or output shape and its binding. */
export interface MemberBinding {
  /** The member's name in the shape (`BackupJobId`). */
  member: string;
  /** Where it travels. */
  location: MemberLocation;
  /** Its name on the wire: the URI label, query key, header name or JSON key. */
  wireName: string;
  /** Its wire type. */
  type: MemberType;
  /** Whether the model requires it. */
  required: boolean;
  /** Numeric bounds from the model (`MaxResults`: 1–100). */
  min?: number;
  /** Numeric bounds from the model. */
  max?: number;
  /** Allowed values from the model's enum. */
  enum?: readonly string[];
  /** For lists of structures in JSON outputs: the item members. */
  items?: readonly MemberBinding[];
}

/** One operation's HTTP binding. */
export interface OperationBinding {
  /** The operation's name. */
  name: OperationName;
  /** HTTP method. */
  method: "GET" | "PUT" | "DELETE";
  /** Route template with `{label}` placeholders, each label percent-encoded whole. */
  path: string;
  /** Input members and where they travel. */
  input: readonly MemberBinding[];
  /** Output members and where they travel. */
  output: readonly MemberBinding[];
  /** The input's streaming payload member, if any. */
  inputPayload?: string;
  /** The output's streaming payload member, if any. */
  outputPayload?: string;
  /** Whether the request payload is sent unsigned (`authtype: v4-unsigned-body`). */
  unsignedPayload: boolean;
  /** The exceptions the model lists for the operation. */
  errors: readonly string[];
}

function m(
  member: string,
  location: MemberLocation,
  wireName: string,
  type: MemberType,
  required = false,
  extra: Partial<MemberBinding> = {},
): MemberBinding {
  return { member, location, wireName, type, required, ...extra };
}

const SHA256 = ["SHA256"] as const;
const SUMMARY = ["SUMMARY"] as const;
const PAGE = { min: 1, max: 100 };

const CHUNK_ITEM: readonly MemberBinding[] = [
  m("Index", "json", "Index", "long", true),
  m("Length", "json", "Length", "long", true),
  m("Checksum", "json", "Checksum", "string", true),
  m("ChecksumAlgorithm", "json", "ChecksumAlgorithm", "string", true, { enum: SHA256 }),
  m("ChunkToken", "json", "ChunkToken", "string", true),
];

const OBJECT_ITEM: readonly MemberBinding[] = [
  m("Name", "json", "Name", "string", true),
  m("ChunksCount", "json", "ChunksCount", "long"),
  m("MetadataString", "json", "MetadataString", "string"),
  m("ObjectChecksum", "json", "ObjectChecksum", "string", true),
  m("ObjectChecksumAlgorithm", "json", "ObjectChecksumAlgorithm", "string", true, {
    enum: SUMMARY,
  }),
  m("ObjectToken", "json", "ObjectToken", "string", true),
];

/** Every operation of the model, by name. */
export const OPERATIONS: Readonly<Record<OperationName, OperationBinding>> = {
  DeleteObject: {
    name: "DeleteObject",
    method: "DELETE",
    path: "/backup-jobs/{jobId}/object/{objectName}",
    input: [
      m("BackupJobId", "uri", "jobId", "string", true),
      m("ObjectName", "uri", "objectName", "string", true),
    ],
    output: [],
    unsignedPayload: false,
    errors: [
      "ServiceUnavailableException",
      "ServiceInternalException",
      "RetryableException",
      "IllegalArgumentException",
      "ResourceNotFoundException",
      "ThrottlingException",
      "AccessDeniedException",
    ],
  },
  GetChunk: {
    name: "GetChunk",
    method: "GET",
    path: "/restore-jobs/{jobId}/chunk/{chunkToken}",
    input: [
      m("StorageJobId", "uri", "jobId", "string", true),
      m("ChunkToken", "uri", "chunkToken", "string", true),
    ],
    output: [
      m("Data", "payload", "Data", "blob", true),
      m("Length", "header", "x-amz-data-length", "long", true),
      m("Checksum", "header", "x-amz-checksum", "string", true),
      m("ChecksumAlgorithm", "header", "x-amz-checksum-algorithm", "string", true, {
        enum: SHA256,
      }),
    ],
    outputPayload: "Data",
    unsignedPayload: false,
    errors: [
      "IllegalArgumentException",
      "RetryableException",
      "ResourceNotFoundException",
      "ServiceInternalException",
      "ThrottlingException",
      "KMSInvalidKeyUsageException",
      "AccessDeniedException",
    ],
  },
  GetObjectMetadata: {
    name: "GetObjectMetadata",
    method: "GET",
    path: "/restore-jobs/{jobId}/object/{objectToken}/metadata",
    input: [
      m("StorageJobId", "uri", "jobId", "string", true),
      m("ObjectToken", "uri", "objectToken", "string", true),
    ],
    output: [
      m("MetadataString", "header", "x-amz-metadata-string", "string"),
      m("MetadataBlob", "payload", "MetadataBlob", "blob"),
      m("MetadataBlobLength", "header", "x-amz-data-length", "long"),
      m("MetadataBlobChecksum", "header", "x-amz-checksum", "string"),
      m("MetadataBlobChecksumAlgorithm", "header", "x-amz-checksum-algorithm", "string", false, {
        enum: SHA256,
      }),
    ],
    outputPayload: "MetadataBlob",
    unsignedPayload: false,
    errors: [
      "ServiceUnavailableException",
      "ServiceInternalException",
      "ResourceNotFoundException",
      "RetryableException",
      "IllegalArgumentException",
      "ThrottlingException",
      "KMSInvalidKeyUsageException",
      "AccessDeniedException",
    ],
  },
  ListChunks: {
    name: "ListChunks",
    method: "GET",
    path: "/restore-jobs/{jobId}/chunks/{objectToken}/list",
    input: [
      m("StorageJobId", "uri", "jobId", "string", true),
      m("ObjectToken", "uri", "objectToken", "string", true),
      m("MaxResults", "querystring", "max-results", "integer", false, PAGE),
      m("NextToken", "querystring", "next-token", "string"),
    ],
    output: [
      m("ChunkList", "json", "ChunkList", "list", true, { items: CHUNK_ITEM }),
      m("NextToken", "json", "NextToken", "string"),
    ],
    unsignedPayload: false,
    errors: [
      "ServiceUnavailableException",
      "ResourceNotFoundException",
      "ServiceInternalException",
      "RetryableException",
      "IllegalArgumentException",
      "AccessDeniedException",
    ],
  },
  ListObjects: {
    name: "ListObjects",
    method: "GET",
    path: "/restore-jobs/{jobId}/objects/list",
    input: [
      m("StorageJobId", "uri", "jobId", "string", true),
      m("StartingObjectName", "querystring", "starting-object-name", "string"),
      m("StartingObjectPrefix", "querystring", "starting-object-prefix", "string"),
      m("MaxResults", "querystring", "max-results", "integer", false, PAGE),
      m("NextToken", "querystring", "next-token", "string"),
      m("CreatedBefore", "querystring", "created-before", "timestamp"),
      m("CreatedAfter", "querystring", "created-after", "timestamp"),
    ],
    output: [
      m("ObjectList", "json", "ObjectList", "list", true, { items: OBJECT_ITEM }),
      m("NextToken", "json", "NextToken", "string"),
    ],
    unsignedPayload: false,
    errors: [
      "ServiceUnavailableException",
      "ServiceInternalException",
      "RetryableException",
      "IllegalArgumentException",
      "ThrottlingException",
      "ResourceNotFoundException",
      "KMSInvalidKeyUsageException",
      "AccessDeniedException",
    ],
  },
  NotifyObjectComplete: {
    name: "NotifyObjectComplete",
    method: "PUT",
    path: "/backup-jobs/{jobId}/object/{uploadId}/complete",
    input: [
      m("BackupJobId", "uri", "jobId", "string", true),
      m("UploadId", "uri", "uploadId", "string", true),
      m("ObjectChecksum", "querystring", "checksum", "string", true),
      m("ObjectChecksumAlgorithm", "querystring", "checksum-algorithm", "string", true, {
        enum: SUMMARY,
      }),
      m("MetadataString", "querystring", "metadata-string", "string"),
      m("MetadataBlob", "payload", "MetadataBlob", "blob"),
      m("MetadataBlobLength", "querystring", "metadata-blob-length", "long"),
      m("MetadataBlobChecksum", "querystring", "metadata-checksum", "string"),
      m(
        "MetadataBlobChecksumAlgorithm",
        "querystring",
        "metadata-checksum-algorithm",
        "string",
        false,
        {
          enum: SHA256,
        },
      ),
    ],
    output: [
      m("ObjectChecksum", "json", "ObjectChecksum", "string", true),
      m("ObjectChecksumAlgorithm", "json", "ObjectChecksumAlgorithm", "string", true, {
        enum: SUMMARY,
      }),
    ],
    inputPayload: "MetadataBlob",
    unsignedPayload: true,
    errors: [
      "ServiceUnavailableException",
      "ServiceInternalException",
      "NotReadableInputStreamException",
      "RetryableException",
      "IllegalArgumentException",
      "ThrottlingException",
      "KMSInvalidKeyUsageException",
      "AccessDeniedException",
    ],
  },
  PutChunk: {
    name: "PutChunk",
    method: "PUT",
    path: "/backup-jobs/{jobId}/chunk/{uploadId}/{chunkIndex}",
    input: [
      m("BackupJobId", "uri", "jobId", "string", true),
      m("UploadId", "uri", "uploadId", "string", true),
      m("ChunkIndex", "uri", "chunkIndex", "long", true),
      m("Data", "payload", "Data", "blob", true),
      m("Length", "querystring", "length", "long", true),
      m("Checksum", "querystring", "checksum", "string", true),
      m("ChecksumAlgorithm", "querystring", "checksum-algorithm", "string", true, { enum: SHA256 }),
    ],
    output: [
      m("ChunkChecksum", "json", "ChunkChecksum", "string", true),
      m("ChunkChecksumAlgorithm", "json", "ChunkChecksumAlgorithm", "string", true, {
        enum: SHA256,
      }),
    ],
    inputPayload: "Data",
    unsignedPayload: true,
    errors: [
      "ServiceUnavailableException",
      "ServiceInternalException",
      "NotReadableInputStreamException",
      "RetryableException",
      "IllegalArgumentException",
      "ThrottlingException",
      "KMSInvalidKeyUsageException",
      "AccessDeniedException",
    ],
  },
  PutObject: {
    name: "PutObject",
    method: "PUT",
    path: "/backup-jobs/{jobId}/object/{objectName}/put-object",
    input: [
      m("BackupJobId", "uri", "jobId", "string", true),
      m("ObjectName", "uri", "objectName", "string", true),
      m("MetadataString", "querystring", "metadata-string", "string"),
      m("InlineChunk", "payload", "InlineChunk", "blob"),
      m("InlineChunkLength", "querystring", "length", "long"),
      m("InlineChunkChecksum", "querystring", "checksum", "string"),
      m("InlineChunkChecksumAlgorithm", "querystring", "checksum-algorithm", "string"),
      m("ObjectChecksum", "querystring", "object-checksum", "string"),
      m("ObjectChecksumAlgorithm", "querystring", "object-checksum-algorithm", "string", false, {
        enum: SUMMARY,
      }),
      m("ThrowOnDuplicate", "querystring", "throwOnDuplicate", "boolean"),
    ],
    output: [
      m("InlineChunkChecksum", "json", "InlineChunkChecksum", "string", true),
      m("InlineChunkChecksumAlgorithm", "json", "InlineChunkChecksumAlgorithm", "string", true, {
        enum: SHA256,
      }),
      m("ObjectChecksum", "json", "ObjectChecksum", "string", true),
      m("ObjectChecksumAlgorithm", "json", "ObjectChecksumAlgorithm", "string", true, {
        enum: SUMMARY,
      }),
    ],
    inputPayload: "InlineChunk",
    unsignedPayload: true,
    errors: [
      "ServiceUnavailableException",
      "ServiceInternalException",
      "NotReadableInputStreamException",
      "RetryableException",
      "IllegalArgumentException",
      "ThrottlingException",
      "KMSInvalidKeyUsageException",
      "AccessDeniedException",
    ],
  },
  StartObject: {
    name: "StartObject",
    method: "PUT",
    path: "/backup-jobs/{jobId}/object/{objectName}",
    input: [
      m("BackupJobId", "uri", "jobId", "string", true),
      m("ObjectName", "uri", "objectName", "string", true),
      m("ThrowOnDuplicate", "json", "ThrowOnDuplicate", "boolean"),
    ],
    output: [
      m("UploadId", "json", "UploadId", "string", true),
    ],
    unsignedPayload: false,
    errors: [
      "ServiceUnavailableException",
      "ServiceInternalException",
      "RetryableException",
      "IllegalArgumentException",
      "ResourceNotFoundException",
      "DataAlreadyExistsException",
      "ThrottlingException",
      "AccessDeniedException",
    ],
  },
};

/**
 * Percent-encodes a URI label whole, as rest-json requires: every byte except the
 * unreserved characters `A–Z a–z 0–9 - . _ ~` is escaped, `/` included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeLabel } from "./operations.ts";
 * assert.equal(encodeLabel("a/b c"), "a%2Fb%20c");
 * assert.equal(encodeLabel("it's(1)"), "it%27s%281%29"); // beyond encodeURIComponent
 * ```
 */
export function encodeLabel(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Splits a route template into literal segments and label names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { routeSegments } from "./operations.ts";
 * assert.deepEqual(routeSegments("/restore-jobs/{jobId}/objects/list"), [
 *   { literal: "restore-jobs" },
 *   { label: "jobId" },
 *   { literal: "objects" },
 *   { literal: "list" },
 * ]);
 * ```
 */
export function routeSegments(path: string): Array<{ literal: string } | { label: string }> {
  return path.split("/").slice(1).map((segment) => {
    const label = /^\{(\w+)\}$/.exec(segment);
    return label ? { label: label[1] } : { literal: segment };
  });
}
