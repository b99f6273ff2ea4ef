// A process for wal_checkpointer_test.ts: a busy store whose checkpointer runs,
// left open at the end of the script. The process must still exit by itself (the
// worker never keeps it alive, as the store's collector timer does not).
import {
  CHECKPOINTER_AFTER_COMMITS,
  MetadataDb,
} from "../../../../src/storage/store/metadata/sqlite_db.ts";

const db = MetadataDb.open(`${Deno.args[0]}/metadata.db`, { durable: false });
for (let i = 0; i < CHECKPOINTER_AFTER_COMMITS + 10; i++) {
  db.transaction(() => db.ensureJob(`job-${i}`, 1));
}
for (let i = 0; i < 500 && db.checkpointer === undefined; i++) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
console.log(JSON.stringify({ checkpointer: db.checkpointer !== undefined }));
// No close: the script ends here.
