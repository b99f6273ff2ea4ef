/**
 * Child process of gc_race_test.ts: one of several writers sharing a store with
 * a collector that runs continuously with a grace period of zero. For a given
 * time it uploads objects made of chunks drawn from a small shared pool (so its
 * uploads keep re-using the bytes of objects other writers are deleting), and
 * deletes some of its own. Prints one line per acknowledged change:
 * `PUT <name> <pool indexes joined by ,>` or `DEL <name>`, then `END`.
 *
 * Usage: gc_race_writer.ts <location JSON> <writer id> <duration ms>
 *
 * @module
 */

import { openStore, type StoreLocation } from "../../../../src/storage/store/store_backends.ts";
import { GC_RACE_JOB, POOL_SIZE, poolChunk } from "./gc_race_pool.ts";
import { putSmall, uploadObject } from "./store_fixtures.ts";

const [locationJson, writer, durationText] = Deno.args;
const location = JSON.parse(locationJson) as StoreLocation;
const opened = await openStore(location, { gcIntervalMs: 0, gracePeriodMs: 0, durable: false });
const store = opened.store;
const encoder = new TextEncoder();
const out = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));
const deadline = Date.now() + Number(durationText);
const live: string[] = [];
let random = [...writer].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) >>> 0;
const next = (n: number) => {
  random = (random * 1103515245 + 12345) >>> 0;
  return (random >>> 8) % n;
};

for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
  const name = `${writer}/obj-${i}`;
  const count = 1 + next(4);
  const indexes = Array.from({ length: count }, () => next(POOL_SIZE));
  const chunks = indexes.map(poolChunk);
  if (count === 1 && i % 2 === 0) await putSmall(store, GC_RACE_JOB, name, chunks[0]);
  else await uploadObject(store, GC_RACE_JOB, name, chunks);
  out(`PUT ${name} ${indexes.join(",")}`);
  live.push(name);
  // Delete about half of what was written, so the pool's chunks keep losing
  // their last reference while other writers bring them again.
  if (live.length > 2 && next(2) === 0) {
    const [victim] = live.splice(next(live.length), 1);
    await store.deleteObject({ BackupJobId: GC_RACE_JOB, ObjectName: victim });
    out(`DEL ${victim}`);
  }
}
await opened.close();
out("END");
