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

import { openStore, type StoreLocation } from "../../../../src/storage/store/store_backends.ts";
import { contentFor, describeObject } from "./crash_content.ts";
import { putSmall, uploadObject } from "./store_fixtures.ts";

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
    await putSmall(store, "crash", name, chunks[0], { MetadataString: meta });
  } else {
    await uploadObject(store, "crash", name, chunks, { metadataString: meta });
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
