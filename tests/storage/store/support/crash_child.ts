/**
 * Child process of crash_test.ts: writes objects into a store directory forever
 * (until killed), printing `DONE <name>` after each NotifyObjectComplete or
 * PutObject returns. Content is derived from the MetadataString, so any listed
 * object can be verified: `seed=<seed>;chunks=<n>;size=<bytes>`.
 *
 * Usage: crash_child.ts <store location as JSON> <round>
 *
 * @module
 */

import { chunkChecksum } from "../../../../src/storage/checksum.ts";
import { openStore, type StoreLocation } from "../../../../src/storage/store/store_backends.ts";
import { contentFor, describeObject, summaryOf } from "./crash_content.ts";

const [locationJson, roundText] = Deno.args;
const round = Number(roundText);
const location = JSON.parse(locationJson) as StoreLocation;
const { store } = await openStore(location, { gcIntervalMs: 50, gracePeriodMs: 100 });
const encoder = new TextEncoder();
const out = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));
out("READY");

for (let i = 0; i < 100_000; i++) {
  const seed = `r${round}-o${i}`;
  const meta = describeObject(seed);
  const chunks = contentFor(meta);
  // Every third object replaces one shared name; the rest are new names.
  const name = i % 3 === 2 ? "hot/replaced" : `r${round}/obj-${i}`;
  if (chunks.length === 1 && i % 2 === 0) {
    await store.putObject({
      BackupJobId: "crash",
      ObjectName: name,
      MetadataString: meta,
      InlineChunk: chunks[0],
      InlineChunkLength: chunks[0].length,
      InlineChunkChecksum: chunkChecksum(chunks[0]),
    });
  } else {
    const { UploadId } = await store.startObject({ BackupJobId: "crash", ObjectName: name });
    await Promise.all(chunks.map((data, index) =>
      store.putChunk({
        BackupJobId: "crash",
        UploadId,
        ChunkIndex: index,
        Data: data,
        Length: data.length,
        Checksum: chunkChecksum(data),
        ChecksumAlgorithm: "SHA256",
      })
    ));
    await store.notifyObjectComplete({
      BackupJobId: "crash",
      UploadId,
      ObjectChecksum: summaryOf(chunks),
      ObjectChecksumAlgorithm: "SUMMARY",
      MetadataString: meta,
    });
  }
  out(`DONE ${name} ${meta}`);
  if (i % 5 === 4) {
    // Announced first: a kill between the delete's commit and DELETED leaves it either way.
    out(`DELETING ${name}`);
    await store.deleteObject({ BackupJobId: "crash", ObjectName: name }).catch(() => {});
    out(`DELETED ${name}`);
  }
}
await store.close();
