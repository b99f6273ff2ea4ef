// A process for wal_checkpointer_test.ts: commits jobs `job-0`, `job-1`, … into the
// metadata database at Deno.args[0], one per transaction, each flushed (the WAL
// fsynced) before its number is printed: a printed number is an acknowledged
// commit. Runs until killed, at most Deno.args[1] commits. The background
// checkpointer takes over after CHECKPOINTER_AFTER_COMMITS, so the kill may land
// in the middle of one of its checkpoints.
import { MetadataDb } from "../../../../src/storage/store/metadata/sqlite_db.ts";

const db = MetadataDb.open(Deno.args[0], { durable: true });
const limit = Number(Deno.args[1]);
const out = new TextEncoder();
for (let i = 0; i < limit; i++) {
  db.transaction(() => {
    db.ensureJob(`job-${i}`, Date.now());
    db.addUsage(`job-${i}`, 1, i);
  });
  await db.flush();
  await Deno.stdout.write(out.encode(`${i}${db.checkpointer ? " c" : ""}\n`));
}
db.close();
