// A process for wal_checkpointer_test.ts: a busy store in the data directory
// Deno.args[0] (more commits than it takes to start the checkpointer), then, by
// Deno.args[1]: "close" closes it; "leave-open" ends the script with it open,
// and the process must still exit by itself. Prints whether the checkpointer ran
// and one job's usage, as JSON.
import {
  CHECKPOINTER_AFTER_COMMITS,
  MetadataDb,
} from "../../../../src/storage/store/metadata/sqlite_db.ts";

const db = MetadataDb.open(`${Deno.args[0]}/metadata.db`, { durable: false });
for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS + 50; i++) {
  db.transaction(() => {
    db.ensureJob(`job-${i}`, 1);
    db.addUsage(`job-${i}`, 1, i);
  });
}
// Long enough for a worker that is going to start (or fail) to have done so.
for (let i = 0; i < 200 && db.checkpointer === undefined; i++) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
console.log(
  JSON.stringify({ checkpointer: db.checkpointer !== undefined, jobs: db.usage("job-300") }),
);
if (Deno.args[1] === "close") {
  await db.stopCheckpointer();
  db.close();
}
