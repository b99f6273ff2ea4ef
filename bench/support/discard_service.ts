// A storage service for benchmarks that verifies and discards: the same Hono app,
// SigV4 verification and request streaming as `deno task storage`, over a storage
// whose PutChunk reads the body, checks its length and SHA-256, and keeps nothing.
// It measures what the HTTP path and the hash cost before any byte is stored.
//
//   deno run --allow-net=127.0.0.1 --allow-env bench/support/discard_service.ts PORT

import { createHash } from "node:crypto";
import { createStorageApp } from "../../src/server/mod.ts";
import type { BackupStorage } from "../../src/storage/backup_storage.ts";
import { IllegalArgumentException } from "../../src/storage/errors.ts";
import type { PutChunkInput, PutChunkOutput } from "../../src/storage/types.ts";

const port = Number(Deno.args[0]);
const accessKeyId = Deno.env.get("AWS_ACCESS_KEY_ID")!;
const secretAccessKey = Deno.env.get("AWS_SECRET_ACCESS_KEY")!;

function unsupported(): never {
  throw new IllegalArgumentException("the discard service only takes StartObject and PutChunk");
}

const discard: BackupStorage = {
  startObject: () => Promise.resolve({ $metadata: {}, UploadId: "discard" }),
  async putChunk(input: PutChunkInput): Promise<PutChunkOutput> {
    const hash = createHash("sha256");
    let length = 0;
    if (input.Data instanceof Uint8Array) {
      hash.update(input.Data);
      length = input.Data.byteLength;
    } else {
      for await (const piece of input.Data) {
        hash.update(piece);
        length += piece.byteLength;
      }
    }
    const checksum = hash.digest("base64");
    if (length !== input.Length || checksum !== input.Checksum) {
      throw new IllegalArgumentException("length or checksum mismatch");
    }
    return { $metadata: {}, ChunkChecksum: checksum, ChunkChecksumAlgorithm: "SHA256" };
  },
  deleteObject: unsupported,
  getChunk: unsupported,
  getObjectMetadata: unsupported,
  listChunks: unsupported,
  listObjects: unsupported,
  notifyObjectComplete: unsupported,
  putObject: unsupported,
};

const app = createStorageApp(discard, {
  credentials: new Map([[accessKeyId, { secretAccessKey }]]),
});
Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: () => console.log(`listening on http://127.0.0.1:${port}`),
}, app.fetch);
