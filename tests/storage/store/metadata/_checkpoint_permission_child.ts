// A process for wal_checkpointer_test.ts, run with read and write access to its
// data directory (Deno.args[0]) only: a busy store there must work without the
// checkpointer's worker, whose module it may not read, and without asking for it.
import {
  CHECKPOINTER_AFTER_COMMITS,
  MetadataDb,
} from "../../../../src/storage/store/metadata/sqlite_db.ts";

const db = MetadataDb.open(`${Deno.args[0]}/metadata.db`, { durable: false });
for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS + 50; i++) {
  db.transaction(() => db.ensureJob(`job-${i}`, 1));
}
// Long enough for a worker that was going to start (or fail) to have done so.
await new Promise((resolve) => setTimeout(resolve, 500));
console.log(
  JSON.stringify({ checkpointer: db.checkpointer !== undefined, jobs: db.usage("job-300") }),
);
await db.stopCheckpointer();
db.close();
